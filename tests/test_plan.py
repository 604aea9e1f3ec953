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


def test_a_dry_run_shows_each_text_as_its_reader_will_see_it() -> None:
    from oncall_lib.plan import Ref

    actions = [
        Action("github.create_issue", "o/r", "open it", {"repo": "o/r", "title": "Disk \x1b[2Jfull",
                                                         "body": "Seen on **jenkins**.\n\n<!-- oncall-support:x -->"}),
        Action("slack.reply", "#support thread", "reply with the link",
               {"channel": "C1", "text": ":ticket: Tracked as <{url}|{label}> for <@U0ADA> &amp; <#C1>.",
                "url": Ref(0, "html_url"), "label": Ref(0, "label")}, after=0),
    ]
    planned = Report("job", dry_run=True, outcomes=apply(actions, {"github.create_issue": lambda a: None,
                                                                   "slack.reply": lambda a: None}, dry_run=True),
                     names={"U0ADA": "Ada Lovelace", "C1": "vfs-platform-support"})
    text = planned.to_text()
    assert "      │ title: Disk ?[2Jfull" in text and "      │ Seen on **jenkins**." in text
    assert "oncall-support:x" not in text  # hidden on GitHub, hidden here
    assert ("      │ :ticket: Tracked as [label of action 1] ([html_url of action 1]) for @Ada Lovelace & "
            "#vfs-platform-support.") in text
    [issue, reply] = [a["preview"] for a in planned.to_json()["actions"]]
    assert issue == {"to": "github", "title": "Disk \x1b[2Jfull",
                     "text": "Seen on **jenkins**.\n\n<!-- oncall-support:x -->"}
    assert reply["text"] == (":ticket: Tracked as <[html_url of action 1]|[label of action 1]> for <@U0ADA> &amp; "
                             "<#C1>.")
    summary = planned.to_markdown()
    assert "<details open><summary>2. slack.reply #support thread: reply with the link</summary>" in summary
    assert ("> :ticket: Tracked as [\\[label of action 1\\]]([html_url%20of%20action%201]) for @Ada Lovelace &amp; "
            "#vfs-platform-support.") in summary
    # Applied, the text is where it was written: the log and summary do not quote it again; --json does.
    done = Report("job", dry_run=False, outcomes=apply(actions, {"github.create_issue": lambda a: {
        "html_url": "https://github.com/o/r/issues/5", "label": "o/r#5"}, "slack.reply": lambda a: None},
        dry_run=False))
    assert "│" not in done.to_text() and "<details" not in done.to_markdown()
    assert done.to_json()["actions"][1]["preview"]["text"] == (
        ":ticket: Tracked as <https://github.com/o/r/issues/5|o/r#5> for <@U0ADA> &amp; <#C1>.")
