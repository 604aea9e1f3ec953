"""The end-of-rotation report.

observe: the last five turns on the support layer before `at` (PagerDuty),
every request in the watched channels over those weeks (as the request watch
declares it reads them: `contributes.report_requests`), support issues
(GitHub), the tasks logged in the tracking sheet, and each part the duties that
are on contribute (`contributes.report`: the handover issues and normal oncall's
incidents, answers to repeat questions, ...), gathered through the registry.
It imports no other duty: a duty that is off adds nothing, and its figures are
left out of the table rather than shown as zeros.
plan: the report as a GitHub issue "Rotation report: NAME, DATES" (updated in
place on re-run), and one short Slack summary linking to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from oncall_lib import registry, report_issue
from oncall_lib.authorship import github_identity, own, roster_member
from oncall_lib.config import SLACK_USER_ID, WEEKDAYS, Channel, Config, RosterMember
from oncall_lib.contributions import ReportContext, ReportPart, RequestsRead, RequestWindow
from oncall_lib.errors import ServiceError
from oncall_lib.owned_section import merge, remember_title, section
from oncall_lib.plan import Action, Executor, Ref, apply, filled
from oncall_lib.report import Report
from oncall_lib.rotation.on_support import member_for_shift, read_schedule
from oncall_lib.rotation.schedule import ScheduleProblem, Shift, role_timeline
from oncall_lib.services import Services
from oncall_lib.services.github import Comment, IssueState
from oncall_lib.services.sheets import SheetRows
from oncall_lib.services.slack import Marker
from oncall_lib.timeutil import not_at_hour
from oncall_lib.tracking import REPORT_LABEL
from oncall_lib.tracking.figures import RotationFigures, render, request_figures
from oncall_lib.tracking.layout import product_rows
from oncall_lib.tracking.rows import ACKNOWLEDGED_HOW, DATE, DATE_COLUMN, KIND, day_first, sheet_date
from oncall_lib.tracking.time_spent import time_spent
from oncall_lib.untrusted import github_text, slack_text

JOB = "rotation-report"
SLACK_EVENT = "oncall_support_rotation_report"
ROTATIONS = 5  # the one reported, and four before it for the trend
# Thread reads to date multi-reply acknowledgements, at most, per run: about two minutes at Slack's tier-3
# rate. Past it, such acknowledgements count as "time unknown", like reactions.
MAX_THREADS = 100
TRACKED_KINDS = ("pr_review", "deploy", "iam", "postmortem", "access", "offboarding", "support")
# Past turns are always read for these: the rotation's own row and a person's "other" tasks.
ALWAYS_READ = ("rotation", "other")
# Rows read besides those counted: the handoff's own row says the product ran that week (so a week with no
# request is quiet, not missing), and any row may hold minutes spent on a support issue.
READ_KINDS = (*TRACKED_KINDS, "rotation", "other")


def report_marker(shift: Shift) -> str:
    return report_issue.report_marker(shift.user_id, shift.start)


# The report runs shortly before a handoff: a turn ending within this long after `at` is the one to report.
ENDING_SOON = timedelta(hours=12)


def ended_rotations(services: Services, config: Config, at: datetime) -> tuple[list[Shift], Shift | None]:
    """The last ROTATIONS turns that ended by `at` (or are about to), newest first; and the turn after them."""
    rotation = config.rotation
    found = read_schedule(services, config, at - timedelta(weeks=ROTATIONS + 2), at + timedelta(days=1))
    schedule, overrides = found.layered(rotation.support_layer)
    timeline = role_timeline(schedule, rotation.support_layer, at,
                             min_override=timedelta(hours=rotation.min_override_hours), overrides=overrides)
    ended = [s for s in timeline if s.end <= at + ENDING_SOON and s.start < at]
    following = next((s for s in timeline if ended and s.start >= ended[-1].end), None)
    return list(reversed(ended))[:ROTATIONS], following


@dataclass(frozen=True)
class Attendee:
    """Someone in the rotation review: how GitHub and Slack name them."""

    role: str
    name: str
    github: str | None = None
    slack: str | None = None

    @property
    def on_github(self) -> str:
        return f"@{self.github}" if self.github else self.name

    @property
    def on_slack(self) -> str:
        return f"<@{self.slack}>" if self.slack else slack_text(self.name)


def attendee(config: Config, role: str, value: str | None = None, *,
             member: RosterMember | None = None) -> Attendee | None:
    """A [review] setting (a roster name, a GitHub login or a Slack id) or a roster member, as an attendee."""
    if member is None and value:
        wanted = value.strip().lstrip("@").casefold()
        member = next((m for m in config.roster if wanted in {m.name.casefold(), (m.github or "").casefold(),
                                                              (m.slack or "").casefold()}), None)
        if member is None:
            slack_id = SLACK_USER_ID.match(value.strip())
            return Attendee(role, value.strip(), slack=value.strip() if slack_id else None,
                            github=None if slack_id else value.strip().lstrip("@"))
    if member is None:
        return None
    return Attendee(role, member.name, member.github, member.slack)


@dataclass
class ReportState:
    rotations: list[Shift]
    next_turn: Shift | None = None
    figures: list[RotationFigures] = field(default_factory=list)
    existing: IssueState | None = None
    summary_posted: bool = False
    # What the table shows: "requests", "support_issues" and the row kinds of the duties that are on.
    on: set[str] = field(default_factory=set)
    # The parts the duties that are on contribute (lines before the review, figures for --json).
    parts: list[ReportPart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def logged_days(read: SheetRows, config: Config, kinds: tuple[str, ...] = READ_KINDS,
                ) -> tuple[dict[str, list[date]], list[str]]:
    """The day of each task logged in the sheet, per kind, and the cells whose date cannot be read, named as a
    person finds them ('Access'!B7, with what they hold). Dates are whatever the cell holds: a serial number, or
    text a person typed (read with the spreadsheet's locale)."""
    assert config.tracking
    days: dict[str, list[date]] = {}
    unreadable: list[str] = []
    first = day_first(read.locale)
    for title in sorted({config.tracking.section(kind) for kind in kinds}):
        where = read.date_cells.get(title, [])
        for number, row in enumerate(read.values.get(title, [])[1:], start=2):
            if len(row) <= KIND or row[KIND] not in kinds:
                continue
            day = sheet_date(row[DATE], day_first=first)
            if day is None:
                shown = github_text(str(row[DATE]), 40, one_line=True)
                cell = where[number - 2] if number - 2 < len(where) else f"'{title}'!{DATE_COLUMN}{number}"
                unreadable.append(f"{cell} ({f'“{shown}”' if shown else 'empty'})")
            else:
                days.setdefault(str(row[KIND]), []).append(day)
    return days, unreadable


def unreadable_warning(cells: list[str]) -> str:
    named = ", ".join(cells[:5]) + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")
    return (f"tracking sheet: {len(cells)} date(s) cannot be read, so those rows are not counted: {named}; write "
            "them as 2026-12-07, 12/7/2026 or 7 Dec 2026")


def _logged(days: dict[str, list[date]], config: Config, shift: Shift, kinds: tuple[str, ...]) -> dict[str, int]:
    start, end = shift.start.astimezone(config.team.tz).date(), shift.end.astimezone(config.team.tz).date()
    return {kind: sum(start <= day < end for day in days.get(kind, [])) for kind in kinds}


def kinds_on(config: Config) -> tuple[str, ...]:
    """The kinds of rows the report reads: those the duties that are on record, and the two always read."""
    declared = {kind for duty in registry.on(config) for kind in duty.contributes.row_kinds}
    return (*(k for k in TRACKED_KINDS if k in declared), *ALWAYS_READ,
            *sorted(declared - {*TRACKED_KINDS, *ALWAYS_READ}))


def _acknowledged_how(rows: dict[str, list[list[Any]]], config: Config) -> dict[str, str]:
    """Request key -> its "Acknowledged how" cell, as the watch logged it (the support worksheet)."""
    if not config.tracking:
        return {}
    return {str(row[0]): str(row[ACKNOWLEDGED_HOW]) for row in rows.get(config.tracking.section("support"), [])[1:]
            if len(row) > ACKNOWLEDGED_HOW}


def _time_spent(issues: list[IssueState], comments: dict[str, list[Comment]], rows: dict[str, list[list[Any]]],
                config: Config) -> dict[str, float]:
    """Minutes spent on each issue that records them: the sheet's rows linking to it, and `/oncall spent` entries
    by the team in its comments (see oncall_lib.tracking.time_spent)."""
    every_row = [row for section in rows.values() for row in section[1:]]
    found = {}
    for issue in issues:
        # The team as authorship.py knows it: by account id where the roster pins one.
        entries = [c.body for c in comments[issue.html_url] if roster_member(config, c.author, c.author_id)]
        minutes = time_spent(every_row, issue.html_url, entries)
        if minutes is not None:
            found[issue.html_url] = minutes
    return found


def observe(services: Services, config: Config, at: datetime) -> ReportState:
    ended, following = ended_rotations(services, config, at)
    state = ReportState(ended, following)
    if not state.rotations:
        return state
    oldest, newest = state.rotations[-1].start, min(state.rotations[0].end, at)
    reported = state.rotations[0]
    clock = config.requests.business_hours.clock(config.team.tz)
    rules = config.support_issues
    kinds = kinds_on(config)
    # The request watch says how it reads the weeks' requests; without it, the report has no request figures.
    read_requests = next((entry for _, entry in registry.contributors(config, "report_requests")), None)
    state.on = {*kinds, *(("requests",) if read_requests else ()), *(("support_issues",) if rules else ())}
    issues: list[IssueState] = []
    open_now: list[IssueState] = []
    if rules:
        issues = services.github.issues(rules.repo, labels=[rules.labels[0]], state="all", since=oldest)
        open_now = services.github.issues(rules.repo, labels=[rules.labels[0]], state="open")
    rows: dict[str, list[list[Any]]] = {}
    days: dict[str, list[date]] = {}
    locale = ""
    if config.tracking:
        try:
            # One read of the whole spreadsheet, each kind's rows found where the team keeps them.
            snapshot = services.sheets.snapshot(config.tracking.spreadsheet_id, unformatted=True)
            read = product_rows(snapshot, config.tracking)
            rows, locale = read.values, read.locale
            days, unreadable = logged_days(read, config, kinds)
            if unreadable:
                state.warnings.append(unreadable_warning(unreadable))
        except ServiceError as exc:
            state.warnings.append(f"tracking sheet not read, so logged tasks show as 0: {exc}")
    window = RequestWindow(oldest, newest, reported.start, reported.end, _acknowledged_how(rows, config),
                           MAX_THREADS)
    seen: RequestsRead = read_requests(services, config, window) if read_requests else RequestsRead([], "")
    known = {i.html_url: i for i in [*issues, *open_now]}.values()
    comments: dict[str, list[Comment]] = {}
    counted = tuple(k for k in kinds if k in READ_KINDS)
    for index, shift in enumerate(state.rotations):
        requests = [r for r in seen.requests if shift.start <= r.asked_at < shift.end]
        figures = RotationFigures(
            person=_name(config, shift), start=shift.start, end=shift.end,
            # Never-acknowledged requests are measured to the end of the turn, so a re-run reports the same.
            requests=request_figures(requests, clock, config.requests.limit_minutes, seen.team_url, shift.end))
        figures.issues_opened = [i for i in known if i.created_at and shift.start <= i.created_at < shift.end]
        figures.issues_closed = [i for i in known if i.closed_at and shift.start <= i.closed_at < shift.end]
        figures.issues_open = [i for i in known if i.created_at and i.created_at < shift.end
                               and (i.closed_at is None or i.closed_at >= shift.end)]
        if rules:
            limit = rules.scoping_business_days * clock.day_minutes
            figures.long_open = [i for i in figures.issues_open if i.created_at
                                 and clock.minutes_between(i.created_at, shift.end) > limit]
        figures.logged = _logged(days, config, shift, counted) if rows else {}
        # A past turn with nothing recorded is missing data (before the product watched, say), not a week of zeros.
        figures.has_data = index == 0 or bool(requests or figures.issues_opened or figures.issues_closed
                                              or any(figures.logged.values()))
        if index == 0:
            # One comment read per issue worked on this week: its time entries, and for a closed one its summary.
            comments = {i.html_url: services.github.comments(i.repo, i.number) for i in figures.worked_on}
            figures.time_spent = _time_spent(figures.worked_on, comments, rows, config)
        state.figures.append(figures)
    current = state.figures[0]
    first = day_first(locale)
    context = ReportContext(services, reported.user_id, reported.start, reported.end, rows,
                            lambda value: sheet_date(value, day_first=first), seen.requests, current.issues_closed,
                            comments)
    state.parts = registry.gather(config, "report", state.warnings, "the report", context)
    for part in state.parts:
        state.warnings += part.warnings
        missing = part.figures.get("closed_without_summary")
        if isinstance(missing, list):
            current.closed_without_summary = [i for i in current.issues_closed if i.html_url in missing]
    if rules:
        # By its hidden marker; by its title when a person's edit of the description dropped the marker.
        # Only the product's own reports (authorship.py): anyone's issue can carry the marker or the title.
        reports = own(services.github.issues(rules.repo, labels=[REPORT_LABEL], state="all"), github_identity(services))
        state.existing = next((i for i in reports if report_marker(state.rotations[0]) in i.body),
                              next((i for i in reports if i.title == report_title(state.figures[0])), None))
    found = services.slack.find_marked(summary_channel(config).id, Marker(SLACK_EVENT, _key(state.rotations[0])),
                                       oldest=state.rotations[0].end.timestamp() - 86400)
    state.summary_posted = found is not None
    return state


def _key(shift: Shift) -> str:
    return f"{shift.user_id}/{shift.start.isoformat()}"


def _name(config: Config, shift: Shift) -> str:
    member = member_for_shift(config, shift)
    return member.name if member else shift.user_name


def summary_channel(config: Config) -> Channel:
    """The team's channel for the summary: [review] channel, else the operations channel, else support."""
    key = config.review.channel or config.slack.operations_channel or config.slack.support_channel
    return config.slack.channel(key)


def attendees(state: ReportState, config: Config) -> list[Attendee]:
    """The outgoing person, the next one, the PM and the tech lead: whoever is known."""
    found = [
        attendee(config, "on support", member=member_for_shift(config, state.rotations[0]))
        or Attendee("on support", _name(config, state.rotations[0])),
        attendee(config, "next on support", member=member_for_shift(config, state.next_turn))
        if state.next_turn else None,
        attendee(config, "PM", config.review.pm),
        attendee(config, "tech lead", config.review.tech_lead),
    ]
    if state.next_turn and found[1] is None:
        found[1] = Attendee("next on support", _name(config, state.next_turn))
    people: list[Attendee] = []
    for person in found:
        if person and all((person.github, person.slack, person.name) != (p.github, p.slack, p.name) for p in people):
            people.append(person)
    return people


def review_line(people: list[Attendee]) -> str:
    return "Review with " + ", ".join(f"{p.on_github} ({p.role})" for p in people)


def plan(state: ReportState, config: Config, markdown: str) -> list[Action]:
    rules = config.support_issues
    if not state.figures or rules is None:
        return []
    current = state.figures[0]
    title = report_title(current)
    people = attendees(state, config)
    outgoing = [people[0].github] if people[0].github else []
    actions: list[Action] = []
    url: Any
    if state.existing is None:
        actions.append(Action("github.create_issue", rules.repo, f"publish “{title}”",
                              {"repo": rules.repo, "title": title, "body": section(markdown, title),
                               "labels": [REPORT_LABEL], "assignees": outgoing}))
        url = Ref(0, "html_url")
    else:
        url = state.existing.html_url
        where = f"{rules.repo}#{state.existing.number}"
        # The report is the product's section of the issue: notes the review adds around it stay, and so does
        # a person's edit of the section or the title.
        existing = state.existing
        merged = merge(existing.body, markdown, existing.title)
        new_title = title if merged.title_is_ours else existing.title
        body = remember_title(merged.body, title) if merged.title_is_ours else merged.body
        if not merged.section_found:
            state.warnings.append(f"{where}: the report has no automated section (written before sections, or "
                                  "a person's edit removed it), so it is left as it is")
        elif merged.edited_by_hand:
            state.warnings.append(f"{where}: the report's automated section was edited by hand, so it is left as "
                                  "edited")
        if (existing.title, existing.body.strip()) != (new_title, body.strip()):
            actions.append(Action("github.edit_issue", where, "update the report",
                                  {"repo": rules.repo, "number": existing.number, "title": new_title,
                                   "body": body}))
        if outgoing and outgoing[0].casefold() not in {a.casefold() for a in state.existing.assignees}:
            actions.append(Action("github.assign", where, f"assign @{outgoing[0]} (the outgoing person)",
                                  {"repo": rules.repo, "number": state.existing.number, "logins": outgoing}))
    if not state.summary_posted:
        text = (f":bar_chart: *Rotation report for {slack_text(current.label)}*: "
                f"{summary_figures(current, config.requests.limit_minutes)}. "
                "<{url}|Read it and bring your answers to the review>: "
                + ", ".join(f"{p.on_slack} ({p.role})" for p in people) + ".")
        channel = summary_channel(config)
        actions.append(Action("slack.post", channel.label, "post a summary linking to the report",
                              {"channel": channel.id, "text": text, "url": url,
                               "marker": Marker(SLACK_EVENT, _key(state.rotations[0]))},
                              after=0 if state.existing is None else None))
    return actions


def report_title(current: RotationFigures) -> str:
    return f"Rotation report: {github_text(current.label, one_line=True)}"


def summary_figures(current: RotationFigures, limit_minutes: int) -> str:
    """The week in one line for Slack, saying only what its figures know."""
    r = current.requests
    if r.total == 0:
        requests = "no requests"
    else:
        parts = [f"{r.total} request{'s' if r.total != 1 else ''}"]
        if r.median is not None:
            parts.append(f"median time to acknowledge {r.median:.0f} min")
        if r.within_limit_share is not None:
            parts.append(f"{r.within_limit_share:.0%} within {limit_minutes} minutes")
        late, unanswered = len(r.late), len(r.not_acknowledged)
        if late or unanswered:
            parts.append(" and ".join(([f"{late} acknowledged later"] if late else [])
                                      + ([f"{unanswered} not acknowledged"] if unanswered else [])))
        requests = ", ".join(parts)
    issues = f"{len(current.issues_opened)} support issue{'s' if len(current.issues_opened) != 1 else ''} opened"
    over = len(current.over_two_hours)
    return f"{requests}; {issues}" + (f", {over} past the two-hour rule" if over else "")


def executors(services: Services) -> dict[str, Executor]:
    def create(action: Action) -> dict[str, object]:
        p = action.params
        return services.github.create_issue(p["repo"], title=p["title"], body=p["body"], labels=list(p["labels"]),
                                            assignees=list(p["assignees"]))

    def post(action: Action) -> None:
        p = action.params
        services.slack.post(p["channel"], filled(p, "text"), marker=p.get("marker"))

    return {
        "github.create_issue": create,
        "github.edit_issue": lambda a: services.github.edit_body(a.params["repo"], a.params["number"],
                                                                 a.params["body"], title=a.params["title"]),
        "slack.post": post,
        "github.assign": lambda a: services.github.add_assignees(a.params["repo"], a.params["number"],
                                                                 list(a.params["logins"])),
    }


def before_handoff(at: datetime, config: Config) -> str | None:
    """Why a scheduled report should not run now: it runs in the hour before the configured handoff."""
    rotation = config.rotation
    local = at.astimezone(config.team.tz)
    if WEEKDAYS[local.weekday()] != rotation.handoff_weekday:
        return f"it is {local:%A}, and the handoff is on {rotation.handoff_weekday}"
    return not_at_hour(at, config.team.tz, (rotation.handoff_hour - 1) % 24)


def run(services: Services, config: Config, at: datetime, *, dry_run: bool, only_at_hour: int | None = None,
        only_before_handoff: bool = False) -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    skipped = before_handoff(at, config) if only_before_handoff else not_at_hour(at, config.team.tz, only_at_hour)
    if skipped:
        report.facts = {"skipped": skipped}
        return report
    try:
        state = observe(services, config, at)
    except (ServiceError, ScheduleProblem) as exc:
        return report.stopped(exc, services.calls.snapshot())
    if not state.figures:
        report.errors.append("no support rotation has ended yet on the support layer: nothing to report")
        return report
    current = state.figures[0]
    markdown = render(current, state.figures[1:], config.requests.limit_minutes, report_marker(state.rotations[0]),
                      review=review_line(attendees(state, config)),
                      sections=[line for part in state.parts for line in part.markdown],
                      scoping_days=config.support_issues.scoping_business_days if config.support_issues else None,
                      on=state.on)
    report.facts = {"rotation": current.label, "requests": current.requests.total,
                    "median_minutes_to_acknowledge": current.requests.median,
                    "acknowledged_late": len(current.requests.late),
                    "not_acknowledged": len(current.requests.not_acknowledged)}
    report.extra = {"rotation": current.as_dict(), "trend": [f.as_dict() for f in state.figures[1:]],
                    "handover_issues": [], "incidents": []}
    for part in state.parts:  # each duty's figures, under its own names
        report.extra.update({k: v for k, v in part.figures.items() if k != "closed_without_summary"})
    report.markdown = markdown
    actions = plan(state, config, markdown)  # may add a warning about an edited report
    report.warnings = state.warnings
    if config.support_issues is None:
        report.warnings.append("no [support_issues] repo to publish the report in: see the job summary")
    report.outcomes = apply(actions, executors(services), dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
