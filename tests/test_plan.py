"""The one write path: what apply records for each action."""

from __future__ import annotations

import pytest

from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Status, apply
from oncall_lib.report import Report


def test_dry_run_runs_no_executor() -> None:
    calls: list[str] = []
    outcomes = apply([Action("x", "t", "d")], {"x": lambda a: calls.append(a.target)}, dry_run=True)
    assert [o.status for o in outcomes] == [Status.PLANNED]
    assert calls == []


def test_a_failure_does_not_stop_the_others_but_skips_its_dependents() -> None:
    def fail(action: Action) -> None:
        raise ServiceError("Slack chat.postMessage C1: not_in_channel")

    done: list[str] = []
    actions = [Action("fail", "a", "first"), Action("ok", "b", "needs a", after=0), Action("ok", "c", "independent")]
    outcomes = apply(actions, {"fail": fail, "ok": lambda a: done.append(a.target)}, dry_run=False)
    assert [o.status for o in outcomes] == [Status.FAILED, Status.SKIPPED, Status.APPLIED]
    assert outcomes[0].error == "Slack chat.postMessage C1: not_in_channel"
    assert done == ["c"]
    report = Report("job", dry_run=False, outcomes=outcomes)
    assert report.exit_code == 1
    assert report.annotations()[0] == "::error::fail a failed: Slack chat.postMessage C1: not_in_channel"


def test_an_action_without_an_executor_is_a_bug_caught_before_any_write() -> None:
    written: list[str] = []
    with pytest.raises(KeyError, match="unknown"):
        apply([Action("ok", "a", ""), Action("unknown", "b", "")], {"ok": lambda a: written.append("a")},
              dry_run=False)
    assert written == []


def test_annotations_escape_newlines() -> None:
    report = Report("job", dry_run=True, warnings=["two\nlines 100%"])
    assert report.annotations() == ["::warning::two%0Alines 100%25"]


def test_actions_inserted_in_a_plan_keep_every_dependency_on_its_action() -> None:
    from oncall_lib.plan import Ref, insert

    plan = [Action("create", "a", "open"), Action("link", "b", "link it", {"id": Ref(0, "id")}, after=0),
            Action("reply", "c", "reply", {"url": Ref(0, "url")}, after=1)]
    room = [Action("make_room", "e", "first"), Action("then", "e", "second", after=1)]  # numbered from position 1
    out = insert(plan, 1, room)
    assert [a.kind for a in out] == ["create", "make_room", "then", "link", "reply"]
    assert out[2].after == 1  # the new ones as given
    assert (out[3].after, out[3].params["id"]) == (0, Ref(0, "id"))  # before the insertion point: unchanged
    assert (out[4].after, out[4].params["url"]) == (3, Ref(0, "url"))  # after it: moved with the link
