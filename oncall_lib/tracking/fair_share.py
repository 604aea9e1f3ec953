"""A quarter's fair share: per person, what the support rotation asked of them. Pure functions.

- turns held: their own turns on the support layer that began in the quarter (covers are counted apart);
- hours on support: business hours (the watch's clock) of the quarter during which they held the role;
- requests acknowledged: requests in the watched channels they were first to acknowledge (by reply or reaction);
- after-hours requests: requests asked outside business hours while they held the role;
- support issues handled: support issues opened in the quarter that are assigned to them;
- covers given and taken: PagerDuty overrides on the support layer in the quarter, run by run: who covered,
  and whose turn it cut into.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall_lib.business_time import BusinessHours
from oncall_lib.requests.classify import Request
from oncall_lib.rotation.schedule import Shift, holder
from oncall_lib.services.github import IssueState
from oncall_lib.untrusted import github_text


@dataclass
class Share:
    name: str
    turns: int = 0
    support_hours: float = 0.0
    requests_acknowledged: int = 0
    after_hours_requests: int = 0
    issues_handled: int = 0
    covers_given: int = 0
    covers_taken: int = 0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "support_hours": round(self.support_hours, 1)}


def quarter(value: str | None, at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    """The quarter named like `2026Q4` (or the one `at` falls in): its start, its end, its label."""
    if value:
        text = value.strip().upper().replace(" ", "").replace("-", "")
        if len(text) != 6 or text[4] != "Q" or not text[:4].isdigit() or text[5] not in "1234":
            raise ValueError(f"{value!r} is not a quarter like 2026Q4")
        year, number = int(text[:4]), int(text[5])
    else:
        local = at.astimezone(tz)
        year, number = local.year, (local.month - 1) // 3 + 1
    start = datetime(year, 3 * (number - 1) + 1, 1, tzinfo=tz)
    end = datetime(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1, tzinfo=tz)
    return start, end, f"{year} Q{number}"


@dataclass(frozen=True)
class Cover:
    """An override that cut into someone's turn on the support layer."""

    by: str  # the PagerDuty id of who covered
    of: str  # the PagerDuty id of whose turn it was
    start: datetime
    end: datetime


def shares(names: dict[str, str], own_turns: Sequence[Shift], timeline: Sequence[Shift], covers: Sequence[Cover],
           requests: Sequence[Request],
           issues: Sequence[IssueState], clock: BusinessHours, start: datetime, end: datetime,
           slack_names: dict[str, str], github_names: dict[str, str]) -> list[Share]:
    """`own_turns`: the support layer's turns; `timeline`: who held the role, covers cut in, each turn held until
    the next. `names`: PagerDuty id -> name; `slack_names` and `github_names`: Slack id and GitHub login (casefolded) ->
    the same names, for requests and issues. Everyone in `names` gets a row, with zeros if the quarter asked
    nothing of them."""
    found = {name: Share(name) for name in dict.fromkeys(names.values())}

    def share(name: str) -> Share:
        return found.setdefault(name, Share(name))

    for turn in own_turns:
        if start <= turn.start < end:
            share(names.get(turn.user_id, turn.user_name)).turns += 1
    for turn in timeline:
        name = names.get(turn.user_id, turn.user_name)
        if turn.end > start and turn.start < end:
            share(name).support_hours += clock.minutes_between(max(turn.start, start), min(turn.end, end)) / 60
    for cover in covers:
        if start <= cover.start < end:
            share(names.get(cover.by, cover.by)).covers_given += 1
            share(names.get(cover.of, cover.of)).covers_taken += 1
    for request in requests:
        if not start <= request.asked_at < end:
            continue
        if request.acknowledged and request.acknowledged_by in slack_names:
            share(slack_names[request.acknowledged_by]).requests_acknowledged += 1
        if not clock.is_open(request.asked_at):
            held = holder(timeline, request.asked_at)
            if held is not None:
                share(names.get(held.user_id, held.user_name)).after_hours_requests += 1
    for issue in issues:
        if issue.created_at is None or not start <= issue.created_at < end:
            continue
        for login in issue.assignees:
            if login.casefold() in github_names:
                share(github_names[login.casefold()]).issues_handled += 1
    return sorted(found.values(), key=lambda s: s.name)


def render(rows: Sequence[Share], label: str, start: datetime, end: datetime, marker: str,
           until: datetime | None = None) -> str:
    """The fairness page: a chart of hours on support against an even share, a chart of the work, the table."""
    people = [r for r in rows if r.turns or r.support_hours or r.requests_acknowledged or r.after_hours_requests
              or r.issues_handled or r.covers_given or r.covers_taken]
    shown_end = min(end, until) if until else end
    so_far = " (so far)" if until and until < end else ""
    last_day: date = (shown_end - timedelta(seconds=1)).date()
    lines = [f"## Fair share: {label}{so_far}", "",
             f"From {start:%a %d %b %Y} to {last_day:%a %d %b %Y}: what the support rotation asked of each person.", ""]
    if not people:
        return "\n".join([*lines, "Nobody held the support role in this quarter.", "", marker])
    names = ", ".join(f'"{_label(r.name)}"' for r in people)
    hours = [round(r.support_hours) for r in people]
    even = round(sum(r.support_hours for r in people) / len(people))
    top = max([*hours, even, 1])
    lines += ["### Hours on support (business hours) against an even share", "", "```mermaid", "xychart-beta",
              f"    x-axis [{names}]", f'    y-axis "hours" 0 --> {math.ceil(top * 1.2)}',
              f"    bar [{', '.join(str(h) for h in hours)}]", f"    line [{', '.join(str(even) for _ in people)}]",
              "```", "", f"Bars: each person's hours. Line: the even share ({even} h each).", ""]
    work = [r.requests_acknowledged + r.after_hours_requests + r.issues_handled for r in people]
    lines += ["### Requests and issues per person", "", "```mermaid", "xychart-beta",
              f"    x-axis [{names}]", f'    y-axis "count" 0 --> {math.ceil(max([*work, 1]) * 1.2)}',
              f"    bar [{', '.join(str(r.requests_acknowledged) for r in people)}]",
              f"    line [{', '.join(str(r.after_hours_requests) for r in people)}]", "```", "",
              "Bars: requests they acknowledged. Line: requests that came after hours while they held the role.", "",
              "| Person | Turns | Hours on support | Requests acknowledged | After-hours requests | Support issues "
              "handled | Covers given | Covers taken |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {github_text(r.name, 60, one_line=True)} | {r.turns} | {r.support_hours:.0f} | "
                     f"{r.requests_acknowledged} | {r.after_hours_requests} | {r.issues_handled} | {r.covers_given} | "
                     f"{r.covers_taken} |")
    lines += ["", "Hours on support count the business hours (as the request watch measures them) during which the "
              "person held the role; covers are PagerDuty overrides on the support layer.", "", marker]
    return "\n".join(lines)


def _label(name: str) -> str:
    """A name inside a Mermaid string: no quotes or brackets to end it early."""
    return github_text(name, 30, one_line=True).replace('"', "'").replace("[", "(").replace("]", ")")
