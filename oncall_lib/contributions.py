"""The places every duty may add to, declared once (the contribution points), and what a contribution is.

A duty names its contribution in its declaration (`Duty.contributes`: "module:function" strings); the handoff
and the report gather the contributions of the duties that are on through the registry
(`oncall_lib.registry.gather`), in the registry's order, and import no other duty. A duty that is off
contributes nothing, so nothing about it appears; a contribution that fails costs only itself (one warning).

- `handoff`: (config, HandoffContext) -> HandoffSection | None: what the duty has waiting, for the team's handoff
  message, the start-of-turn DM, the heads-up DM the day before a turn, and the handover issue.
- `report`: (config, ReportContext) -> ReportPart | None: its lines and figures in the end-of-rotation report.
- `report_requests`: (services, config, RequestWindow) -> RequestsRead: the requests of the weeks the report
  reads, for its request figures (the request watch); with no duty that watches requests, those figures are out.
- `row_kinds`: the kinds of task rows it records: the report counts them only for the duties that are on.
- `watch`: (services, config, the watch's state) -> WatchPart: what a duty does with the requests the watch has
  just scanned (answers to repeat questions), in the watch's own run and plan.
- `rows`: a `recorder.RowKeeper`: where every duty's task rows go (the tracking duty: the team's sheet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from oncall_lib.untrusted import github_text

if TYPE_CHECKING:
    from oncall_lib.plan import Action
    from oncall_lib.recorder import TaskRow
    from oncall_lib.services import Services
    from oncall_lib.services.github import Comment, IssueState


@dataclass(frozen=True)
class HandoffContext:
    """What a duty's handoff section may read: one moment, and which of the places are about to be written."""

    services: Services
    at: datetime
    # The outgoing turn's start: what happened since the last handoff (None: only what waits now).
    since: datetime | None = None
    # The handover issue is about to open: the parts only it shows are read too.
    issue: bool = False
    # The heads-up DM the working day before a turn.
    heads_up: bool = False


@dataclass
class HandoffSection:
    """One duty's part of the handoff. Each list is its lines in one place; empty: it shows nothing there."""

    key: str
    # In the team's handoff message (Slack mrkdwn, text from others already escaped): a heading and its lines.
    message: list[str] = field(default_factory=list)
    # In the handover issue (GitHub Markdown): a `### ` heading, then its lines.
    markdown: list[str] = field(default_factory=list)
    # In the heads-up DM the working day before a turn.
    heads_up: list[str] = field(default_factory=list)
    # In the start-of-turn DM: what to do first (`first_now`: before anything else; otherwise only when nothing
    # more pressing waits), then these lines.
    first: str = ""
    first_lines: list[str] = field(default_factory=list)
    first_now: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportContext:
    """What a duty's report part may read: the rotation reported, and what the report has read already."""

    services: Services
    # The turn reported: who (PagerDuty's user id), from when until when.
    user_id: str
    start: datetime
    end: datetime
    # Each worksheet's rows as read (header first), when the tracking sheet was read; {} otherwise.
    sheet_rows: dict[str, list[list[Any]]] = field(default_factory=dict)
    # The day a Date cell of those rows holds, as the sheet's locale writes it (None: not a date).
    sheet_day: Callable[[object], date | None] = lambda value: None
    # Every request of the weeks read (as `report_requests` gave them; [] without the request watch).
    requests: list[Any] = field(default_factory=list)
    # The support issues closed during the turn, and the comments of those worked on (by URL), read once.
    closed: list[IssueState] = field(default_factory=list)
    comments: dict[str, list[Comment]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestWindow:
    """The weeks the report reads, the turn it reports, and what the sheet recorded of each acknowledged request
    (its "Acknowledged how" cell by request key: the watch's scan that first saw a reaction)."""

    oldest: datetime
    newest: datetime
    start: datetime
    end: datetime
    acknowledged_how: dict[str, str] = field(default_factory=dict)
    # Thread reads allowed to date the reported turn's acknowledgements.
    budget: int = 100


@dataclass
class RequestsRead:
    """The requests of a window (oncall_lib.requests.classify.Request, read here only through their fields), and
    the Slack workspace's address for their links."""

    requests: list[Any]
    team_url: str


@dataclass
class ReportPart:
    """One duty's part of the end-of-rotation report."""

    key: str
    # Its section of the report issue (GitHub Markdown, a `### ` heading first).
    markdown: list[str] = field(default_factory=list)
    # Its lines in the Slack summary.
    summary: list[str] = field(default_factory=list)
    # Its figures, by name, for --json.
    figures: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class WatchPart:
    """One duty's part of the request watch's run: its actions (placed after the watch's own, with no reference
    to them), the task rows it records, and its facts for the report."""

    actions: list[Action] = field(default_factory=list)
    rows: list[TaskRow] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)


# -- small helpers the duties' sections share ------------------------------------------------------------------

def issue_md(issue: IssueState) -> str:
    """An issue as a Markdown link, its title escaped (titles are typed by anyone)."""
    return f"[{github_text(issue.title, 90, one_line=True)}]({issue.html_url})"


def issue_age(issue: IssueState, at: datetime) -> str:
    if issue.created_at is None:
        return "for a while"
    days = (at - issue.created_at).days
    return "since today" if days < 1 else f"{days} day{'s' if days != 1 else ''}"
