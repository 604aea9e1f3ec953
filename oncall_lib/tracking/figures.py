"""The end-of-rotation report's figures and its Markdown: pure functions over what the job read.

The rules a PM can hold it to (docs/report.md):
- A time to acknowledge exists only for a request that was acknowledged; one that was not is "not
  acknowledged (open N h when the turn ended)", and counts as late in the share within the limit.
- The two-hour rule is about time spent (oncall_lib.tracking.time_spent): the tracking sheet's minutes and the
  issue's `/oncall spent` entries. An issue without either has no known time and is listed as such; an issue
  open longer than [support_issues] scoping_business_days is reported apart, as long-open.
- A past rotation with nothing recorded is missing data: a gap in the trend, never a row of zeros. A chart
  is left out when it would have one bar (or slice).
- The review questions each follow from a figure, and a quiet week gets questions about a quiet week.

Time to acknowledge is measured like the request watch measures it (business
minutes; wall-clock in urgent channels). Percentiles use the nearest-rank
method (p90 of 10 values is the 9th smallest). A request acknowledged only by a
reaction has no time in Slack: its time is the first watch scan that saw it
(`seen_by`, from the tracking sheet), an upper bound that enters the medians;
without that record it counts as acknowledged but not in the median, p90 or
the share within the limit, and is listed apart.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from oncall_lib.business_time import BusinessHours
from oncall_lib.services.github import IssueState
from oncall_lib.tracking.time_spent import hours_text
from oncall_lib.untrusted import github_text

if TYPE_CHECKING:  # read only through its fields: the requests come from the request watch's declared scan
    from oncall_lib.requests.classify import Request

# What the report's table shows, by what is on: "requests" (the request watch), "support_issues", and the kinds of
# rows the duties that are on record. Everything, when a caller does not say.
EVERYTHING = frozenset({"requests", "support_issues", "pr_review", "deploy", "iam", "postmortem", "access",
                        "offboarding"})


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class RequestFigures:
    total: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    acknowledged: int = 0
    never_acknowledged: int = 0  # not acknowledged (yet) when the turn ended
    unknown_time: int = 0
    upper_bound: int = 0  # reaction acknowledgements timed by the scan that first saw them
    minutes: list[float] = field(default_factory=list)  # time to acknowledge, acknowledged requests only
    median: float | None = None
    p90: float | None = None
    # Acknowledged within the limit, of the requests that can be judged (a known time, or not acknowledged).
    within_limit: int = 0
    judged: int = 0
    within_limit_share: float | None = None
    # Late acknowledgements ("minutes" to acknowledge) and requests not acknowledged ("open_hours", wall-clock).
    breaches: list[dict[str, Any]] = field(default_factory=list)
    median_by_day: dict[str, float] = field(default_factory=dict)
    requests_by_day: dict[str, int] = field(default_factory=dict)

    @property
    def late(self) -> list[dict[str, Any]]:
        return [b for b in self.breaches if b["acknowledged"]]

    @property
    def not_acknowledged(self) -> list[dict[str, Any]]:
        return [b for b in self.breaches if not b["acknowledged"]]


def request_figures(requests: list[Request], clock: BusinessHours, limit_minutes: int, team_url: str,
                    until: datetime) -> RequestFigures:
    """`until`: when the turn ends; a request not acknowledged by then is reported as open that long."""
    figures = RequestFigures(total=len(requests))
    figures.by_channel = dict(Counter(r.channel for r in requests).most_common())
    by_day: dict[date, list[float]] = {}
    count_by_day: Counter[date] = Counter()
    for request in sorted(requests, key=lambda r: r.asked_at):
        minutes = request.minutes_to_acknowledge(clock)
        asked = request.asked_at.astimezone(clock.tz)
        count_by_day[asked.date()] += 1
        entry = {"channel": request.channel, "asked_at": asked.isoformat(), "acknowledged": request.acknowledged,
                 "link": request.permalink(team_url), "text": request.text[:80]}
        if not request.acknowledged:
            figures.never_acknowledged += 1
            figures.judged += 1
            hours = max(0.0, (until - request.asked_at).total_seconds() / 3600)
            figures.breaches.append({**entry, "minutes": None, "open_hours": round(hours, 1)})
            continue
        figures.acknowledged += 1
        if minutes is None:
            figures.unknown_time += 1
            continue
        figures.upper_bound += request.acknowledged_at is None and request.seen_by is not None
        figures.judged += 1
        figures.minutes.append(minutes)
        by_day.setdefault(asked.date(), []).append(minutes)
        if minutes > limit_minutes:
            figures.breaches.append({**entry, "minutes": round(minutes, 1), "open_hours": None})
        else:
            figures.within_limit += 1
    figures.median = percentile(figures.minutes, 0.5)
    figures.p90 = percentile(figures.minutes, 0.9)
    figures.within_limit_share = figures.within_limit / figures.judged if figures.judged else None
    figures.median_by_day = {day.isoformat(): round(percentile(v, 0.5) or 0.0, 1) for day, v in sorted(by_day.items())}
    figures.requests_by_day = {day.isoformat(): n for day, n in sorted(count_by_day.items())}
    return figures


# The seed: "Unless it's an emergency, don't spend more than 2 hours on any given support work."
TWO_HOURS = 120.0


@dataclass
class RotationFigures:
    person: str
    start: datetime
    end: datetime
    requests: RequestFigures
    issues_opened: list[IssueState] = field(default_factory=list)
    issues_closed: list[IssueState] = field(default_factory=list)
    issues_open: list[IssueState] = field(default_factory=list)
    # Open longer than [support_issues] scoping_business_days: reported as long-open, not as time spent.
    long_open: list[IssueState] = field(default_factory=list)
    closed_without_summary: list[IssueState] = field(default_factory=list)  # the current rotation only
    logged: dict[str, int] = field(default_factory=dict)  # tracking-sheet rows per kind in the window
    # Minutes spent on each issue worked on (open or closed in the turn) that has a record of it, by URL;
    # the current rotation only (see oncall_lib.tracking.time_spent).
    time_spent: dict[str, float] = field(default_factory=dict)
    # Whether anything was recorded for the turn (requests, issues, sheet rows): a turn without any is missing
    # data, not a week of zeros.
    has_data: bool = True

    @property
    def label(self) -> str:
        return f"{self.person}, {self.start:%b %d} – {self.end:%b %d, %Y}"

    @property
    def worked_on(self) -> list[IssueState]:
        return list({i.html_url: i for i in [*self.issues_open, *self.issues_closed]}.values())

    @property
    def over_two_hours(self) -> list[tuple[IssueState, float]]:
        return [(i, self.time_spent[i.html_url]) for i in self.worked_on
                if self.time_spent.get(i.html_url, 0.0) > TWO_HOURS]

    @property
    def time_unknown(self) -> list[IssueState]:
        return [i for i in self.worked_on if i.html_url not in self.time_spent]

    def as_dict(self) -> dict[str, Any]:
        r = self.requests
        return {
            "person": self.person, "start": self.start.isoformat(), "end": self.end.isoformat(),
            "has_data": self.has_data,
            "requests": r.total, "requests_by_channel": r.by_channel, "acknowledged": r.acknowledged,
            "never_acknowledged": r.never_acknowledged, "acknowledged_time_unknown": r.unknown_time,
            "acknowledged_time_upper_bound": r.upper_bound,
            "median_minutes_to_acknowledge": _round(r.median), "p90_minutes_to_acknowledge": _round(r.p90),
            "share_within_limit": _round(r.within_limit_share, 3), "breaches": r.breaches,
            "median_minutes_by_day": r.median_by_day, "requests_by_day": r.requests_by_day,
            "support_issues_opened": [i.html_url for i in self.issues_opened],
            "support_issues_closed": [i.html_url for i in self.issues_closed],
            "support_issues_still_open": [i.html_url for i in self.issues_open],
            "over_the_two_hour_rule": [{"issue": i.html_url, "minutes_spent": round(m)}
                                       for i, m in self.over_two_hours],
            "minutes_spent": {url: round(m) for url, m in self.time_spent.items()},
            "time_spent_not_recorded": [i.html_url for i in self.time_unknown],
            "open_longer_than_the_scoping_limit": [i.html_url for i in self.long_open],
            "closed_without_a_summary": [i.html_url for i in self.closed_without_summary],
            "logged_tasks": self.logged,
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _minutes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} min"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _issues(items: list[IssueState]) -> str:
    return ", ".join(f"[#{i.number}]({i.html_url})" for i in items) or "none"


def _when(entry: dict[str, Any]) -> str:
    return f"[{github_text(entry['channel'], one_line=True)} {entry['asked_at'][:16].replace('T', ' ')}]" \
           f"({entry['link']})"


def _issue_link(issue: IssueState) -> str:
    return f"[{issue.repo}#{issue.number}]({issue.html_url}) “{github_text(issue.title, 80, one_line=True)}”"


def meeting_questions(current: RotationFigures, limit_minutes: int, scoping_days: float | None = None,
                      on: Collection[str] = EVERYTHING) -> list[str]:
    """Questions for the review, drawn from the week's own figures, each about something the figures show and
    none claiming what another denies: how requests were acknowledged (or that none came), where they came from,
    and the support issues against the two-hour rule. Nothing about requests without the request watch."""
    r = current.requests
    questions: list[str] = []
    if "requests" not in on:
        pass
    elif r.total == 0:
        questions.append("No request reached the watched channels during the rotation. Was it a quiet week, or did "
                         "people ask somewhere the watch does not read (DMs, other channels)?")
    elif r.not_acknowledged:
        oldest = max(r.not_acknowledged, key=lambda b: b["open_hours"])
        n = len(r.not_acknowledged)
        questions.append(f"{n} of the {r.total} requests {'was' if n == 1 else 'were'} not acknowledged; the oldest, "
                         f"{_when(oldest)}, was open {oldest['open_hours']:.0f} h when the turn ended. Who should "
                         "have picked it up, and what would have caught it sooner?")
    elif r.late:
        worst = max(r.late, key=lambda b: b["minutes"])
        questions.append(f"The longest wait: {_when(worst)} was acknowledged after {worst['minutes']:.0f} minutes. "
                         "What held it up, and what would have caught it sooner?")
    elif r.unknown_time:
        questions.append(f"All {r.total} requests were acknowledged, {r.unknown_time} of them by a reaction alone, "
                         "which records no time. Would a reply in the thread tell the requester more?")
    else:
        questions.append(f"All {r.total} request(s) were acknowledged within {limit_minutes} minutes (median "
                         f"{_minutes(r.median)}). What made that possible this week, and is it something to keep?")
    if r.total >= 2:
        channel, count = next(iter(r.by_channel.items()))
        questions.append(f"{github_text(channel, one_line=True)} brought {count} of the {r.total} requests. Do the "
                         "same questions come back there, and would a FAQ, a form or an owner answer them?")
    worked = current.worked_on
    if current.over_two_hours:
        issue, minutes = max(current.over_two_hours, key=lambda pair: pair[1])
        questions.append(f"{_issue_link(issue)} took {hours_text(minutes)} of recorded work, past the two-hour "
                         "rule. Should it become a scoped project, move to another team, or close?")
    elif current.long_open:
        issue = current.long_open[0]
        days = f" {scoping_days:g} business days" if scoping_days else ""
        questions.append(f"{_issue_link(issue)} has been open longer than{days or ' the scoping limit'}. Is it "
                         "blocked, waiting on someone, or work to scope as a project?")
    elif worked and current.time_unknown:
        questions.append(f"{len(current.time_unknown)} of the {len(worked)} support issue(s) worked on have no time "
                         "recorded, so the two-hour rule cannot be checked for them. Should time be logged "
                         "(`/oncall spent 45m` in the issue, or minutes in the tracking sheet)?")
    elif worked:
        questions.append(f"{len(worked)} support issue(s) were worked on, each within two hours of recorded work. "
                         "Which of them should leave a note in the docs so the next person does not repeat it?")
    elif r.total == 0 and "requests" in on:
        questions.append("With no request and no support issue, what did the rotation's time go to (postmortem "
                         "action items, incidents), and should the process change for quiet weeks?")
    return questions


def _bar(value: float, most: float, width: int = 20) -> str:
    return "▇" * max(1, round(value / most * width)) if value > 0 and most > 0 else ""


def _trend(current: RotationFigures, trend: list[RotationFigures], limit_minutes: int,
           on: Collection[str] = EVERYTHING) -> list[str]:
    """The rotations side by side as a table with bars: a rotation with nothing recorded is a gap ("no data"),
    never a row of zeros; left out until two rotations have data. Only the columns of duties that are on: with
    neither the request watch nor support issues on, there is no trend to show."""
    requests_on, issues_on = "requests" in on, "support_issues" in on
    history = list(reversed(trend)) + [current]
    with_data = [h for h in history if h.has_data]
    if len(history) < 2 or not (requests_on or issues_on):
        return []
    if len(with_data) < 2:  # the current rotation alone: every one before it is missing
        before = len(history) - 1
        return [f"No trend yet: the {before} rotation{'s' if before != 1 else ''} before this one "
                f"{'have' if before != 1 else 'has'} nothing recorded (no request, support issue or tracked task), "
                "so there is nothing to compare.", ""]
    most = max(h.requests.total for h in with_data) or 1
    slowest = max((h.requests.median or 0.0) for h in with_data) or 1.0
    headings = ["Rotation"]
    headings += ["Requests", "Median time to acknowledge", f"Within {limit_minutes} min"] if requests_on else []
    headings += ["Issues opened"] if issues_on else []
    lines = [f"### The last {len(history)} rotations", "", f"| {' | '.join(headings)} |",
             "|" + "---|" * len(headings)]
    for h in history:
        label = github_text(h.label, one_line=True)
        if not h.has_data:
            lines.append(f"| {label} | no data (nothing recorded) |" + " |" * (len(headings) - 2))
            continue
        cells = [label]
        if requests_on:
            r = h.requests
            cells += [f"{r.total} {_bar(r.total, most)}".strip(),
                      f"{_minutes(r.median)} {_bar(r.median or 0.0, slowest)}".strip(),
                      _share(r.within_limit_share)]
        if issues_on:
            cells.append(str(len(h.issues_opened)))
        lines.append(f"| {' | '.join(cells)} |")
    return lines + [""]


def _by_day(r: RequestFigures) -> list[str]:
    """Requests and their median time to acknowledge per day; left out when one day says nothing."""
    if len(r.requests_by_day) < 2:
        return []
    most = max(r.requests_by_day.values())
    slowest = max(r.median_by_day.values(), default=0.0) or 1.0
    lines = ["### Requests by day", "", "| Day | Requests | Median time to acknowledge |", "|---|---|---|"]
    for day, count in r.requests_by_day.items():
        median = r.median_by_day.get(day)
        shown = "none acknowledged with a known time" if median is None else f"{median:.0f} min {_bar(median, slowest)}"
        lines.append(f"| {date.fromisoformat(day):%a %b %d} | {f'{count} {_bar(count, most)}'.strip()} | {shown} |")
    return lines + [""]


def render(current: RotationFigures, trend: list[RotationFigures], limit_minutes: int, marker: str,
           review: str = "For the PM, the tech lead, and the current and next person on support",
           sections: list[str] | None = None, scoping_days: float | None = None,
           on: Collection[str] = EVERYTHING) -> str:
    """The report as GitHub Markdown. `sections`: lines the duties that are on add before the review (normal
    oncall's incidents, ...); `scoping_days`: [support_issues] scoping_business_days, for long-open issues;
    `on`: what the table shows (a duty that is off shows no row, not a zero)."""
    r = current.requests
    logged = current.logged
    requests = (f"{r.total} ({r.acknowledged} acknowledged, {r.never_acknowledged} not acknowledged)" if r.total
                else "none")
    ack = (f"median {_minutes(r.median)}, p90 {_minutes(r.p90)} (of {len(r.minutes)} acknowledged with a known time)"
           if r.minutes else "no acknowledged request with a known time")
    within = (f"{_share(r.within_limit_share)} ({r.within_limit} of {r.judged}: not acknowledged counts as late)"
              if r.judged else "n/a")
    over = ", ".join(f"[#{i.number}]({i.html_url}) ({hours_text(m)})" for i, m in current.over_two_hours) or "none"
    long_open = f"Open longer than {scoping_days:g} business days" if scoping_days else "Open a long time"
    rows = {
        "requests": [
            f"| Requests | {requests} |",
            f"| Time to acknowledge | {ack} |",
            f"| Acknowledged within {limit_minutes} min | {within} |",
            f"| Acknowledged by reaction (timed by the scan that saw it: an upper bound) | {r.upper_bound} |",
            f"| Acknowledged by reaction only (time unknown) | {r.unknown_time} |"],
        "support_issues": [
            f"| Support issues | {len(current.issues_opened)} opened ({_issues(current.issues_opened)}), "
            f"{len(current.issues_closed)} closed, {len(current.issues_open)} still open |",
            f"| Over the two-hour rule (recorded time spent) | {over} |",
            f"| Time spent not recorded (the two-hour rule cannot be checked) | {_issues(current.time_unknown)} |",
            f"| {long_open} (consider scoping) | {_issues(current.long_open)} |",
            f"| Closed without a summary of what was tried and what solved it | "
            f"{_issues(current.closed_without_summary)} |"],
        "pr_review": [f"| PRs reviewed | {logged.get('pr_review', 0)} |"],
        "deploy": [f"| Failed deploys handled | {logged.get('deploy', 0)} |"],
        "iam": [f"| IAM findings and PRs | {logged.get('iam', 0)} |"],
        "postmortem": [f"| Postmortem items moved | {logged.get('postmortem', 0)} |"],
        # One row for both: access grants and offboarding are the same kind of work.
        "access": [f"| Access and offboarding | {logged.get('access', 0) + logged.get('offboarding', 0)} |"],
    }
    wanted = set(on) | ({"access"} if "offboarding" in on else set())
    shown = [line for key, lines in rows.items() if key in wanted for line in lines]
    lines = [f"## Rotation report: {github_text(current.label, one_line=True)}", ""]
    lines += ["| | |", "|---|---|", *shown, ""] if shown else []
    if r.breaches:
        lines += [f"### Waited longer than {limit_minutes} minutes", ""]
        for b in r.breaches:
            state = (f"acknowledged after {b['minutes']:.0f} min" if b["acknowledged"]
                     else f"not acknowledged (open {b['open_hours']:.0f} h when the turn ended)")
            lines.append(f"- {_when(b)}: {state}")
        lines.append("")
    if len(r.by_channel) >= 2:  # one slice says nothing
        lines += ["### Requests by channel", "", "```mermaid", "pie showData"]
        lines += [f'    "{channel}" : {count}' for channel, count in r.by_channel.items()]
        lines += ["```", ""]
    lines += _by_day(r)
    lines += _trend(current, trend, limit_minutes, on)
    lines += sections or []
    lines += ["### For the review", "", f"{review}: what should change?", ""]
    lines += [f"{n}. {q}" for n, q in enumerate(meeting_questions(current, limit_minutes, scoping_days, on), start=1)]
    lines += ["", marker]
    return "\n".join(lines)
