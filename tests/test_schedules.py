"""Who is on support, for PagerDuty schedules as teams really have them.

Each world is written from PagerDuty's documented behaviour: restricted
layers render one entry per allowed window, overrides sit above every layer,
an edited layer ends and a new one of the same name starts, deleted users stay
on their layers. Everything runs through the real `pagerduty` client against
the sandbox, and every world is run twice: the second run writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import Config
from oncall_lib.handoff import rotate
from oncall_lib.report import Report
from oncall_lib.requests import watch
from oncall_lib.services import Services
from tests.conftest import Sandbox

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 30, 9, 30, tzinfo=NY)  # Alan Turing's turn began at 09:00
SUPPORT = "C01SUPPORT"
REPO = "department-of-veterans-affairs/va.gov-team"
BUSINESS_DAYS = [{"type": "weekly_restriction", "start_day_of_week": day, "start_time_of_day": "09:00:00",
                  "duration_seconds": 8 * 3600} for day in range(1, 6)]
DAILY = [{"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 8 * 3600}]


def handoff(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotate.run(services, config, at, dry_run=dry_run)


def watching(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return watch.run(services, config, at, dry_run=dry_run)


def schedule(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.world["pagerduty"]["schedules"][0]  # type: ignore[no-any-return]


def layer(sandbox: Sandbox, layer_id: str = "PLAYER2") -> dict[str, Any]:
    return next(lay for lay in schedule(sandbox)["layers"] if lay["id"] == layer_id)


def override(sandbox: Sandbox, user: str, start: datetime, end: datetime) -> None:
    schedule(sandbox)["overrides"].append({"id": f"POV{len(schedule(sandbox)['overrides'])}", "user": user,
                                           "start": start.isoformat(), "end": end.isoformat()})


def writes(report: Report) -> int:
    return report.total_calls("writes")


def handed_over(sandbox: Sandbox, config: Config, at: datetime = MONDAY) -> Report:
    report = sandbox.run(handoff, config, at).report
    assert report.exit_code == 0, report.to_text()
    assert writes(sandbox.run(handoff, config, at).report) == 0
    return report


def handoff_messages(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)


@pytest.mark.parametrize("restrictions", [DAILY, BUSINESS_DAYS], ids=["daily 09-17", "weekdays 09-17"])
def test_a_business_hours_layer_is_one_turn_in_and_out_of_hours(sandbox: Sandbox, config: Config,
                                                                  restrictions: list[dict[str, Any]]) -> None:
    layer(sandbox)["restrictions"] = restrictions
    first = handed_over(sandbox, config)
    assert first.facts["on_support"] == "Alan Turing" and first.facts["outgoing"] == "Grace Hopper"
    assert first.facts["next"] == "Katherine Johnson"
    # Friday from the handoff hour: the next person hears what waits for them, once.
    friday = sandbox.run(handoff, config, datetime(2026, 12, 4, 9, 30, tzinfo=NY)).report
    assert [o.action.detail for o in friday.outcomes] == ["what waits for them, the working day before their turn"]
    for at in [datetime(2026, 12, 1, 20, 0, tzinfo=NY), datetime(2026, 12, 2, 10, 0, tzinfo=NY),
               datetime(2026, 12, 5, 12, 0, tzinfo=NY), datetime(2026, 12, 7, 8, 30, tzinfo=NY)]:
        report = sandbox.run(handoff, config, at).report
        assert report.exit_code == 0, (at, report.to_text())
        assert report.facts["on_support"] == "Alan Turing", at
        # From Friday on, two reads more: the next person's DM and whether the heads-up is in it.
        budget = 10 if at.day >= 4 else 8
        assert writes(report) == 0 and report.total_calls() <= budget, (at, report.api_calls)
    assert len(handoff_messages(sandbox)) == 1
    monday = sandbox.run(handoff, config, datetime(2026, 12, 7, 9, 30, tzinfo=NY)).report
    assert monday.facts["on_support"] == "Katherine Johnson" and monday.facts["outgoing"] == "Alan Turing"


def test_an_overnight_override_on_the_primary_layer_moves_nothing(sandbox: Sandbox, config: Config) -> None:
    layer(sandbox)["restrictions"] = BUSINESS_DAYS
    handed_over(sandbox, config)
    override(sandbox, "PGRACE1", datetime(2026, 12, 1, 18, 0, tzinfo=NY), datetime(2026, 12, 2, 8, 0, tzinfo=NY))
    for at in [datetime(2026, 12, 1, 22, 0, tzinfo=NY), datetime(2026, 12, 2, 9, 17, tzinfo=NY)]:
        report = sandbox.run(handoff, config, at).report
        assert report.facts["on_support"] == "Alan Turing" and writes(report) == 0, report.to_text()


def test_a_two_hour_cover_moves_nothing_but_the_watch_escalates_to_the_cover(sandbox: Sandbox,
                                                                          untracked: Config) -> None:
    handed_over(sandbox, untracked)
    override(sandbox, "PGRACE1", datetime(2026, 12, 2, 10, 0, tzinfo=NY), datetime(2026, 12, 2, 12, 0, tzinfo=NY))
    at = datetime(2026, 12, 2, 11, 0, tzinfo=NY)
    report = sandbox.run(handoff, untracked, at).report
    assert report.facts["on_support"] == "Alan Turing" and writes(report) == 0
    assert "Grace Hopper covers Wed 02 Dec 10:00-12:00 EST (2 h," in report.facts["rule"]
    sandbox.post(SUPPORT, datetime(2026, 12, 2, 10, 0, tzinfo=NY), "Is the VPN down for everyone?")
    sandbox.run(watching, untracked, at)
    grace, alan = sandbox.dm("U0GRACE"), sandbox.dm("U0ALAN")
    assert grace and [m for m in grace["messages"] if (m.get("metadata") or {}).get("event_type") ==
                      watch.WAITING_EVENT]
    assert not alan or not [m for m in alan["messages"] if (m.get("metadata") or {}).get("event_type") ==
                            watch.WAITING_EVENT]


def test_a_cover_over_two_business_days_is_told_window_by_window_in_the_teams_time(sandbox: Sandbox,
                                                                                   untracked: Config) -> None:
    """Tuesday 09:00 to Wednesday 17:00 on a business-hours layer is two 8-hour windows: 16 hours of support
    time, under min_override_hours, so the turn stays; the rule names both windows, in New York time."""
    layer(sandbox)["restrictions"] = BUSINESS_DAYS
    handed_over(sandbox, untracked)
    override(sandbox, "PGRACE1", datetime(2026, 12, 1, 9, 0, tzinfo=NY), datetime(2026, 12, 2, 17, 0, tzinfo=NY))
    report = sandbox.run(handoff, untracked, datetime(2026, 12, 2, 11, 0, tzinfo=NY)).report
    assert report.facts["on_support"] == "Alan Turing" and writes(report) == 0
    assert ("Grace Hopper covers Tue 01 Dec 09:00-17:00 and Wed 02 Dec 09:00-17:00 EST (16 h, under "
            "rotation.min_override_hours)") in report.facts["rule"], report.facts["rule"]


def test_a_week_long_override_moves_everything_once(sandbox: Sandbox, config: Config) -> None:
    handed_over(sandbox, config)
    override(sandbox, "PGRACE1", datetime(2026, 12, 1, 9, 0, tzinfo=NY), datetime(2026, 12, 7, 9, 0, tzinfo=NY))
    at = datetime(2026, 12, 1, 9, 17, tzinfo=NY)
    moved = sandbox.run(handoff, config, at).report
    assert moved.facts["on_support"] == "Grace Hopper" and moved.facts["override"] is True
    assert "overrides the support turn for the rest of it" in moved.facts["rule"]
    assert "grace-hopper" in sandbox.issue(REPO, 1954)["assignees"]
    assert "alan-turing" not in sandbox.issue(REPO, 1954)["assignees"]
    assert len(handoff_messages(sandbox)) == 2
    again = sandbox.run(handoff, config, at + timedelta(hours=5)).report
    assert writes(again) == 0 and len(handoff_messages(sandbox)) == 2


def test_a_layer_edited_mid_turn_is_not_a_new_turn(sandbox: Sandbox, config: Config) -> None:
    handed_over(sandbox, config)
    edit = datetime(2026, 12, 2, 12, 0, tzinfo=NY)
    old = layer(sandbox)
    old["end"] = edit.isoformat()
    schedule(sandbox)["layers"].append({**old, "id": "PLAYER3", "start": edit.isoformat(), "end": None,
                                        "restrictions": BUSINESS_DAYS})
    report = sandbox.run(handoff, config, edit + timedelta(hours=1)).report
    assert report.facts["on_support"] == "Alan Turing" and report.facts["outgoing"] == "Grace Hopper"
    assert writes(report) == 0 and len(handoff_messages(sandbox)) == 1


def test_a_time_zone_change_mid_turn_writes_nothing(sandbox: Sandbox, config: Config) -> None:
    handed_over(sandbox, config)
    schedule(sandbox)["time_zone"] = "Europe/London"
    report = sandbox.run(handoff, config, datetime(2026, 12, 2, 10, 0, tzinfo=NY)).report
    assert report.facts["on_support"] == "Alan Turing" and writes(report) == 0


def test_markers_written_before_the_utc_key_are_still_found(sandbox: Sandbox, config: Config) -> None:
    handed_over(sandbox, config)
    for message in [*handoff_messages(sandbox), *(sandbox.dm("U0ALAN") or {"messages": []})["messages"]]:
        payload = (message.get("metadata") or {}).get("event_payload")
        if payload:
            payload["key"] = "PALAN01/2026-11-30T09:00:00-05:00"  # as the product wrote it until now
    assert writes(sandbox.run(handoff, config, MONDAY + timedelta(hours=1)).report) == 0


def test_a_four_week_turn_still_knows_who_had_it_before(sandbox: Sandbox, config: Config) -> None:
    support = layer(sandbox)
    support["rotation_turn_length_seconds"] = 28 * 86400
    support["rotation_virtual_start"] = "2026-11-02T09:00:00-05:00"
    support["users"] = ["PALAN01", "PGRACE1"]
    at = datetime(2026, 11, 26, 10, 0, tzinfo=NY)  # day 24 of Alan's turn
    report = sandbox.run(handoff, config, at).report
    assert report.facts["on_support"] == "Alan Turing" and report.facts["outgoing"] == "Grace Hopper"
    assert report.facts["next"] == "Grace Hopper"
    assert writes(sandbox.run(handoff, config, at).report) == 0


def test_the_next_person_on_a_layer_that_starts_next_week(sandbox: Sandbox, config: Config) -> None:
    change = datetime(2026, 12, 7, 9, 0, tzinfo=NY)
    layer(sandbox)["end"] = change.isoformat()
    schedule(sandbox)["layers"].append({**layer(sandbox), "id": "PLAYER3", "start": change.isoformat(), "end": None,
                                        "rotation_virtual_start": change.isoformat(), "users": ["PADA001"]})
    report = handed_over(sandbox, config)
    assert report.facts["next"] == "Ada Lovelace"
    assert report.facts["next_takes_over"] == change.isoformat()


def test_a_deleted_pagerduty_user_on_the_layer_is_a_warning(sandbox: Sandbox, config: Config) -> None:
    user = next(u for u in sandbox.world["pagerduty"]["users"] if u["id"] == "PALAN01")
    user["deleted"] = True
    sandbox.issue(REPO, 1954)["assignees"].append("grace-hopper")  # assigned for her turn, which ends
    report = sandbox.run(handoff, config, MONDAY).report
    assert any("holds the support turn but cannot be read" in w and "replace them on the layer" in w
               for w in report.warnings), report.warnings
    kinds = {o.action.kind for o in report.outcomes}
    assert "slack.set_topic" in kinds and "github.unassign" in kinds
    assert writes(sandbox.run(handoff, config, MONDAY).report) == 0


def test_a_roster_member_whose_slack_account_is_gone(sandbox: Sandbox, config: Config) -> None:
    sandbox.world["slack"]["users"] = [u for u in sandbox.world["slack"]["users"] if u["id"] != "U0ALAN"]
    report = sandbox.run(handoff, config, MONDAY).report
    assert any(w.startswith("no start-of-turn DM for Alan Turing") and "user_not_found" in w for w in report.warnings)
    assert "alan-turing" in sandbox.issue(REPO, 1954)["assignees"]
    assert "Alan Turing" in sandbox.channel(SUPPORT)["topic"]
    assert writes(sandbox.run(handoff, config, MONDAY).report) == 0


def test_the_doctor_describes_the_support_layer_in_one_line(sandbox: Sandbox, config: Config) -> None:
    from oncall_lib.setup import doctor

    def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return doctor.run(s, c, at, dry_run=True)

    layer(sandbox)["restrictions"] = BUSINESS_DAYS
    override(sandbox, "PGRACE1", datetime(2026, 12, 3, 9, 0, tzinfo=NY), datetime(2026, 12, 7, 9, 0, tzinfo=NY))
    override(sandbox, "PKATH01", datetime(2026, 12, 2, 10, 0, tzinfo=NY), datetime(2026, 12, 2, 12, 0, tzinfo=NY))
    report = sandbox.run(doctoring, config, MONDAY).report
    [shape] = [c for c in report.extra["checks"] if c["check"] == "support layer shape"]
    assert shape["ok"], shape
    assert shape["detail"] == ("support layer restricted (5 window rule(s): the role is held between windows too), "
                               "7-day turns; overrides in the next two weeks move the handoff: Grace Hopper from "
                               "Thu 03 Dec 09:00 (1 shorter cover(s) only redirect escalations)")
    [turns] = [c for c in report.extra["checks"] if c["check"] == "rotation handoff time"]
    assert turns["ok"], turns  # business-hours entries every day are not daily handoffs


def shift_based(sandbox: Sandbox) -> None:
    """The same rotation as a shift-based (v3) schedule: PagerDuty serves it only through /v3/schedules."""
    old = schedule(sandbox)
    support = layer(sandbox)
    sandbox.world["pagerduty"]["schedules"] = [{
        "id": old["id"], "name": old["name"], "time_zone": old["time_zone"], "shift_based": True,
        "rotations": [{**support, "id": "ROTSUPPORT", "name": "Oncall support"},
                      {**layer(sandbox, "PLAYER1"), "id": "ROTPRIMARY", "name": "Primary"}],
        "overrides": []}]


def test_a_shift_based_schedule_with_a_rotation_and_an_override(sandbox: Sandbox, config: Config) -> None:
    shift_based(sandbox)
    v3 = config.model_copy(update={"rotation": config.rotation.model_copy(
        update={"schedule_kind": "shifts", "support_layer": "Oncall support"})})
    layered = sandbox.run(handoff, config, MONDAY).report  # the classic endpoint refuses it
    assert layered.exit_code == 1 and "shift-based" in " ".join(layered.errors)
    first = handed_over(sandbox, v3)
    assert first.facts["on_support"] == "Alan Turing" and first.facts["outgoing"] == "Grace Hopper"
    assert first.facts["next"] == "Katherine Johnson"
    schedule(sandbox)["overrides"] = [
        {"id": "PO1", "rotation_id": "ROTSUPPORT", "user": "PGRACE1", "start": "2026-12-01T09:00:00-05:00",
         "end": "2026-12-07T09:00:00-05:00"},  # the rest of the turn: the role moves
        {"id": "PO2", "rotation_id": "ROTPRIMARY", "user": "PADA001", "start": "2026-11-30T18:00:00-05:00",
         "end": "2026-12-01T06:00:00-05:00"}]  # primary overnight: not support's business
    night = sandbox.run(handoff, v3, datetime(2026, 11, 30, 22, 0, tzinfo=NY)).report
    assert night.facts["on_support"] == "Alan Turing" and night.facts["next"] == "Grace Hopper"
    # Nothing moves overnight; Grace, who takes over in the morning, hears what waits for her.
    assert [(o.action.target, o.action.detail) for o in night.outcomes] == [
        ("DM Grace Hopper", "what waits for them, the working day before their turn")]
    moved = handed_over(sandbox, v3, datetime(2026, 12, 1, 9, 17, tzinfo=NY))
    assert moved.facts["on_support"] == "Grace Hopper" and moved.facts["override"] is True
    auto = config.model_copy(update={"rotation": config.rotation.model_copy(
        update={"schedule_kind": "auto", "support_layer": "ROTSUPPORT"})})
    assert writes(sandbox.run(handoff, auto, datetime(2026, 12, 1, 10, 0, tzinfo=NY)).report) == 0


def test_the_shift_based_schedule_follows_pagerdutys_v3_description(sandbox: Sandbox, config: Config) -> None:
    from oncall_lib.sandbox import SandboxServer
    from tests.contracts import Contracts
    from tests.test_contracts import PD, assert_fits, call

    shift_based(sandbox)
    with SandboxServer(sandbox.world, record=True) as server:
        body = call(server, "pagerduty", "/v3/schedules/PSUPPRT", token=PD,
                    params={"since": "2026-11-30T00:00:00Z", "until": "2026-12-08T00:00:00Z",
                            "include[]": "final_schedule"})
        assert_fits(Contracts(), server)
    sources = {a["source"]["type"] for a in body["schedule"]["final_schedule"]["computed_shift_assignments"]}
    assert sources == {"schedule_rotation"}


def test_a_shift_based_world_file_is_read_through_v3_by_every_job(tmp_path: Any, config: Config) -> None:
    """A world file written as PagerDuty shapes a shift-based schedule (rotations, no layers) loads; the handoff,
    normal oncall's incidents in its message and in the report, and the doctor all read it through
    /v3/schedules, which is all PagerDuty allows: the v2 endpoint would refuse, and say so in a warning."""
    import json

    from oncall_lib.sandbox.world import EXAMPLE_WORLD, load_world
    from oncall_lib.setup import doctor
    from oncall_lib.tracking import report as rotation_report

    world = json.loads(EXAMPLE_WORLD.read_text())
    old = world["pagerduty"]["schedules"][0]
    layers = {lay["id"]: lay for lay in old["layers"]}
    world["pagerduty"]["schedules"] = [{
        "id": old["id"], "name": old["name"], "time_zone": old["time_zone"], "shift_based": True,
        "rotations": [{**layers["PLAYER2"], "id": "ROTSUPPORT", "name": "Oncall support"},
                      {**layers["PLAYER1"], "id": "ROTPRIMARY", "name": "Primary"}],
        "overrides": []}]
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    sandbox = Sandbox(load_world(path))
    v3 = config.model_copy(update={"rotation": config.rotation.model_copy(
        update={"schedule_kind": "shifts", "support_layer": "Oncall support"})})

    handed = sandbox.run(handoff, v3, MONDAY).report
    assert handed.exit_code == 0 and handed.facts["on_support"] == "Alan Turing", handed.to_text()
    assert not [w for w in handed.warnings if "incidents" in w or "shift" in w], handed.warnings
    [message] = sandbox.bot_messages("C02VSPOPS", rotate.TEAM_EVENT)  # the team's message, in its channel
    assert "Normal oncall since the last handoff: 2 incident(s)" in message["text"]  # Grace's week: Nov 25, 28

    def reporting(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return rotation_report.run(s, c, at, dry_run=d)

    report = sandbox.run(reporting, v3, datetime(2026, 12, 7, 8, 30, tzinfo=NY), dry_run=True).report
    assert report.extra["rotation"]["person"] == "Alan Turing"
    assert [i["number"] for i in report.extra["incidents"]] == [4103, 4104]
    assert not [w for w in report.warnings if "incidents" in w or "shift" in w], report.warnings

    def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return doctor.run(s, c, at, dry_run=True)

    checks = {c["check"]: c for c in sandbox.run(doctoring, v3, MONDAY).report.extra["checks"]}
    assert checks["pagerduty schedule"] == {
        "check": "pagerduty schedule", "ok": True,
        "detail": "shift-based schedule 'Platform Oncall' and support rotation 'Oncall support' (ROTSUPPORT) found"}
    assert checks["support layer shape"]["ok"] and "7-day turns" in checks["support layer shape"]["detail"]
    assert checks["rotation handoff time"]["ok"], checks["rotation handoff time"]


def test_the_rotation_report_covers_a_restricted_turn_whole(sandbox: Sandbox, untracked: Config) -> None:
    from oncall_lib.tracking import report as rotation_report

    def reporting(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return rotation_report.run(s, c, at, dry_run=d)

    layer(sandbox)["restrictions"] = BUSINESS_DAYS
    report = sandbox.run(reporting, untracked, datetime(2026, 12, 7, 8, 37, tzinfo=NY), dry_run=True).report
    rotation = report.extra["rotation"]
    assert rotation["person"] == "Alan Turing"
    # Not just Friday's window: Monday 09:00 until the next Monday's handoff.
    assert (rotation["start"], rotation["end"]) == ("2026-11-30T09:00:00-05:00", "2026-12-07T09:00:00-05:00")


def test_a_long_cover_in_the_middle_of_a_turn_says_how_long(sandbox: Sandbox, config: Config) -> None:
    handed_over(sandbox, config)
    override(sandbox, "PGRACE1", datetime(2026, 12, 1, 9, 0, tzinfo=NY), datetime(2026, 12, 2, 15, 0, tzinfo=NY))
    report = sandbox.run(handoff, config, datetime(2026, 12, 1, 10, 0, tzinfo=NY)).report
    assert report.facts["on_support"] == "Grace Hopper"
    assert "overrides the support turn for 30 h" in report.facts["rule"], report.facts["rule"]
    back = sandbox.run(handoff, config, datetime(2026, 12, 2, 16, 0, tzinfo=NY)).report
    assert back.facts["on_support"] == "Alan Turing"
