"""The duties, in order, and the places they contribute to: the one list the core reads.

The duties are named here by package (`oncall_lib/<name>/__init__.py` declares each as `DUTY`) and imported only
when asked for, like a duty's tick entry: the core never imports a duty by name, yet the handoff, the report and
the recorder can gather what the duties that are on contribute (`Duty.contributes`) without importing any of them.
`oncall_lib/duties.py` builds the whole list from here for everything above the duties.

A contribution that fails costs only itself: one warning naming the duty, never the job that gathers it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from oncall_lib.errors import ServiceError

if TYPE_CHECKING:
    from oncall_lib.config import Config
    from oncall_lib.duty import Duty

# In the order their parts appear: the handoff first (the base), then what a turn brings, then the backlogs.
PACKAGES = ("handoff", "covers", "requests", "answers", "support_issues", "postmortems", "iam", "access",
            "offboarding", "tracking", "reviews", "deploys")


@cache
def duties() -> tuple[Duty, ...]:
    return tuple(importlib.import_module(f"oncall_lib.{name}").DUTY for name in PACKAGES)


def on(config: Config) -> list[Duty]:
    return [d for d in duties() if d.is_on(config)]


def contributors(config: Config, point: str) -> Iterator[tuple[Duty, Any]]:
    """The duties that are on and contribute to `point` (a field of `Contributes`), each with its entry resolved."""
    from oncall_lib.duty import resolve

    for each in on(config):
        entry = getattr(each.contributes, point)
        if entry:
            yield each, resolve(entry)


def gather(config: Config, point: str, warnings: list[str], what: str, *args: Any, **kwargs: Any) -> list[Any]:
    """Each contribution of the duties that are on to `point`, in their order; None (nothing to add) left out.

    `what` names the place for the warning a failing contribution leaves ("the handoff message")."""
    found = []
    for each, contribute in contributors(config, point):
        try:
            part = contribute(config, *args, **kwargs)
        except ServiceError as exc:
            warnings.append(f"{what} leaves out {each.name}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 (one duty's part is never worth the whole message)
            warnings.append(f"{what} leaves out {each.name}: {type(exc).__name__}: {exc}")
            continue
        if part is not None:
            found.append(part)
    return found
