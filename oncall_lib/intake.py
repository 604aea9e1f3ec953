"""The tick's intake: what the issue-event workflows would have done, done for every event no run handled.

Above the duties, like the tick that runs it: it hands each piece of work to the duty whose event workflow
would have done it (support issues, their commands, offboarding, access, postmortem items), each when on.

Issue events reach only workflows in the repository where the issue lives,
and the product runs from its own repository; where a team installs the caller
workflow in the support repository, Actions still cancels a pending run when a
newer one queues in its concurrency group, and drops some runs outright. So the
event runs are the fast path and this is the guarantee: every tick, one listing
of the support repository's open issues updated in the window and one of its
comments, then the work no run did, each piece once:

- a support request (the form, the GitHub for Slack app, a Workflow Builder
  connector, a `[support]` title) not labelled, assigned, linked and marked
  with its thread (the marker is written last, after the thread's reply), or
  still waiting in needs-info: completed as the form's workflow does;
- an offboarding request without the automation's status comment;
- an approved access request with neither the grant's nor the checklist's
  comment: the approver is whoever GitHub's issue events say added the label;
- a postmortem action item not labelled, or (with sub-issues) on no epic;
- an `/oncall` comment with no reply marked with its id in the same listing.

What the listings show decides it; only offboarding and access candidates
cost one read each (their comments) to confirm. Each piece is then done by
the same function its event workflow runs, which plans against what GitHub
holds now, so a piece done meanwhile is not done twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from oncall_lib.authorship import github_identity, github_wrote, own
from oncall_lib.config import Config
from oncall_lib.errors import ServiceError
from oncall_lib.offboarding import OFFBOARDING_LABEL
from oncall_lib.offboarding import requests as offboarding
from oncall_lib.postmortems import items as postmortems
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.github import Comment, GitHubIdentity, IssueState
from oncall_lib.support_issues import commands as issue_commands
from oncall_lib.support_issues import issues as support_issues
from oncall_lib.tracking.layout import logged_keys

JOB = "intake"


@dataclass(frozen=True)
class Work:
    """One piece of work an event run should have done."""

    kind: str  # support request, offboarding, access, postmortem item, command
    number: int
    why: str
    comment_id: int | None = None
    confirm: bool = False  # whether one read of the issue's comments must say it is not done yet
    issue: IssueState | None = None


def support_request_work(issue: IssueState, config: Config,
                         identity: Callable[[], GitHubIdentity] | None = None) -> Work | None:
    """A support request the form's workflow did not complete (or that waits in needs-info). Who the product is
    (`identity`) is read only for an issue carrying a marker: a marker counts only where the product vouches for
    it (support_issues.tracked_thread)."""
    me = identity() if identity is not None and support_issues.thread_of(issue.body) else None
    how = support_issues.arrival(issue, config, me)
    if how is None:
        return None
    rules = support_issues.settings(config)
    check = support_issues.request_check(issue, how, config)
    missing = [label for label in rules.labels if label not in issue.labels]
    if check.problems or rules.needs_info_label in issue.labels:
        why = "its answers need checking" if check.problems else "it was waiting for answers"
    elif missing:
        why = f"not labelled {', '.join(missing)}"
    elif not issue.assignees:
        why = "nobody assigned"
    elif check.thread and (me is None or support_issues.tracked_thread(issue, me) is None):
        why = "its Slack thread has no reply yet"
    elif config.epics.link_with == "github" and not issue.parent_url:
        why = "on no Super Epic"
    else:
        return None
    return Work("support request", issue.number, f"{why} (arrived by {how})")


def postmortem_work(issue: IssueState, config: Config) -> Work | None:
    rules = config.postmortems
    if rules is None:
        return None
    reason = postmortems.is_item(issue, rules)
    if reason is None:
        return None
    if rules.label not in issue.labels:
        return Work("postmortem item", issue.number, f"not labelled, though {reason}")
    if config.epics.link_with == "github" and not issue.parent_url:
        return Work("postmortem item", issue.number, "on no epic")
    return None  # with ZenHub, the postmortem scan links labelled items


def request_work(issue: IssueState, config: Config) -> Work | None:
    """Offboarding and approved access requests: whether they are done needs their comments (confirm)."""
    if config.offboarding and OFFBOARDING_LABEL in issue.labels:
        return Work("offboarding", issue.number, "no status comment", confirm=True, issue=issue)
    if config.access and config.access.approved_label in issue.labels:
        return Work("access", issue.number, "approved, neither granted nor given its checklist", confirm=True,
                    issue=issue)
    return None


def command_work(comments: list[Comment], identity: Callable[[], GitHubIdentity]) -> list[Work]:
    """`/oncall` comments on issues with no reply of the product's marked with their id among the listed comments
    (a reply anyone else wrote, marker and all, is just text). `identity` is read only when a comment holds one."""
    work = []
    candidates = [c for c in comments if not (c.on_pull or c.author_is_bot) and issue_commands.has_commands(c.body)
                  and issue_commands.needs_answer(c.body)]
    if not candidates:
        return []
    me = identity()
    mine = own(comments, me)
    for comment in candidates:
        if github_wrote(comment, me):
            continue
        same_issue = [c for c in mine if c.number == comment.number]
        if not issue_commands.answered(comment, same_issue):
            work.append(Work("command", comment.number, f"comment {comment.id} has no answer",
                             comment_id=comment.id))
    return work


def pending_work(issues: list[IssueState], comments: list[Comment], config: Config, at: datetime,
                 identity: Callable[[], GitHubIdentity], *, fresh: bool = False) -> list[Work]:
    """Everything the listings show undone, leaving to the event runs what changed within the grace period; with
    `fresh` (the event run the support repository's caller started), only what changed within it. The two never
    take the same item, so the tick and an event run do not race on one issue."""
    rules = support_issues.settings(config)
    settled = at - timedelta(minutes=rules.event_grace_minutes)

    def mine(updated: datetime | None) -> bool:
        recent = bool(updated and updated > settled)
        return recent if fresh and rules.event_grace_minutes else not recent

    work: list[Work] = []
    # Oldest first, as the events arrived: of two requests naming one Slack thread, the first filed keeps it.
    for issue in sorted(issues, key=lambda i: (i.created_at or at, i.number)):
        if issue.is_pull or not mine(issue.updated_at):
            continue
        for found in (support_request_work(issue, config, identity), request_work(issue, config),
                      postmortem_work(issue, config)):
            if found:
                work.append(found)
    work += command_work([c for c in comments if mine(c.updated_at)], identity)
    return work


def _done_already(work: Work, comments: list[Comment], me: GitHubIdentity) -> bool:
    """Whether the product's own comments say the request was carried out, as it reads now (an offboarding
    request corrected after its status comment is done again)."""
    if work.kind == "offboarding":
        assert work.issue is not None
        return offboarding.status_is_current(comments, work.issue, me)
    return offboarding.is_done(own(comments, me))


def row_key(work: Work) -> str:
    """The tracking sheet's key of the row the request's run logs (offboarding.offboard, offboarding.carry_out)."""
    assert work.issue is not None
    return f"{'offboarding' if work.kind == 'offboarding' else 'access'}/{work.issue.html_url}"


def _unlogged(services: Services, config: Config, done: list[Work], warnings: list[str]) -> list[Work]:
    """Of the requests whose comment says they were carried out, those whose row the sheet lacks (a run that
    failed to log it): their run again logs it, and writes nothing else. One read of the sheet, only if needed."""
    if not done or config.tracking is None:
        return []
    tracking = config.tracking
    try:
        logged = logged_keys(services.sheets.snapshot(tracking.spreadsheet_id), tracking)
    except ServiceError as exc:
        warnings.append(f"cannot read the tracking sheet, so requests done without their row wait: {exc}")
        return []
    return [w for w in done if row_key(w) not in logged]


def run(services: Services, config: Config, at: datetime, *, dry_run: bool, fresh: bool = False) -> Report:
    """With `fresh`: the run an event in the support repository asked for (support-events.yml), which takes only
    what changed within `event_grace_minutes` (all of the window when that is 0); the tick takes the rest."""
    rules = support_issues.settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        # Closed ones too: the support scan shares this listing (issues closed lately, and their threads).
        since, updated = support_issues.recently_updated(services, config, at)
        if fresh and rules.event_grace_minutes:
            # The event's run takes only what changed within the grace period; the tick takes the rest.
            since = at - timedelta(minutes=rules.event_grace_minutes)
            updated = [i for i in updated if i.updated_at is None or i.updated_at >= since]
        issues = [i for i in updated if i.state == "open"]
        comments = services.github.recent_comments(rules.repo, since)
        work = pending_work(issues, comments, config, at, lambda: github_identity(services), fresh=fresh)
        carried_out = [w for w in work if w.confirm
                       and _done_already(w, services.github.comments(rules.repo, w.number), github_identity(services))]
        unlogged = _unlogged(services, config, carried_out, report.warnings)
        todo = [w if w not in unlogged else replace(w, why="carried out, but its row is not in the tracking sheet")
                for w in work if w not in carried_out or w in unlogged]
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {"repository": rules.repo, "since": since.isoformat(), "issues_updated": len(issues),
                    "comments_updated": len(comments), "picked_up": len(todo)}
    report.extra = {"picked_up": [{"kind": w.kind, "issue": w.number, "comment": w.comment_id, "why": w.why}
                                  for w in todo]}
    for item in todo:
        done = _carry_out(services, config, at, item, dry_run=dry_run)
        where = f"{rules.repo}#{item.number}" + (f" comment {item.comment_id}" if item.comment_id else "")
        report.outcomes += done.outcomes
        report.warnings += [f"{where}: {w}" for w in done.warnings]
        report.errors += [f"{where}: {e}" for e in done.errors]
        if done.skipped:
            report.warnings.append(f"{where}: {done.skipped}")
    report.api_calls = services.calls.snapshot()
    return report


def _carry_out(services: Services, config: Config, at: datetime, item: Work, *, dry_run: bool) -> Report:
    """The function the item's event workflow runs, on the item."""
    if item.kind == "support request":
        return support_issues.from_issue(services, config, at, number=item.number, dry_run=dry_run)
    if item.kind == "offboarding":
        return offboarding.offboard(services, config, at, number=item.number, dry_run=dry_run)
    if item.kind == "access":
        assert item.issue is not None
        return offboarding.grant_from_events(services, config, at, issue=item.issue, dry_run=dry_run)
    if item.kind == "postmortem item":
        return postmortems.label_item(services, config, at, number=item.number, dry_run=dry_run)
    assert item.comment_id is not None
    return issue_commands.run(services, config, at, number=item.number, comment_id=item.comment_id,
                              dry_run=dry_run)
