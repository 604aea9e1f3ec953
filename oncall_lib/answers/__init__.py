"""Answers to repeat questions: the request watch replies in a new request's thread when it matches one closely."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall_lib.duty import Duty, Need
from oncall_lib.requests import DUTY as REQUESTS

if TYPE_CHECKING:
    from oncall_lib.config import Config


def _watch_off(config: Config) -> list[str]:
    return [] if REQUESTS.is_on(config) else ["the request watch ([requests]): it is the watch that answers"]


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
    # The rotation report calls review.report_section for its part.
    interfaces=("reply", "matching", "review"),
)
