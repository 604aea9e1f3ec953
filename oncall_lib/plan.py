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
    """A value an earlier action's executor returned (the number of an issue it created, say).

    An action holding a Ref depends on that earlier action: it is skipped when that one did not apply,
    unless the Ref has a `fallback` to use instead (a status comment still worth posting, say).
    """

    action: int
    key: str
    fallback: Any = None

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


def _moved(index: int, position: int, count: int) -> int:
    return index + count if index >= position else index


def insert(actions: Sequence[Action], position: int, new: Sequence[Action]) -> list[Action]:
    """`new` (numbered as if from `position` already) put before `actions[position]`: the later actions' `after`
    and Refs move with them, so every dependency still points at the same action."""
    count = len(new)

    def shifted(action: Action) -> Action:
        params = {k: Ref(_moved(v.action, position, count), v.key, v.fallback) if isinstance(v, Ref) else v
                  for k, v in action.params.items()}
        after = _moved(action.after, position, count) if action.after is not None else None
        return Action(action.kind, action.target, action.detail, params, after)

    return [shifted(a) for a in actions[:position]] + list(new) + [shifted(a) for a in actions[position:]]


def with_params(action: Action, **params: Any) -> Action:
    return Action(action.kind, action.target, action.detail, {**action.params, **params}, action.after)


# Names a text may hold as `{name}` for a value only known when the action runs (often a Ref to what an earlier
# action created: the new issue's URL in the Slack reply that links to it). Only these, so text a person wrote
# that happens to hold braces is never rewritten.
PLACEHOLDERS = ("url", "label", "pr_url", "new")


def filled(params: Mapping[str, Any], key: str) -> str:
    """The text an executor writes: `params[key]` with each placeholder that `params` holds filled in."""
    text = str(params[key])
    for name in PLACEHOLDERS:
        if name in params and name != key:
            text = text.replace("{" + name + "}", str(params[name]))
    return text


# An executor may return what it created, for later actions' Refs.
Executor = Callable[[Action], Mapping[str, Any] | None]


def _dependencies(action: Action) -> list[int]:
    """The earlier actions this one cannot do without: `after`, and every Ref without a fallback."""
    refs = [v.action for v in action.params.values() if isinstance(v, Ref) and v.fallback is None]
    return ([action.after] if action.after is not None else []) + refs


def _value(ref: Ref, outcomes: Sequence[Outcome]) -> Any:
    earlier = outcomes[ref.action]
    if earlier.status is Status.APPLIED and ref.key in earlier.result:
        return earlier.result[ref.key]
    if ref.fallback is not None:
        return ref.fallback
    raise ServiceError(f"action {ref.action + 1} ({earlier.action.kind}) did not say its {ref.key}")


def _resolve(action: Action, outcomes: Sequence[Outcome]) -> Action:
    if not any(isinstance(v, Ref) for v in action.params.values()):
        return action
    params = {k: _value(v, outcomes) if isinstance(v, Ref) else v for k, v in action.params.items()}
    return Action(action.kind, action.target, action.detail, params, action.after)


def apply(actions: Sequence[Action], executors: Mapping[str, Executor], *, dry_run: bool) -> list[Outcome]:
    """Run every action through its executor, or record it as planned in a dry run.

    One failure does not stop the others, except those that depend on the
    failed action (`after`, or a Ref to its result): they are skipped, so
    nothing is written on top of a write that did not happen.
    """
    missing = sorted({a.kind for a in actions} - set(executors))
    if missing:
        raise KeyError(f"no executor for action kind(s): {', '.join(missing)}")
    outcomes: list[Outcome] = []
    for action in actions:
        if dry_run:
            outcomes.append(Outcome(action, Status.PLANNED))
            continue
        blocked = [d for d in _dependencies(action) if outcomes[d].status is not Status.APPLIED]
        if blocked:
            # Waiting on something pending is pending too (the next run does both); on a failure, skipped.
            waiting = all(outcomes[d].status is Status.PENDING for d in blocked)
            reason = f"{'waits for' if waiting else 'not attempted:'} action {blocked[0] + 1}" + (
                "" if waiting else " did not apply")
            outcomes.append(Outcome(action, Status.PENDING if waiting else Status.SKIPPED, reason))
            continue
        # The outcome holds the action as it ran (Refs filled in), so the report shows what was written.
        resolved = action
        try:
            resolved = _resolve(action, outcomes)
            result = executors[action.kind](resolved)
        except Pending as exc:
            outcomes.append(Outcome(resolved, Status.PENDING, str(exc)))
        except ServiceError as exc:
            log.warning("%s %s failed: %s", action.kind, action.target, exc)
            outcomes.append(Outcome(resolved, Status.FAILED, str(exc)))
        else:
            outcomes.append(Outcome(resolved, Status.APPLIED, result=dict(result or {})))
    return outcomes
