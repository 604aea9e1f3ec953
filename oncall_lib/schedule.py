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
from datetime import datetime
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


def _is_active(layer: dict[str, Any], at: datetime) -> bool:
    start = parse_time(layer["start"]) if layer.get("start") else None
    end = parse_time(layer["end"]) if layer.get("end") else None
    return (start is None or start <= at) and (end is None or end > at)


def select_layer(schedule: dict[str, Any], wanted: str, at: datetime) -> dict[str, Any]:
    layers = schedule.get("schedule_layers") or []
    by_id = [layer for layer in layers if layer.get("id") == wanted]
    if by_id:
        if not _is_active(by_id[0], at):
            raise ScheduleProblem(f"layer {wanted} of schedule {schedule.get('id')} is not active at {at.isoformat()}")
        return by_id[0]
    named = [layer for layer in layers if str(layer.get("name", "")).casefold() == wanted.casefold()]
    active = [layer for layer in named if _is_active(layer, at)]
    if len(active) == 1:
        return active[0]
    choices = ", ".join(f"{layer.get('name')!r} ({layer.get('id')})" for layer in layers if _is_active(layer, at))
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
