"""Super Epics as GitHub really keeps them: 100 sub-issues at most, one parent per sub-issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from oncall_lib.config import Config
from oncall_lib.jobs import doctor, postmortems
from oncall_lib.jobs import support_issues as si
from oncall_lib.report import Report
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.services import Services
from oncall_lib.services.epics import EpicLinks
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
    first = sandbox.run(button(thread(sandbox, 10)), config, AT).report
    assert first.exit_code == 0, first.to_text()
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


def test_an_epic_already_full_fails_clearly_and_loses_nothing(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, CS, 100)
    report = sandbox.run(button(thread(sandbox, 10)), config, AT).report
    assert report.exit_code == 1
    [failed] = [o for o in report.outcomes if o.status.value == "failed"]
    assert failed.action.kind == "epic.link" and "holds 100 sub-issues" in failed.error
    assert {o.action.kind for o in report.outcomes if o.status.value == "applied"} >= {"github.create_issue",
                                                                                         "slack.reply"}


def test_the_doctor_warns_when_an_epic_is_nearly_full(sandbox: Sandbox, config: Config) -> None:
    fill(sandbox, CS, 92)

    def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return doctor.run(s, c, at, dry_run=True)

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
