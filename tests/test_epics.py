"""Super Epics as GitHub really keeps them: 100 sub-issues at most, one parent per sub-issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from oncall_lib.config import Config
from oncall_lib.postmortems import items as postmortems
from oncall_lib.report import Report
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.services import Services
from oncall_lib.services.epics import SUB_ISSUE_CAP, EpicLinks
from oncall_lib.setup import doctor
from oncall_lib.support_issues import issues as si
from tests.conftest import Sandbox

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 30, 11, 0, tzinfo=NY)
REPO = "department-of-veterans-affairs/va.gov-team"
SUPPORT = "C01SUPPORT"
CS = 3675  # Global Customer Support


def repo(sandbox: Sandbox) -> dict[str, Any]:
    return next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)


def fill(sandbox: Sandbox, epic: int, count: int) -> None:
    """`count` closed sub-issues under the epic (closed ones count towards GitHub's cap too)."""
    issues = repo(sandbox)["issues"]
    for n in range(count):
        number = 8000 + n
        issues.append({"number": number, "id": 900000 + n, "title": f"old request {n}", "state": "closed",
                       "user": "vfs-dev", "labels": ["support-request"], "assignees": []})
    sandbox.issue(REPO, epic)["sub_issues"] = [900000 + n for n in range(count)]


def thread(sandbox: Sandbox, minute: int) -> str:
    ts = sandbox.post(SUPPORT, datetime(2026, 11, 30, 9, minute, tzinfo=NY), f"Need help with thing {minute}")
    return f"https://sandbox.slack.com/archives/{SUPPORT}/p{ts.replace('.', '')}"


def button(link: str) -> Any:
    def job(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return si.from_thread(s, c, at, link=link, epic_key="customer-support", dry_run=d)
    return job


def test_a_full_super_epic_continues_in_one_child_epic(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, CS, 99)
    link = thread(sandbox, 10)
    planned = sandbox.run(button(link), config, AT, dry_run=True).report
    # The child epic is two writes of its own (issue #25: the dry run showed 3 actions, --apply made 4 writes).
    assert [o.action.kind for o in planned.outcomes] == ["github.create_issue", "epic.open_child", "epic.link_child",
                                                         "epic.link", "slack.reply"]
    first = sandbox.run(button(link), config, AT).report
    assert first.exit_code == 0, first.to_text()
    assert first.api_calls["github"]["writes"] == 4  # the issue, the child epic, its link, the issue's link
    epic = sandbox.issue(REPO, CS)
    assert len(epic["sub_issues"]) == 100
    [child] = [i for i in repo(sandbox)["issues"] if i.get("id") == epic["sub_issues"][-1]]
    assert child["title"] == "Global Customer Support, 2026 Q4" and child["labels"] == ["Epic"]
    [item] = [i for i in repo(sandbox)["issues"] if i.get("id") in child.get("sub_issues", [])]
    assert "Need help with thing 10" in item["body"]

    link = thread(sandbox, 20)
    second = sandbox.run(button(link), config, AT).report
    assert second.exit_code == 0, second.to_text()
    assert len(sandbox.issue(REPO, CS)["sub_issues"]) == 100  # the child is reused
    assert len(child["sub_issues"]) == 2
    titles = [i["title"] for i in repo(sandbox)["issues"]]
    assert titles.count("Global Customer Support, 2026 Q4") == 1
    assert sandbox.run(button(link), config, AT).report.total_calls("writes") == 0


GITHUB_WRITING = {"github.create_issue", "epic.link", "epic.open_child", "epic.make_room", "epic.link_child"}


def test_an_epic_already_full_gets_room_made_in_the_plan_and_loses_nothing(sandbox: Sandbox, config: Config) -> None:
    """A team adopting the product with a Super Epic at GitHub's cap (closed ones included, no child epic): the
    oldest closed sub-issue moves under a new child epic, which takes its place. Every one of those writes is an
    action of the plan: the dry run lists them, and --apply makes exactly those."""
    fill(sandbox, CS, 100)
    repo(sandbox)["issues"][-100]["closed_at"] = "2025-01-10T00:00:00Z"  # 8000: the first closed, and listed first
    repo(sandbox)["issues"][-99]["closed_at"] = "2024-06-01T00:00:00Z"  # 8001: closed longest ago
    link = thread(sandbox, 10)
    planned = sandbox.run(button(link), config, AT, dry_run=True).report
    assert [(o.action.kind, o.action.detail) for o in planned.outcomes if o.action.kind.startswith("epic.")] == [
        ("epic.open_child", f"open the child epic “Global Customer Support, 2026 Q4”: {REPO}#{CS} is full"),
        ("epic.make_room", "move its oldest closed sub-issue, department-of-veterans-affairs/va.gov-team#8001, "
                           "under the child epic (nothing is lost: it still rolls up)"),
        ("epic.link_child", "link the child epic in its place"),
        ("epic.link", "link the new issue to the customer-support Super Epic")]
    assert planned.total_calls("writes") == 0

    applied = sandbox.run(button(link), config, AT).report
    assert applied.exit_code == 0, applied.to_text()
    assert [o.action.kind for o in applied.outcomes] == [o.action.kind for o in planned.outcomes]
    # No write the plan did not list: one GitHub write per GitHub action, nothing unannounced.
    assert applied.api_calls["github"]["writes"] == sum(o.action.kind in GITHUB_WRITING for o in planned.outcomes)
    epic = sandbox.issue(REPO, CS)
    assert len(epic["sub_issues"]) == 100 and 900001 not in epic["sub_issues"]
    [child] = [i for i in repo(sandbox)["issues"] if i.get("id") == epic["sub_issues"][-1]]
    assert child["title"] == "Global Customer Support, 2026 Q4" and child["labels"] == ["Epic"]
    assert "Room was made on 2026-11-30: " in child["body"] and "#8001, moved here" in child["body"]
    new = next(i for i in repo(sandbox)["issues"] if "Need help with thing 10" in (i.get("body") or ""))
    assert child["sub_issues"] == [900001, new["id"]]  # the moved one, then the new item: nothing lost

    again = sandbox.run(button(link), config, AT).report
    assert again.outcomes == []
    assert again.total_calls("writes") == 0


def test_the_next_item_goes_to_the_child_without_more_room_made(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, CS, 100)
    sandbox.run(button(thread(sandbox, 10)), config, AT)
    report = sandbox.run(button(thread(sandbox, 20)), config, AT).report
    assert [o.action.kind for o in report.outcomes if o.action.kind.startswith("epic.")] == ["epic.link"]
    child = next(i for i in repo(sandbox)["issues"] if i.get("id") == sandbox.issue(REPO, CS)["sub_issues"][-1])
    assert len(child["sub_issues"]) == 3


def test_an_epic_full_of_open_issues_fails_clearly_and_loses_nothing(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, CS, 100)
    for issue in repo(sandbox)["issues"][-100:]:
        issue["state"] = "open"
    report = sandbox.run(button(thread(sandbox, 10)), config, AT).report
    assert report.exit_code == 1
    [failed] = [o for o in report.outcomes if o.status.value == "failed"]
    assert failed.action.kind == "epic.link" and "none of them is closed, so no room can be made" in failed.error
    assert {o.action.kind for o in report.outcomes if o.status.value == "applied"} >= {"github.create_issue",
                                                                                         "slack.reply"}
    checks = {c["check"]: c for c in sandbox.run(doctoring, config, AT).report.extra["checks"]}
    assert not checks["epic customer-support"]["ok"]
    assert checks["epic customer-support"]["detail"] == (
        f"{REPO}#{CS} is full ({SUB_ISSUE_CAP} sub-issues, none closed): no room can be made for new items; move "
        "one out by hand")


def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return doctor.run(s, c, at, dry_run=True)


def test_the_doctor_says_when_room_was_made(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, CS, 100)
    sandbox.run(button(thread(sandbox, 10)), config, AT)
    checks = {c["check"]: c for c in sandbox.run(doctoring, config, AT).report.extra["checks"]}
    child = next(i for i in repo(sandbox)["issues"] if i.get("id") == sandbox.issue(REPO, CS)["sub_issues"][-1])
    assert checks["epic customer-support"] == {"check": "epic customer-support", "ok": True, "state": "ok", "detail": (
        f"{REPO}#{CS} is full and continues in its child epic #{child['number']} (room made on 2026-11-30: "
        f"{REPO}#8000 moved there), which has room for 98 more sub-issue(s)")}


def test_the_doctor_warns_when_an_epic_is_nearly_full(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, CS, 92)
    checks = {c["check"]: c for c in sandbox.run(doctoring, config, AT).report.extra["checks"]}
    assert not checks["epic customer-support"]["ok"]
    assert checks["epic customer-support"]["detail"].startswith(f"{REPO}#{CS} has room for 8 more sub-issue(s)")
    assert checks["epic incident-response"]["ok"]


def test_an_item_under_another_parent_is_reported_not_retried(sandbox: Sandbox, config: Config) -> None:
    issues = repo(sandbox)["issues"]
    issues.append({"number": 7100, "id": 771000, "title": "Team roadmap", "state": "open", "user": "vfs-dev",
                   "labels": [], "assignees": [], "sub_issues": [771001]})
    issues.append({"number": 7101, "id": 771001, "title": "pm: add alerting on the queue", "state": "open",
                   "user": "ada-lovelace", "labels": [], "assignees": []})

    def labelling(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return postmortems.label_item(s, c, at, number=7101, dry_run=d)

    first = sandbox.run(labelling, config, AT).report
    assert first.exit_code == 0, first.to_text()
    assert [o.action.kind for o in first.outcomes] == ["github.add_labels"]
    assert any(f"is a sub-issue of {REPO}#7100, not of a Super Epic" in w for w in first.warnings)
    again = sandbox.run(labelling, config, AT).report
    assert again.outcomes == [] and again.total_calls("writes") == 0


def test_already_linked_is_read_from_github_not_from_its_wording(sandbox: Sandbox, config: Config) -> None:
    sandbox.issue(REPO, 1980)["id"] = 661980
    with SandboxServer(sandbox.world, clock=lambda: AT) as server:
        EpicLinks(Services(sandbox_endpoints(server)), config, AT).link("incident-response", REPO, 1980, 661980)
    with SandboxServer(sandbox.world, clock=lambda: AT) as server:
        # A fresh run that did not see the link (a listing cached before it): GitHub answers 422, the job asks.
        links = EpicLinks(Services(sandbox_endpoints(server)), config, AT)
        links._subs[(REPO, 1954)] = []
        links.link("incident-response", REPO, 1980, 661980)
    assert sandbox.issue(REPO, 1954)["sub_issues"].count(661980) == 1


def test_a_postmortem_item_on_a_full_epic_gets_the_same_room(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, 1954, 100)  # Incident Response, where postmortem items go
    repo(sandbox)["issues"].append({"number": 7102, "id": 771002, "title": "pm: alert on queue depth", "state": "open",
                                    "user": "ada-lovelace", "labels": [], "assignees": []})

    def labelling(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return postmortems.label_item(s, c, at, number=7102, dry_run=d)

    report = sandbox.run(labelling, config, AT).report
    assert report.exit_code == 0, report.to_text()
    assert [o.action.kind for o in report.outcomes] == ["github.add_labels", "epic.open_child", "epic.make_room",
                                                        "epic.link_child", "epic.link"]
    child = next(i for i in repo(sandbox)["issues"] if i.get("id") == sandbox.issue(REPO, 1954)["sub_issues"][-1])
    assert child["sub_issues"] == [900000, 771002]
    assert sandbox.run(labelling, config, AT).report.total_calls("writes") == 0
