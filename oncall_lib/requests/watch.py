"""The request watch: nothing waits more than an hour unacknowledged.

observe: one history read per watched channel (threads only where history
cannot decide), then, only if something is waiting past a step, who is on
support and what was already sent (Slack metadata on the product's own posts).
plan: one DM to the person on support when requests newly pass the warning
age, one post in the operations channel when requests newly pass the limit,
and optionally one nudge in each overdue request's thread. Each step is taken
once per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from oncall_lib.answers import reply as answers
from oncall_lib.business_time import BusinessHours
from oncall_lib.config import Config
from oncall_lib.errors import ServiceError
from oncall_lib.handoff.on_support import Person, on_support
from oncall_lib.handoff.schedule import ScheduleProblem
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.report import Report
from oncall_lib.requests.classify import Request
from oncall_lib.requests.waiting import Scan, format_waiting, scan_requests
from oncall_lib.services import Services
from oncall_lib.services.slack import Marker
from oncall_lib.tracking.log import executors as tracking_executors
from oncall_lib.tracking.log import tracking_actions, with_person
from oncall_lib.tracking.rows import TaskRow
from oncall_lib.untrusted import slack_quote

JOB = "watch-requests"
WAITING_EVENT = "oncall_support_waiting"
OVERDUE_EVENT = "oncall_support_overdue"
NUDGE_EVENT = "oncall_support_nudge"


def marked_requests(messages: list[dict[str, Any]], event_type: str) -> set[str]:
    """Request keys the product already escalated, from its own posts' metadata."""
    keys: set[str] = set()
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == event_type:
            keys.update(str(k) for k in (metadata.get("event_payload") or {}).get("requests", []))
    return keys


@dataclass
class WatchState:
    at: datetime
    scan: Scan
    clock: BusinessHours
    person: Person | None = None
    dm_channel: str | None = None
    warned: set[str] = field(default_factory=set)
    overdue: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def waiting(self, minutes: float) -> list[Request]:
        return [r for r in self.scan.requests if not r.acknowledged and r.age(self.at, self.clock) >= minutes]


def observe(services: Services, config: Config, at: datetime) -> WatchState:
    rules = config.requests
    clock = rules.business_hours.clock(config.team.tz)
    # Out of business hours a request in a non-urgent channel does not age, so only urgent channels can have
    # anything new to escalate: the hourly night and weekend runs read just those.
    state = WatchState(at, scan_requests(services, config, at, only_urgent=not clock.is_open(at)), clock)
    past_warn, past_limit = state.waiting(rules.warn_minutes), state.waiting(rules.limit_minutes)
    oldest = (at - timedelta(hours=rules.lookback_hours)).timestamp()
    if past_warn:
        try:
            found = on_support(services, config, at)
        except ScheduleProblem as exc:
            state.warnings.append(f"cannot tell who is on support, so no DM: {exc}")
        else:
            state.warnings += found.warnings
            # A short override's cover answers for the role right now, though the turn stays with `person`.
            state.person = found.now
        if state.person and state.person.slack:
            state.dm_channel = services.slack.open_dm(state.person.slack)
            state.warned = marked_requests(services.slack.history(state.dm_channel, oldest=oldest), WAITING_EVENT)
        elif state.person is None or not state.person.slack:
            state.warnings.append("nobody on support can be messaged in Slack: the waiting list goes unsent")
        for request in past_warn:
            if not request.requester_is_bot and request.requester not in state.names:
                state.names[request.requester] = services.slack.display_name(request.requester)
    ops = config.slack.operations
    if past_limit and ops:
        messages = state.scan.messages.get(ops.id)
        if messages is None:
            messages = services.slack.history(ops.id, oldest=oldest)
        state.overdue = marked_requests(messages, OVERDUE_EVENT)
    return state


# -- plan (pure) -----------------------------------------------------------------------------


def waiting_lines(requests: list[Request], state: WatchState, new: set[str]) -> list[str]:
    return format_waiting(requests, state.at, state.clock, state.scan.me.team_url, names=state.names, new=new)


def plan(state: WatchState, config: Config) -> list[Action]:
    rules = config.requests
    actions: list[Action] = []
    stamp = state.at.isoformat()
    past_warn = state.waiting(rules.warn_minutes)
    new_warn = [r for r in past_warn if r.key not in state.warned]
    if new_warn and state.dm_channel and state.person:
        text = "\n".join([f"*{len(past_warn)} request(s) waiting over {rules.warn_minutes} minutes for an "
                          "acknowledgement* (a reply in the thread or :eyes:):",
                          *waiting_lines(past_warn, state, {r.key for r in new_warn})])
        actions.append(Action("slack.post", f"DM {state.person.name}",
                              f"{len(new_warn)} request(s) past {rules.warn_minutes} minutes",
                              {"channel": state.dm_channel, "text": text,
                               "marker": Marker(WAITING_EVENT, f"waiting/{stamp}",
                                                {"requests": [r.key for r in new_warn]})}))
    past_limit = state.waiting(rules.limit_minutes)
    new_overdue = [r for r in past_limit if r.key not in state.overdue]
    ops = config.slack.operations
    if new_overdue and ops:
        on_support = state.person.mention if state.person else "the person on support"
        text = "\n".join([f"*{len(past_limit)} request(s) unacknowledged for over {rules.limit_minutes} minutes* "
                          f"({on_support} is on support; anyone can pick one up):",
                          *waiting_lines(past_limit, state, {r.key for r in new_overdue})])
        actions.append(Action("slack.post", ops.label, f"{len(new_overdue)} request(s) past {rules.limit_minutes} "
                              "minutes", {"channel": ops.id, "text": text,
                                          "marker": Marker(OVERDUE_EVENT, f"overdue/{stamp}",
                                                           {"requests": [r.key for r in new_overdue]})}))
    if rules.nudge_in_thread:
        for request in new_overdue:
            if request.own_reply:
                continue
            who = state.person.mention if state.person else "The oncall support person"
            actions.append(Action("slack.post", f"{request.channel} thread {request.ts}", "nudge in the thread",
                                  {"channel": request.channel_id, "thread_ts": request.ts,
                                   "text": f"Thanks for your patience: {who} has been asked to pick this up.",
                                   "marker": Marker(NUDGE_EVENT, request.key)}))
    return actions


def _post(services: Services, action: Action) -> None:
    services.slack.post(action.params["channel"], action.params["text"], marker=action.params.get("marker"),
                        thread_ts=action.params.get("thread_ts"))


def executors(services: Services) -> dict[str, Executor]:
    return {"slack.post": lambda action: _post(services, action)}


def facts(state: WatchState, config: Config) -> dict[str, object]:
    rules = config.requests
    requests = state.scan.requests
    by_channel: dict[str, int] = {}
    for request in requests:
        by_channel[request.channel] = by_channel.get(request.channel, 0) + 1
    return {
        "channels": "all watched" if state.clock.is_open(state.at) else "urgent only (out of business hours)",
        "requests": len(requests),
        "acknowledged": sum(r.acknowledged for r in requests),
        "waiting": sum(not r.acknowledged for r in requests),
        f"waiting_over_{rules.warn_minutes}_min": len(state.waiting(rules.warn_minutes)),
        f"waiting_over_{rules.limit_minutes}_min": len(state.waiting(rules.limit_minutes)),
        "threads_read": state.scan.threads_read,
        "on_support": state.person.name if state.person else None,
        "by_channel": by_channel,
        "records": [r.record(state.at, state.clock, state.scan.me.team_url) for r in requests],
    }


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    if not config.slack.watched:
        report.errors.append("no channel has watch = true in oncall.toml: nothing to watch")
        return report
    # [answers]: the team's file is read first, so a mistake in it stops the run before anything is written.
    known = answers.answers_of(config) if config.answers else None
    try:
        state = observe(services, config, at)
        given = answers.observe_given(services, state, config) if known is not None else []
        thumbed_down = answers.observe_thumbed_down(services, state, config, known) if known is not None else {}
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = facts(state, config)
    report.warnings = state.warnings
    actions = plan(state, config)
    rows = request_rows(state, config)
    if known is not None:
        considered: list[str] = []
        actions += answers.plan_answers(state, config, known, considered, thumbed_down)
        if considered:  # why each new request got an answer or not (its best one and score)
            report.facts["answers_considered"] = "; ".join(considered)
        rows += answers.answer_rows(given, state.scan.me.team_url, config)
        report.facts["answered"] = sum(a.kind == "slack.post" and "thread_ts" in a.params and
                                       a.params["marker"].event_type == answers.ANSWER_EVENT for a in actions)
    actions += tracking_actions(services, config, rows, report.warnings, start=len(actions),
                                complete=_complete_rows(services, config, state, report.warnings))
    report.outcomes = apply(actions, {**executors(services), **tracking_executors(services)}, dry_run=dry_run)
    if known is not None:  # the answers posted now are logged now: the next run has nothing to write
        report.outcomes += answers.log_posted(services, config, state, report.outcomes, report.warnings,
                                              _complete_rows(services, config, state, report.warnings),
                                              dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report


def request_rows(state: WatchState, config: Config) -> list[TaskRow]:
    """Acknowledged requests, for the sheet (a request is a task once someone has taken it up)."""
    team_url = state.scan.me.team_url
    # A row is written once, by the first scan that sees the request acknowledged: for a reaction (which Slack
    # gives no time) that scan's time is the upper bound the report's medians use.
    acknowledged = [r if r.acknowledged_at else replace(r, seen_by=state.at)
                    for r in state.scan.requests if r.acknowledged]
    return [TaskRow(key=r.key, day=r.asked_at.astimezone(config.team.tz).date(), person="", kind="support",
                    summary=slack_quote(r.text, limit=200), link=r.permalink(team_url), channel=r.channel,
                    requester=r.requester, acknowledged_how=r.how_acknowledged,
                    minutes_to_acknowledge=None if (m := r.minutes_to_acknowledge(state.clock)) is None
                    else round(m, 1))
            for r in acknowledged]


def _complete_rows(services: Services, config: Config, state: WatchState,
                   warnings: list[str]) -> Callable[[list[TaskRow]], list[TaskRow]]:
    add_person = with_person(services, config, state.at, warnings, state.person.name if state.person else None)

    def complete(rows: list[TaskRow]) -> list[TaskRow]:
        named = []
        for row in add_person(rows):
            if row.requester.startswith(("U", "W")) and row.requester not in state.names:
                state.names[row.requester] = services.slack.display_name(row.requester)
            named.append(replace(row, requester=state.names.get(row.requester, row.requester)))
        return named
    return complete
