"""A starter `oncall.toml` from what PagerDuty and Slack say: pure functions, no I/O.

`scripts/init.py` reads the schedule, its support layer's people and the support channel; this module
chooses the layer, works out when turns change hands, and writes the TOML text: every value with a
comment saying where it came from, and every value nobody could discover (GitHub logins, the Super
Epics' issues, a repository) left as an empty string under a `# TO FILL:` comment. An empty string is
never a valid value for those keys, so `check_config.py` names each blank, with its line, until it is
filled. Optional settings that cannot be discovered are written commented out.

Every discovered string goes through `toml_string`, and comments through `comment_lines`: a PagerDuty
user name holding quotes, backslashes, newlines or control characters stays one value and cannot add a
key or a table.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from oncall_lib.config import (
    GITHUB_LOGIN,
    ISSUE_REF,
    SLACK_CHANNEL_ID,
    WEEKDAYS,
    AccessConfig,
    AnswersConfig,
    BusinessHoursConfig,
    CoversConfig,
    DeploysConfig,
    EpicsConfig,
    HandoverConfig,
    IamConfig,
    OffboardingConfig,
    PostmortemsConfig,
    RequestsConfig,
    ReviewsConfig,
    RotationConfig,
    SupportIssuesConfig,
    TeamConfig,
    TrackingConfig,
)
from oncall_lib.duties import DUTIES as REGISTERED
from oncall_lib.errors import InputError
from oncall_lib.rotation.schedule import (
    ScheduleProblem,
    Shift,
    family_turns,
    from_shift_schedule,
    is_active,
    parse_time,
    support_layers,
)

BLANK = "TO FILL"

# The optional tables a team can also ask for by name: the rotation review's people and channel (with tracking),
# and the handover issue (with the handoff, docs/week.md).
EXTRA_TABLES: dict[str, str] = {
    "review": "the end-of-rotation review: who reviews it, where the summary goes",
    "handover": "the handover issue: one per turn, acknowledged by the incoming person",
}
# What --duties takes: every duty by its key (as oncall_lib/duties.py declares them; the key is also the table that
# turns it on, the handoff's aside), and the extra tables, in the order they are written.
DUTIES: dict[str, str] = {
    **{duty.key: duty.name for duty in REGISTERED},
    **EXTRA_TABLES,
}
# Tables a duty's jobs cannot run without (config.required in the jobs), as each duty's declaration says
# (oncall_lib/<duty>/__init__.py: `requires`, `still_needs`), by the table that turns it on.
NEEDS: dict[str, tuple[str, ...]] = {
    **{duty.key: tuple(sorted(table for table, _ in duty.requires)) for duty in REGISTERED if duty.requires},
    "answers": ("requests",),  # the request watch is what answers
    "handover": ("support_issues",),  # the handover issue is opened in the support repository
}
# The two Super Epics the role description names.
DEFAULT_EPICS = (("incident-response", "Incident Response"), ("customer-support", "Global Customer Support"))
EPIC_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SUPPORT_CHANNEL_KEY = "support"
DEPLOYS_CHANNEL_KEY = str(DeploysConfig.model_fields["channel"].default)


# -- the command line's inputs ------------------------------------------------------------------------


def parse_duties(text: str) -> tuple[list[str], list[str]]:
    """The duties asked for (handoff always first, then in ORDER), and notes on duties added because another needs
    them. Each by its duty key or its table's name ([covers] or covers, support-issues or support_issues)."""
    asked = [part.strip().strip("[]").casefold().replace("-", "_") for part in text.split(",") if part.strip()]
    unknown = [name for name in asked if name not in DUTIES]
    if unknown:
        raise InputError(f"--duties: unknown duty {', '.join(map(repr, unknown))}; known: {', '.join(DUTIES)}")
    wanted = {"handoff", *asked}
    notes = []
    for duty in list(wanted):
        missing = [need for need in NEEDS.get(duty, ()) if need not in wanted]
        if missing:
            notes.append(f"{duty} needs {' and '.join(missing)}: added")
            wanted.update(missing)
    ordered = [duty for duty in ORDER if duty in wanted]
    return ordered + [duty for duty in DUTIES if duty in wanted and duty not in ordered], sorted(notes)


# The order tables are written in: each after the tables it needs.
ORDER = ("handoff", "requests", "answers", "support_issues", "covers", "handover", "postmortems", "iam",
         "offboarding", "access", "tracking", "review", "reviews", "deploys")


@dataclass(frozen=True)
class Epic:
    key: str
    title: str
    issue: str | None = None  # owner/repo#number, or None: a blank to fill


def parse_epics(values: Sequence[str]) -> list[Epic]:
    """--epic key=owner/repo#N, repeated: exactly these Super Epics; none given: the role's two, as blanks."""
    titles = dict(DEFAULT_EPICS)
    if not values:
        return [Epic(key, title) for key, title in DEFAULT_EPICS]
    epics: list[Epic] = []
    for value in values:
        key, sep, ref = (part.strip() for part in value.partition("="))
        if not sep or not EPIC_KEY.match(key) or not ISSUE_REF.match(ref):
            raise InputError(f"--epic {value!r}: give KEY=owner/repo#NUMBER, the key in lower case letters, "
                             "digits and hyphens (like incident-response=my-org/my-repo#12)")
        if any(epic.key == key for epic in epics):
            raise InputError(f"--epic {value!r}: the Super Epic {key!r} is given twice")
        epics.append(Epic(key, titles.get(key, key.replace("-", " ").title()), ref))
    return epics


def parse_logins(values: Sequence[str]) -> list[tuple[str, str]]:
    """--github WHO=LOGIN, repeated: (who, login) pairs, WHO a PagerDuty name, email or user id on the layer."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        who, sep, login = (part.strip() for part in value.rpartition("="))
        login = login.removeprefix("@")
        if not sep or not who or not GITHUB_LOGIN.match(login):
            raise InputError(f"--github {value!r}: give WHO=LOGIN, WHO a name, email or PagerDuty id on the support "
                             "layer and LOGIN their GitHub login (like \"Grace Hopper=grace-hopper\")")
        if any(who.casefold() == seen.casefold() for seen, _ in pairs):
            raise InputError(f"--github {value!r}: {who!r} is given twice")
        pairs.append((who, login))
    return pairs


PD_ID = re.compile(r"^[A-Za-z0-9]{2,20}$")


def schedule_id(value: str) -> str:
    """A PagerDuty schedule id, from the id itself or the schedule's URL (…/schedules/PABC123 or …#PABC123)."""
    text = value.strip().rstrip("/")
    link = re.fullmatch(r"https://[A-Za-z0-9.-]+/schedules(?:/|#)([A-Za-z0-9]+)(?:[/?#].*)?", text)
    candidate = link[1] if link else text
    if not PD_ID.match(candidate):
        raise InputError(f"--schedule {value!r}: not a PagerDuty schedule id (like PABC123, in the schedule's URL)")
    return candidate


@dataclass(frozen=True)
class ChannelWanted:
    """--support-channel: a channel id (C…), or a name to look up among public channels."""

    id: str | None = None
    name: str | None = None


def channel_wanted(value: str) -> ChannelWanted:
    text = value.strip()
    archived = re.search(r"/archives/([CG][A-Z0-9]{2,})", text)  # a channel's link
    if archived:
        return ChannelWanted(id=archived[1])
    if SLACK_CHANNEL_ID.match(text) and not text.startswith("D"):
        return ChannelWanted(id=text)
    name = text.removeprefix("#")
    if not re.fullmatch(r"[^\s#,]{1,80}", name):
        raise InputError(f"--support-channel {value!r}: give the channel's id (like C012AB3CD, channel details > "
                         "About) or its name (like #support)")
    return ChannelWanted(name=name)


# -- what was discovered -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffTime:
    """When turns on the support layer change hands, in the schedule's time zone."""

    weekday: str | None  # None when turns are not whole weeks
    hour: int
    minute: int
    note: str


@dataclass(frozen=True)
class SupportLayer:
    kind: Literal["layers", "shifts"]
    id: str
    name: str
    value: str  # what rotation.support_layer holds: the name, or the id when another active layer shares it
    why: str  # how it was chosen
    members: tuple[tuple[str, str], ...]  # (PagerDuty user id, name as the schedule shows it), in rotation order
    handoff: HandoffTime | None

    @property
    def label(self) -> str:
        return f"{toml_string(self.name)} ({self.id})"


@dataclass(frozen=True)
class Member:
    """A person on the support layer, as PagerDuty and Slack know them."""

    name: str
    pagerduty_id: str
    email: str | None
    slack: str | None = None
    # Why there is no Slack id (Slack knows no account with the email, say): the blank's comment.
    slack_missing: str = ""
    github: str | None = None  # their login, given with --github
    github_id: int | None = None  # the account holding that login now (GET /users/{login})


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str
    is_member: bool


@dataclass(frozen=True)
class Discovered:
    schedule_id: str
    schedule_name: str
    time_zone: str | None  # the schedule's, when it is an IANA name Python knows
    layer: SupportLayer
    members: list[Member]
    channel: SlackChannel
    epics: list[Epic]
    duties: list[str]
    day: date
    # Users on the layer left out of the roster, and why (PagerDuty cannot read a deleted user).
    left_out: list[str] = field(default_factory=list)
    # The tracking sheet (--spreadsheet), and where each kind's rows would go in it (ok, line).
    spreadsheet_id: str | None = None
    sheet_mapping: list[tuple[bool, str]] = field(default_factory=list)


def known_zone(name: str | None) -> str | None:
    try:
        return name if name and ZoneInfo(name) else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _users(layer: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for item in layer.get("users") or []:
        user = item.get("user") or {}
        if user.get("id") and str(user["id"]) not in seen:  # one person may hold several turns in a rotation
            seen[str(user["id"])] = str(user.get("summary") or "")
    return tuple(seen.items())


def _label(layer: dict[str, Any]) -> str:
    return f"{toml_string(str(layer.get('name') or ''))} ({layer.get('id')})"


def choose_layer(schedule: dict[str, Any], wanted: str | None, at: datetime) -> SupportLayer:
    """The support layer of a classic schedule: --layer's (by id or name), else the only or the last created
    active layer (PagerDuty lists layers newest first). Raises ScheduleProblem saying what the schedule has."""
    layers = schedule.get("schedule_layers") or []
    active = [layer for layer in layers if is_active(layer, at)]
    if wanted:
        family = support_layers(schedule, wanted, at)
        chosen = next(layer for layer in family if is_active(layer, at))
        why = f"--layer {wanted!r}"
    elif not active:
        raise ScheduleProblem(f"schedule {schedule.get('id')} has no active layer at {at.isoformat()}")
    else:
        chosen = active[0]
        why = "the schedule's only active layer" if len(active) == 1 else (
            f"the last created of its {len(active)} active layers ({', '.join(map(_label, active))}); "
            "pass --layer NAME_OR_ID to choose another")
    name = str(chosen.get("name") or "")
    namesakes = [layer for layer in active if str(layer.get("name") or "").casefold() == name.casefold()]
    # A name survives PagerDuty's layer edits (an edit ends the layer and starts a new one under the same
    # name); an id is needed only when another active layer has the same name.
    value = name if name and len(namesakes) == 1 else str(chosen["id"])
    base = family_turns(support_layers(schedule, value, at))
    return SupportLayer("layers", str(chosen["id"]), name, value, why, _users(chosen),
                        handoff_time(base, _zone(schedule)))


def _event_effective(event: dict[str, Any], at: datetime) -> bool:
    until = event.get("effective_until")
    return not until or parse_time(str(until)) > at


def choose_rotation(schedule: dict[str, Any], wanted: str | None, at: datetime) -> SupportLayer:
    """The support rotation of a shift-based (v3) schedule: --layer's (by rotation id or event name), else the
    only or the last active rotation. Raises ScheduleProblem."""
    rotations = schedule.get("rotations") or []

    def names(rotation: dict[str, Any]) -> list[str]:
        return [str(e.get("name") or "") for e in rotation.get("events") or []]

    active = [r for r in rotations if any(_event_effective(e, at) for e in r.get("events") or [])]
    if wanted:
        from_shift_schedule(schedule, wanted)  # raises, naming the rotations there are
        chosen = next((r for r in rotations if r.get("id") == wanted), None) or next(
            r for r in rotations if wanted.casefold() in {n.casefold() for n in names(r)})
        why = f"--layer {wanted!r}"
    elif not active:
        raise ScheduleProblem(f"shift-based schedule {schedule.get('id')} has no active rotation at {at.isoformat()}")
    else:
        chosen = active[-1]
        listed = ", ".join(f"{toml_string((names(r) or [''])[0])} ({r.get('id')})" for r in active)
        why = "the schedule's only active rotation" if len(active) == 1 else (
            f"the last of its {len(active)} active rotations ({listed}); pass --layer NAME_OR_ID to choose another")
    events = [e for e in chosen.get("events") or [] if _event_effective(e, at)] or chosen.get("events") or []
    name = names(chosen)[0] if names(chosen) else ""
    others = [r for r in rotations if r is not chosen and name.casefold() in {n.casefold() for n in names(r)}]
    value = name if name and not others else str(chosen["id"])
    summaries = {str(u.get("id")): str(u.get("summary") or "") for u in schedule.get("users") or []}
    members: dict[str, str] = {}
    for event in events:
        for member in (event.get("assignment_strategy") or {}).get("members") or []:
            user = str(member.get("user_id") or "")
            if member.get("type") == "user_member" and user and user not in members:
                members[user] = summaries.get(user, "")
    layered, _ = from_shift_schedule(schedule, value)
    return SupportLayer("shifts", str(chosen["id"]), name, value, why, tuple(members.items()),
                        handoff_time(family_turns(layered["schedule_layers"]), _zone(schedule)))


def _zone(schedule: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(known_zone(schedule.get("time_zone")) or "UTC")


def handoff_time(turns: Sequence[Shift], tz: ZoneInfo) -> HandoffTime | None:
    """When most turns start, in the schedule's time zone; the weekday only when turns are whole weeks."""
    starts = [turn.start.astimezone(tz) for turn in turns]
    if not starts:
        return None
    (weekday, hour, minute), count = Counter((s.weekday(), s.hour, s.minute) for s in starts).most_common(1)[0]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    weekly = all(gap % timedelta(days=7) == timedelta() for gap in gaps)
    when = f"{WEEKDAYS[weekday].capitalize()}s at {hour:02d}:{minute:02d}" if weekly else f"{hour:02d}:{minute:02d}"
    share = "" if count == len(starts) else f" ({count} of the {len(starts)} turns read)"
    return HandoffTime(WEEKDAYS[weekday] if weekly else None, hour, minute,
                       f"turns on the support layer change hands on {when} {tz.key}{share}")


# -- writing TOML ------------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_SURROGATE = re.compile("[\ud800-\udfff]")
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_string(value: str) -> str:
    """A TOML basic string holding exactly `value`: quotes, backslashes and control characters escaped; other
    Unicode kept as is. (A lone surrogate, which UTF-8 cannot hold, becomes U+FFFD.)"""
    text = _SURROGATE.sub("\ufffd", value)
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m[0], f"\\u{ord(m[0]):04X}"), text) + '"'


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_key(key: str) -> str:
    return key if BARE_KEY.match(key) else toml_string(key)


def comment_lines(text: str, width: int = 110) -> list[str]:
    """`# ` lines for prose; control characters are shown escaped, so a comment can never end early."""
    visible = _SURROGATE.sub("\ufffd", text)
    visible = re.sub(r"[\x00-\x1f\x7f]", lambda m: _ESCAPES.get(m[0], f"\\u{ord(m[0]):04X}"), visible)
    return ["# " + line for line in textwrap.wrap(visible, width=width - 2, break_long_words=False,
                                                   break_on_hyphens=False)] or ["#"]


def q(value: str) -> str:
    """A discovered value quoted for a comment or a message."""
    return toml_string(value)


class _Document:
    """TOML text built table by table, remembering the key path of each blank (as check_config.py names it)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.blanks: list[str] = []
        self._path = ""
        self._arrays: Counter[str] = Counter()

    def comment(self, text: str) -> None:
        self.lines += comment_lines(text)

    def gap(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def table(self, name: str, note: str = "", *, array: bool = False) -> None:
        self.gap()
        if note:
            self.comment(note)
        if array:
            self._arrays[name] += 1
            self._path = f"{name}[{self._arrays[name]}]"
            self.lines.append(f"[[{name}]]")
        else:
            self._path = name
            self.lines.append(f"[{name}]")

    def key(self, name: str, value: object, note: str = "") -> None:
        if note:
            self.comment(note)
        self.lines.append(f"{toml_key(name)} = {toml_value(value)}")

    def blank(self, name: str, why: str, empty: object = "") -> None:
        """A value nobody could discover: empty (which check_config.py refuses, naming it) under TO FILL."""
        self.comment(f"{BLANK}: {why}")
        self.lines.append(f"{toml_key(name)} = {toml_value(empty)}")
        path = f"{self._path}.{name}" if self._path else name
        self.blanks.append(f"{path}[1]" if isinstance(empty, list) else path)  # check_config names the item

    def optional(self, name: str, example: object, why: str) -> None:
        self.comment(f"Optional: {why}")
        self.lines.append(f"# {toml_key(name)} = {toml_value(example)}")

    def defaults(self, model: type[BaseModel], names: Iterable[str]) -> None:
        for name in names:
            self.key(name, default_of(model, name))

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def default_of(model: type[BaseModel], name: str) -> Any:
    """A setting's default, from the configuration's own model (so the starter cannot drift from it)."""
    return model.model_fields[name].get_default(call_default_factory=True)


@dataclass(frozen=True)
class Starter:
    text: str
    blanks: list[str]  # key paths left blank, as check_config.py names them


def render(found: Discovered) -> Starter:
    """The starter oncall.toml for what was discovered and the duties asked for."""
    doc = _Document()
    layer = found.layer
    doc.comment(f"Starter configuration written by scripts/init.py on {found.day.isoformat()} from PagerDuty "
                f"schedule {q(found.schedule_name)} ({found.schedule_id}) and Slack channel "
                f"#{found.channel.name or found.channel.id}, for the duties: {', '.join(found.duties)}.")
    doc.comment(f"Each value marked {BLANK} could not be discovered: it is left empty, and check_config.py names "
                "it (file and line) until it is filled. docs/getting-started.md says what comes next; every key is "
                "described in docs/configuration.md.")
    _team(doc, found)
    _rotation(doc, found, layer)
    _epics(doc, found)
    if "support_issues" in found.duties:
        _support_issues(doc, found)
    _slack(doc, found)
    writers = {"requests": _requests, "answers": _answers, "covers": _covers, "handover": _handover,
               "postmortems": _postmortems, "iam": _iam, "offboarding": _offboarding, "access": _access,
               "tracking": _tracking, "review": _review, "reviews": _reviews, "deploys": _deploys}
    for duty in found.duties:
        if duty in writers:
            writers[duty](doc, found)
    _roster(doc, found)
    return Starter(doc.text(), doc.blanks)


def _team(doc: _Document, found: Discovered) -> None:
    doc.table("team")
    doc.key("name", found.schedule_name or default_of(TeamConfig, "name"),
            "The team's name in messages: the PagerDuty schedule's name; change it to what your team is called.")
    if found.time_zone:
        doc.key("time_zone", found.time_zone, "The schedule's time zone (PagerDuty): times in messages, business "
                "hours and --at without an offset are read in it.")
    else:
        doc.key("time_zone", default_of(TeamConfig, "time_zone"), "The schedule's time zone is not an IANA name "
                "Python knows: check this one (an IANA name such as Europe/Paris).")


def _rotation(doc: _Document, found: Discovered, layer: SupportLayer) -> None:
    doc.table("rotation")
    doc.key("pagerduty_schedule", found.schedule_id, f"The PagerDuty schedule {q(found.schedule_name)}.")
    what = "layer" if layer.kind == "layers" else "rotation"
    by = "id (another active layer has the same name)" if layer.value == layer.id and layer.name else \
        "id (it has no name)" if layer.value == layer.id else "name (a name survives PagerDuty's layer edits)"
    doc.key("support_layer", layer.value, f"The support {what} {layer.label}, chosen as {layer.why}; written by "
            f"{by}.")
    doc.key("schedule_kind", layer.kind, '"layers" for a classic schedule (/schedules), "shifts" for a '
            "shift-based one (/v3/schedules): this schedule is " + ("classic." if layer.kind == "layers"
                                                                    else "shift-based."))
    handoff = layer.handoff
    if handoff is None:
        doc.comment("The support layer had no turns in the weeks read: handoff_weekday and handoff_hour keep their "
                    "defaults; set them to when turns change hands.")
        doc.key("handoff_weekday", default_of(RotationConfig, "handoff_weekday"))
        doc.key("handoff_hour", default_of(RotationConfig, "handoff_hour"))
        return
    doc.comment(f"When the role changes hands (the report runs the hour before; the doctor checks PagerDuty "
                f"agrees): {handoff.note}.")
    if handoff.weekday is None:
        doc.comment("Turns are not whole weeks, so handoff_weekday keeps its default.")
    doc.key("handoff_weekday", handoff.weekday or default_of(RotationConfig, "handoff_weekday"))
    doc.key("handoff_hour", handoff.hour)


def _epics(doc: _Document, found: Discovered) -> None:
    for index, epic in enumerate(found.epics):
        doc.table("super_epics", "The Super Epics (GitHub issues) the person on support is assigned to for their "
                  "turn." if index == 0 else "", array=True)
        doc.key("key", epic.key)
        doc.key("title", epic.title)
        if epic.issue:
            doc.key("issue", epic.issue, "Given with --epic.")
        else:
            doc.blank("issue", f"the {q(epic.title)} epic's GitHub issue as owner/repo#number (or run init.py "
                      f"with --epic {epic.key}=owner/repo#NUMBER).")


def _default_epic(found: Discovered, preferred: str) -> str:
    keys = [epic.key for epic in found.epics]
    return preferred if preferred in keys else keys[0]


def _support_issues(doc: _Document, found: Discovered) -> None:
    doc.table("epics", "How issues are linked to a Super Epic: \"github\" (sub-issues) or \"zenhub\" (then each "
              "[[super_epics]] needs zenhub_epic_id, and ZENHUB_API_TOKEN is needed).")
    doc.key("link_with", default_of(EpicsConfig, "link_with"))
    doc.table("support_issues", "Support issues: long requests become GitHub issues here, linked to a Super Epic.")
    doc.blank("repo", "the repository support issues are filed in, as owner/repo.")
    doc.defaults(SupportIssuesConfig, ["labels", "needs_info_label"])
    doc.key("default_epic", _default_epic(found, "customer-support"),
            "The Super Epic (a key above) for ticket reactions and PRs that name none.")
    doc.defaults(SupportIssuesConfig, ["ticket_reaction", "scoping_business_days", "pr_repos", "pr_label",
                                       "pr_lookback_days"])


def _slack(doc: _Document, found: Discovered) -> None:
    doc.table("slack")
    doc.key("support_channel", SUPPORT_CHANNEL_KEY, "The channel whose topic names the person on support and where "
            "the handoff is announced. Every setting that names a channel takes a [[slack.channels]] key (below) or "
            "a channel id.")
    # Without it check_config warns that the team's handoff message and the dead man's switch have nowhere to go.
    doc.optional("operations_channel", "C012AB3CD", "the team's own channel (its id): the handoff's message for the "
                 "team, urgent escalations, the standup digest, the dead man's switch. /invite the app there too.")
    channel = found.channel
    note = f"The support channel #{channel.name}, as Slack names it (the name is shown in messages and reports)."
    if not channel.is_member:
        note += " The app is not in this channel yet: /invite the app there before the first handoff."
    doc.table("slack.channels", note, array=True)
    doc.key("key", SUPPORT_CHANNEL_KEY)
    doc.key("id", channel.id)
    doc.key("name", channel.name)
    watch = "requests" in found.duties
    doc.key("watch", watch, "The request watch reads this channel." if watch else
            "true once the request watch ([requests]) should read this channel.")
    if "deploys" in found.duties:
        doc.table("slack.channels", "The channel where deploys are announced and failures explained.", array=True)
        doc.key("key", DEPLOYS_CHANNEL_KEY)
        doc.blank("id", "the deploy channel's id (like C012AB3CD; channel details > About).")


def _requests(doc: _Document, found: Discovered) -> None:
    doc.table("requests", "The request watch: what acknowledges a request, and when to escalate (business minutes; "
              "wall-clock in urgent channels).")
    doc.defaults(RequestsConfig, ["ack_reactions", "warn_minutes", "limit_minutes", "lookback_hours",
                                  "nudge_in_thread"])
    doc.table("requests.business_hours", "The business-hours clock, in team.time_zone.")
    doc.defaults(BusinessHoursConfig, ["opens", "closes", "weekdays"])
    doc.key("holidays", default_of(BusinessHoursConfig, "holidays"), "Dates, like 2026-12-25.")


def _answers(doc: _Document, found: Discovered) -> None:
    doc.table("answers", "Answers to repeat questions: the request watch replies once in a new request's thread "
              "when it matches an answer in the file closely.")
    doc.key("file", default_of(AnswersConfig, "file"), "Next to this file: copy the repository's answers.toml and "
            "write your team's answers in it.")
    doc.defaults(AnswersConfig, ["min_score", "feedback_hours"])


def _covers(doc: _Document, found: Discovered) -> None:
    doc.table("covers", "Covers and swaps (/oncall cover, /oncall swap in a comment), made as PagerDuty overrides: "
              "PAGERDUTY_API_TOKEN must then be a key that may create overrides.")
    doc.defaults(CoversConfig, ["lookahead_days"])


def _handover(doc: _Document, found: Discovered) -> None:
    doc.table("handover", "The handover issue: one per turn in [support_issues] repo, acknowledged by the incoming "
              "person.")
    doc.defaults(HandoverConfig, ["label", "ack_business_hours"])


def _postmortems(doc: _Document, found: Discovered) -> None:
    doc.table("postmortems", "Postmortem action items: their label, the Super Epic they go on, how to recognise them.")
    doc.defaults(PostmortemsConfig, ["label"])
    doc.key("epic", _default_epic(found, "incident-response"), "A Super Epic key above.")
    doc.defaults(PostmortemsConfig, ["title_prefixes"])
    doc.optional("documents_repo", "owner/repo", "where the Markdown postmortems live, to scan their action items.")
    doc.defaults(PostmortemsConfig, ["documents_path", "documents_branch"])


def _iam(doc: _Document, found: Discovered) -> None:
    doc.table("iam", "The IAM inactivity audit (weekdays at audit_hour, team time) and the PRs removing users from "
              "the Terraform file. Check the region and partition: these are the defaults.")
    doc.defaults(IamConfig, ["region", "partition", "limit_days", "warning_days", "audit_hour"])
    doc.blank("repo", "the repository holding the Terraform file of IAM users, as owner/repo.")
    doc.defaults(IamConfig, ["file", "base_branch", "pr_labels"])


def _offboarding(doc: _Document, found: Discovered) -> None:
    doc.table("offboarding", "Offboarding requests: one PR in [iam] repo removing the IAM user and the SOCKS key.")
    doc.defaults(OffboardingConfig, ["socks_file", "labels"])


def _access(doc: _Document, found: Discovered) -> None:
    doc.table("access", "Access requests: granted when a member of approvers_team adds approved_label.")
    doc.blank("approvers_team", "the GitHub team whose members approve access, as org/team-slug.")
    doc.defaults(AccessConfig, ["approved_label"])
    doc.table("access.tools", "Each tool access can be asked for: a GitHub team to add the person to, or a "
              "checklist a person follows.", array=True)
    doc.blank("name", "the tool's name as the access form lists it.")
    doc.optional("github_team", "org/team-slug", "a GitHub team membership that is the access.")
    doc.optional("checklist", ["Add the user in the tool's admin page"], "the steps, when it is not a GitHub team.")


def _tracking(doc: _Document, found: Discovered) -> None:
    doc.table("tracking", "The Support Incidents Spreadsheet: every task becomes a row in its kind's worksheet. "
              "Share the sheet with the Google service account's email as an editor.")
    if found.spreadsheet_id:
        doc.key("spreadsheet_id", found.spreadsheet_id)
        doc.comment("Where each kind's rows go in it, as read from its tabs, headers and sections:")
        for ok, line in found.sheet_mapping:
            doc.comment(("" if ok else "NOT MAPPED: ") + line.removeprefix("tracking sheet: "))
    else:
        doc.blank("spreadsheet_id", "the spreadsheet's id (the long part of its URL, between /d/ and /edit).")
    doc.table("tracking.sections", "The tab, or the heading row of a section in a tab, for each kind of task.")
    sections: dict[str, str] = default_of(TrackingConfig, "sections")
    for kind, title in sections.items():
        doc.key(kind, title)


def _review(doc: _Document, found: Discovered) -> None:
    doc.table("review", "Who reviews each rotation with the outgoing and the next person (roster names, GitHub "
              "logins or Slack ids), and the channel (a [[slack.channels]] key) for the report's summary.")
    doc.optional("pm", "Name Surname", "the product manager.")
    doc.optional("tech_lead", "Name Surname", "the tech lead.")
    doc.optional("channel", "C012AB3CD", "the team's channel for the summary (a [[slack.channels]] key or a "
                 "channel id; default: the operations channel; never the support channel, where requesters read).")


def _reviews(doc: _Document, found: Discovered) -> None:
    doc.table("reviews", "The PR review digest: open PRs awaiting review in these repositories, once a weekday.")
    doc.blank("repos", "the repositories to watch, as [\"owner/repo\", ...].", [""])
    doc.defaults(ReviewsConfig, ["team_logins", "request_person_on_support"])


def _deploys(doc: _Document, found: Discovered) -> None:
    doc.table("deploys", "Failed-deploy triage: these workflows' failed runs are explained in the deploys channel "
              "(a [[slack.channels]] key).")
    doc.key("channel", DEPLOYS_CHANNEL_KEY)
    doc.defaults(DeploysConfig, ["bots", "lookback_hours"])
    doc.table("deploys.workflows", "A deploy workflow to watch.", array=True)
    doc.blank("repo", "the repository of the deploy workflow, as owner/repo.")
    doc.blank("workflow", "the workflow's file name, like deploy.yml.")


def _roster(doc: _Document, found: Discovered) -> None:
    what = "layer" if found.layer.kind == "layers" else "rotation"
    for index, member in enumerate(found.members):
        doc.table("roster", f"Everyone on the support {what} {found.layer.label}, from PagerDuty (names, emails, "
                  "ids) and Slack's lookup by email (Slack ids)." if index == 0 else "", array=True)
        doc.key("name", member.name)
        if member.email:
            doc.key("pagerduty_email", member.email)
        doc.key("pagerduty_id", member.pagerduty_id)
        if member.slack:
            doc.key("slack", member.slack)
        else:
            doc.blank("slack", f"{member.slack_missing}: their Slack member id (profile > more > Copy member ID), "
                      "or delete this line to hand over without mentioning them.")
        if member.github and member.github_id:
            doc.key("github", member.github, "Given with --github; the handoff assigns the Super Epics to it.")
            doc.key("github_id", member.github_id, "GitHub's id for that account (GET /users/LOGIN): only this account "
                    "runs /oncall commands as them, even after a rename; whoever claims the login later does not.")
        else:
            doc.blank("github", "their GitHub login: the handoff assigns the Super Epics to it (or run init.py with "
                      "--github NAME=LOGIN, which also writes their github_id; the doctor gives the github_id line "
                      "for a login filled in by hand).")
    for note in found.left_out:
        doc.gap()
        doc.comment(f"Left out: {note}")
