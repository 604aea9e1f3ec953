"""Answers to repeat questions: the request watch replies in a new request's thread when it matches one closely."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall_lib import registry
from oncall_lib.duty import Contributes, Duty, Need

if TYPE_CHECKING:
    from oncall_lib.config import Config


def _watch_off(config: Config) -> list[str]:
    watch = next(d for d in registry.duties() if d.key == "requests")
    return [] if watch.is_on(config) else ["the request watch ([requests]): it is the watch that answers"]


DUTY = Duty(
    key="answers",
    title="Answers to repeat questions",
    summary="A new request that closely matches a known question gets the answer once in its thread, with a thumbs "
            "up or down; a person still owns the request.",
    table="answers",
    still_needs=_watch_off,
    needs=(
        Need("slack", "chat:write", "reply with the answer in the request's thread"),
        Need("slack", "channels:history", "read the thumbs given to the answers"),
    ),
    scripts=("watch_requests.py",),
    docs="docs/duties/answers.md",
    interfaces=("reply", "matching"),
    # The watch runs it on the requests it has just scanned; the watch imports nothing of it.
    contributes=Contributes(watch="oncall_lib.answers.reply:watch_part", report="oncall_lib.answers.parts:report_part",
                            row_kinds=("answer",)),
)
