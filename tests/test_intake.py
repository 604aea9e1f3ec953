"""The tick's intake through PyGithub, slack_sdk and pagerduty against the sandbox: with every event run dropped,
one intake does what they would have, each piece once; a second writes nothing; a quiet one costs two reads."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oncall_lib import intake
from oncall_lib.config import Config
from oncall_lib.offboarding import requests as offboarding
from oncall_lib.report import Report
from oncall_lib.sandbox import Faults
from oncall_lib.services import Services
from oncall_lib.support_issues import issues as si
from tests.conftest import Sandbox
from tests.test_offboarding import form as offboarding_form

REPO = "department-of-veterans-affairs/va.gov-team"
SUPPORT = "C01SUPPORT"
FILED = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 in New York; Alan Turing is on support
AT = FILED + timedelta(minutes=20)
THREAD_TS = "1764514800.000100"  # 10:00 New York, in the support channel
PERMALINK = f"https://sandbox.slack.com/archives/{SUPPORT}/p{THREAD_TS.replace('.', '')}"
VPN_TS = "1764515100.000200"  # 10:05 New York
VPN_LINK = f"https://sandbox.slack.com/archives/{SUPPORT}/p{VPN_TS.replace('.', '')}"
IR, CS = 1954, 3675


def intake_job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return intake.run(services, config, at, dry_run=dry_run)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def file(sandbox: Sandbox, number: int, title: str, body: str, labels: list[str], *, user: str = "vfs-dev",
         when: datetime = FILED, **fields: Any) -> dict[str, Any]:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    issue = {"number": number, "title": title, "body": body, "labels": labels, "user": user, "state": "open",
             "assignees": [], "created_at": _stamp(when), "updated_at": _stamp(when), **fields}
    repo["issues"].append(issue)
    return issue


def support_form(answers: dict[str, str]) -> str:
    return "\n\n".join(f"### {label}\n\n{answers.get(label) or '_No response_'}" for label in si.FORM_LABELS)


def a_week_of_dropped_events(sandbox: Sandbox) -> None:
    """One of each piece of work the event workflows do, none of which any event run reached."""
    sandbox.post(SUPPORT, datetime.fromtimestamp(float(THREAD_TS), UTC), "Could someone give me Grafana access?")
    sandbox.post(SUPPORT, datetime.fromtimestamp(float(VPN_TS), UTC), "The VPN drops every ten minutes",
                 user="U0ADA")
    file(sandbox, 6000, "[Support] Grafana access", support_form({
        "Requester": "Sam", "What is needed": "Grafana access", "Super Epic": "Global Customer Support",
        "Slack thread": PERMALINK}), ["support-request"])
    file(sandbox, 6004, "VPN drops", "It drops every ten minutes.\n\n<sub>Created from a [Slack message]("
         f"{VPN_LINK})</sub>", [], user="ada-lovelace", when=FILED + timedelta(minutes=2))
    file(sandbox, 6001, "Offboarding of Bob Smith", offboarding_form({
        "Name": "Bob Smith", "GitHub username": "bob-smith-vfs", "Expected last day": "2026-12-18"},
        offboarding.OFFBOARDING_LABELS), ["offboarding"], user="katherine-johnson")  # a roster member asks
    file(sandbox, 6002, "Access for New Teammate to Grafana", offboarding_form({
        "Person": "New Teammate", "GitHub username": "new-teammate", "Tool": "GitHub: devops repository (read)",
        "Reason": "joining VFS"}, offboarding.ACCESS_LABELS), ["access-request", "access-approved"],
        events=[{"event": "labeled", "label": "access-request", "actor": "vfs-dev", "created_at": _stamp(FILED)},
                {"event": "labeled", "label": "access-approved", "actor": "ada-lovelace",
                 "created_at": _stamp(FILED + timedelta(minutes=3))}])
    file(sandbox, 6003, "pm: rotate the staging certificates", "From the certificate outage.", [],
         user="ada-lovelace")
    # A complete support issue on the Customer Support epic, with commands in its comments.
    _issue(sandbox, CS).setdefault("sub_issues", []).append(96005)
    file(sandbox, 6005, "[Support] VPN is down", support_form({
        "Requester": "Sam", "What is needed": "The VPN drops", "Super Epic": "Global Customer Support"}),
        ["support-request", "operations"], id=96005,
         assignees=["alan-turing"], comments=[
             {"id": 77001, "user": "ada-lovelace", "body": "Grace knows the VPN.\n/oncall assign @grace-hopper",
              "created_at": _stamp(FILED + timedelta(minutes=5))},
             {"id": 77002, "user": "grace-hopper", "body": "/oncall epic incident-response",
              "created_at": _stamp(FILED + timedelta(minutes=6))},
             {"id": 77003, "user": "grace-hopper", "body": "Looking at it now.",
              "created_at": _stamp(FILED + timedelta(minutes=7))}])
    # Not ours to do: an unrelated issue, and a command on a pull request.
    file(sandbox, 6006, "Typo in the docs", "s/teh/the/", ["documentation"])
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    repo.setdefault("pulls", []).append({"number": 6007, "title": "Fix the docs", "state": "open", "user": "vfs-dev",
                                         "head": "docs", "created_at": _stamp(FILED), "updated_at": _stamp(FILED),
                                         "comments": [{"id": 77009, "user": "ada-lovelace", "body": "/oncall done",
                                                       "created_at": _stamp(FILED)}]})


def _issue(sandbox: Sandbox, number: int) -> dict[str, Any]:
    return sandbox.issue(REPO, number)


def _thread_replies(sandbox: Sandbox, ts: str = THREAD_TS) -> list[dict[str, Any]]:
    return [m for m in sandbox.channel(SUPPORT)["messages"] if m.get("thread_ts") == ts
            and (m.get("metadata") or {}).get("event_type") == si.REPLY_EVENT]


def test_with_every_event_run_dropped_one_intake_does_each_piece_of_work_once(sandbox: Sandbox,
                                                                              config: Config) -> None:
    a_week_of_dropped_events(sandbox)
    first = sandbox.run(intake_job, config, AT).report
    assert first.exit_code == 0, first.to_text()
    picked = {(w["kind"], w["issue"], w["comment"]) for w in first.extra["picked_up"]}
    assert picked == {("support request", 6000, None), ("support request", 6004, None), ("offboarding", 6001, None),
                      ("access", 6002, None), ("postmortem item", 6003, None), ("command", 6005, 77001),
                      ("command", 6005, 77002)}

    for number, ts in ((6000, THREAD_TS), (6004, VPN_TS)):
        issue = _issue(sandbox, number)
        assert {"support-request", "operations"} <= set(issue["labels"]) and issue["assignees"] == ["alan-turing"]
        assert si.thread_marker(si.ThreadRef(SUPPORT, ts)) in issue["body"]
        assert issue["id"] in _issue(sandbox, CS)["sub_issues"]
        assert len(_thread_replies(sandbox, ts)) == 1
    offboard = _issue(sandbox, 6001)
    assert [c for c in offboard["comments"] if offboarding.STATUS_MARKER in c["body"]]
    access = _issue(sandbox, 6002)
    assert next(t for t in sandbox.world["github"]["teams"] if t["slug"] == "devops-readers")["members"] == [
        "new-teammate"]
    assert any(offboarding.GRANTED_MARKER in c["body"] and "approved by @ada-lovelace" in c["body"]
               for c in access["comments"])
    item = _issue(sandbox, 6003)
    assert "Postmortem Action Item" in item["labels"] and item["id"] in _issue(sandbox, IR)["sub_issues"]
    vpn = _issue(sandbox, 6005)
    assert vpn["assignees"] == ["grace-hopper"] and vpn["id"] in _issue(sandbox, IR)["sub_issues"]
    assert sum("oncall-support:command-done" in c["body"] for c in vpn["comments"]) == 2
    assert _issue(sandbox, 6006)["labels"] == ["documentation"] and not _issue(sandbox, 6006).get("comments")

    before = repr(sandbox.world)
    second = sandbox.run(intake_job, config, AT + timedelta(minutes=15)).report
    assert second.exit_code == 0, second.to_text()
    assert second.total_calls("writes") == 0 and second.outcomes == []
    # Two listings, one comments read each to see that the offboarding and the access request are done, one read
    # of who the product is (only its own comments say so), and one read of the tracking sheet to see that their
    # rows were logged.
    assert second.extra["picked_up"] == []
    assert second.api_calls == {"github": {"reads": 5, "writes": 0}, "sheets": {"reads": 1, "writes": 0}}
    assert repr(sandbox.world) == before


def test_a_request_carried_out_without_its_row_gets_the_row_from_the_next_tick(sandbox: Sandbox,
                                                                               config: Config) -> None:
    """The event run granted and said so, but the sheet refused the row: the tick logs it, and only it."""
    a_week_of_dropped_events(sandbox)
    sandbox.run(intake_job, config, AT)
    sheet = next(s for s in sandbox.world["sheets"]["spreadsheets"])
    access = next(t for t in sheet["worksheets"] if t["title"] == "Access")
    logged = list(access["rows"])
    access["rows"], access["notes"] = access["rows"][:1], {}  # the header only: the row was never written
    again = sandbox.run(intake_job, config, AT + timedelta(minutes=15)).report
    assert [(w["kind"], w["issue"], w["why"]) for w in again.extra["picked_up"]] == [
        ("access", 6002, "carried out, but its row is not in the tracking sheet")]
    assert [o.action.kind for o in again.outcomes] == ["sheet.append"] and access["rows"] == logged


def test_a_quiet_tick_costs_two_reads(sandbox: Sandbox, config: Config) -> None:
    report = sandbox.run(intake_job, config, AT).report
    assert report.api_calls == {"github": {"reads": 2, "writes": 0}}
    assert report.outcomes == [] and report.facts["picked_up"] == 0


def test_work_the_event_runs_did_is_not_done_again(sandbox: Sandbox, config: Config) -> None:
    """The fast path happened: the form's run completed the issue, the comment's run answered it."""
    a_week_of_dropped_events(sandbox)
    from oncall_lib.support_issues import commands as issue_commands

    sandbox.run(lambda s, c, at, d: si.from_issue(s, c, at, number=6000, dry_run=d), config, FILED)
    for comment in (77001, 77002):
        sandbox.run(lambda s, c, at, d, comment=comment: issue_commands.run(
            s, c, at, number=6005, comment_id=comment, dry_run=d), config, FILED + timedelta(minutes=8))
    report = sandbox.run(intake_job, config, AT).report
    picked = {(w["kind"], w["issue"]) for w in report.extra["picked_up"]}
    assert ("support request", 6000) not in picked and ("command", 6005) not in picked
    assert len(_thread_replies(sandbox)) == 1


def test_the_grace_period_leaves_fresh_work_to_its_event_run(sandbox: Sandbox, config: Config) -> None:
    """With the caller workflow installed, the event run may still be at work: the intake waits its turn."""
    assert config.support_issues is not None
    graced = config.model_copy(update={"support_issues": config.support_issues.model_copy(
        update={"event_grace_minutes": 30})})
    a_week_of_dropped_events(sandbox)
    early = sandbox.run(intake_job, graced, AT, dry_run=True).report
    assert early.extra["picked_up"] == [] and early.total_calls("writes") == 0
    later = sandbox.run(intake_job, graced, FILED + timedelta(minutes=40)).report
    assert len(later.extra["picked_up"]) == 7


def test_only_the_window_is_read(sandbox: Sandbox, config: Config) -> None:
    """An issue last touched before the window (intake_lookback_hours) is left to whoever handled it then."""
    file(sandbox, 6010, "[support] old request", "from last week", [], when=FILED - timedelta(days=2))
    report = sandbox.run(intake_job, config, AT).report
    assert report.extra["picked_up"] == [] and report.facts["issues_updated"] == 0


def test_an_approval_the_events_attribute_to_a_bot_or_a_stranger_grants_nothing(sandbox: Sandbox,
                                                                                config: Config) -> None:
    body = offboarding_form({"Person": "New Teammate", "GitHub username": "new-teammate",
                             "Tool": "GitHub: devops repository (read)", "Reason": "joining"},
                            offboarding.ACCESS_LABELS)
    file(sandbox, 6020, "Access", body, ["access-request", "access-approved"], events=[
        {"event": "labeled", "label": "access-approved", "actor": "renovate[bot]", "created_at": _stamp(FILED)}])
    file(sandbox, 6021, "Access", body, ["access-request", "access-approved"], events=[
        {"event": "labeled", "label": "access-approved", "actor": "vfs-contractor", "created_at": _stamp(FILED)}])
    report = sandbox.run(intake_job, config, AT).report
    assert report.exit_code == 0, report.to_text()
    assert next(t for t in sandbox.world["github"]["teams"] if t["slug"] == "devops-readers")["members"] == []
    assert "is an app or a bot" in _issue(sandbox, 6020)["comments"][0]["body"]
    assert "@vfs-contractor is not in" in _issue(sandbox, 6021)["comments"][0]["body"]
    for number in (6020, 6021):
        assert "access-approved" not in _issue(sandbox, number)["labels"]
    assert sandbox.run(intake_job, config, AT + timedelta(minutes=15)).report.total_calls("writes") == 0


def test_pending_work_reads_only_what_the_listings_hold(config: Config) -> None:
    """The choice is pure: a complete support request, a labelled and linked item, an answered command are
    left alone without a read."""
    from oncall_lib.services.github import Comment, GitHubIdentity, IssueState

    me = GitHubIdentity(4242, "oncall-support-bot")

    answers = support_form({"Requester": "Sam", "What is needed": "x", "Super Epic": "customer-support"})
    done = IssueState(REPO, 1, "[Support] x", "open", ("alan-turing",), ("support-request", "operations"),
                      "https://github.sandbox/x/1", body=answers,
                      updated_at=FILED, parent_url="https://api/repos/x/issues/3675")
    item = IssueState(REPO, 2, "pm: fix", "open", (), ("Postmortem Action Item",), "https://github.sandbox/x/2",
                      updated_at=FILED, parent_url="https://api/repos/x/issues/1954")
    command = Comment(10, "/oncall done", "ada-lovelace", number=1, updated_at=FILED)
    reply = Comment(11, "Done:\n- close it\n\n<!-- oncall-support:command-done 10 -->", "oncall-support-bot",
                    number=1, updated_at=FILED, author_id=me.user_id)
    assert intake.pending_work([done, item], [command, reply], config, AT, lambda: me) == []
    # The same reply by anyone else is just text: the command is still unanswered.
    forged = Comment(**{**reply.__dict__, "author_id": 99, "author": "vfs-contractor"})
    assert [w.kind for w in intake.pending_work([done, item], [command, forged], config, AT, lambda: me)] == [
        "command"]
    unlinked = IssueState(**{**done.__dict__, "parent_url": None})
    found = intake.pending_work([unlinked], [command], config, AT, lambda: me)
    assert [(w.kind, w.why) for w in found] == [("support request", "on no Super Epic (arrived by form)"),
                                                ("command", "comment 10 has no answer")]


@pytest.mark.parametrize("seed", [2, 8])
def test_under_faults_the_intake_reports_then_converges_without_duplicates(sandbox: Sandbox, config: Config,
                                                                         seed: int) -> None:
    """429s, 5xx after writes and dropped connections: a report, then the next ticks finish the work, and the
    world holds what a clean run makes, nothing twice."""
    from tests.test_faults import footprint

    a_week_of_dropped_events(sandbox)
    baseline = Sandbox(copy.deepcopy(sandbox.world))
    baseline.run(intake_job, config, AT)
    faulted = sandbox.run(intake_job, config, AT, faults=Faults(rate=0.2, seed=seed, retry_after=0)).report
    assert not any("unexpected" in e for e in faulted.errors), faulted.to_text()
    sandbox.run(intake_job, config, AT + timedelta(minutes=15))
    last = sandbox.run(intake_job, config, AT + timedelta(minutes=30)).report
    assert last.total_calls("writes") == 0, last.to_text()
    assert footprint(sandbox.world) == footprint(baseline.world)
