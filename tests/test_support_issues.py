"""Support issues end to end through PyGithub, slack_sdk, pagerduty and the ZenHub client, in the sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import Config
from oncall_lib.errors import InputError
from oncall_lib.report import Report
from oncall_lib.sandbox import Faults
from oncall_lib.services import Services
from oncall_lib.support_issues import issues as si
from tests.conftest import Sandbox
from tests.test_issue_forms import render

NY = ZoneInfo("America/New_York")
REPO = "department-of-veterans-affairs/va.gov-team"
DEVOPS = "department-of-veterans-affairs/devops"
SUPPORT = "C01SUPPORT"
AT = datetime(2026, 11, 30, 11, 0, tzinfo=NY)  # Alan Turing is on support
IR, CS = 1954, 3675


def link(ts: str) -> str:
    return f"https://sandbox.slack.com/archives/{SUPPORT}/p{ts.replace('.', '')}"


def zenhub(config: Config) -> Config:
    return config.model_copy(update={"epics": config.epics.model_copy(update={"link_with": "zenhub"})})


def button(permalink: str, epic: str = "incident-response", title: str | None = None) -> Any:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return si.from_thread(services, config, at, link=permalink, epic_key=epic, title=title, dry_run=dry_run)
    return job


def form(number: int) -> Any:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return si.from_issue(services, config, at, number=number, dry_run=dry_run)
    return job


def scanning(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return si.scan(services, config, at, dry_run=dry_run)


def a_thread(sandbox: Sandbox) -> str:
    ts = sandbox.post(SUPPORT, datetime(2026, 11, 30, 9, 30, tzinfo=NY),
                      "Our review instance returns 502 since this morning. <!here> @alan-turing can you look?")
    sandbox.reply(SUPPORT, ts, datetime(2026, 11, 30, 9, 40, tzinfo=NY), "U0GRACE", "Looking")
    sandbox.reply(SUPPORT, ts, datetime(2026, 11, 30, 9, 45, tzinfo=NY), "U0REQ1", "Thanks!")
    return ts


def support_issues(sandbox: Sandbox) -> list[dict[str, Any]]:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    return [i for i in repo["issues"] if "support-request" in i.get("labels", [])]


def thread_replies(sandbox: Sandbox, ts: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.channel(SUPPORT)["messages"]
            if m.get("thread_ts") == ts and (m.get("metadata") or {}).get("event_type") == si.REPLY_EVENT]


def sub_issue_count(sandbox: Sandbox, epic: int, issue: dict[str, Any]) -> int:
    return sandbox.issue(REPO, epic).get("sub_issues", []).count(issue["id"])


def test_the_button_opens_one_linked_assigned_issue_and_replies_once(sandbox: Sandbox, config: Config) -> None:
    ts = a_thread(sandbox)
    first = sandbox.run(button(link(ts)), config, AT).report
    assert first.exit_code == 0, first.to_text()
    assert [o.action.kind for o in first.outcomes] == ["github.create_issue", "epic.link", "slack.reply"]
    [issue] = support_issues(sandbox)
    assert issue["assignees"] == ["alan-turing"]
    assert issue["labels"] == ["support-request", "operations"]
    assert f"<!-- oncall-support:slack-thread {SUPPORT}/{ts} -->" in issue["body"]
    assert "**Participants:** Grace Hopper" in issue["body"] and "**Requested by:** Sam Requester" in issue["body"]
    assert "<!here>" not in issue["body"] and "@alan-turing" not in issue["body"]  # no pings either way
    assert issue["title"].startswith("Our review instance returns 502")
    assert sub_issue_count(sandbox, IR, issue) == 1
    [reply] = thread_replies(sandbox, ts)
    assert f"/issues/{issue['number']}|{REPO}#{issue['number']}>" in reply["text"] and "<@U0ALAN>" in reply["text"]

    second = sandbox.run(button(link(ts)), config, AT + timedelta(minutes=5)).report
    assert second.outcomes == [] and second.total_calls("writes") == 0


def test_the_button_with_zenhub_waits_for_zenhub_to_see_the_issue(sandbox: Sandbox, config: Config) -> None:
    config = zenhub(config)
    ts = a_thread(sandbox)
    first = sandbox.run(button(link(ts), epic="customer-support"), config, AT).report
    assert [(o.action.kind, o.status.value) for o in first.outcomes] == [
        ("github.create_issue", "applied"), ("epic.link", "pending"), ("slack.reply", "applied")]
    assert first.exit_code == 0  # pending is not a failure
    assert "ZenHub does not see" in first.outcomes[1].error

    later = sandbox.run(button(link(ts), epic="customer-support"), config, AT + timedelta(minutes=2)).report
    assert [(o.action.kind, o.status.value) for o in later.outcomes] == [("epic.link", "applied")]
    [issue] = support_issues(sandbox)
    epic = next(e for e in sandbox.world["zenhub"]["epics"] if e["title"] == "Global Customer Support")
    assert len(epic["issue_ids"]) == 1 and str(issue["number"]) in epic["issue_ids"][0]

    again = sandbox.run(button(link(ts), epic="customer-support"), config, AT + timedelta(minutes=3)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0


def test_a_ticket_reaction_by_a_team_member_opens_the_issue(sandbox: Sandbox, untracked: Config) -> None:
    config = untracked
    ts = a_thread(sandbox)
    other = sandbox.post(SUPPORT, datetime(2026, 11, 30, 9, 50, tzinfo=NY), "Another question")
    thread = next(m for m in sandbox.channel(SUPPORT)["messages"] if m["ts"] == ts)
    thread["reactions"] = [{"name": "ticket", "users": ["U0GRACE"], "count": 1}]
    sandbox.channel(SUPPORT)["messages"][-1]["reactions"] = [{"name": "ticket", "users": ["U0REQ1"], "count": 1}]
    first = sandbox.run(scanning, config, AT).report
    assert first.exit_code == 0, first.to_text()
    assert first.facts["ticketed_threads"] == 1  # the requester's own ticket does not count
    [issue] = support_issues(sandbox)
    assert si.thread_of(issue["body"]) == si.ThreadRef(SUPPORT, ts)
    assert sub_issue_count(sandbox, CS, issue) == 1  # the default epic
    assert len(thread_replies(sandbox, ts)) == 1 and thread_replies(sandbox, other) == []

    second = sandbox.run(scanning, config, AT + timedelta(minutes=15)).report
    assert second.outcomes == [] and second.total_calls("writes") == 0
    # auth.test + 6 channel histories; who the product is on GitHub (its own issues' markers are the ones that
    # count, read for the ticketed thread), the open support issues (the thread's is among them), the
    # repository's recently updated issues (shared with the intake: issues closed in the last hours, for the
    # summary check), both epics' sub-issues, the PR list. No issue is fetched one by one.
    assert second.api_calls == {"slack": {"reads": 7, "writes": 0}, "github": {"reads": 6, "writes": 0}}


def test_an_issue_from_a_ticket_reaction_names_the_people_its_message_mentions(sandbox: Sandbox,
                                                                             untracked: Config) -> None:
    ts = sandbox.post(SUPPORT, datetime(2026, 11, 30, 9, 40, tzinfo=NY),
                      "<@U0ADA> can you look at the VPN? cc <@U0REQ1>")
    sandbox.channel(SUPPORT)["messages"][-1]["reactions"] = [{"name": "ticket", "users": ["U0GRACE"], "count": 1}]
    assert sandbox.run(scanning, untracked, AT).report.exit_code == 0
    [issue] = [i for i in support_issues(sandbox) if si.thread_of(i["body"]) == si.ThreadRef(SUPPORT, ts)]
    assert issue["title"].startswith("Ada Lovelace can you look at the VPN? cc ")  # the roster's name, no id
    assert "U0ADA" not in issue["title"] + issue["body"] and "U0REQ1" not in issue["title"]


def test_the_reaction_scan_with_zenhub(sandbox: Sandbox, config: Config) -> None:
    config = zenhub(config)
    ts = a_thread(sandbox)
    thread = next(m for m in sandbox.channel(SUPPORT)["messages"] if m["ts"] == ts)
    thread["reactions"] = [{"name": "ticket", "users": ["U0ALAN"], "count": 1}]
    sandbox.run(scanning, config, AT)
    sandbox.run(scanning, config, AT + timedelta(minutes=15))
    again = sandbox.run(scanning, config, AT + timedelta(minutes=30)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0
    epic = next(e for e in sandbox.world["zenhub"]["epics"] if e["title"] == "Global Customer Support")
    assert len(epic["issue_ids"]) == 1


def a_form_issue(sandbox: Sandbox, answers: dict[str, str | None], newline: str = "\n") -> int:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    number = 4000 + len(repo["issues"])
    repo["issues"].append({"number": number, "title": "[Support] Grafana access", "body": render(answers, newline),
                           "state": "open", "user": "vfs-dev", "labels": ["support-request"], "assignees": [],
                           "created_at": "2026-11-30T15:00:00Z"})
    return number


def test_a_form_issue_is_completed_and_an_edit_changes_nothing(sandbox: Sandbox, config: Config) -> None:
    ts = a_thread(sandbox)
    number = a_form_issue(sandbox, {"Requester": "Sam", "What is needed": "Grafana access\n### not a heading",
                                    "Super Epic": "Global Customer Support", "Slack thread": link(ts)}, "\r\n")
    report = sandbox.run(form(number), config, AT).report
    assert report.exit_code == 0, report.to_text()
    assert [o.action.kind for o in report.outcomes] == [
        "github.add_labels", "github.assign", "epic.link", "slack.reply", "github.edit_body"]
    issue = sandbox.issue(REPO, number)
    assert issue["assignees"] == ["alan-turing"] and "operations" in issue["labels"]
    assert si.thread_of(issue["body"]) == si.ThreadRef(SUPPORT, ts)
    assert sub_issue_count(sandbox, CS, issue) == 1 and len(thread_replies(sandbox, ts)) == 1

    again = sandbox.run(form(number), config, AT + timedelta(minutes=1)).report  # the `edited` event from our edit
    assert again.outcomes == [] and again.total_calls("writes") == 0
    issue["body"] = issue["body"].replace("Grafana access", "Grafana and Sentry access")  # the requester edits
    edited = sandbox.run(form(number), config, AT + timedelta(minutes=2)).report
    assert edited.outcomes == [] and edited.total_calls("writes") == 0


def test_a_form_missing_a_field_gets_one_comment_and_a_label_then_recovers(sandbox: Sandbox, config: Config) -> None:
    number = a_form_issue(sandbox, {"Requester": "Sam", "Super Epic": "Incident Response",
                                    "Slack thread": "the thread from this morning"})
    first = sandbox.run(form(number), config, AT).report
    assert [o.action.kind for o in first.outcomes] == ["github.comment", "github.add_labels"]
    issue = sandbox.issue(REPO, number)
    [comment] = issue["comments"]
    assert "**What is needed** is required" in comment["body"]
    assert "**Slack thread**: 'the thread from this morning' is not a Slack message link" in comment["body"]
    assert "needs-info" in issue["labels"] and issue["assignees"] == []
    assert not sandbox.issue(REPO, IR).get("sub_issues")
    assert sandbox.run(form(number), config, AT).report.outcomes == []

    issue["body"] = render({"Requester": "Sam", "Super Epic": "Incident Response", "What is needed": "Access"})
    fixed = sandbox.run(form(number), config, AT + timedelta(minutes=5)).report
    assert [o.action.kind for o in fixed.outcomes] == [
        "github.edit_comment", "github.remove_label", "github.add_labels", "github.assign", "epic.link"]
    assert len(issue["comments"]) == 1 and "everything needed is here" in issue["comments"][0]["body"]
    assert "needs-info" not in issue["labels"] and sub_issue_count(sandbox, IR, issue) == 1
    assert sandbox.run(form(number), config, AT + timedelta(minutes=6)).report.outcomes == []


def test_a_form_naming_an_unknown_epic(sandbox: Sandbox, config: Config) -> None:
    number = a_form_issue(sandbox, {"Requester": "Sam", "What is needed": "x", "Super Epic": "Platform Revamp"})
    sandbox.run(form(number), config, AT)
    assert "'Platform Revamp' is not one of: Incident Response, Global Customer Support" in \
        sandbox.issue(REPO, number)["comments"][0]["body"]


def test_a_thread_the_app_cannot_see_opens_nothing(sandbox: Sandbox, config: Config) -> None:
    ts = a_thread(sandbox)
    sandbox.channel(SUPPORT)["members"].remove("U0BOT")
    report = sandbox.run(button(link(ts)), config, AT).report
    # Slack's description names no not_in_channel for conversations.replies: it answers channel_not_found.
    assert report.exit_code == 1 and "channel_not_found" in report.errors[0] and "invite the app" in report.errors[0]
    assert report.outcomes == [] and support_issues(sandbox) == []


def test_bad_permalinks_and_epics_are_refused_before_any_call(sandbox: Sandbox, config: Config) -> None:
    with pytest.raises(InputError, match="is not a Slack message link"):
        sandbox.run(button("https://example.com/not-slack"), config, AT)
    with pytest.raises(InputError, match="no Super Epic with key 'nope'"):
        sandbox.run(button(link("1764513000.000100"), epic="nope"), config, AT)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_twenty_percent_faults_still_end_with_one_of_each(sandbox: Sandbox, config: Config, seed: int) -> None:
    ts = a_thread(sandbox)
    faults = Faults(rate=0.2, seed=seed, retry_after=0)
    report, injected, runs = None, 0, 0
    for minute in range(0, 120, 5):
        run = sandbox.run(button(link(ts)), config, AT + timedelta(minutes=minute), faults=faults)
        report, injected, runs = run.report, injected + run.faults_injected, runs + 1
        if report.exit_code == 0 and not report.outcomes:
            break
    assert report is not None and report.outcomes == [] and report.exit_code == 0
    assert injected > 0, "no fault was injected: the test proves nothing"
    [issue] = support_issues(sandbox)
    assert sub_issue_count(sandbox, IR, issue) == 1
    assert len(thread_replies(sandbox, ts)) == 1


def a_pull(sandbox: Sandbox, number: int, body: str, labels: list[str] | None = None) -> dict[str, Any]:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    pull = {"number": number, "title": f"PR {number}", "body": body, "state": "open", "user": "alan-turing",
            "labels": labels or [], "head": f"branch-{number}", "created_at": "2026-11-30T14:00:00Z",
            "updated_at": "2026-11-30T15:30:00Z"}
    repo["pulls"].append(pull)
    return pull


def test_support_pull_requests_are_linked_to_an_epic_once(sandbox: Sandbox, config: Config) -> None:
    ts = a_thread(sandbox)
    sandbox.run(button(link(ts), epic="incident-response"), config, AT)
    [issue] = support_issues(sandbox)
    labelled = a_pull(sandbox, 201, "Quick fix", ["support"])
    referencing = a_pull(sandbox, 202, f"Fixes {REPO}#{issue['number']}")
    slack_linked = a_pull(sandbox, 203, f"See {link(ts)}")
    unrelated = a_pull(sandbox, 204, "Refactor, see #12")
    report = sandbox.run(scanning, config, AT + timedelta(minutes=30)).report
    commented = sorted(o.action.target for o in report.outcomes if o.action.kind == "github.comment")
    assert commented == [f"{DEVOPS}#201", f"{DEVOPS}#202", f"{DEVOPS}#203"]
    assert "Incident Response Super Epic" in referencing["comments"][0]["body"]  # from its support issue
    assert "Global Customer Support Super Epic" in labelled["comments"][0]["body"]  # the default
    assert slack_linked["comments"] and not unrelated.get("comments")
    again = sandbox.run(scanning, config, AT + timedelta(minutes=45)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0


def test_long_running_support_issues_are_listed_for_scoping(sandbox: Sandbox, config: Config) -> None:
    number = a_form_issue(sandbox, {"Requester": "Sam", "What is needed": "x", "Super Epic": "Incident Response"})
    sandbox.issue(REPO, number)["created_at"] = "2026-11-24T14:00:00Z"  # Tuesday: 3.25 business days, Thanksgiving off
    report = sandbox.run(scanning, config, AT).report
    assert report.facts["consider_scoping"] == 1
    assert any(f"consider scoping as a project: {REPO}#{number}" in w for w in report.warnings)
    # The rule reaches people: one comment on the issue (with its label as the memory), one DM to Alan.
    issue = sandbox.issue(REPO, number)
    [comment] = [c for c in issue.get("comments", []) if "two-hour rule" in c["body"]]
    assert "open 3.2 business days (longer than the 2 this team allows before scoping)" in comment["body"]
    assert "consider-scoping" in issue["labels"]
    [dm] = sandbox.bot_messages("U0ALAN", "oncall_support_scoping")
    assert f"{REPO}#{number}" in dm["text"] and "*Open longer than 2 business days*" in dm["text"]
    again = sandbox.run(scanning, config, AT + timedelta(minutes=15)).report
    assert again.facts["consider_scoping"] == 1 and again.total_calls("writes") == 0
    assert len(sandbox.bot_messages("U0ALAN", "oncall_support_scoping")) == 1


def test_an_issue_closed_without_a_summary_asks_for_one_once(sandbox: Sandbox, untracked: Config) -> None:
    asked = a_form_issue(sandbox, {"Requester": "Sam", "What is needed": "x", "Super Epic": "Incident Response"})
    summarised = a_form_issue(sandbox, {"Requester": "Sam", "What is needed": "y", "Super Epic": "Incident Response"})
    for number in (asked, summarised):
        sandbox.issue(REPO, number).update(state="closed", closed_at="2026-11-30T15:30:00Z",
                                            assignees=["alan-turing"])
    sandbox.issue(REPO, summarised).setdefault("comments", []).append(
        {"id": 99001, "user": "alan-turing", "body": "**Summary:** tried a restart; the fix was the DNS TTL."})
    report = sandbox.run(scanning, untracked, AT).report
    asks = [o for o in report.outcomes if o.action.detail.startswith("ask for a summary")]
    assert [o.action.params["number"] for o in asks] == [asked]
    assert "@alan-turing: this issue was closed without a summary" in asks[0].action.params["body"]
    assert "summary-requested" in sandbox.issue(REPO, asked)["labels"]
    again = sandbox.run(scanning, untracked, AT + timedelta(minutes=15)).report
    assert again.total_calls("writes") == 0


def test_a_form_issue_with_zenhub_links_once_zenhub_sees_it(sandbox: Sandbox, config: Config) -> None:
    config = zenhub(config)
    number = a_form_issue(sandbox, {"Requester": "Sam", "What is needed": "Grafana access",
                                    "Super Epic": "Incident Response"})
    # The form issue was created at 15:00Z; ZenHub sees it 45 seconds later, long before this run.
    first = sandbox.run(form(number), config, AT).report
    assert [(o.action.kind, o.status.value) for o in first.outcomes] == [
        ("github.add_labels", "applied"), ("github.assign", "applied"), ("epic.link", "applied")]
    epic = next(e for e in sandbox.world["zenhub"]["epics"] if e["title"] == "Incident Response")
    assert len(epic["issue_ids"]) == 1
    again = sandbox.run(form(number), config, AT + timedelta(minutes=1)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0


def test_two_entry_points_racing_on_one_thread_leave_one_issue(sandbox: Sandbox, config: Config) -> None:
    """The button runs while the scan, in another workflow, files the issue for the same thread."""
    from oncall_lib.sandbox import SandboxServer, sandbox_endpoints

    ts = a_thread(sandbox)
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    ref = si.ThreadRef(SUPPORT, ts)
    raced: list[int] = []
    with SandboxServer(sandbox.world, clock=lambda: AT) as server:
        handle = server.handle

        def other_run_creates_first(service: str, request: Any) -> Any:
            if (service == "github" and request.method == "POST" and request.path.endswith("/issues")
                    and not raced):
                number = max(i["number"] for i in repo["issues"]) + 1
                raced.append(number)
                repo["issues"].append({"number": number, "title": "Review instance 502", "state": "open",
                                       # The other run is the product too: its own account.
                                       "user": sandbox.world["github"]["bot_login"],
                                       "labels": ["support-request", "operations"],
                                       "assignees": [], "created_at": "2026-11-30T16:00:00Z",
                                       "updated_at": "2026-11-30T16:00:00Z",
                                       "body": f"From the scan\n\n{si.thread_marker(ref)}"})
            return handle(service, request)

        server.handle = other_run_creates_first  # type: ignore[method-assign]
        report = button(link(ts))(Services(sandbox_endpoints(server)), config, AT, False)
    assert report.exit_code == 0, report.to_text()
    assert [o.status.value for o in report.outcomes][0] == "pending"
    marker = si.thread_marker(ref)
    open_for_thread = [i for i in support_issues(sandbox) if i["state"] == "open" and marker in i["body"]]
    assert [i["number"] for i in open_for_thread] == raced
    [closed] = [i for i in support_issues(sandbox) if i["state"] == "closed"]
    assert closed["comments"][-1]["body"].startswith(f"Duplicate of #{raced[0]}")

    sandbox.run(button(link(ts)), config, AT + timedelta(minutes=5))  # completes the first issue
    again = sandbox.run(button(link(ts)), config, AT + timedelta(minutes=10)).report
    assert again.total_calls("writes") == 0
    assert len(thread_replies(sandbox, ts)) == 1


def test_zenhub_refusing_access_is_named_not_left_pending(sandbox: Sandbox, config: Config) -> None:
    """issueByInfo cannot be null: not found and no access both arrive as errors; only the first is 'not yet'."""
    from oncall_lib.sandbox.github_fake import stable_id

    config = zenhub(config)
    sandbox.world["zenhub"]["forbidden_repositories"] = [stable_id("repo", REPO)]
    ts = a_thread(sandbox)
    report = sandbox.run(button(link(ts), epic="customer-support"), config, AT).report
    [link_outcome] = [o for o in report.outcomes if o.action.kind == "epic.link"]
    assert link_outcome.status.value == "failed" and report.exit_code == 1
    assert "You do not have access to this repository [FORBIDDEN] (connect the repository" in link_outcome.error


def test_a_link_the_button_left_pending_is_completed_by_the_next_scan(sandbox: Sandbox, config: Config) -> None:
    """Nobody presses the button again: the scheduled scan finds the open issue off its epic and links it to the
    epic it was opened for."""
    config = zenhub(config)
    ts = a_thread(sandbox)
    first = sandbox.run(button(link(ts), epic="customer-support"), config, AT).report
    assert [o.status.value for o in first.outcomes if o.action.kind == "epic.link"] == ["pending"]

    scan = sandbox.run(scanning, config, AT + timedelta(minutes=15)).report
    assert [(o.action.kind, o.status.value) for o in scan.outcomes if o.action.kind == "epic.link"] == [
        ("epic.link", "applied")]
    [issue] = support_issues(sandbox)
    epic = next(e for e in sandbox.world["zenhub"]["epics"] if e["title"] == "Global Customer Support")
    assert any(str(issue["number"]) in i for i in epic["issue_ids"])  # the epic it was opened for, not the default

    again = sandbox.run(scanning, config, AT + timedelta(minutes=30)).report
    assert not [o for o in again.outcomes if o.action.kind == "epic.link"] and again.total_calls("writes") == 0


def test_a_form_issue_whose_link_failed_is_linked_by_the_next_scan(sandbox: Sandbox, untracked: Config) -> None:
    """GitHub sub-issues: an issue off its epic (a link that failed) goes under the epic its form chose."""
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == untracked.support_issues.repo)
    repo["issues"].append({"number": 4321, "title": "Need a bucket", "state": "open", "user": "someone",
                           "labels": list(untracked.support_issues.labels), "assignees": ["alan-turing"],
                           "created_at": "2026-11-30T14:00:00Z",
                           "body": "### What do you need?\n\nA bucket\n\n### Super Epic\n\nIncident Response"})
    scan = sandbox.run(scanning, untracked, AT).report
    links = [o for o in scan.outcomes if o.action.kind == "epic.link"]
    assert [(o.action.params["number"], o.action.params["epic"], o.status.value) for o in links] == [
        (4321, "incident-response", "applied")]
    again = sandbox.run(scanning, untracked, AT + timedelta(minutes=15)).report
    assert again.total_calls("writes") == 0


def _raw_issue(sandbox: Sandbox, title: str, body: str, labels: list[str] | None = None) -> int:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    number = 4500 + len(repo["issues"])
    repo["issues"].append({"number": number, "title": title, "body": body, "state": "open", "user": "ada-lovelace",
                           "labels": labels or [], "assignees": [], "created_at": "2026-11-30T15:00:00Z"})
    return number


def test_an_issue_the_github_for_slack_app_opened_becomes_a_complete_support_issue(sandbox: Sandbox,
                                                                                   config: Config) -> None:
    """The app's "Create an issue" shortcut on a message: the message text and its link, no label, no epic."""
    ts = a_thread(sandbox)
    body = ("Our review instance returns 502 since this morning.\n\n"
            f"<sub>Created from a [Slack message]({link(ts)}) with GitHub for Slack</sub>")
    number = _raw_issue(sandbox, "Review instance returns 502", body)
    first = sandbox.run(form(number), config, AT).report
    assert first.exit_code == 0, first.to_text()
    assert first.facts["arrived_by"] == "slack app"
    issue = sandbox.issue(REPO, number)
    assert "support-request" in issue["labels"]  # the product labels it: the app set none
    assert issue["assignees"] == ["alan-turing"]
    epic = sandbox.issue(REPO, CS)  # no epic field in the app: the default epic
    assert issue["id"] in epic.get("sub_issues", [])
    replies = [m for m in sandbox.channel(SUPPORT)["messages"] if m.get("thread_ts") == ts
               and "Tracked as" in m.get("text", "")]
    assert len(replies) == 1 and f"/issues/{number}|" in replies[0]["text"]
    again = sandbox.run(form(number), config, AT + timedelta(minutes=5)).report
    assert again.total_calls("writes") == 0


def test_a_workflow_builder_connector_issue_parses_like_the_form(sandbox: Sandbox, untracked: Config) -> None:
    """The connector's "Create an issue" step, its description written in the form's ### headings."""
    body = render({"Requester": "Sam Requester", "What is needed": "Sentry access for two new teammates",
                   "Super Epic": "Incident Response", "Urgency": "This week"})
    number = _raw_issue(sandbox, "[support] Sentry access", body)
    first = sandbox.run(form(number), untracked, AT).report
    assert first.facts["arrived_by"] == "connector" and first.facts["problems"] == 0
    issue = sandbox.issue(REPO, number)
    assert "support-request" in issue["labels"] and issue["id"] in sandbox.issue(REPO, IR).get("sub_issues", [])
    missing = _raw_issue(sandbox, "[support] ?", render({"Requester": "Sam", "What is needed": "x"}))
    asked = sandbox.run(form(missing), untracked, AT).report
    assert asked.facts["problems"] == 1  # no Super Epic: the one needs-info comment, as for the form
    assert sandbox.run(form(number), untracked, AT).report.total_calls("writes") == 0


def test_issues_that_are_not_support_requests_are_left_alone(sandbox: Sandbox, untracked: Config) -> None:
    ts = a_thread(sandbox)
    plain = _raw_issue(sandbox, "Upgrade the runners", "We should upgrade the runners.")
    offboarding = _raw_issue(sandbox, "Offboarding: Bob", f"See {link(ts)}", labels=["offboarding"])
    for number in (plain, offboarding):
        report = sandbox.run(form(number), untracked, AT).report
        assert report.outcomes == [] and report.total_calls("writes") == 0
        assert report.facts["support_request"].startswith("no")


def _commented(sandbox: Sandbox, number: int, author: str, body: str) -> int:
    issue = sandbox.issue(REPO, number)
    comment_id = 88000 + len(issue.setdefault("comments", []))
    issue["comments"].append({"id": comment_id, "user": author, "body": body, "created_at": "2026-11-30T16:00:00Z"})
    return comment_id


def commanding(number: int, comment_id: int) -> Any:
    from oncall_lib.support_issues import commands as issue_commands

    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return issue_commands.run(services, config, at, number=number, comment_id=comment_id, dry_run=dry_run)
    return job


def _support_issue(sandbox: Sandbox, config: Config) -> int:
    number = a_form_issue(sandbox, {"Requester": "Sam", "What is needed": "VPN access",
                                    "Super Epic": "Incident Response"})
    assert sandbox.run(form(number), config, AT).report.exit_code == 0  # assigned to Alan, on Incident Response
    return number


def test_oncall_commands_reassign_move_and_close_for_a_roster_member(sandbox: Sandbox, untracked: Config) -> None:
    number = _support_issue(sandbox, untracked)
    issue = sandbox.issue(REPO, number)
    assert issue["assignees"] == ["alan-turing"] and issue["id"] in sandbox.issue(REPO, IR)["sub_issues"]
    comment = _commented(sandbox, number, "alan-turing", "Grace knows this one.\n/oncall assign @grace-hopper\n"
                                                         "/oncall epic customer-support")
    first = sandbox.run(commanding(number, comment), untracked, AT).report
    assert first.exit_code == 0, first.to_text()
    assert issue["assignees"] == ["grace-hopper"]
    assert issue["id"] in sandbox.issue(REPO, CS)["sub_issues"] and issue["id"] not in sandbox.issue(REPO, IR)[
        "sub_issues"]
    assert sandbox.run(commanding(number, comment), untracked, AT).report.total_calls("writes") == 0

    done = _commented(sandbox, number, "grace-hopper", "/oncall done")
    closed = sandbox.run(commanding(number, done), untracked, AT).report
    assert issue["state"] == "closed" and "summary-requested" in issue["labels"]
    assert [o.action.kind for o in closed.outcomes] == ["github.close", "github.comment", "github.add_labels",
                                                        "github.comment"]
    assert "Done:\n- close it (completed)" in issue["comments"][-1]["body"]
    assert sandbox.run(commanding(number, done), untracked, AT).report.total_calls("writes") == 0


def _replies_to(sandbox: Sandbox, number: int, comment_id: int) -> list[str]:
    return [c["body"] for c in sandbox.issue(REPO, number)["comments"]
            if f" {comment_id} " in c["body"] and "oncall-support:command-" in c["body"]]


def test_an_oncall_comment_counts_once_however_often_it_is_edited(sandbox: Sandbox, untracked: Config) -> None:
    """Mistyped, it is told so once; the edit that fixes it is carried out, once; later edits run nothing, and a
    person reassigning by hand afterwards is not overridden by the old comment."""
    number = _support_issue(sandbox, untracked)
    issue = sandbox.issue(REPO, number)
    comment_id = _commented(sandbox, number, "alan-turing", "/oncall asign @grace-hopper")
    comment = next(c for c in issue["comments"] if c["id"] == comment_id)
    sandbox.run(commanding(number, comment_id), untracked, AT)
    [mistyped] = _replies_to(sandbox, number, comment_id)
    assert "Nothing was done" in mistyped and "`/oncall asign @\u200bgrace-hopper`: not a command" in mistyped
    assert sandbox.run(commanding(number, comment_id), untracked, AT).report.total_calls("writes") == 0
    assert issue["assignees"] == ["alan-turing"]

    comment["body"] = "/oncall assign @grace-hopper"  # the edit that fixes it
    fixed = sandbox.run(commanding(number, comment_id), untracked, AT).report
    assert fixed.exit_code == 0 and issue["assignees"] == ["grace-hopper"]
    assert len(_replies_to(sandbox, number, comment_id)) == 2 and "Done:" in _replies_to(sandbox, number,
                                                                                          comment_id)[1]

    issue["assignees"] = ["katherine-johnson"]  # reassigned by hand later
    comment["body"] = "/oncall assign @grace-hopper\n\n(edited: thanks!)"
    again = sandbox.run(commanding(number, comment_id), untracked, AT).report
    assert again.total_calls("writes") == 0 and issue["assignees"] == ["katherine-johnson"]
    assert "already answered" in again.facts["commands"]


def test_a_command_that_changes_nothing_is_still_answered_once(sandbox: Sandbox, untracked: Config) -> None:
    number = _support_issue(sandbox, untracked)  # assigned to Alan already
    comment_id = _commented(sandbox, number, "alan-turing", "/oncall assign @alan-turing")
    first = sandbox.run(commanding(number, comment_id), untracked, AT).report
    assert [o.action.kind for o in first.outcomes] == ["github.comment"]
    assert "nothing to change" in _replies_to(sandbox, number, comment_id)[0]
    assert sandbox.run(commanding(number, comment_id), untracked, AT).report.total_calls("writes") == 0


def test_oncall_commands_from_a_stranger_change_nothing_and_get_one_reply(sandbox: Sandbox,
                                                                          untracked: Config) -> None:
    number = _support_issue(sandbox, untracked)
    issue = sandbox.issue(REPO, number)
    before = (list(issue["assignees"]), issue["state"])
    # The text claims to be from the team; GitHub says who wrote it.
    comment = _commented(sandbox, number, "vfs-contractor", "(on behalf of @alan-turing)\n/oncall assign "
                                                            "@vfs-contractor\n/oncall done")
    first = sandbox.run(commanding(number, comment), untracked, AT).report
    assert (list(issue["assignees"]), issue["state"]) == before
    [reply] = [o for o in first.outcomes if o.action.kind == "github.comment"]
    assert "are for the team on the support rotation, so this comment changed nothing" in reply.action.params["body"]
    again = sandbox.run(commanding(number, comment), untracked, AT).report
    assert again.total_calls("writes") == 0


def test_an_unknown_oncall_command_is_answered_once_with_the_usage(sandbox: Sandbox, untracked: Config) -> None:
    number = _support_issue(sandbox, untracked)
    comment = _commented(sandbox, number, "alan-turing", "/oncall escalate\n/oncall epic nonsense")
    first = sandbox.run(commanding(number, comment), untracked, AT).report
    [reply] = [o.action.params["body"] for o in first.outcomes if o.action.kind == "github.comment"]
    assert "`/oncall escalate`: not a command" in reply and "`nonsense` is not a Super Epic" in reply
    assert sandbox.run(commanding(number, comment), untracked, AT).report.total_calls("writes") == 0


def test_oncall_epic_moves_a_zenhub_issue_out_of_the_other_super_epic(sandbox: Sandbox, untracked: Config) -> None:
    config = zenhub(untracked)
    number = _support_issue(sandbox, config)
    epics = {e["title"]: e for e in sandbox.world["zenhub"]["epics"]}
    assert len(epics["Incident Response"]["issue_ids"]) == 1
    comment = _commented(sandbox, number, "alan-turing", "/oncall epic customer-support")
    moved = sandbox.run(commanding(number, comment), config, AT).report
    assert moved.exit_code == 0, moved.to_text()
    assert epics["Incident Response"]["issue_ids"] == [] and len(epics["Global Customer Support"]["issue_ids"]) == 1
    assert sandbox.run(commanding(number, comment), config, AT).report.total_calls("writes") == 0


def test_an_edit_of_an_issue_the_product_opened_or_completed_asks_for_nothing(sandbox: Sandbox,
                                                                              config: Config) -> None:
    """The form's workflow also runs on edits of issues the button opened and of Slack-app issues once labelled:
    neither is a form to check, and neither is another form's request because it carries `operations`, a label
    the example config gives both support issues and offboarding PRs."""
    ts = a_thread(sandbox)
    sandbox.run(button(link(ts)), config, AT)
    [opened] = support_issues(sandbox)
    assert "operations" in opened["labels"]
    edited = sandbox.run(form(opened["number"]), config, AT + timedelta(minutes=5)).report
    assert edited.facts["arrived_by"] == "product" and edited.total_calls("writes") == 0, edited.to_text()

    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    other = sandbox.post(SUPPORT, datetime(2026, 11, 30, 10, 0, tzinfo=NY), "The VPN drops")
    repo["issues"].append({"number": 4100, "title": "VPN drops", "state": "open", "user": "ada-lovelace",
                           "labels": [], "assignees": [], "created_at": "2026-11-30T15:30:00Z",
                           "body": f"The VPN drops\n\n<sub>Created from a [Slack message]({link(other)})</sub>"})
    first = sandbox.run(form(4100), config, AT).report
    assert first.facts["arrived_by"] == "slack app" and first.exit_code == 0, first.to_text()
    again = sandbox.run(form(4100), config, AT + timedelta(minutes=5)).report
    assert again.facts["arrived_by"] == "slack app" and again.total_calls("writes") == 0, again.to_text()
