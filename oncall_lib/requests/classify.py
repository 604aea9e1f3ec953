"""Requests in Slack channels: which messages are requests, and whether someone acknowledged them.

Pure functions over the messages `conversations.history` returns. A request is
acknowledged when a team member (the roster, the person on support among
them) replies in its thread or adds an acknowledgement reaction; never the
requester, another requester, or this product. History
already says who replied (`reply_users`) and who reacted; a thread is fetched
only when those fields cannot decide, or to learn when a multi-reply thread was
first answered.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
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
    why: str = ""  # the decision in words ("request: asks a question; urgent: it says “outage”")

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
            "urgent": self.urgent,
            "why": self.why,
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
    # Slack marks integrations several ways: bot_id (most apps), bot_profile, or the legacy bot_message subtype.
    return bool(message.get("bot_id") or message.get("bot_profile")) or message.get("subtype") == "bot_message"


def _bot_names(message: dict[str, Any]) -> set[str]:
    profile = message.get("bot_profile") or {}
    names = {message.get("bot_id"), message.get("username"), profile.get("name"), profile.get("id")}
    return {str(n).lower() for n in names if n}


@dataclass(frozen=True)
class Decision:
    """Whether a message is a request, whether it is urgent, and why, in words the dry run shows."""

    request: bool
    reason: str
    urgent: bool = False
    urgent_reason: str = ""

    @property
    def explained(self) -> str:
        head = f"request: {self.reason}" if self.request else f"not a request: {self.reason}"
        return f"{head}; urgent: {self.urgent_reason}" if self.urgent else head


@dataclass(frozen=True)
class Words:
    """The team's words for urgency and the form's urgent answers ([requests] urgent_words, urgent_form_values)."""

    urgent: tuple[str, ...] = ()
    urgent_form_values: tuple[str, ...] = ()


# -- the text: deterministic rules, in the order a person reads a message ---------------------------------------

_EMOJI_OR_SPACE = re.compile(r"^(\s|:[a-z0-9_+'-]+:|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D])*$")
_MENTIONS = re.compile(r"<[@#!][^>]*>")
_LINKS = re.compile(r"<(https?://[^|>]+)(\|[^>]*)?>")
_PLUS_ONE = re.compile(
    r"^\W*(\+1|same( here| issue| for me| problem)?|me too|seeing (it|this|the same)( too| as well| here)?|"
    r"((we|i|us)('re|'m| are| am)? )?(also )?(seeing|having|hitting|getting) "
    r"(it|this|the same( thing| issue| problem)?)"
    r"( too| as well| here)?|"
    r"ditto|also (seeing|having) (this|it)|this too|same thing here|us too|\^+|\u261d\ufe0f?)\W*$", re.I)
# Starts as a "+1" does: a "+1 to Sam's question" asks nothing new, unless it asks with a question mark.
_PLUS_ONE_START = re.compile(r"^\W*(\+1|:\+1:|same( here| issue)?|me too|ditto)\b", re.I)
# A direct ask, strong enough to make thanks a request ("thanks! could someone also ...").
_DIRECT_ASK = re.compile(r"\b(can|could|would|will) (some(one|body)|any(one|body)|you|u|y'?all)\b|\b(please|pls|plz)\b",
                         re.I)
_THANKS = re.compile(r"^\W*(thanks|thank you|thx|ty|tysm|much appreciated|appreciate (it|the help|you)|cheers|"
                     r"kudos|shout ?out|great (job|work)|nice work|awesome)\b", re.I)
_FYI = re.compile(r"^\W*((fyi|psa|heads[ -]up|announcement|announcing|reminder|note|update|"
                  r"no action (needed|required)|for (your )?(info|information|awareness))\b|"
                  r"\[(announcement|fyi|psa|update|maintenance)\]|"
                  r":(mega|loudspeaker|information_source|pushpin|calendar|spiral_calendar_pad):)", re.I)
_NO_ACTION = re.compile(r"\bno action (is )?(needed|required)\b|\bnothing (you need )?to do\b", re.I)
# A direct ask: enough to make an FYI a request ("FYI staging is down, can someone look").
_ASK = re.compile(
    r"\b(can|could|would|will) (some(one|body)|any(one|body)|you|u|y'?all|the team|ops|we|i get)\b|"
    r"\b(please|pls|plz|ptal|help|assist|need(s|ed)?|request(ing)?|looking for|is there a way|how (do|can|should) i|"
    r"any ?(one|body) (know|seen|able)|who (do|should|can|owns|knows|is)|where (can|do|is)|what'?s the|"
    r"(can|could|may) (i|we) (get|have|ask)|(is it possible|any way) to|any (idea|ideas|thoughts|pointers)|"
    r"does (any|some)(one|body)|(i'?d|we'?d|would) (like|love|appreciate)|(take|have) a look|"
    r"look into|could use|when (someone|somebody|anyone)'?s? (is )?(in|around|free)|"
    r"questions?|quick q|wondering|trying to)\b|"
    r"\b(grant|give|add) (me|us|access)\b|\baccess to\b", re.I)
# A problem reported: something the team serves is broken.
_PROBLEM = re.compile(
    r"\b(down|broken|breaking|outage|error(s|ing)?|fail(s|ed|ing|ures?)?|5\d\ds?|40[134]s?|timing out|"
    r"time(s|d)? ?out|not (working|loading|responding|deploying|found|showing|updating|starting|syncing)|"
    r"(doesn'?t|does not|won'?t|can'?t|cannot|isn'?t|aren'?t|unable to) \w+|stuck|blocked|hung|hanging|"
    r"crash(es|ed|ing)?|missing|empty|blank|flaky|flapping|alarms?|degraded|slow|denied|expired|lost|"
    r"unavailable|unreachable|refused|rejected|throttled|oom|exception|panic|regression|bug|"
    r"\w*denied|forbidden|unauthori[sz]ed|out of (disk|space|memory)|disk (is )?full|loop(s|ing)?)\b", re.I)
# The person says it is handled: "nvm, figured it out", "that regression is ours, we're on it".
_HANDLED = re.compile(r"\b(we'?re on it|we are on it|(we'?re|we are|i'?m) (looking|working) (at|on) it|"
                      r"(we|i) (fixed|solved|resolved) it|nvm|never ?mind|figured it out|"
                      r"no longer (needed|an issue))\b", re.I)


_ITALICS = re.compile(r"(?<![\w:])_|_(?![\w:])")  # _italic_ markers, not snake_case or :emoji_names:


def _plain(text: str) -> str:
    """The words a person typed: links kept as their address, mentions and formatting dropped."""
    text = _LINKS.sub(lambda m: m.group(1), text)
    text = _MENTIONS.sub(" ", text).replace("*", "").replace("~", "")
    return _ITALICS.sub(" ", text).strip()


def _word_in(words: Sequence[str], text: str) -> str | None:
    for word in words:
        if word and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.I):
            return word
    return None


_FORM_URGENCY = re.compile(r"(?im)^\W*urgency\W*?(?::\s*|\s*\n\s*)(?P<value>[^\n]+)")


def form_urgency(text: str) -> str | None:
    """The support form's Urgency answer in a form post ("*Urgency*\\nHigh (today)" or "Urgency: High")."""
    found = _FORM_URGENCY.search(text)
    return found.group("value").strip(" *_") if found else None


def urgency(text: str, channel: Channel, words: Words) -> tuple[bool, str]:
    """Urgent: the channel is urgent, the form's Urgency is one the team calls urgent, or a configured word."""
    if channel.urgent:
        return True, f"{channel.label} is an urgent channel"
    answer = form_urgency(text)
    if answer is not None:
        if any(answer.lower().startswith(v.lower()) for v in words.urgent_form_values):
            return True, f"the form's Urgency is “{answer[:40]}”"
        return False, ""  # the requester chose; the words of their text do not overrule the form
    word = _word_in(words.urgent, _plain(text))
    return (True, f"it says “{word}”") if word else (False, "")


def text_decision(text: str, *, asks_only: bool = True) -> tuple[bool, str]:
    """What a person's top-level message is, from its words alone."""
    plain = _plain(text)
    if not plain or _EMOJI_OR_SPACE.match(plain):
        return False, "only emoji"
    if _PLUS_ONE.match(plain) or (_PLUS_ONE_START.match(plain) and "?" not in plain):
        return False, "a “+1” or “same here”"
    ask = _ASK.search(_NO_ACTION.sub(" ", plain))  # "no action needed" asks for nothing
    problem = _PROBLEM.search(plain)
    if _THANKS.match(plain) and "?" not in plain and not _DIRECT_ASK.search(plain):
        return False, "thanks"
    if _HANDLED.search(plain) and "?" not in plain and not _DIRECT_ASK.search(plain):
        return False, "says it is handled"
    # An FYI that reports something broken ("FYI the VPN is flaky") still needs someone; "no action needed" does not.
    if (_NO_ACTION.search(plain) or (_FYI.match(plain) and problem is None)) and ask is None:
        return False, "an FYI or announcement"
    if "?" in plain:
        return True, "asks a question"
    if ask:
        return True, f"asks for something (“{ask.group(0).lower()}”)"
    if problem:
        return True, f"reports a problem (“{problem.group(0).lower()}”)"
    if not asks_only:
        return True, "a new message from someone the team serves"
    return False, "asks nothing (no question, request or problem)"


_RESOLVED = re.compile(r"^\W*(\[(resolved|ok|recovered)\b[^\]]*\]|resolved\b|recovered\b|:white_check_mark:|"
                       r":large_green_circle:|ok:)|\bhas (been )?(resolved|recovered)\b|\bback to normal\b", re.I)


# What precedes an alert's name: [FIRING:1], [RESOLVED], "Triggered:", "Recovered:", [P1], an emoji.
_ALERT_TAG = re.compile(r"^[^\w\[:]*(\[[^\]]*\]|(firing|triggered|re-?triggered|alert(ing)?|"
                        r"resolved|recovered|ok|warn(ing)?|critical)\b:?|:[a-z0-9_+-]+:)\s*", re.I)


def alert_name(text: str) -> str:
    """An alert's name (its first two words after the [FIRING:1] / [RESOLVED] tags), to pair it with its
    resolution."""
    rest = _plain(text).splitlines()[0] if _plain(text) else ""
    while (stripped := _ALERT_TAG.sub("", rest, count=1)) != rest:
        rest = stripped
    return " ".join(rest.lower().split()[:2])


def resolved_alerts(messages: Iterable[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """For each (bot, alert name), the time of the latest bot post saying it resolved."""
    found: dict[tuple[str, str], float] = {}
    for message in messages:
        text = str(message.get("text") or "")
        if _is_bot(message) and _RESOLVED.search(_plain(text)):
            key = (_requester(message)[0], alert_name(text))
            found[key] = max(found.get(key, 0.0), float(message["ts"]))
    return found


def resolved_by_itself(request: Request, resolved: dict[tuple[str, str], float]) -> Request:
    """A bot's alert that the same bot later says resolved needs nobody: it counts as acknowledged by the bot."""
    if request.acknowledged or not request.requester_is_bot:
        return request
    when = resolved.get((request.requester, alert_name(request.text)))
    if when is None or when <= float(request.ts):
        return request
    return _acked(request, request.requester, slack_time(f"{when:.6f}"), "resolved", request.own_reply)


def decide(message: dict[str, Any], channel: Channel, team: Collection[str], me: Identity,
           words: Words = Words()) -> Decision:
    """Is this history entry a request? From what Slack says first (thread position, subtype, bot, author), then
    from its words. Fast and deterministic: a few regular expressions, no model."""
    if message.get("thread_ts") not in (None, message.get("ts")):
        return Decision(False, "a reply in a thread")
    subtype = message.get("subtype")
    if subtype in channel.ignore_subtypes:
        return Decision(False, f"a channel event ({subtype})")
    if is_own(message, me):
        return Decision(False, "this product's own post")
    text = str(message.get("text") or "")
    if _is_bot(message):
        names = _bot_names(message)
        profile = message.get("bot_profile") or {}
        shown = str(profile.get("name") or message.get("username") or message.get("bot_id") or "a bot")
        allowed = {b.lower() for b in channel.request_bots}
        if not ("*" in allowed or allowed & names):
            return Decision(False, f"a bot post ({shown})")
        if _RESOLVED.search(_plain(text)):
            return Decision(False, f"{shown} says it resolved")
        urgent, why = urgency(text, channel, words)
        return Decision(True, f"a post by {shown}, a request bot in {channel.label}", urgent, why)
    if subtype not in (None, "file_share", "thread_broadcast"):
        return Decision(False, f"a {subtype} message")
    if message.get("user") in team and not channel.team_posts:
        return Decision(False, "a team member's post")
    is_request, reason = text_decision(text, asks_only=channel.asks_only)
    if not is_request:
        return Decision(False, reason)
    urgent, why = urgency(text, channel, words)
    return Decision(True, reason, urgent, why)


def is_request(message: dict[str, Any], channel: Channel, team: Collection[str], me: Identity,
               words: Words = Words()) -> bool:
    return decide(message, channel, team, me, words).request


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
             thread: Sequence[dict[str, Any]] | None = None, *, team: Collection[str] | None = None,
             decision: Decision | None = None) -> Request:
    """A request's acknowledgement state, from its history entry and (if fetched) its thread.

    Only the team acknowledges (`team`: the roster's Slack ids, the person on support among them): a reply or an
    acknowledgement reaction from the requester or from anyone else the team serves ("+1", "seeing it too") leaves
    the request waiting. Without `team`, anyone but the requester counts (records read before this rule)."""
    requester, is_bot = _requester(message)
    ts = str(message["ts"])
    urgent = decision.urgent if decision else channel.urgent
    why = decision.explained if decision else ""
    base = Request(channel.id, channel.label, ts, requester, is_bot, str(message.get("text", "")), slack_time(ts),
                   urgent, why=why)
    others = {requester, me.user_id, ""}

    def counts(user: object) -> bool:
        return str(user) not in others and (team is None or str(user) in team)

    reply_users = [str(u) for u in message.get("reply_users") or []]
    own_reply = bool(me.user_id) and me.user_id in reply_users
    reply_count = int(message.get("reply_count") or 0)

    if thread is not None:
        replies = sorted((m for m in thread if m.get("ts") != ts and not is_own(m, me)), key=lambda m: float(m["ts"]))
        first = next((m for m in replies if counts(m.get("user", ""))), None)
        own_reply = own_reply or any(is_own(m, me) for m in thread if m.get("ts") != ts)
        ticket = next((m for m in sorted(thread, key=lambda m: float(m["ts"]))
                       if m.get("ts") != ts and is_own(m, me) and _tracked(m)), None)
        if ticket is not None and (first is None or float(ticket["ts"]) < float(first["ts"])):
            return _acked(base, "support issue", slack_time(str(ticket["ts"])), "ticket", own_reply)
        if first is not None:
            return _acked(base, str(first["user"]), slack_time(str(first["ts"])), "reply", own_reply)
    else:
        repliers = [u for u in reply_users if counts(u)]
        if repliers:
            # With one reply, its time is the latest_reply; with more, only the thread says which came first.
            single = reply_count == 1 and message.get("latest_reply")
            when = slack_time(str(message["latest_reply"])) if single else None
            return _acked(base, repliers[0], when, "reply", own_reply)

    acks = {_reaction_name(a) for a in ack_reactions}
    for reaction in message.get("reactions") or []:
        if _reaction_name(str(reaction.get("name", ""))) in acks:
            reactors = [str(u) for u in reaction.get("users") or [] if counts(u)]
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
