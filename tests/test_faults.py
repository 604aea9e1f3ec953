"""Every job under injected faults (429s, 5xx after writes, dropped connections): a report, never a crash,
never a duplicate, and a clean run afterwards converges to nothing left to write."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.report import Report
from oncall_lib.sandbox import Faults, SandboxServer, sandbox_endpoints
from oncall_lib.services import Services
from tests.conftest import Sandbox
from tests.test_doctor_and_secrets import AT, every_job

JOB_NAMES = ["handoff", "watch", "support scan", "support button", "iam audit", "iam cleanup", "rotation report",
             "review digest", "deploy watch", "postmortem scan", "pickup", "labels", "log task", "access grant",
             "doctor"]


def footprint(world: dict[str, Any]) -> Counter[str]:
    """How many of each thing the product can create: a duplicate shows up as one more."""
    seen: Counter[str] = Counter()
    for channel in world["slack"]["channels"]:
        for message in channel.get("messages", []):
            seen[f"slack {channel['id']} {message.get('subtype', 'message')}"] += 1
    for repo in world["github"]["repos"]:
        for item in [*repo.get("issues", []), *repo.get("pulls", [])]:
            seen[f"github {repo['full_name']}"] += 1
            seen[f"comments {repo['full_name']}#{item['number']}"] += len(item.get("comments", []))
        seen[f"branches {repo['full_name']}"] += len(repo.get("branches", {}))
    for sheet in (world.get("sheets") or {}).get("spreadsheets", []):
        for tab in sheet.get("worksheets", []):
            seen[f"sheet {tab.get('title')}"] += len(tab.get("rows", []))
    return seen


def run(world: dict[str, Any], job: Any, faults: Faults | None = None) -> Report:
    return run_counted(world, job, faults)[0]


def run_counted(world: dict[str, Any], job: Any, faults: Faults | None = None) -> tuple[Report, Counter[str], int]:
    """The report, the requests the sandbox received per service, and how many faults it injected."""
    with SandboxServer(world, clock=lambda: AT, faults=faults) as server:
        report: Report = job(Services(sandbox_endpoints(server)), AT)
    received = Counter({service: c["reads"] + c["writes"] for service, c in server.counts.items()})
    return report, received, sum(server.faults_injected.values())


def sent(report: Report) -> Counter[str]:
    return Counter({service: c["reads"] + c["writes"] for service, c in report.api_calls.items()})


def retries(report: Report) -> int:
    return sum(c.get("retries", 0) for c in report.api_calls.values())


@pytest.mark.parametrize("seed", [2, 8])
@pytest.mark.parametrize("index", range(len(JOB_NAMES)), ids=JOB_NAMES)
def test_under_faults_a_report_then_convergence_and_no_duplicates(world: dict[str, Any], config: Config,
                                                                  index: int, seed: int) -> None:
    job = every_job(config)[index]
    clean = Sandbox(world).world
    baseline = copy.deepcopy(clean)
    run(baseline, job)
    run(baseline, job)

    faulted, received, injected = run_counted(clean, job, Faults(rate=0.2, seed=seed, retry_after=0))
    assert isinstance(faulted, Report)
    assert not any(e.startswith("unexpected") for e in faulted.errors)
    # api_calls counts every request the sandbox received, retries included, and a retry only after a fault.
    assert sent(faulted) == received, (faulted.api_calls, received)
    assert retries(faulted) <= injected
    run(clean, job)
    last = run(clean, job)
    assert last.total_calls("writes") == 0, last.to_text()
    assert footprint(clean) == footprint(baseline)


@pytest.mark.parametrize("seed", range(8))
def test_offboarding_under_faults_ends_with_a_report_and_converges(world: dict[str, Any], config: Config,
                                                                    seed: int) -> None:
    from oncall_lib.offboarding import requests as offboarding
    from tests.test_offboarding import file_issue, form

    sandbox = Sandbox(world)
    number = file_issue(sandbox, form({"Name": "Bob Smith", "GitHub username": "bob-smith-vfs"},
                                      offboarding.OFFBOARDING_LABELS), ["offboarding"])

    def job(services: Services, at: Any) -> Report:
        return offboarding.offboard(services, config, at, number=number, dry_run=False)

    faulted = run(world, job, Faults(rate=0.2, seed=seed, retry_after=0))
    assert not any(e.startswith("unexpected") for e in faulted.errors)
    assert run(world, job).exit_code == 0
    assert run(world, job).total_calls("writes") == 0
    repo = next(r for r in world["github"]["repos"] if r["full_name"].endswith("/devops"))
    assert len([p for p in repo["pulls"] if p.get("head") == "oncall/offboard/bob.smith"]) == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_github_rate_limits_sent_as_403_are_waited_out_for_reads_and_writes(world: dict[str, Any], config: Config,
                                                                           seed: int) -> None:
    """GitHub answers a spent rate limit with 403 as well as 429: both mean nothing was done, so both are retried,
    writes included, and nothing is created twice."""
    from datetime import timedelta

    from oncall_lib.support_issues import issues as support_issues

    ts = Sandbox(world).post("C01SUPPORT", AT - timedelta(hours=1), "Staging deploys hang since noon")
    link = f"https://sandbox.slack.com/archives/C01SUPPORT/p{ts.replace('.', '')}"

    def job(services: Services, at: Any) -> Report:  # creates an issue, links it, replies in the thread
        return support_issues.from_thread(services, config, at, link=link, epic_key="customer-support",
                                          dry_run=False)

    baseline = copy.deepcopy(world)
    run(baseline, job)
    limited = Faults(rate=0.5, kinds=("403",), services=("github",), seed=seed, retry_after=0)
    report = run(world, job, limited)
    assert report.exit_code == 0, report.to_text()
    assert footprint(world) == footprint(baseline)


@pytest.mark.parametrize("service", ["github", "slack", "pagerduty", "sheets", "iam"])
def test_api_calls_say_how_many_requests_were_retries(world: dict[str, Any], config: Config, service: str) -> None:
    """Refusals (429, and GitHub's 403 rate limits) did nothing, so every one is retried: as many retries as
    refusals, each counted as a request too."""
    from oncall_lib.handoff import rotate
    from oncall_lib.iam import audit as iam_audit

    def job(services: Services, at: Any) -> Report:
        if service == "iam":
            return iam_audit.run(services, config, at, dry_run=False)
        return rotate.run(services, config, at, dry_run=False)

    kinds = ("429", "403") if service == "github" else ("429",)
    report, received, injected = run_counted(world, job, Faults(rate=0.3, kinds=kinds, services=(service,), seed=4,
                                                                retry_after=0))
    assert injected > 0 and report.exit_code == 0, report.to_text()
    assert report.api_calls[service]["retries"] == injected
    assert sent(report) == received
    assert f"({injected} retr" in report.to_text()
