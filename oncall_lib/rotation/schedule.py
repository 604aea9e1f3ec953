"""Who is on the support layer: pure functions over a rendered PagerDuty schedule.

The support person at a moment is the override covering it, if any, else the
support layer's entry. Layers are chosen by id or by name, never by position
(PagerDuty returns them in reverse order), and a layer that has ended is never
chosen: editing a layer in PagerDuty ends it and starts a new one with the same
name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any


class ScheduleProblem(Exception):
    """The schedule does not have what the configuration asks for; the message says what it does have."""


@dataclass(frozen=True)
class Shift:
    """A stretch of time one PagerDuty user holds the support role."""

    user_id: str
    user_name: str
    start: datetime
    end: datetime
    override: bool = False

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def is_active(layer: dict[str, Any], at: datetime) -> bool:
    start = parse_time(layer["start"]) if layer.get("start") else None
    end = parse_time(layer["end"]) if layer.get("end") else None
    return (start is None or start <= at) and (end is None or end > at)


def select_layer(schedule: dict[str, Any], wanted: str, at: datetime) -> dict[str, Any]:
    layers = schedule.get("schedule_layers") or []
    by_id = [layer for layer in layers if layer.get("id") == wanted]
    if by_id:
        if not is_active(by_id[0], at):
            raise ScheduleProblem(f"layer {wanted} of schedule {schedule.get('id')} is not active at {at.isoformat()}")
        return by_id[0]
    named = [layer for layer in layers if str(layer.get("name", "")).casefold() == wanted.casefold()]
    active = [layer for layer in named if is_active(layer, at)]
    if len(active) == 1:
        return active[0]
    choices = ", ".join(f"{layer.get('name')!r} ({layer.get('id')})" for layer in layers if is_active(layer, at))
    if len(active) > 1:
        ids = ", ".join(layer["id"] for layer in active)
        raise ScheduleProblem(f"several active layers are named {wanted!r} ({ids}); set support_layer to one id")
    raise ScheduleProblem(
        f"schedule {schedule.get('id')} has no active layer with id or name {wanted!r}; "
        f"active layers: {choices or 'none'}"
    )


def _shifts(entries: Sequence[dict[str, Any]], override: bool) -> list[Shift]:
    shifts = []
    for entry in entries:
        user = entry.get("user") or {}
        if not user.get("id") or not entry.get("start") or not entry.get("end"):
            continue
        shifts.append(Shift(user["id"], user.get("summary", user["id"]), parse_time(entry["start"]),
                            parse_time(entry["end"]), override))
    return sorted(shifts, key=lambda s: s.start)


def overlay(base: Sequence[Shift], top: Sequence[Shift]) -> list[Shift]:
    """`top` wins wherever it has a shift; adjacent shifts of one person are merged."""
    cuts = sorted({s.start for s in [*base, *top]} | {s.end for s in [*base, *top]})
    merged: list[Shift] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        winner = next((s for s in top if s.start <= start and s.end >= end), None) or next(
            (s for s in base if s.start <= start and s.end >= end), None
        )
        if winner is None:
            continue
        last = merged[-1] if merged else None
        if last and last.user_id == winner.user_id and last.end == start:
            merged[-1] = Shift(last.user_id, last.user_name, last.start, end, last.override and winner.override)
        else:
            merged.append(Shift(winner.user_id, winner.user_name, start, end, winner.override))
    return merged


def support_timeline(layer: dict[str, Any], overrides: Sequence[dict[str, Any]]) -> list[Shift]:
    """The support layer's turns with the schedule's overrides cut in."""
    base = _shifts(layer.get("rendered_schedule_entries") or [], override=False)
    return overlay(base, _shifts(overrides, override=True))


@dataclass(frozen=True)
class Handoff:
    current: Shift | None
    previous: Shift | None
    next: Shift | None


def handoff_at(timeline: Sequence[Shift], at: datetime) -> Handoff:
    """The shift covering `at`, the one before it and the one after it (each with a different person)."""
    current = next((s for s in timeline if s.covers(at)), None)
    before = [s for s in timeline if s.end <= at]
    after = [s for s in timeline if s.start > at]
    previous = before[-1] if before else None
    if current and previous and previous.user_id == current.user_id:
        previous = None
    upcoming = next((s for s in after if not current or s.user_id != current.user_id), None)
    return Handoff(current, previous, upcoming)


# -- the support layer as PagerDuty really keeps it ---------------------------------------------------
#
# A restricted layer (business hours only) renders one entry per allowed window; editing a layer ends it
# and starts a new one with the same name; overrides sit above every layer. So the person on support is
# whoever holds the support layer's *turn*: consecutive entries of one user on the layer family (the
# layers of that name, ended, active or not yet started), gaps included, are one turn.


def support_layers(schedule: dict[str, Any], wanted: str, at: datetime) -> list[dict[str, Any]]:
    """Every layer of the support layer's family, by id or name, in the API's order (highest first)."""
    layers = schedule.get("schedule_layers") or []
    by_id = [layer for layer in layers if layer.get("id") == wanted]
    name = str((by_id[0] if by_id else {"name": wanted}).get("name", "")).casefold()
    family = [layer for layer in layers if str(layer.get("name", "")).casefold() == name]
    active = [layer for layer in family if is_active(layer, at)]
    if by_id:
        if not is_active(by_id[0], at):
            successors = ", ".join(f"{layer.get('id')}" for layer in active)
            hint = f" (PagerDuty ended it when it was edited; its successor: {successors})" if successors else ""
            raise ScheduleProblem(f"layer {wanted} of schedule {schedule.get('id')} is not active at "
                                  f"{at.isoformat()}{hint}: set support_layer to the layer's name or current id")
        # Chosen by id: another active layer of the same name is not part of the support rotation.
        return [layer for layer in family if layer is by_id[0] or not is_active(layer, at)]
    if len(active) > 1:
        ids = ", ".join(layer["id"] for layer in active)
        raise ScheduleProblem(f"several active layers are named {wanted!r} ({ids}); set support_layer to one id")
    if not active:
        choices = ", ".join(f"{layer.get('name')!r} ({layer.get('id')})" for layer in layers
                            if is_active(layer, at))
        raise ScheduleProblem(f"schedule {schedule.get('id')} has no active layer with id or name {wanted!r}; "
                              f"active layers: {choices or 'none'}")
    return family


def turns(entries: Sequence[Shift]) -> list[Shift]:
    """Consecutive entries of one user, across restriction gaps and layer edits, as one turn each."""
    merged: list[Shift] = []
    for entry in sorted(entries, key=lambda s: s.start):
        last = merged[-1] if merged else None
        if last and last.user_id == entry.user_id:
            merged[-1] = Shift(last.user_id, last.user_name or entry.user_name, last.start, max(last.end, entry.end),
                               last.override)
        elif last and entry.start < last.end:  # an overlap between an ended layer and its successor
            merged.append(Shift(entry.user_id, entry.user_name, last.end, entry.end, entry.override))
        else:
            merged.append(entry)
    return merged


def holder(timeline: Sequence[Shift], at: datetime) -> Shift | None:
    """The turn `at` falls in: its own entries, or the gap after them until the next turn starts."""
    for index, turn in enumerate(timeline):
        following = timeline[index + 1].start if index + 1 < len(timeline) else turn.end
        if turn.start <= at < max(turn.end, following):
            return turn
    return None


def _covered(pieces: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime) -> list[
        tuple[datetime, datetime]]:
    return [(max(a, start), min(b, end)) for a, b in pieces if a < end and b > start]


def support_time(schedule: dict[str, Any], family: Sequence[dict[str, Any]], start: datetime,
                 end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) where the support layer decides who is on call: it has an entry there and no
    higher layer has one (PagerDuty lists layers highest first). Adjacent parts are joined."""
    layers = schedule.get("schedule_layers") or []
    family_ids = {id(layer) for layer in family}
    top = min((i for i, layer in enumerate(layers) if id(layer) in family_ids), default=len(layers))
    higher = [(s.start, s.end) for layer in layers[:top] if id(layer) not in family_ids
              for s in _shifts(layer.get("rendered_schedule_entries") or [], override=False)]
    support = [(s.start, s.end) for layer in family
               for s in _shifts(layer.get("rendered_schedule_entries") or [], override=False)]
    pieces: list[tuple[datetime, datetime]] = []
    for a0, b0 in sorted(_covered(support, start, end)):
        cuts = sorted({a0, b0, *(t for a, b in _covered(higher, a0, b0) for t in (a, b))})
        for a, b in zip(cuts, cuts[1:], strict=False):
            if any(h0 <= a and b <= h1 for h0, h1 in higher):
                continue
            if pieces and pieces[-1][1] >= a:
                pieces[-1] = (pieces[-1][0], max(pieces[-1][1], b))
            else:
                pieces.append((a, b))
    return pieces


def support_overrides(schedule: dict[str, Any], family: Sequence[dict[str, Any]]) -> list[Shift]:
    """The parts of each override that cover the support role: where the support layer has an entry and no
    higher layer has one (PagerDuty puts overrides above every layer, and lists layers highest first)."""
    overrides = _shifts((schedule.get("overrides_subschedule") or {}).get("rendered_schedule_entries") or [],
                        override=True)
    pieces = [Shift(override.user_id, override.user_name, a, b, override=True) for override in overrides
              for a, b in support_time(schedule, family, override.start, override.end)]
    return sorted(pieces, key=lambda s: s.start)


def schedule_overrides(schedule: dict[str, Any]) -> list[Shift]:
    """Every override on the schedule in the window read, whole (not cut to the support layer)."""
    return _shifts((schedule.get("overrides_subschedule") or {}).get("rendered_schedule_entries") or [],
                   override=True)


def held(timeline: Sequence[Shift]) -> list[Shift]:
    """Each turn held until the next one starts (a restricted layer's turn ends with its last window, but its
    holder keeps the role through the evening and the weekend)."""
    return [Shift(s.user_id, s.user_name, s.start, max(s.end, timeline[i + 1].start) if i + 1 < len(timeline)
                  else s.end, s.override) for i, s in enumerate(timeline)]


def role_timeline(schedule: dict[str, Any], wanted: str, at: datetime, *,
                  min_override: timedelta = timedelta(hours=24), overrides: Sequence[Shift] | None = None,
                  ) -> list[Shift]:
    """The support role's turns, overrides that take it over cut in, each held until the next (the report's
    rotations). `overrides`: a shift-based schedule's, as from_shift_schedule gives them."""
    return list(support_view(schedule, wanted, at, min_override=min_override, overrides=overrides).timeline)


def family_turns(family: Sequence[dict[str, Any]]) -> list[Shift]:
    return turns([s for layer in family for s in _shifts(layer.get("rendered_schedule_entries") or [], False)])


def override_runs(base: Sequence[Shift], pieces: Sequence[Shift],
                  min_override: timedelta) -> list[tuple[Shift, timedelta, bool]]:
    """Each run of one person's override pieces, the support time it covers, and whether it moves the role:
    it covers the rest of the turn, or at least `min_override`."""
    found = []
    for run in turns(pieces):
        turn = holder(base, run.start)
        covered = sum(((p.end - p.start) for p in pieces if p.user_id == run.user_id
                       and run.start <= p.start and p.end <= run.end), timedelta())
        found.append((run, covered, (turn is not None and run.end >= turn.end) or covered >= min_override))
    return found


@dataclass(frozen=True)
class SupportView:
    """Who holds the support role at a moment, and why."""

    handoff: Handoff
    # Who covers right now, when a short override has the role for a few hours (escalations go to them).
    cover: Shift | None
    rule: str
    restricted: bool
    turn_length: timedelta
    family: tuple[str, ...]
    # Every turn in the window read, overrides that took the role cut in.
    timeline: tuple[Shift, ...] = ()


def _event_seconds(event: dict[str, Any]) -> int:
    """A v3 rotation event's shift length (its end less its start), 0 when it does not say."""
    try:
        start = parse_time(str((event.get("start_time") or {})["date_time"]))
        end = parse_time(str((event.get("end_time") or {})["date_time"]))
    except (KeyError, TypeError, ValueError):
        return 0
    return max(0, int((end - start).total_seconds()))


def from_shift_schedule(schedule: dict[str, Any], wanted: str) -> tuple[dict[str, Any], list[Shift]]:
    """A shift-based (v3) schedule as the layered view above reads it: the support rotation (by id or by its
    event's name) as one layer, and its overrides, which v3 ties to the rotation they replace."""
    rotations = schedule.get("rotations") or []
    names = {r.get("id"): {str(e.get("name", "")).casefold() for e in r.get("events") or []} for r in rotations}
    chosen = next((r for r in rotations if r.get("id") == wanted), None) or next(
        (r for r in rotations if wanted.casefold() in names.get(r.get("id"), set())), None)
    if chosen is None:
        known = ", ".join(f"{r.get('id')} ({', '.join(sorted(names.get(r.get('id'), set())))})" for r in rotations)
        raise ScheduleProblem(f"shift-based schedule {schedule.get('id')} has no rotation with id or event name "
                              f"{wanted!r}; rotations: {known or 'none'}")
    users = {u.get("id"): u.get("summary", "") for u in schedule.get("users") or []}
    base: list[dict[str, Any]] = []
    overrides: list[Shift] = []
    for item in (schedule.get("final_schedule") or {}).get("computed_shift_assignments") or []:
        source, member = item.get("source") or {}, item.get("member") or {}
        if source.get("rotation_id") != chosen["id"] or member.get("type") != "user_member":
            continue
        user = str(member.get("user_id"))
        entry = {"user": {"id": user, "summary": users.get(user, user)}, "start": item["start_time"],
                 "end": item["end_time"]}
        if source.get("type") == "schedule_rotation_override":
            overrides.append(Shift(user, users.get(user, user), parse_time(item["start_time"]),
                                   parse_time(item["end_time"]), override=True))
        else:
            base.append(entry)
    events = chosen.get("events") or [{}]
    name = str(events[0].get("name") or chosen["id"])
    layer = {"id": chosen["id"], "name": name, "start": None, "end": None, "restrictions": [],
             "rotation_turn_length_seconds": _event_seconds(events[0]), "rendered_schedule_entries": base}
    return {"id": schedule.get("id"), "time_zone": schedule.get("time_zone"), "schedule_layers": [layer]}, overrides


def windows_text(windows: Sequence[Shift], tz: tzinfo) -> str:
    """Time windows as people on the team read them: in their time zone, each with its day, adjacent ones
    joined ("Wed 02 Dec 18:00-Thu 03 Dec 08:00 EST", "Mon 07 Dec 09:00-17:00 and Tue 08 Dec 09:00-17:00 EST")."""
    joined: list[tuple[datetime, datetime]] = []
    for window in sorted(windows, key=lambda w: w.start):
        if joined and window.start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], window.end))
        else:
            joined.append((window.start, window.end))
    parts = []
    for start, end in joined:
        start, end = start.astimezone(tz), end.astimezone(tz)
        parts.append(f"{start:%a %d %b %H:%M}-" + (f"{end:%H:%M}" if end.date() == start.date()
                                                   else f"{end:%a %d %b %H:%M}"))
    zone = joined[-1][1].astimezone(tz).strftime("%Z") if joined else ""
    return " and ".join(parts) + (f" {zone}" if zone else "")


def support_view(schedule: dict[str, Any], wanted: str, at: datetime, *,
                 min_override: timedelta = timedelta(hours=24), overrides: Sequence[Shift] | None = None,
                 tz: tzinfo = UTC) -> SupportView:
    """The turn on the support layer at `at`, with the overrides that take it over.

    An override moves the role (epics, topic, handoff) only if it covers the rest of the turn or at least
    `min_override` of support time; a shorter one makes its user the cover for the moment only."""
    family = support_layers(schedule, wanted, at)
    base = family_turns(family)
    pieces = list(overrides) if overrides is not None else support_overrides(schedule, family)
    long_covers: list[Shift] = []
    notes: list[str] = []
    for run, covered, moves in override_runs(base, pieces, min_override):
        if moves:
            long_covers.append(run)
        elif run.start <= at < run.end:
            windows = [p for p in pieces if p.user_id == run.user_id and run.start <= p.start and p.end <= run.end]
            notes.append(f"{run.user_name or run.user_id} covers {windows_text(windows, tz)} "
                         f"({covered.total_seconds() / 3600:.3g} h, under rotation.min_override_hours): the turn "
                         "stays; escalations go to them meanwhile")
    timeline = held(turns(overlay(base, long_covers)) if long_covers else base)
    current = holder(timeline, at)
    before = [s for s in timeline if current is None or s.end <= current.start]
    previous = next((s for s in reversed(before) if current is None or s.user_id != current.user_id), None)
    upcoming = next((s for s in timeline if current is not None and s.start > current.start
                     and s.user_id != current.user_id), None)
    moment = next((p for p in pieces if p.start <= at < p.end), None)
    cover = moment if moment and current and moment.user_id != current.user_id else None
    names = ", ".join(f"{layer.get('name')!r} ({layer.get('id')})" for layer in family)
    if current is None:
        rule = "nobody holds a turn on the support layer now"
    elif current.override:
        # Against the turn it cuts into (every held turn ends where the next begins, so that says nothing).
        replaced = holder(base, current.start)
        rest = replaced is None or current.end >= replaced.end
        rule = f"{current.user_name or current.user_id} overrides the support turn " + (
            "for the rest of it" if rest else
            f"for {(current.end - current.start).total_seconds() / 3600:.3g} h (at least "
            "rotation.min_override_hours)")
    else:
        rule = f"{current.user_name or current.user_id} holds the support turn"
    restricted = any(layer.get("restrictions") for layer in family)
    lengths = [timedelta(seconds=int(layer.get("rotation_turn_length_seconds") or 0)) for layer in family]
    lengths += [turn.end - turn.start for turn in base[1:-1]]  # a shift-based rotation says it only by its turns
    return SupportView(Handoff(current, previous, upcoming), cover, "; ".join([rule, *notes]), restricted,
                       max(lengths, default=timedelta()), tuple(names.split(", ")), tuple(timeline))
