"""Who is on support, from a rendered schedule: pure functions on plain data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oncall_lib.rotation.schedule import ScheduleProblem, handoff_at, select_layer, support_timeline


def entry(user: str, start: str, end: str) -> dict[str, object]:
    return {"user": {"id": user, "summary": user.title()}, "start": start, "end": end}


LAYER = {
    "id": "PL2", "name": "Support", "start": "2026-01-05T14:00:00Z", "end": None,
    "rendered_schedule_entries": [
        entry("ada", "2026-11-16T14:00:00Z", "2026-11-23T14:00:00Z"),
        entry("grace", "2026-11-23T14:00:00Z", "2026-11-30T14:00:00Z"),
        entry("alan", "2026-11-30T14:00:00Z", "2026-12-07T14:00:00Z"),
    ],
}
AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_previous_current_next() -> None:
    handoff = handoff_at(support_timeline(LAYER, []), AT)
    assert (handoff.previous and handoff.previous.user_id, handoff.current and handoff.current.user_id,
            handoff.next and handoff.next.user_id) == ("ada", "grace", "alan")


def test_an_override_in_the_middle_splits_the_turn() -> None:
    overrides = [entry("kath", "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z")]
    timeline = support_timeline(LAYER, overrides)
    handoff = handoff_at(timeline, AT)
    assert handoff.current and handoff.current.user_id == "kath" and handoff.current.override
    assert handoff.previous and handoff.previous.user_id == "grace"
    assert handoff.next and handoff.next.user_id == "grace"
    assert [s.user_id for s in timeline] == ["ada", "grace", "kath", "grace", "alan"]


def test_an_override_by_the_same_person_merges() -> None:
    overrides = [entry("grace", "2026-11-30T14:00:00Z", "2026-12-01T14:00:00Z")]
    handoff = handoff_at(support_timeline(LAYER, overrides), AT)
    assert handoff.current and handoff.current.end == datetime(2026, 12, 1, 14, tzinfo=UTC)
    assert handoff.next and handoff.next.user_id == "alan"


def test_layers_are_chosen_by_id_or_name_never_by_position() -> None:
    ended = {**LAYER, "id": "OLD", "end": "2026-01-05T14:00:00Z", "start": "2025-01-06T14:00:00Z"}
    schedule = {"id": "S", "schedule_layers": [LAYER, ended, {**LAYER, "id": "PL1", "name": "Primary"}]}
    assert select_layer(schedule, "support", AT)["id"] == "PL2"
    assert select_layer(schedule, "PL1", AT)["id"] == "PL1"
    with pytest.raises(ScheduleProblem, match="not active"):
        select_layer(schedule, "OLD", AT)


def test_two_active_layers_with_one_name_must_be_chosen_by_id() -> None:
    schedule = {"id": "S", "schedule_layers": [LAYER, {**LAYER, "id": "PL3"}]}
    with pytest.raises(ScheduleProblem, match="several active layers are named 'Support' \\(PL2, PL3\\)"):
        select_layer(schedule, "Support", AT)
