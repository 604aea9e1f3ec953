"""Actions and the one write path.

A job observes the world, then a pure function turns what it saw into a list
of `Action`s. `apply` is the only place that writes: it runs each action's
executor (or, in a dry run, only records it as planned). Idempotency comes from
planning against observed state, so a second run plans nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oncall_lib.errors import ServiceError

log = logging.getLogger(__name__)


class Status(StrEnum):
    PLANNED = "planned"  # dry run: would have been applied
    APPLIED = "applied"
    PENDING = "pending"  # could not be done yet (another system has not caught up); the next run retries
    SKIPPED = "skipped"  # not attempted because an action it depends on failed
    FAILED = "failed"


class Pending(Exception):
    """Raised by an executor when the write cannot happen yet but will on a later run."""


@dataclass(frozen=True)
class Ref:
    """A value an earlier action's executor returned (the number of an issue it created, say)."""

    action: int
    key: str

    def __str__(self) -> str:  # how a dry run shows it
        return f"<{self.key} of action {self.action + 1}>"


@dataclass(frozen=True)
class Action:
    """One intended write. `params` is what the executor needs; `detail` is for people."""

    kind: str
    target: str
    detail: str
    params: Mapping[str, Any] = field(default_factory=dict)
    # Index (in the same plan) of an action that must succeed first.
    after: int | None = None


@dataclass(frozen=True)
class Outcome:
    action: Action
    status: Status
    error: str = ""
    result: Mapping[str, Any] = field(default_factory=dict)


# An executor may return what it created, for later actions' Refs.
Executor = Callable[[Action], Mapping[str, Any] | None]


def _resolve(action: Action, outcomes: Sequence[Outcome]) -> Action:
    if not any(isinstance(v, Ref) for v in action.params.values()):
        return action
    params = {k: outcomes[v.action].result[v.key] if isinstance(v, Ref) else v for k, v in action.params.items()}
    return Action(action.kind, action.target, action.detail, params, action.after)


def apply(actions: Sequence[Action], executors: Mapping[str, Executor], *, dry_run: bool) -> list[Outcome]:
    """Run every action through its executor, or record it as planned in a dry run.

    One failure does not stop the others, except those that declared `after`
    on the failed action: they are skipped, so nothing is written on top of a
    write that did not happen.
    """
    missing = sorted({a.kind for a in actions} - set(executors))
    if missing:
        raise KeyError(f"no executor for action kind(s): {', '.join(missing)}")
    outcomes: list[Outcome] = []
    for action in actions:
        if dry_run:
            outcomes.append(Outcome(action, Status.PLANNED))
            continue
        if action.after is not None and outcomes[action.after].status is not Status.APPLIED:
            reason = f"not attempted: action {action.after + 1} did not apply"
            outcomes.append(Outcome(action, Status.SKIPPED, reason))
            continue
        try:
            result = executors[action.kind](_resolve(action, outcomes))
        except Pending as exc:
            outcomes.append(Outcome(action, Status.PENDING, str(exc)))
        except ServiceError as exc:
            log.warning("%s %s failed: %s", action.kind, action.target, exc)
            outcomes.append(Outcome(action, Status.FAILED, str(exc)))
        else:
            outcomes.append(Outcome(action, Status.APPLIED, result=dict(result or {})))
    return outcomes
