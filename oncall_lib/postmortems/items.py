"""Postmortem action items: labelled, linked to the incident-response Super Epic, never lost.

- `label_item`: an issue from the postmortem form, or whose title or body
  matches the configured rules, gets the label and goes on the epic.
- `scan_documents`: Markdown postmortems' "Action Items" (a table or a
  checklist); every item without an issue gets one, and one draft PR fills
  in the table's Issue # cells (see oncall_lib.postmortems.documents).
- `pickup`: what can I pick up? Open items, unassigned first, then oldest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from oncall_lib.authorship import github_identity, own
from oncall_lib.config import GITHUB_LOGIN, Config, PostmortemsConfig
from oncall_lib.draft_pr import DraftPr, observe_branch, plan_draft_pr
from oncall_lib.draft_pr import executors as draft_executors
from oncall_lib.errors import Gone, InputError, ServiceError
from oncall_lib.issue_forms import parse_form
from oncall_lib.plan import Action, Executor, Ref, apply
from oncall_lib.postmortems.documents import ActionItem, DocumentProblem, action_items, fill_issue_cells
from oncall_lib.postmortems.pickup import pickup_order
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.epics import EpicLinks
from oncall_lib.services.github import IssueState
from oncall_lib.support_issues.pending_links import relink_actions
from oncall_lib.untrusted import github_text

JOB = "postmortems"
FORM_LABELS = ("Postmortem", "Action item", "Type", "Owner")


def settings(config: Config) -> PostmortemsConfig:
    return config.required(config.postmortems, "postmortems", "add one to use this job")


def items_repo(config: Config) -> str:
    return config.required(config.support_issues, "support_issues", "postmortem items live in its repo").repo


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
        **links.executors(),
    }


def label_item(services: Services, config: Config, at: datetime, *, number: int, dry_run: bool) -> Report:
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config, at)
    try:
        issue = services.github.issue(items_repo(config), number)
        reason = is_item(issue, rules)
        linked = links.is_linked(issue) if reason else True
    except Gone as exc:
        return report.gone(exc, services.calls.snapshot())
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {"issue": issue.html_url, "postmortem_item": reason or "no"}
    report.outcomes = apply(links.with_room(plan_item(issue, reason, linked, config)), executors(services, links),
                            dry_run=dry_run)
    report.warnings += list(dict.fromkeys(links.warnings))
    report.api_calls = services.calls.snapshot()
    return report


def pickup(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        items = pickup_order(services.github.issues(items_repo(config), labels=[rules.label], state="open"))
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    lines = [f"- [{i.title}]({i.html_url}) " + (f"(assigned to @{', @'.join(i.assignees)})" if i.assignees
                                                 else "(unassigned)") for i in items]
    report.facts = {"open_items": len(items), "unassigned": sum(not i.assignees for i in items)}
    report.extra = {"items": [{"url": i.html_url, "title": i.title, "assignees": list(i.assignees),
                               "created_at": i.created_at.isoformat() if i.created_at else None} for i in items]}
    report.markdown = "### What can I pick up?\n\n" + ("\n".join(lines) or "Nothing: every item is done.")
    report.api_calls = services.calls.snapshot()
    return report


# -- postmortem documents -------------------------------------------------------------------

ITEM_MARKER = "<!-- oncall-support:postmortem-item {key} -->"
_ITEM_MARKER = re.compile(r"<!--\s*oncall-support:postmortem-item\s+(\S+)\s*-->")
PR_BRANCH = "oncall/postmortem-issue-numbers"
PR_TITLE = "Postmortems: record the issues opened for action items"


@dataclass
class DocsState:
    docs: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (text, blob sha)
    items: list[ActionItem] = field(default_factory=list)
    issues: dict[str, IssueState] = field(default_factory=dict)  # item key -> its issue
    problems: list[str] = field(default_factory=list)
    draft: DraftPr | None = None


def observe_documents(services: Services, config: Config) -> DocsState:
    rules = settings(config)
    state = DocsState()
    repo = rules.documents_repo
    if not repo:
        raise InputError("[postmortems] has no documents_repo: set it to scan postmortem documents")
    for path in services.github.list_dir(repo, rules.documents_path, rules.documents_branch):
        if not path.lower().endswith(".md"):
            continue
        found = services.github.file(repo, path, rules.documents_branch)
        if found is None:
            continue
        try:
            items = action_items(path, found[0])
        except DocumentProblem as exc:
            state.problems.append(str(exc))
            continue
        state.docs[path] = found
        state.items += items
    listed = services.github.issues(items_repo(config), labels=[rules.label], state="all")
    # Only the product's own item issues say which item they track (authorship.py): anyone can type the marker.
    for issue in own(listed, github_identity(services)) if listed else []:
        for key in _ITEM_MARKER.findall(issue.body):
            state.issues.setdefault(key, issue)
    return state


def _owner_login(owner: str, config: Config) -> str | None:
    text = owner.strip().lstrip("@")
    for member in config.roster:
        if member.github and text.casefold() in {member.name.casefold(), member.github.casefold()}:
            return member.github
    return text if GITHUB_LOGIN.match(text) else None


def item_issue_body(item: ActionItem, rules: PostmortemsConfig, docs_url: str) -> str:
    return "\n".join([
        f"**Postmortem:** [{item.path}]({docs_url}/{item.path}#L{item.line})",
        f"**Type:** {github_text(item.type, one_line=True) or 'not given'}",
        f"**Owner:** {github_text(item.owner, one_line=True) or 'not decided'}",
        "",
        "### Action item",
        "",
        github_text(item.description),
        "",
        ITEM_MARKER.format(key=item.key),
    ])


def plan_issues(state: DocsState, config: Config) -> list[Action]:
    """One issue for every item the document and the tracker both lack, labelled and on the epic."""
    rules = settings(config)
    repo = items_repo(config)
    epic = config.epic(rules.epic)
    docs_url = f"https://github.com/{rules.documents_repo}/blob/{rules.documents_branch}"
    actions: list[Action] = []
    for item in state.items:
        if item.issue or item.key in state.issues:
            continue
        title = f"[Postmortem] {github_text(item.description, 90, one_line=True)}"
        owner = _owner_login(item.owner, config)
        created = len(actions)
        actions.append(Action("github.create_issue", repo, f"open “{title}” ({item.path}:{item.line})",
                              {"repo": repo, "title": title, "body": item_issue_body(item, rules, docs_url),
                               "labels": [rules.label], "assignees": [owner] if owner else [], "item": item.key}))
        actions.append(Action("epic.link", epic.issue, f"link it to the {epic.key} Super Epic",
                              {"epic": epic.key, "repo": repo, "number": Ref(created, "number"),
                               "id": Ref(created, "id")}, after=created))
    return actions


def _reference(issue: IssueState, docs_repo: str) -> str:
    return f"#{issue.number}" if issue.repo.casefold() == docs_repo.casefold() else f"{issue.repo}#{issue.number}"


def pull_draft(state: DocsState, config: Config, to_come: Mapping[str, str] | None = None) -> DraftPr | None:
    """The PR that writes each known issue into its item's Issue # cell (None when no cell needs it).

    `to_come`: item keys and what stands for the issues a dry run would open, so its plan lists the PR too."""
    rules = settings(config)
    repo = rules.documents_repo
    assert repo
    known = {key: _reference(issue, repo) for key, issue in state.issues.items()}
    known.update({key: ref for key, ref in (to_come or {}).items() if key not in known})
    changed: dict[str, str] = {}
    for path, (text, _sha) in state.docs.items():
        cells = {item.cell: known[item.key] for item in state.items
                 if item.path == path and item.cell and not item.issue and item.key in known}
        if cells:
            changed[path] = fill_issue_cells(text, cells)
    if not changed:
        return None
    body = "Fills in the Issue # cells of the postmortem action items the automation opened issues for. " \
           "Only those cells change.\n\n" + "\n".join(f"- `{p}`" for p in sorted(changed))
    return DraftPr(repo=repo, branch=PR_BRANCH, base_branch=rules.documents_branch, title=PR_TITLE, body=body,
                   files=changed, base_blobs={p: state.docs[p][1] for p in changed})


def document_executors(services: Services, links: EpicLinks) -> dict[str, Executor]:
    github = services.github
    return {
        **draft_executors(services),
        **executors(services, links),
        "github.create_issue": lambda a: github.create_issue(a.params["repo"], title=a.params["title"],
                                                             body=a.params["body"], labels=list(a.params["labels"]),
                                                             assignees=list(a.params["assignees"])),
    }


def scan_documents(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    """Issues for items that lack them; then, with their numbers known, the PR that records them."""
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config, at)
    run_executors = document_executors(services, links)
    try:
        state = observe_documents(services, config)
        epic = config.epic(settings(config).epic)
        # Items whose issue exists but whose epic link was left pending (or failed) are linked now.
        relinks = relink_actions(links, state.issues.values(), lambda _issue: epic)
        report.outcomes = apply(links.with_room(plan_issues(state, config) + relinks), run_executors, dry_run=dry_run)
        if any(o.action.kind == "github.create_issue" and o.status.value == "applied" for o in report.outcomes):
            state = observe_documents(services, config)  # the new issues' numbers, for the PR
        # A dry run opens no issue, yet its plan lists the PR that would record them, their numbers to come.
        to_come = {str(o.action.params["item"]): f"#[number of action {n}]" for n, o in
                   enumerate(report.outcomes, 1) if dry_run and o.action.kind == "github.create_issue"}
        draft = pull_draft(state, config, to_come)
        notes: list[str] = []
        if draft is not None:
            draft = observe_branch(services, draft)
            report.outcomes += apply(plan_draft_pr(draft), run_executors, dry_run=dry_run)
            notes = draft.notes
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {"documents": len(state.docs), "action_items": len(state.items),
                    "with_issues": sum(bool(i.issue or i.key in state.issues) for i in state.items),
                    "malformed": len(state.problems)}
    report.warnings = [f"skipped: {p}" for p in state.problems] + notes
    report.api_calls = services.calls.snapshot()
    return report
