"""The quarter's fair share (the "Fair share" button): per person, turns, hours on support, requests,
after-hours requests, support issues and covers, published as a GitHub issue with Mermaid charts.

observe: the schedule over the quarter (one read: the role's turns and the overrides on the support layer),
every request in the watched channels over the quarter (one history read per channel, paged), and the
support issues opened in it (one list).
plan: the page as a GitHub issue "Fair share: YEAR Qn" (label rotation-report), found again by its marker
and updated in place when the figures change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oncall_lib.authorship import github_identity, own
from oncall_lib.config import Config
from oncall_lib.errors import InputError, ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.report import Report
from oncall_lib.requests.waiting import scan_requests
from oncall_lib.rotation.on_support import member_for_shift
from oncall_lib.rotation.schedule import (
    ScheduleProblem,
    family_turns,
    holder,
    override_runs,
    support_layers,
    support_overrides,
    support_view,
)
from oncall_lib.services import Services
from oncall_lib.tracking import REPORT_LABEL, fair_share

JOB = "fair-share"
MARKER = "<!-- oncall-support:fair-share {label} -->"


def observe(services: Services, config: Config, start: datetime, end: datetime,
            at: datetime) -> tuple[list[fair_share.Share], list[str]]:
    rotation = config.rotation
    until = min(end, at)
    # A week before the quarter, so the turn running when it began is whole.
    schedule = services.pagerduty.schedule(rotation.pagerduty_schedule, start - timedelta(days=7), until)
    moment = until - timedelta(seconds=1)
    min_override = timedelta(hours=rotation.min_override_hours)
    view = support_view(schedule, rotation.support_layer, moment, min_override=min_override)
    family = support_layers(schedule, rotation.support_layer, moment)
    base = family_turns(family)
    covers = [fair_share.Cover(run.user_id, turn.user_id, run.start, run.end)
              for run, _, _ in override_runs(base, support_overrides(schedule, family), min_override)
              if (turn := holder(base, run.start)) is not None and turn.user_id != run.user_id]
    names: dict[str, str] = {}
    for shift in [*view.timeline, *base]:
        member = member_for_shift(config, shift)
        names.setdefault(shift.user_id, member.name if member else shift.user_name)
    warnings: list[str] = []
    requests = scan_requests(services, config, until, oldest=start).requests if config.slack.watched else []
    issues = []
    if config.support_issues:
        rules = config.support_issues
        issues = services.github.issues(rules.repo, labels=[rules.labels[0]], state="all", since=start)
    clock = config.requests.business_hours.clock(config.team.tz)
    rows = fair_share.shares(names, base, view.timeline, covers, requests, issues, clock, start, until,
                             {m.slack: m.name for m in config.roster if m.slack},
                             {m.github.casefold(): m.name for m in config.roster if m.github})
    return rows, warnings


def plan(config: Config, label: str, markdown: str, existing: list[tuple[int, str, str]]) -> list[Action]:
    """Publish, or update in place: `existing` holds (number, title, body) of the pages already there."""
    rules = config.support_issues
    if rules is None:
        return []
    title = f"Fair share: {label}"
    marker = MARKER.format(label=label.replace(" ", ""))
    found = next((e for e in existing if marker in e[2]), None)
    if found is None:
        return [Action("github.create_issue", rules.repo, f"publish “{title}”",
                       {"repo": rules.repo, "title": title, "body": markdown, "labels": [REPORT_LABEL]})]
    if found[2].strip() != markdown.strip() or found[1] != title:
        return [Action("github.edit_issue", f"{rules.repo}#{found[0]}", "update the fairness page",
                       {"repo": rules.repo, "number": found[0], "title": title, "body": markdown})]
    return []


def executors(services: Services) -> dict[str, Executor]:
    return {
        "github.create_issue": lambda a: services.github.create_issue(
            a.params["repo"], title=a.params["title"], body=a.params["body"], labels=list(a.params["labels"]),
            assignees=[]),
        "github.edit_issue": lambda a: services.github.edit_body(a.params["repo"], a.params["number"],
                                                                 a.params["body"], title=a.params["title"]),
    }


def run(services: Services, config: Config, at: datetime, *, dry_run: bool, quarter: str | None = None) -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        start, end, label = fair_share.quarter(quarter, at, config.team.tz)
    except ValueError as exc:
        raise InputError(f"--quarter: {exc}") from None
    if start >= at:
        raise InputError(f"--quarter: {label} has not begun on {at:%Y-%m-%d}")
    try:
        rows, warnings = observe(services, config, start, end, at)
        existing = []
        if config.support_issues:
            # Only the product's own pages (authorship.py): anyone's issue can carry the marker.
            listed = services.github.issues(config.support_issues.repo, labels=[REPORT_LABEL], state="all",
                                            since=start)
            existing = [(i.number, i.title, i.body)
                        for i in (own(listed, github_identity(services)) if listed else [])]
    except (ServiceError, ScheduleProblem) as exc:
        return report.stopped(exc, services.calls.snapshot())
    markdown = fair_share.render(rows, label, start, end, MARKER.format(label=label.replace(" ", "")), until=at)
    report.facts = {"quarter": label, "people": len(rows),
                    "turns": sum(r.turns for r in rows), "support_hours": round(sum(r.support_hours for r in rows))}
    report.extra = {"fair_share": [r.as_dict() for r in rows]}
    report.markdown = markdown
    report.warnings = warnings
    if config.support_issues is None:
        report.warnings.append("no [support_issues] repo to publish the page in: see the job summary")
    report.outcomes = apply(plan(config, label, markdown, existing), executors(services), dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
