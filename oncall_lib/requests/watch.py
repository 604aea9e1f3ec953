"""The request watch: nothing waits more than an hour unacknowledged, and nobody is interrupted for less.

observe: one history read per watched channel (threads only where history cannot decide), then, only if
something is due, who is on support and what was already sent (Slack metadata on the product's own posts).
plan, each step once per request and each message saying why it was sent:
- the person on support first: one DM listing what has waited past `warn_minutes`;
- the team (the operations channel) only for urgent requests still unacknowledged past `limit_minutes`;
- everything else waits for one digest at the team's standup, once a business day, only when something waits;
- nothing outside business hours, on weekends or holidays, unless the request is urgent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from oncall_lib import registry
from oncall_lib.business_time import BusinessHours
from oncall_lib.config import Channel, Config
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.recorder import TaskRow, with_person
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.recorder import record as tracking_actions
from oncall_lib.report import Report
from oncall_lib.requests.classify import Request
from oncall_lib.requests.waiting import Scan, format_waiting, scan_requests, urgent_anywhere
from oncall_lib.rotation.on_support import Person, on_support
from oncall_lib.rotation.schedule import ScheduleProblem
from oncall_lib.services import Services
from oncall_lib.services.slack import Marker
from oncall_lib.untrusted import slack_quote, slack_text

JOB = "watch-requests"
WAITING_EVENT = "oncall_support_waiting"
OVERDUE_EVENT = "oncall_support_overdue"
NUDGE_EVENT = "oncall_support_nudge"
DIGEST_EVENT = "oncall_support_digest"


def marked_requests(messages: list[dict[str, Any]], event_type: str) -> set[str]:
    """Request keys the product already escalated, from its own posts' metadata."""
    keys: set[str] = set()
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == event_type:
            keys.update(str(k) for k in (metadata.get("event_payload") or {}).get("requests", []))
    return keys


def marked_days(messages: list[dict[str, Any]]) -> set[str]:
    """The business days whose digest the product already posted (its digest posts' metadata)."""
    return {str((m.get("metadata") or {}).get("event_payload", {}).get("day"))
            for m in messages if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT}


def digest_channel(config: Config) -> Channel | None:
    """Where the standup digest goes: [requests] digest_channel, else the operations channel; "off": nowhere."""
    key = config.requests.digest_channel
    if key == "off":
        return None
    return config.slack.channel(key) if key else config.slack.operations


@dataclass
class WatchState:
    at: datetime
    scan: Scan
    clock: BusinessHours
    person: Person | None = None
    dm_channel: str | None = None
    warned: set[str] = field(default_factory=set)
    overdue: set[str] = field(default_factory=set)
    digested: set[str] = field(default_factory=set)  # business days whose digest is posted
    names: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.clock.is_open(self.at)

    def waiting(self, minutes: float) -> list[Request]:
        return [r for r in self.scan.requests if not r.acknowledged and r.age(self.at, self.clock) >= minutes]

    def may_interrupt(self, request: Request) -> bool:
        """Outside business hours (nights, weekends, holidays) only an urgent request interrupts anyone."""
        return request.urgent or self.open

    def to_tell(self, minutes: float) -> list[Request]:
        return [r for r in self.waiting(minutes) if self.may_interrupt(r)]

    def urgent_overdue(self, minutes: float) -> list[Request]:
        return [r for r in self.waiting(minutes) if r.urgent]

    @property
    def today(self) -> date:
        return self.at.astimezone(self.clock.tz).date()

    def standup_at(self, config: Config) -> datetime:
        return datetime.combine(self.today, time.fromisoformat(config.requests.standup), tzinfo=self.clock.tz)

    def digest_due(self, config: Config) -> bool:
        """A business day, standup has come, and today's digest is not posted yet."""
        return (digest_channel(config) is not None and self.open and self.at >= self.standup_at(config)
                and self.today.isoformat() not in self.digested)

    def for_digest(self, config: Config) -> list[Request]:
        """What standup should settle: requests asked before it and still unacknowledged. Only ever fewer as the
        day goes on, so a standup with nothing waiting stays without a digest all day."""
        return [r for r in self.scan.requests if not r.acknowledged and r.asked_at < self.standup_at(config)]


def observe(services: Services, config: Config, at: datetime) -> WatchState:
    rules = config.requests
    clock = rules.business_hours.clock(config.team.tz)
    # Out of business hours only urgent requests may interrupt anyone. Words or the form can make a request urgent
    # in any channel, so the night reads them all (the same read the tick's other duties share); a team that
    # configured neither reads just its urgent channels then.
    only_urgent = not clock.is_open(at) and not urgent_anywhere(config)
    state = WatchState(at, scan_requests(services, config, at, only_urgent=only_urgent), clock)
    to_tell, urgent_late = state.to_tell(rules.warn_minutes), state.urgent_overdue(rules.limit_minutes)
    oldest = (at - timedelta(hours=rules.lookback_hours)).timestamp()
    if to_tell or urgent_late:
        try:
            found = on_support(services, config, at)
        except ScheduleProblem as exc:
            state.warnings.append(f"cannot tell who is on support, so no DM: {exc}")
        else:
            state.warnings += found.warnings
            # A short override's cover answers for the role right now, though the turn stays with `person`.
            state.person = found.now
    if to_tell:
        if state.person and state.person.slack:
            state.dm_channel = services.slack.open_dm(state.person.slack)
            state.warned = marked_requests(services.slack.history(state.dm_channel, oldest=oldest), WAITING_EVENT)
        else:
            state.warnings.append("nobody on support can be messaged in Slack: the waiting list goes unsent")
        _name(services, state, to_tell)
    ops = config.slack.operations
    if urgent_late and ops:
        state.overdue = marked_requests(_read(services, state, ops, oldest), OVERDUE_EVENT)
        _name(services, state, urgent_late)
    digest = digest_channel(config)
    if digest is not None and state.open and at >= state.standup_at(config) and state.for_digest(config):
        since = state.standup_at(config) - timedelta(hours=12)
        state.digested = marked_days([m for m in _read(services, state, digest, since.timestamp())
                                      if float(m.get("ts", 0)) >= since.timestamp()])
        if state.digest_due(config):
            _name(services, state, state.for_digest(config))
    return state


def _name(services: Services, state: WatchState, requests: list[Request]) -> None:
    """The requesters' display names, for the lists (one users.info each, once)."""
    for request in requests:
        if not request.requester_is_bot and request.requester not in state.names:
            state.names[request.requester] = services.slack.display_name(request.requester)


def _read(services: Services, state: WatchState, channel: Channel, oldest: float) -> list[dict[str, Any]]:
    messages = state.scan.messages.get(channel.id)
    return messages if messages is not None else services.slack.history(channel.id, oldest=oldest)


# -- plan (pure) -----------------------------------------------------------------------------


def waiting_lines(requests: list[Request], state: WatchState, new: set[str], *, why: bool = False) -> list[str]:
    lines = format_waiting(requests, state.at, state.clock, state.scan.me.team_url, names=state.names, new=new)
    if not why:
        return lines
    # For urgent requests, the reason it is urgent, on the line itself.
    reasons = {r.key: r.why.partition("urgent: ")[2] for r in requests if r.urgent}
    ordered = sorted(requests, key=lambda r: (r.key not in new, r.asked_at))[:len(lines)]
    by_time = sorted(ordered, key=lambda r: r.asked_at)
    return [f"{line} (urgent: {slack_text(reasons[r.key])})" if reasons.get(r.key) else line
            for line, r in zip(lines, by_time, strict=False)] + lines[len(by_time):]


def _hours_note(state: WatchState) -> str:
    return "" if state.open else " Sent outside business hours because it is urgent."


def plan(state: WatchState, config: Config) -> list[Action]:
    rules = config.requests
    actions: list[Action] = []
    stamp = state.at.isoformat()
    to_tell = state.to_tell(rules.warn_minutes)
    new_warn = [r for r in to_tell if r.key not in state.warned]
    if new_warn and state.dm_channel and state.person:
        text = "\n".join([
            f"*{len(to_tell)} request(s) waiting over {rules.warn_minutes} minutes for an acknowledgement* "
            "(a reply in the thread or :eyes:). You are on support, so you hear first; the team is told only of "
            f"urgent ones still waiting after {rules.limit_minutes} minutes, the rest at standup."
            + _hours_note(state),
            *waiting_lines(to_tell, state, {r.key for r in new_warn}, why=True)])
        actions.append(Action("slack.post", f"DM {state.person.name}",
                              f"{len(new_warn)} request(s) past {rules.warn_minutes} minutes: the person on "
                              "support hears first",
                              {"channel": state.dm_channel, "text": text,
                               "marker": Marker(WAITING_EVENT, f"waiting/{stamp}",
                                                {"requests": [r.key for r in new_warn]})}))
    urgent_late = state.urgent_overdue(rules.limit_minutes)
    new_overdue = [r for r in urgent_late if r.key not in state.overdue]
    ops = config.slack.operations
    if new_overdue and ops:
        on_support = state.person.mention if state.person else "the person on support"
        text = "\n".join([f"*{len(urgent_late)} urgent request(s) unacknowledged for over {rules.limit_minutes} "
                          f"minutes*: posted to the team because they are urgent and {on_support}, on support, "
                          "has not acknowledged them yet. Anyone free can pick one up (reply in its thread)."
                          + _hours_note(state),
                          *waiting_lines(urgent_late, state, {r.key for r in new_overdue}, why=True)])
        actions.append(Action("slack.post", ops.label, f"{len(new_overdue)} urgent request(s) past "
                              f"{rules.limit_minutes} minutes: the team is told",
                              {"channel": ops.id, "text": text,
                               "marker": Marker(OVERDUE_EVENT, f"overdue/{stamp}",
                                                {"requests": [r.key for r in new_overdue]})}))
    digest = digest_channel(config)
    waiting_at_standup = state.for_digest(config)
    if digest is not None and waiting_at_standup and state.digest_due(config):
        day = state.today.isoformat()
        text = "\n".join([f"*Standup: {len(waiting_at_standup)} request(s) still waiting for an acknowledgement.* "
                          f"The daily digest, posted once a business day at standup ({rules.standup}) when "
                          "something waits, so assignments can be settled there rather than by interruptions:",
                          *waiting_lines(waiting_at_standup, state, set(), why=True)])
        actions.append(Action("slack.post", digest.label, f"standup digest of {len(waiting_at_standup)} waiting "
                              "request(s)", {"channel": digest.id, "text": text,
                                             "marker": Marker(DIGEST_EVENT, f"digest/{day}",
                                                              {"day": day,
                                                               "requests": [r.key for r in waiting_at_standup]})}))
    if rules.nudge_in_thread:
        for request in state.to_tell(rules.limit_minutes):
            if request.own_reply or request.key in state.overdue:
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
        "channels": ("all watched" if state.clock.is_open(state.at) or urgent_anywhere(config)
                     else "urgent only (out of business hours)"),
        "interrupting": "any request" if state.open else "urgent requests only (out of business hours)",
        "messages": len(state.scan.decisions),
        "requests": len(requests),
        "urgent": sum(r.urgent for r in requests),
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
    try:
        state = observe(services, config, at)
        # What the duties that are on do with the requests just scanned (answers to repeat questions), declared
        # as their `contributes.watch`: the watch imports none of them. A mistake in one's own file (InputError)
        # stops the run before anything is written.
        parts = [contribute(services, config, state) for _, contribute in registry.contributors(config, "watch")]
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = facts(state, config)
    if dry_run:
        # Why each message is or is not a request, and what makes one urgent: the dry run's explanation.
        report.facts["decisions"] = "".join(f"\n    {seen.line(state.clock)}"
                                            for seen in state.scan.decisions) or "no top-level message in the window"
    report.warnings = state.warnings
    actions = plan(state, config)
    rows = request_rows(state, config)
    for part in parts:
        actions += part.actions
        rows += part.rows
        report.facts.update(part.facts)
    actions += tracking_actions(services, config, rows, report.warnings, start=len(actions),
                                complete=_complete_rows(services, config, state, report.warnings))
    report.outcomes = apply(actions, {**executors(services), **tracking_executors(services)}, dry_run=dry_run)
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
                    # Whoever answered or reacted first is who took it up (a ticket: the person on support).
                    by=r.acknowledged_by if r.via in ("reply", "reaction") and r.acknowledged_by else "",
                    minutes_to_acknowledge=None if (m := r.minutes_to_acknowledge(state.clock)) is None
                    else round(m, 1))
            for r in acknowledged]


def _complete_rows(services: Services, config: Config, state: WatchState,
                   warnings: list[str]) -> Callable[[list[TaskRow]], list[TaskRow]]:
    add_person = with_person(services, config, state.at, warnings, state.person.name if state.person else None)

    def complete(rows: list[TaskRow]) -> list[TaskRow]:
        named = []
        roster = {m.slack: m.name for m in config.roster if m.slack}
        for row in add_person(rows):
            for user in (row.requester, row.by):
                if user.startswith(("U", "W")) and user not in state.names:
                    state.names[user] = roster.get(user) or services.slack.display_name(user)
            named.append(replace(row, requester=state.names.get(row.requester, row.requester),
                                 by=state.names.get(row.by, row.by)))
        return named
    return complete
