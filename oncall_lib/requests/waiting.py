"""What is waiting in the request channels: the one read every duty shares.

The request watch, the handoff's list of waiting requests, the support-issue scan and the rotation report all
ask this module, once per process, for the watched channels' requests and whether each was acknowledged.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_lib.business_time import BusinessHours
from oncall_lib.config import Config
from oncall_lib.requests.classify import (
    Decision,
    Identity,
    Request,
    Words,
    classify,
    decide,
    resolved_alerts,
    resolved_by_itself,
    slack_time,
)
from oncall_lib.services import Services
from oncall_lib.untrusted import slack_link, slack_quote, slack_text

# Lines listed in one Slack message; past this the rest are counted, not listed.
MAX_LISTED = 25


@dataclass
class Scan:
    """Every request in the watched channels' window, and the raw messages (for the product's own markers)."""

    me: Identity
    requests: list[Request]
    messages: dict[str, list[dict[str, Any]]]
    threads_read: int = 0
    # The threads read, by request key (for the answers' thumbs, without reading a thread twice).
    threads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Every top-level message read and what it was decided to be, oldest first: the dry run's explanation.
    decisions: list[Seen] = field(default_factory=list)


@dataclass(frozen=True)
class Seen:
    channel: str
    ts: str
    text: str
    decision: Decision

    def line(self, clock: BusinessHours) -> str:
        when = slack_time(self.ts).astimezone(clock.tz).strftime("%a %H:%M")
        return f"{self.channel} {when} “{slack_quote(self.text, limit=60)}”: {self.decision.explained}"


def team_of(config: Config) -> frozenset[str]:
    """Who acknowledges, and whose posts are not requests: the roster's Slack ids (the person on support too)."""
    return frozenset(m.slack for m in config.roster if m.slack)


def words_of(config: Config) -> Words:
    return Words(tuple(config.requests.urgent_words), tuple(config.requests.urgent_form_values))


def urgent_anywhere(config: Config) -> bool:
    """Whether words or the support form can make a request urgent in any channel, not only in urgent ones."""
    return bool(config.requests.urgent_words or config.requests.urgent_form_values)


def scan_requests(services: Services, config: Config, at: datetime, *, oldest: datetime | None = None,
                  only_urgent: bool = False) -> Scan:
    """One history read per watched channel (only the urgent ones with `only_urgent`); a thread only when history
    cannot say whether anyone answered. Once per process: the watch and the support-issue scan of one tick read
    the same channels over the same window."""
    return services.once(("scan_requests", id(config), at, oldest, only_urgent),
                         lambda: _scan_requests(services, config, at, oldest=oldest, only_urgent=only_urgent))


def _scan_requests(services: Services, config: Config, at: datetime, *, oldest: datetime | None,
                   only_urgent: bool) -> Scan:
    identity = services.slack.identity()
    me = Identity(identity["user_id"], identity["bot_id"], identity["url"])
    team = team_of(config)
    words = words_of(config)
    since = oldest or at - timedelta(hours=config.requests.lookback_hours)
    # A ticket (the reaction that turns a request into a support issue) takes the request up, as eyes do.
    acks = [*config.requests.ack_reactions,
            *([config.support_issues.ticket_reaction] if config.support_issues else [])]
    scan = Scan(me, [], {})
    for channel in config.slack.watched:
        if only_urgent and not channel.urgent:
            continue
        messages = services.slack.history(channel.id, oldest=since.timestamp(), latest=at.timestamp())
        scan.messages[channel.id] = messages
        resolved = resolved_alerts(messages)
        for message in reversed(messages):  # oldest first
            decision = decide(message, channel, team, me, words)
            if message.get("thread_ts") in (None, message.get("ts")) and not decision.reason.startswith(
                    ("a channel event", "this product's own")):
                scan.decisions.append(Seen(channel.label, str(message.get("ts")), str(message.get("text", "")),
                                           decision))
            if not decision.request:
                continue
            request = classify(message, channel, acks, me, team=team, decision=decision)
            if request.needs_thread:
                thread = services.slack.replies(channel.id, request.ts)
                scan.threads_read += 1
                scan.threads[request.key] = thread
                request = classify(message, channel, acks, me, thread=thread, team=team, decision=decision)
            scan.requests.append(resolved_by_itself(request, resolved))
    return scan


def _duration(minutes: float) -> str:
    whole = int(minutes)
    return f"{whole // 60} h {whole % 60:02d} min" if whole >= 60 else f"{whole} min"


def format_waiting(requests: list[Request], at: datetime, clock: BusinessHours, team_url: str, *,
                   names: dict[str, str] | None = None, new: Collection[str] = ()) -> list[str]:
    """One line per waiting request, oldest first, at most MAX_LISTED of them (new ones first in line for a place).

    Without `names` the requester is left out (no pings)."""
    ordered = sorted(requests, key=lambda r: (r.key not in new, r.asked_at))
    shown = sorted(ordered[:MAX_LISTED], key=lambda r: r.asked_at)
    lines = []
    for request in shown:
        who = ""
        if names is not None:
            who = " from " + slack_text(request.requester if request.requester_is_bot
                                        else names.get(request.requester, request.requester))
        kind = "" if request.urgent else " business"
        mark = " *(new)*" if request.key in new else ""
        lines.append(f"• {slack_link(request.permalink(team_url), request.channel)}{who}, "
                     f"{_duration(request.age(at, clock))}{kind}: “{slack_quote(request.text)}”{mark}")
    if len(requests) > len(shown):
        lines.append(f"…and {len(requests) - len(shown)} more")
    return lines
