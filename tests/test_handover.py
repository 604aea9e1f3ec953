"""The handover issue through PyGithub, slack_sdk and pagerduty against the sandbox: opened once per turn,
prefilled, acknowledged (box or `/oncall ack`), one reminder when it is not, the outgoing person's notes
asked for and quoted, the last turn's issue closed with a link to its report, and the report linking it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oncall_lib.config import Config, HandoverConfig
from oncall_lib.handoff import handover, rotate
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.support_issues import commands as issue_commands
from oncall_lib.tracking import report as rotation_report
from tests.conftest import Sandbox

REPO = "department-of-veterans-affairs/va.gov-team"
DEVOPS = "department-of-veterans-affairs/devops"
SUPPORT = "C01SUPPORT"
OPERATIONS = "C02VSPOPS"
LABEL = "oncall-handover"
# Grace Hopper's turn began Monday 23 November 09:00 New York; Alan Turing's begins on the 30th.
GRACE = datetime(2026, 11, 23, 14, 10, tzinfo=UTC)
ALAN = datetime(2026, 11, 30, 14, 10, tzinfo=UTC)


@pytest.fixture
def week(untracked: Config) -> Config:
    return untracked.model_copy(update={"handover": HandoverConfig()})


def handoff(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotate.run(services, config, at, dry_run=dry_run)


def report(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotation_report.run(services, config, at, dry_run=dry_run)


def repo(sandbox: Sandbox, name: str = REPO) -> dict[str, Any]:
    return next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == name)


def handover_issues(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [i for i in repo(sandbox)["issues"] if LABEL in i.get("labels", [])]


def say(sandbox: Sandbox, number: int, author: str, body: str) -> int:
    issue = sandbox.issue(REPO, number)
    comment_id = 93000 + sum(len(i.get("comments", [])) for i in repo(sandbox)["issues"])
    issue.setdefault("comments", []).append({"id": comment_id, "user": author, "body": body,
                                             "created_at": "2026-11-27T16:00:00Z"})
    return comment_id


def command(number: int, comment_id: int) -> Any:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return issue_commands.run(services, config, at, number=number, comment_id=comment_id, dry_run=dry_run)
    return job


def a_busy_week(sandbox: Sandbox) -> None:
    """What waits at the handoff: a request nobody answered, a support issue, a cleanup PR, an access request."""
    sandbox.post(SUPPORT, GRACE - timedelta(minutes=40), "Is the <!channel> staging VPN down? @org/team")
    issues = repo(sandbox)["issues"]
    issues.append({"number": 2001, "title": "Sentry access for the benefits team", "state": "open", "user": "vfs-dev",
                   "labels": ["support-request"], "assignees": ["ada-lovelace"], "body": "",
                   "created_at": "2026-11-18T15:00:00Z"})
    issues.append({"number": 2002, "title": "Access: New Teammate", "state": "open", "user": "vfs-dev",
                   "labels": ["access-request"], "assignees": [], "body": "", "created_at": "2026-11-22T15:00:00Z"})
    repo(sandbox, DEVOPS)["pulls"].append({
        "number": 77, "title": "Remove inactive IAM users: Old.User", "state": "open", "user": "oncall-support-bot",
        "labels": ["iam-cleanup"], "head": "oncall/remove-iam-users/old.user",
        "body": "<!-- oncall-support:iam-cleanup Old.User -->", "created_at": "2026-11-20T14:00:00Z",
        "updated_at": "2026-11-20T14:00:00Z"})


def test_one_issue_per_turn_prefilled_assigned_and_linked_from_the_handoff(sandbox: Sandbox, week: Config) -> None:
    a_busy_week(sandbox)
    first = sandbox.run(handoff, week, GRACE).report
    assert first.exit_code == 0, first.to_text()
    [issue] = handover_issues(sandbox)
    assert issue["title"] == "Oncall support: Grace Hopper, Nov 23 – Nov 30, 2026"
    assert issue["assignees"] == ["grace-hopper"]
    body = issue["body"]
    assert "- [ ] I have read this and I am taking over" in body
    assert "### Requests still waiting for an acknowledgement (1)" in body
    assert "[Sentry access for the benefits team](" in body and "open 4 days (@ada-lovelace)" in body
    assert "[Automate certificate rotation](" in body  # the postmortem item
    assert "### Normal oncall since the last handoff" in body
    assert "[Remove inactive IAM users: Old.User](" in body and "(IAM cleanup: Old.User)" in body
    assert "### Access requests waiting for an approver (1)" in body
    # Hostile text from Slack reaches GitHub inert.
    assert "<!channel>" not in body and "@org/team" not in body
    [message] = sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT)
    link = f"https://github.sandbox/{REPO}/issues/{issue['number']}"
    assert f"Handover issue (acknowledge it there): <{link}|open it>" in message["text"]
    # One issue per turn, however many ticks.
    for hour in (1, 2):
        again = sandbox.run(handoff, week, GRACE + timedelta(hours=hour, minutes=-5)).report
        assert again.total_calls("writes") == 0, again.to_text()
    assert len(handover_issues(sandbox)) == 1
    assert first.facts["handover_issue"] is None and again.facts["handover_issue"].endswith(f"/{issue['number']}")


def test_acknowledged_by_command_and_reminded_once_when_not(sandbox: Sandbox, week: Config) -> None:
    sandbox.run(handoff, week, GRACE)
    [issue] = handover_issues(sandbox)
    # Two business hours later, nobody acknowledged: one DM.
    late = sandbox.run(handoff, week, GRACE + timedelta(hours=2, minutes=5)).report
    assert [o.action.detail for o in late.outcomes] == ["remind them to acknowledge the handover issue"]
    assert len(sandbox.bot_messages("U0GRACE", handover.REMINDER_EVENT)) == 1
    assert sandbox.run(handoff, week, GRACE + timedelta(hours=3)).report.total_calls("writes") == 0

    stranger = say(sandbox, issue["number"], "alan-turing", "/oncall ack")
    refused = sandbox.run(command(issue["number"], stranger), week, GRACE + timedelta(hours=3)).report
    assert "only the person taking over (@grace-hopper) acknowledges" in refused.outcomes[-1].action.params["body"]
    assert "- [ ] I have read this" in issue["body"]
    ack = say(sandbox, issue["number"], "grace-hopper", "/oncall ack")
    done = sandbox.run(command(issue["number"], ack), week, GRACE + timedelta(hours=3)).report
    assert [o.action.kind for o in done.outcomes] == ["github.edit_issue"]
    assert "- [x] I have read this" in issue["body"]
    assert sandbox.run(command(issue["number"], ack), week, GRACE + timedelta(hours=3)).report.outcomes == []
    tick = sandbox.run(handoff, week, GRACE + timedelta(hours=4)).report
    assert tick.facts["handover_acknowledged"] is True and tick.total_calls("writes") == 0


def test_an_ack_the_event_missed_is_picked_up_by_the_tick(sandbox: Sandbox, week: Config) -> None:
    sandbox.run(handoff, week, GRACE)
    [issue] = handover_issues(sandbox)
    say(sandbox, issue["number"], "grace-hopper", "Read it, thanks!\n/oncall ack")
    tick = sandbox.run(handoff, week, GRACE + timedelta(hours=3)).report
    assert [o.action.kind for o in tick.outcomes] == ["github.edit_issue"]  # no reminder: she acknowledged
    assert "- [x] I have read this" in issue["body"]


def test_notes_asked_the_day_before_quoted_at_the_handoff_and_the_turn_closed_with_its_report(
        sandbox: Sandbox, week: Config) -> None:
    sandbox.run(handoff, week, GRACE)
    [grace] = handover_issues(sandbox)
    # Thanksgiving (Thursday the 26th) is a holiday: the working day before Alan's turn is Friday.
    friday = datetime(2026, 11, 27, 14, 20, tzinfo=UTC)
    asked = sandbox.run(handoff, week, friday).report
    assert "ask for handover notes for the next person" in [o.action.detail for o in asked.outcomes]
    [dm] = sandbox.bot_messages("U0GRACE", handover.NOTES_EVENT)
    assert "Add your notes for them as a comment on" in dm["text"]
    assert sandbox.run(handoff, week, friday + timedelta(hours=1)).report.total_calls("writes") == 0
    say(sandbox, grace["number"], "grace-hopper", "Watch the VPN: it flaps after 16:00.\nAda knows the Sentry one.\n"
                                                  "cc <!here> @org/team")
    say(sandbox, grace["number"], "grace-hopper", "/oncall ack")  # commands are not notes

    published = sandbox.run(report, week, ALAN - timedelta(minutes=70)).report
    assert published.exit_code == 0, published.to_text()
    [report_issue] = [i for i in repo(sandbox)["issues"] if "rotation-report" in i.get("labels", [])]
    assert "### Handover issues" in report_issue["body"] and f"#{grace['number']}" in report_issue["body"]

    turn = sandbox.run(handoff, week, ALAN).report
    assert turn.exit_code == 0, turn.to_text()
    assert grace["state"] == "closed"
    assert "rotation report](" in grace["comments"][-1]["body"]
    alan = next(i for i in handover_issues(sandbox) if i["number"] != grace["number"])
    assert alan["assignees"] == ["alan-turing"]
    assert "### Notes from @grace-hopper" in alan["body"] and "> Watch the VPN: it flaps after 16:00." in alan["body"]
    message = sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT)[-1]
    assert "Notes from @grace-hopper:\n> Watch the VPN: it flaps after 16:00.\n> Ada knows the Sentry one." \
        in message["text"]
    # The notes are a person's text: inert in Slack and on GitHub alike.
    assert "<!here>" not in message["text"] and "&lt;!here&gt;" in message["text"]
    assert "<!here>" not in alan["body"] and "@org/team" not in alan["body"]
    assert sandbox.run(handoff, week, ALAN + timedelta(minutes=50)).report.total_calls("writes") == 0


def test_a_turn_whose_report_never_comes_is_closed_a_day_later(sandbox: Sandbox, week: Config) -> None:
    sandbox.run(handoff, week, GRACE)
    [grace] = handover_issues(sandbox)
    sandbox.run(handoff, week, ALAN)
    assert grace["state"] == "open"  # waits for the report (the button may be pressed late)
    sandbox.run(handoff, week, ALAN + timedelta(days=1))
    assert grace["state"] == "closed" and "no rotation report was published" in grace["comments"][-1]["body"]


def test_the_support_form_never_takes_a_handover_issue_for_a_slack_request(sandbox: Sandbox, week: Config) -> None:
    from oncall_lib.support_issues import issues as support_issues

    a_busy_week(sandbox)  # the issue's body links the waiting request's Slack thread
    sandbox.run(handoff, week, GRACE)
    [issue] = handover_issues(sandbox)
    formed = sandbox.run(lambda s, c, at, d: support_issues.from_issue(s, c, at, number=issue["number"], dry_run=d),
                         week, GRACE + timedelta(minutes=1)).report
    assert formed.outcomes == [] and issue["labels"] == [LABEL]


def test_the_dry_run_plans_the_issue_and_writes_nothing(sandbox: Sandbox, week: Config) -> None:
    planned = sandbox.run(handoff, week, GRACE, dry_run=True).report
    assert "github.create_issue" in [o.action.kind for o in planned.outcomes]
    assert planned.total_calls("writes") == 0 and handover_issues(sandbox) == []
