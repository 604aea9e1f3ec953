"""Requests in Slack channels: which messages are requests, and whether someone acknowledged them.

Pure functions over the messages `conversations.history` returns. A request is
acknowledged when someone other than the requester (and other than this
product) replies in its thread or adds an acknowledgement reaction. History
already says who replied (`reply_users`) and who reacted; a thread is fetched
only when those fields cannot decide, or to learn when a multi-reply thread was
first answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from oncall_lib.business_time import BusinessHours
from oncall_lib.config import Channel
from oncall_lib.slack_links import permalink

OWN_EVENT_PREFIX = "oncall_support"


def slack_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


@dataclass(frozen=True)
class Identity:
    """This product's own Slack identity, so its posts and replies never count."""

    user_id: str = ""
    bot_id: str = ""
    team_url: str = "https://slack.com/"


@dataclass(frozen=True)
class Request:
    channel_id: str
    channel: str  # label, like #vfs-platform-support
    ts: str
    requester: str  # a user id, or the bot's name for a bot post
    requester_is_bot: bool
    text: str
    asked_at: datetime
    urgent: bool
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None  # None when only a reaction (which carries no time) says so
    # For a reaction: the first scan that saw it, so the time to acknowledge has an upper bound.
    seen_by: datetime | None = None
    via: str | None = None  # "reply" or "reaction"
    needs_thread: bool = False  # history alone cannot decide whether it was acknowledged
    own_reply: bool = False  # this product already replied in the thread

    @property
    def key(self) -> str:
        return f"{self.channel_id}/{self.ts}"

    def permalink(self, team_url: str) -> str:
        return permalink(team_url, self.channel_id, self.ts)

    @property
    def acknowledged_by_time(self) -> datetime | None:
        """When it was acknowledged, or for a reaction the latest it can have been (the scan that saw it)."""
        return self.acknowledged_at or self.seen_by

    def minutes_to_acknowledge(self, clock: BusinessHours) -> float | None:
        when = self.acknowledged_by_time
        if when is None:
            return None
        if self.urgent:
            return max(0.0, (when - self.asked_at).total_seconds() / 60)
        return clock.minutes_between(self.asked_at, when)

    @property
    def how_acknowledged(self) -> str:
        """For the sheet: how, and for a reaction the scan that saw it (which the report reads back)."""
        if self.seen_by and not self.acknowledged_at:
            return f"{self.via}; seen by {self.seen_by.isoformat(timespec='minutes')}"
        return self.via or ""

    def age(self, at: datetime, clock: BusinessHours) -> float:
        """Minutes waited: business minutes, or wall-clock minutes in an urgent channel."""
        if self.urgent:
            return max(0.0, (at - self.asked_at).total_seconds() / 60)
        return clock.minutes_between(self.asked_at, at)

    def record(self, at: datetime, clock: BusinessHours, team_url: str) -> dict[str, Any]:
        """The request as plain data for the tracking sheet and the rotation report."""
        return {
            "key": self.key,
            "channel": self.channel,
            "requester": self.requester,
            "asked_at": self.asked_at.isoformat(),
            "acknowledged": self.acknowledged,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
            "seen_by": self.seen_by.isoformat() if self.seen_by and not self.acknowledged_at else None,
            "via": self.via,
            "minutes_to_acknowledge": _round(self.minutes_to_acknowledge(clock)),
            "waiting_minutes": None if self.acknowledged else _round(self.age(at, clock)),
            "permalink": self.permalink(team_url),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def is_own(message: dict[str, Any], me: Identity) -> bool:
    metadata = message.get("metadata") or {}
    if str(metadata.get("event_type", "")).startswith(OWN_EVENT_PREFIX):
        return True
    by_me = bool(me.user_id) and message.get("user") == me.user_id
    return by_me or (bool(me.bot_id) and message.get("bot_id") == me.bot_id)


def _is_bot(message: dict[str, Any]) -> bool:
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def _bot_names(message: dict[str, Any]) -> set[str]:
    profile = message.get("bot_profile") or {}
    names = {message.get("bot_id"), message.get("username"), profile.get("name"), profile.get("id")}
    return {str(n).lower() for n in names if n}


def is_request(message: dict[str, Any], channel: Channel, team: set[str], me: Identity) -> bool:
    if message.get("thread_ts") not in (None, message.get("ts")):
        return False  # a reply, not a new request
    if message.get("subtype") in channel.ignore_subtypes or is_own(message, me):
        return False
    if _is_bot(message):
        allowed = {b.lower() for b in channel.request_bots}
        return "*" in allowed or bool(allowed & _bot_names(message))
    if message.get("subtype") not in (None, "file_share", "thread_broadcast"):
        return False
    return channel.team_posts or message.get("user") not in team


def _reaction_name(name: str) -> str:
    return name.split("::", 1)[0]  # "eyes::skin-tone-2" is still eyes


def _requester(message: dict[str, Any]) -> tuple[str, bool]:
    if _is_bot(message):
        profile = message.get("bot_profile") or {}
        return str(profile.get("name") or message.get("username") or message.get("bot_id")), True
    return str(message.get("user", "")), False


# The product's own "Tracked as #N" reply (Slack message metadata): a request with a support issue is taken up.
TRACKED_EVENT = "oncall_support_issue"


def _tracked(message: dict[str, Any]) -> bool:
    return (message.get("metadata") or {}).get("event_type") == TRACKED_EVENT


def classify(message: dict[str, Any], channel: Channel, ack_reactions: Iterable[str], me: Identity,
             thread: Sequence[dict[str, Any]] | None = None) -> Request:
    """A request's acknowledgement state, from its history entry and (if fetched) its thread."""
    requester, is_bot = _requester(message)
    ts = str(message["ts"])
    base = Request(channel.id, channel.label, ts, requester, is_bot, str(message.get("text", "")), slack_time(ts),
                   channel.urgent)
    others = {requester, me.user_id, ""}
    reply_users = [str(u) for u in message.get("reply_users") or []]
    own_reply = bool(me.user_id) and me.user_id in reply_users
    reply_count = int(message.get("reply_count") or 0)

    if thread is not None:
        replies = sorted((m for m in thread if m.get("ts") != ts and not is_own(m, me)), key=lambda m: float(m["ts"]))
        first = next((m for m in replies if str(m.get("user", "")) not in others), None)
        own_reply = own_reply or any(is_own(m, me) for m in thread if m.get("ts") != ts)
        ticket = next((m for m in sorted(thread, key=lambda m: float(m["ts"]))
                       if m.get("ts") != ts and is_own(m, me) and _tracked(m)), None)
        if ticket is not None and (first is None or float(ticket["ts"]) < float(first["ts"])):
            return _acked(base, "support issue", slack_time(str(ticket["ts"])), "ticket", own_reply)
        if first is not None:
            return _acked(base, str(first["user"]), slack_time(str(first["ts"])), "reply", own_reply)
    else:
        repliers = [u for u in reply_users if u not in others]
        if repliers:
            # With one reply, its time is the latest_reply; with more, only the thread says which came first.
            single = reply_count == 1 and message.get("latest_reply")
            when = slack_time(str(message["latest_reply"])) if single else None
            return _acked(base, repliers[0], when, "reply", own_reply)

    acks = {_reaction_name(a) for a in ack_reactions}
    for reaction in message.get("reactions") or []:
        if _reaction_name(str(reaction.get("name", ""))) in acks:
            reactors = [str(u) for u in reaction.get("users") or [] if str(u) not in others]
            if reactors:
                return _acked(base, reactors[0], None, "reaction", own_reply)

    # Undecided from history alone: repliers Slack did not list, or a reply of ours that may be a "tracked as".
    undecided = thread is None and reply_count > 0 and (
        not reply_users or int(message.get("reply_users_count") or len(reply_users)) > len(reply_users)
        or own_reply)
    return _with(base, needs_thread=undecided, own_reply=own_reply)


def _acked(base: Request, by: str, when: datetime | None, via: str, own_reply: bool) -> Request:
    return _with(base, acknowledged=True, acknowledged_by=by, acknowledged_at=when, via=via, own_reply=own_reply)


def _with(request: Request, **changes: Any) -> Request:
    return replace(request, **changes)




SEEN_BY = re.compile(r"seen by (\S+)")


def seen_by_from_sheet(how: object) -> datetime | None:
    """The scan time a sheet row's "Acknowledged how" cell holds ("reaction; seen by 2026-11-30T10:45-05:00")."""
    found = SEEN_BY.search(str(how or ""))
    if not found:
        return None
    try:
        return datetime.fromisoformat(found.group(1))
    except ValueError:
        return None
