"""Postmortem action items: labelled, linked to the incident-response Super Epic, never lost.

- `label_item`: an issue from the postmortem form, or whose title or body
  matches the configured rules, gets the label and goes on the epic.
- `scan_documents`: Markdown postmortems' "Action Items" (a table or a
  checklist); every item without an issue gets one, and one draft PR fills
  in the table's Issue # cells (see oncall_lib.postmortem_docs).
- `pickup`: what can I pick up? Open items, unassigned first, then oldest.
"""

from __future__ import annotations

import re
from datetime import datetime

from oncall_lib.config import Config, PostmortemsConfig
from oncall_lib.errors import InputError, ServiceError
from oncall_lib.issue_forms import parse_form
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.epics import EpicLinks
from oncall_lib.services.github import IssueState

JOB = "postmortems"
FORM_LABELS = ("Postmortem", "Action item", "Type", "Owner")


def settings(config: Config) -> PostmortemsConfig:
    if config.postmortems is None:
        raise InputError("oncall.toml has no [postmortems] table: add one (see the README) to use this job")
    return config.postmortems


def items_repo(config: Config) -> str:
    if config.support_issues is None:
        raise InputError("postmortem items live in [support_issues] repo: add that table to oncall.toml")
    return config.support_issues.repo


def is_item(issue: IssueState, rules: PostmortemsConfig) -> str | None:
    """Why this issue is a postmortem action item (None when it is not)."""
    if rules.label in issue.labels:
        return "it has the label"
    answers = parse_form(issue.body, FORM_LABELS)
    if answers["Postmortem"] and answers["Action item"]:
        return "it was opened from the postmortem form"
    title = issue.title.strip().casefold()
    if any(title.startswith(prefix.casefold()) for prefix in rules.title_prefixes):
        return "its title says postmortem"
    for pattern in rules.document_link_patterns:
        if re.search(pattern, issue.body or "", re.IGNORECASE):
            return "it links a postmortem document"
    return None


def plan_item(issue: IssueState, reason: str | None, linked: bool, config: Config) -> list[Action]:
    rules = settings(config)
    if reason is None or issue.is_pull:
        return []
    where = f"{issue.repo}#{issue.number}"
    actions = []
    if rules.label not in issue.labels:
        actions.append(Action("github.add_labels", where, f"label {rules.label!r} ({reason})",
                              {"repo": issue.repo, "number": issue.number, "labels": [rules.label]}))
    if not linked:
        epic = config.epic(rules.epic)
        actions.append(Action("epic.link", epic.issue, f"link {where} to the {epic.key} Super Epic",
                              {"epic": epic.key, "repo": issue.repo, "number": issue.number, "id": issue.id}))
    return actions


def executors(services: Services, links: EpicLinks) -> dict[str, Executor]:
    return {
        "github.add_labels": lambda a: services.github.add_labels(a.params["repo"], int(a.params["number"]),
                                                                  list(a.params["labels"])),
        "epic.link": lambda a: links.link(a.params["epic"], a.params["repo"], int(a.params["number"]),
                                          int(a.params["id"])),
    }


def label_item(services: Services, config: Config, at: datetime, *, number: int, dry_run: bool) -> Report:
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config)
    try:
        issue = services.github.issue(items_repo(config), number)
        reason = is_item(issue, rules)
        linked = links.is_linked(issue) if reason else True
    except ServiceError as exc:
        report.errors.append(str(exc))
        report.api_calls = services.calls.snapshot()
        return report
    report.facts = {"issue": issue.html_url, "postmortem_item": reason or "no"}
    report.outcomes = apply(plan_item(issue, reason, linked, config), executors(services, links), dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report


def pickup_order(items: list[IssueState]) -> list[IssueState]:
    """Unassigned first, then oldest."""
    return sorted(items, key=lambda i: (bool(i.assignees), i.created_at or datetime.max))


def pickup(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        items = pickup_order(services.github.issues(items_repo(config), labels=[rules.label], state="open"))
    except ServiceError as exc:
        report.errors.append(str(exc))
        report.api_calls = services.calls.snapshot()
        return report
    lines = [f"- [{i.title}]({i.html_url}) " + (f"(assigned to @{', @'.join(i.assignees)})" if i.assignees
                                                 else "(unassigned)") for i in items]
    report.facts = {"open_items": len(items), "unassigned": sum(not i.assignees for i in items)}
    report.extra = {"items": [{"url": i.html_url, "title": i.title, "assignees": list(i.assignees),
                               "created_at": i.created_at.isoformat() if i.created_at else None} for i in items]}
    report.markdown = "### What can I pick up?\n\n" + ("\n".join(lines) or "Nothing: every item is done.")
    report.api_calls = services.calls.snapshot()
    return report
