"""Recording a task: the one core interface every duty hands its task rows to.

A duty says what it did as `TaskRow`s and asks `record` for the actions that keep them, inside its own plan (so
a dry run shows them and `apply` writes them). Where rows go is the tracking duty's decision (the team's sheet):
it declares a `RowKeeper` (`Duty.contributes.rows`), resolved through the registry when used, so no duty imports
the tracking duty to record a task, and nothing is recorded (and nothing read) while tracking is off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from oncall_lib import registry
from oncall_lib.errors import ServiceError
from oncall_lib.rotation.on_support import support_person

if TYPE_CHECKING:
    from oncall_lib.config import Config
    from oncall_lib.plan import Action, Executor
    from oncall_lib.services import Services


@dataclass(frozen=True)
class TaskRow:
    """One task done for the rotation, with a stable key: recording the same task twice keeps one row."""

    key: str
    day: date
    person: str  # who was on support
    kind: str
    summary: str
    link: str = ""
    channel: str = ""
    requester: str = ""
    minutes_to_acknowledge: float | None = None
    minutes_spent: float | None = None
    acknowledged_how: str = ""  # reply, ticket, or "reaction; seen by <the scan's time>"
    # Who did it: "" for the person on support, AUTOMATIC for the product itself, or someone else's name.
    by: str = ""


# Who did a task the product did on its own (a row's `by`).
AUTOMATIC = "automatic"


# Fills in what costs calls to learn (who was on support, requesters' names), for rows not recorded yet.
Complete = Callable[[list[TaskRow]], list[TaskRow]]


@dataclass(frozen=True)
class RowKeeper:
    """Where rows go, as the duty that keeps them declares it.

    `plan(services, config, rows, warnings, start, complete)`: the actions for the rows not kept yet, and whether
    the place could be read (False: the rows wait for a later run); `executors(services)`: how to run them."""

    plan: Callable[[Services, Config, list[TaskRow], list[str], int, Complete | None], tuple[list[Action], bool]]
    executors: Callable[[Services], dict[str, Executor]]


def _keepers(config: Config | None) -> list[RowKeeper]:
    if config is None:  # every declared place (only to know how to run their actions)
        from oncall_lib.duty import resolve

        return [resolve(d.contributes.rows) for d in registry.duties() if d.contributes.rows]
    return [keeper for _, keeper in registry.contributors(config, "rows")]


def record_plan(services: Services, config: Config, rows: list[TaskRow], warnings: list[str], start: int = 0,
                complete: Complete | None = None) -> tuple[list[Action], bool]:
    """The actions that record `rows` where they are kept (placed from `start` in the run's whole plan), and
    whether every place could be read. Nothing, and no call, without rows or with no duty keeping them."""
    actions: list[Action] = []
    read = True
    if not rows:
        return actions, read
    for keeper in _keepers(config):
        planned, ok = keeper.plan(services, config, rows, warnings, start + len(actions), complete)
        actions += planned
        read = read and ok
    return actions, read


def record(services: Services, config: Config, rows: list[TaskRow], warnings: list[str], start: int = 0,
           complete: Complete | None = None) -> list[Action]:
    """`record_plan`'s actions."""
    return record_plan(services, config, rows, warnings, start, complete)[0]


def executors(services: Services) -> dict[str, Executor]:
    """How to run the recording actions, whichever place they write to."""
    found: dict[str, Executor] = {}
    for keeper in _keepers(None):
        found.update(keeper.executors(services))
    return found


def with_person(services: Services, config: Config, at: datetime, warnings: list[str],
                known: str | None = None) -> Complete:
    """A `complete` step that puts the person on support in rows that lack one (one lookup, only if needed)."""
    def complete(rows: list[TaskRow]) -> list[TaskRow]:
        if all(r.person for r in rows):
            return rows
        name = known or person_on_support(services, config, at, warnings)
        return [r if r.person else replace(r, person=name) for r in rows]
    return complete


def person_on_support(services: Services, config: Config, at: datetime, warnings: list[str]) -> str:
    try:
        person = support_person(services, config, at, warnings, "the sheet's 'On support' column is left empty")
    except ServiceError as exc:
        warnings.append(f"the sheet's 'On support' column is left empty: {exc}")
        return ""
    return person.name if person else ""
