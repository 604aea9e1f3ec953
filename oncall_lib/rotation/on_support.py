"""Who is on support right now: the PagerDuty support layer, mapped to the roster.

Every job that addresses "the person on support" (the handoff, the request
watch, support issues) asks this module, so they agree on who that is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from oncall_lib.config import Config, RosterMember
from oncall_lib.errors import ServiceError
from oncall_lib.rotation.schedule import Handoff, ScheduleProblem, Shift, SupportView, from_shift_schedule, support_view
from oncall_lib.services import Services
from oncall_lib.untrusted import slack_text

# The schedule window read around `at`: long enough to see last week's and next week's turns. A longer turn
# (a month, say) is read again with a window that follows the layer's turn length.
LOOKBACK = timedelta(days=21)
LOOKAHEAD = timedelta(days=35)


@dataclass(frozen=True)
class Person:
    """The person on support, as far as the roster and the APIs let us know them."""

    name: str
    pagerduty_id: str
    github: str | None = None
    slack: str | None = None
    member: RosterMember | None = None

    @property
    def mention(self) -> str:
        """For Slack: a mention, or the name as plain text (a PagerDuty name the roster does not know is typed by
        whoever keeps the PagerDuty account, so it goes through the escaping path like any outside text)."""
        return f"<@{self.slack}>" if self.slack else slack_text(self.name)


@dataclass
class OnSupport:
    handoff: Handoff
    person: Person | None
    layer: str
    warnings: list[str] = field(default_factory=list)
    # Which rule decided (the turn, an override that took it over, a short cover), for the report.
    rule: str = ""
    # Someone covering for a few hours (an override shorter than rotation.min_override_hours): the person
    # to escalate to right now, while the turn, the epics and the topic stay with `person`.
    cover: Person | None = None
    view: SupportView | None = None

    @property
    def now(self) -> Person | None:
        """Who answers for the role at this moment."""
        return self.cover or self.person


def roster_match(config: Config, *, pagerduty_id: str = "", email: str = "", slack: str = "") -> RosterMember | None:
    for member in config.roster:
        if pagerduty_id and member.pagerduty_id == pagerduty_id:
            return member
        if email and member.pagerduty_email == email.lower():
            return member
        if slack and member.slack == slack:
            return member
    return None


def member_for_shift(config: Config, shift: Shift) -> RosterMember | None:
    """The roster member holding a turn, without an API call: by PagerDuty id, else by the name PagerDuty shows."""
    return roster_match(config, pagerduty_id=shift.user_id) or next(
        (m for m in config.roster if m.name.casefold() == shift.user_name.casefold()), None)


def holder_name(config: Config, timeline: Sequence[Shift], when: datetime) -> str:
    """Who held the support role at `when`, by name ("" when the timeline does not reach back that far)."""
    shift = next((s for s in timeline if s.start <= when < s.end), None)
    if shift is None:
        return ""
    member = member_for_shift(config, shift)
    return member.name if member else shift.user_name


def resolve_person(services: Services, config: Config, shift: Shift, warnings: list[str]) -> Person:
    """Roster member for a PagerDuty user: by cached PagerDuty id, else by email, else via Slack's email lookup."""
    member = roster_match(config, pagerduty_id=shift.user_id)
    email = member.pagerduty_email if member else None
    if member is None:
        try:
            email = str(services.pagerduty.user(shift.user_id).get("email", "")).lower() or None
        except ServiceError as exc:
            # PagerDuty keeps deleted users on their layers; looking them up answers 404.
            warnings.append(f"PagerDuty user {shift.user_name or shift.user_id} ({shift.user_id}) holds the support "
                            f"turn but cannot be read ({exc}): if they left, replace them on the layer in "
                            "PagerDuty, or add their pagerduty_id to the roster")
            email = None
        member = roster_match(config, email=email) if email else None
    slack = member.slack if member else None
    if slack is None and email:
        try:
            slack = services.slack.user_id_by_email(email)
        except ServiceError as exc:
            warnings.append(f"no Slack account found for {email}: {exc}")
            slack = None
        if member is None and slack:
            member = roster_match(config, slack=slack)
            slack = (member.slack or slack) if member else slack
    name = member.name if member else shift.user_name
    if member is None:
        warnings.append(
            f"PagerDuty user {shift.user_name} ({email or shift.user_id}) is on the support layer but not in "
            "oncall.toml's roster: add them (name, github, slack, pagerduty_email) so they can be assigned"
        )
    elif not member.github:
        warnings.append(f"{name} has no github login in the roster: the Super Epics cannot be assigned to them")
    if not slack:
        warnings.append(f"{name} has no Slack user (not in the roster, no Slack account for {email or 'their email'})"
                        ": the topic names them without a mention and no start-of-turn DM is sent")
    return Person(name=name, pagerduty_id=shift.user_id, github=member.github if member else None,
                  slack=slack, member=member)


@dataclass(frozen=True)
class ScheduleRead:
    """The rotation's schedule read as `[rotation] schedule_kind` says: a classic one through /schedules, a
    shift-based (v3) one through /v3/schedules, which PagerDuty keeps v2 readers out of."""

    kind: str  # "layers" or "shifts"
    raw: dict[str, Any]  # as PagerDuty sent it (its escalation_policies, for normal oncall's incidents)

    def layered(self, wanted: str) -> tuple[dict[str, Any], list[Shift] | None]:
        """The schedule as the layered reading takes it, and a shift-based schedule's overrides (None for a
        classic schedule, whose overrides are in it). Raises ScheduleProblem."""
        if self.kind == "shifts":
            layered, overrides = from_shift_schedule(self.raw, wanted)
            return layered, overrides
        return self.raw, None


def read_schedule(services: Services, config: Config, since: datetime, until: datetime,
                  kind: str | None = None) -> ScheduleRead:
    """The schedule for a window, read the way the config says (or `kind`, once "auto" is settled). Raises
    ScheduleProblem when a schedule said to be shift-based is not one."""
    rotation = config.rotation
    kind = kind or rotation.schedule_kind
    if kind in ("shifts", "auto"):
        shifts = services.pagerduty.shift_schedule(rotation.pagerduty_schedule, since, until)
        if shifts is not None:
            return ScheduleRead("shifts", shifts)
        if kind == "shifts":
            raise ScheduleProblem(f"schedule {rotation.pagerduty_schedule} is not a shift-based schedule: set "
                                  'rotation.schedule_kind = "layers" (or "auto")')
    return ScheduleRead("layers", services.pagerduty.schedule(rotation.pagerduty_schedule, since, until))


def on_support(services: Services, config: Config, at: datetime) -> OnSupport:
    """One schedule read (two for a turn longer than the window; plus one user read unless the roster caches
    PagerDuty ids), once per process: every duty a tick runs asks the same question. Raises ScheduleProblem."""
    found = services.once(("on_support", id(config), at), lambda: _read_on_support(services, config, at))
    # Each caller gets its own warnings list to add to.
    return replace(found, warnings=list(found.warnings))


def _read_on_support(services: Services, config: Config, at: datetime) -> OnSupport:
    rotation = config.rotation
    min_override = timedelta(hours=rotation.min_override_hours)
    kind: str = rotation.schedule_kind

    def read(back: timedelta, ahead: timedelta) -> SupportView:
        nonlocal kind
        found = read_schedule(services, config, at - back, at + ahead, kind)
        kind = found.kind  # "auto" settled: a second read asks the same endpoint
        schedule, overrides = found.layered(rotation.support_layer)
        return support_view(schedule, rotation.support_layer, at, min_override=min_override, overrides=overrides,
                            tz=config.team.tz)

    view = read(LOOKBACK, LOOKAHEAD)
    current = view.handoff.current
    if current is not None and (view.handoff.previous is None or view.handoff.next is None):
        # The turn may start before the window (or the next one after it): read the turns around it.
        span = max(view.turn_length * 3, LOOKBACK) + timedelta(days=1)
        if current.start <= at - LOOKBACK + timedelta(days=1) or view.turn_length * 2 > LOOKAHEAD:
            view = read(span, span)
    handoff = view.handoff
    result = OnSupport(handoff, None, ", ".join(view.family), rule=view.rule, view=view)
    if handoff.current:
        result.person = resolve_person(services, config, handoff.current, result.warnings)
    if view.cover:
        result.cover = resolve_person(services, config, view.cover, result.warnings)
    return result


def support_person(services: Services, config: Config, at: datetime, warnings: list[str],
                   purpose: str) -> Person | None:
    """Who is on support, or None with a warning saying what goes without (when the schedule cannot tell)."""
    try:
        return on_support(services, config, at).person
    except ScheduleProblem as exc:
        warnings.append(f"{purpose}: cannot tell who is on support ({exc})")
        return None
