"""The end-of-rotation report's figures and its Markdown: pure functions over what the job read.

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
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from oncall_lib.business_time import BusinessHours
from oncall_lib.requests.classify import Request
from oncall_lib.services.github import IssueState
from oncall_lib.untrusted import github_text


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
    never_acknowledged: int = 0
    unknown_time: int = 0
    upper_bound: int = 0  # reaction acknowledgements timed by the scan that first saw them
    minutes: list[float] = field(default_factory=list)
    median: float | None = None
    p90: float | None = None
    within_limit_share: float | None = None
    breaches: list[dict[str, Any]] = field(default_factory=list)
    median_by_day: dict[str, float] = field(default_factory=dict)


def request_figures(requests: list[Request], clock: BusinessHours, limit_minutes: int, team_url: str,
                    until: datetime) -> RequestFigures:
    figures = RequestFigures(total=len(requests))
    figures.by_channel = dict(Counter(r.channel for r in requests).most_common())
    by_day: dict[date, list[float]] = {}
    judged = 0
    within = 0
    for request in sorted(requests, key=lambda r: r.asked_at):
        minutes = request.minutes_to_acknowledge(clock)
        if request.acknowledged:
            figures.acknowledged += 1
        else:
            figures.never_acknowledged += 1
        if request.acknowledged and minutes is None:
            figures.unknown_time += 1
            continue
        figures.upper_bound += request.acknowledged_at is None and request.seen_by is not None
        judged += 1
        if minutes is not None:
            figures.minutes.append(minutes)
            by_day.setdefault(request.asked_at.astimezone(clock.tz).date(), []).append(minutes)
        late = minutes is None or minutes > limit_minutes
        within += not late
        if late:
            waited = minutes if minutes is not None else request.age(until, clock)
            asked = request.asked_at.astimezone(clock.tz)
            figures.breaches.append({"channel": request.channel, "asked_at": asked.isoformat(),
                                     "minutes": round(waited, 1), "acknowledged": request.acknowledged,
                                     "link": request.permalink(team_url), "text": request.text[:80]})
    figures.median = percentile(figures.minutes, 0.5)
    figures.p90 = percentile(figures.minutes, 0.9)
    figures.within_limit_share = within / judged if judged else None
    figures.median_by_day = {day.isoformat(): round(percentile(v, 0.5) or 0.0, 1) for day, v in sorted(by_day.items())}
    return figures


@dataclass
class RotationFigures:
    person: str
    start: datetime
    end: datetime
    requests: RequestFigures
    issues_opened: list[IssueState] = field(default_factory=list)
    issues_closed: list[IssueState] = field(default_factory=list)
    issues_open: list[IssueState] = field(default_factory=list)
    over_scoping_limit: list[IssueState] = field(default_factory=list)
    closed_without_summary: list[IssueState] = field(default_factory=list)  # the current rotation only
    logged: dict[str, int] = field(default_factory=dict)  # tracking-sheet rows per kind in the window

    @property
    def label(self) -> str:
        return f"{self.person}, {self.start:%b %d} – {self.end:%b %d, %Y}"

    def as_dict(self) -> dict[str, Any]:
        r = self.requests
        return {
            "person": self.person, "start": self.start.isoformat(), "end": self.end.isoformat(),
            "requests": r.total, "requests_by_channel": r.by_channel, "acknowledged": r.acknowledged,
            "never_acknowledged": r.never_acknowledged, "acknowledged_time_unknown": r.unknown_time,
            "acknowledged_time_upper_bound": r.upper_bound,
            "median_minutes_to_acknowledge": _round(r.median), "p90_minutes_to_acknowledge": _round(r.p90),
            "share_within_limit": _round(r.within_limit_share, 3), "breaches": r.breaches,
            "median_minutes_by_day": r.median_by_day,
            "support_issues_opened": [i.html_url for i in self.issues_opened],
            "support_issues_closed": [i.html_url for i in self.issues_closed],
            "support_issues_still_open": [i.html_url for i in self.issues_open],
            "over_the_two_hour_rule": [i.html_url for i in self.over_scoping_limit],
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


def meeting_questions(current: RotationFigures, limit_minutes: int) -> list[str]:
    """Three questions for the review, drawn from the week's own figures: its longest wait, its busiest channel,
    and an issue past the two-hour rule (or, when a figure has nothing to ask about, what the week says)."""
    r = current.requests
    questions = []
    if r.breaches:
        worst = max(r.breaches, key=lambda b: b["minutes"])
        state = "was never acknowledged" if not worst["acknowledged"] else "waited"
        questions.append(f"The longest wait: [{worst['channel']} {worst['asked_at'][:16].replace('T', ' ')}]"
                         f"({worst['link']}) {state} {worst['minutes']:.0f} minutes. What held it up, and what "
                         "would have caught it sooner?")
    else:
        questions.append(f"Every request was acknowledged within {limit_minutes} minutes. What made that possible "
                         "this week, and is it something to keep?")
    if r.by_channel:
        channel, count = next(iter(r.by_channel.items()))
        questions.append(f"{github_text(channel, one_line=True)} brought {count} of the {r.total} requests. Do the "
                         "same questions come back there, and would a FAQ, a form or an owner answer them?")
    else:
        questions.append("No requests came in. Are people asking somewhere the watch does not read?")
    if current.over_scoping_limit:
        issue = current.over_scoping_limit[0]
        title = github_text(issue.title, 80, one_line=True)
        questions.append(f"[{issue.repo}#{issue.number}]({issue.html_url}) “{title}” is past the two-hour rule. "
                         "Should it become a scoped project, move to another team, or close?")
    else:
        opened = len(current.issues_opened)
        questions.append(f"{opened} support issue(s) opened and none passed the two-hour rule. Which of them should "
                         "leave a note in the docs so the next person does not repeat the work?")
    return questions


def render(current: RotationFigures, trend: list[RotationFigures], limit_minutes: int, marker: str,
           review: str = "For the PM, the tech lead, and the current and next person on support",
           sections: list[str] | None = None) -> str:
    """`sections`: Markdown lines the job adds before the review (normal oncall's incidents)."""
    """The report as GitHub Markdown, with Mermaid charts GitHub renders."""
    r = current.requests
    logged = current.logged
    lines = [
        f"## Rotation report: {github_text(current.label, one_line=True)}",
        "",
        "| | |",
        "|---|---|",
        f"| Requests | {r.total} ({r.acknowledged} acknowledged, {r.never_acknowledged} never acknowledged) |",
        f"| Time to acknowledge | median {_minutes(r.median)}, p90 {_minutes(r.p90)} |",
        f"| Acknowledged within {limit_minutes} min | {_share(r.within_limit_share)} |",
        f"| Acknowledged by reaction (timed by the scan that saw it: an upper bound) | {r.upper_bound} |",
        f"| Acknowledged by reaction only (time unknown) | {r.unknown_time} |",
        f"| Support issues | {len(current.issues_opened)} opened ({_issues(current.issues_opened)}), "
        f"{len(current.issues_closed)} closed, {len(current.issues_open)} still open |",
        f"| Over the two-hour rule (consider scoping) | {_issues(current.over_scoping_limit)} |",
        f"| Closed without a summary of what was tried and what solved it | "
        f"{_issues(current.closed_without_summary)} |",
        f"| PRs reviewed | {logged.get('pr_review', 0)} |",
        f"| Failed deploys handled | {logged.get('deploy', 0)} |",
        f"| IAM findings and PRs | {logged.get('iam', 0)} |",
        f"| Postmortem items moved | {logged.get('postmortem', 0)} |",
        f"| Access and offboarding | {logged.get('access', 0) + logged.get('offboarding', 0)} |",
        "",
    ]
    if r.breaches:
        lines += [f"### Waited longer than {limit_minutes} minutes", ""]
        for b in r.breaches:
            state = f"{b['minutes']:.0f} min" if b["acknowledged"] else f"never acknowledged ({b['minutes']:.0f} min)"
            lines.append(f"- [{b['channel']} {b['asked_at'][:16].replace('T', ' ')}]({b['link']}): {state}")
        lines.append("")
    if r.by_channel:
        lines += ["### Requests by channel", "", "```mermaid", "pie showData"]
        lines += [f'    "{channel}" : {count}' for channel, count in r.by_channel.items()]
        lines += ["```", ""]
    if r.median_by_day:
        days = list(r.median_by_day)
        top = max(r.median_by_day.values()) or 1
        lines += ["### Median time to acknowledge by day (minutes)", "", "```mermaid", "xychart-beta",
                  f"    x-axis [{', '.join(d[5:] for d in days)}]",
                  f'    y-axis "minutes" 0 --> {math.ceil(top * 1.2)}',
                  f"    bar [{', '.join(f'{v:g}' for v in r.median_by_day.values())}]", "```", ""]
    history = list(reversed(trend)) + [current]
    if len(history) > 1:
        most = max(h.requests.total for h in history) or 1
        lines += [f"### The last {len(history)} rotations", "", "```mermaid", "xychart-beta",
                  f"    x-axis [{', '.join(h.start.strftime('%b %d') for h in history)}]",
                  f'    y-axis "requests" 0 --> {math.ceil(most * 1.2)}',
                  f"    bar [{', '.join(str(h.requests.total) for h in history)}]",
                  f"    line [{', '.join(str(round(h.requests.median or 0)) for h in history)}]", "```", "",
                  "Bars: requests. Line: median minutes to acknowledge.", "",
                  "| Rotation | Requests | Median | p90 | Within limit | Issues opened |", "|---|---|---|---|---|---|"]
        for h in history:
            lines.append(f"| {github_text(h.label, one_line=True)} | {h.requests.total} | "
                         f"{_minutes(h.requests.median)} | "
                         f"{_minutes(h.requests.p90)} | {_share(h.requests.within_limit_share)} | "
                         f"{len(h.issues_opened)} |")
        lines.append("")
    lines += sections or []
    lines += ["### For the review", "", f"{review}: what should change?", ""]
    lines += [f"{n}. {q}" for n, q in enumerate(meeting_questions(current, limit_minutes), start=1)]
    lines += ["", marker]
    return "\n".join(lines)
