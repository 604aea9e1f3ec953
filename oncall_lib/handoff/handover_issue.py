"""The handover issue, one per turn: pure pieces (its marker, title, body, acknowledgement, the notes quoted).

The issue is found again by a hidden marker holding the turn's rotation key (who, and the instant the turn
began), so however many ticks run, a turn has one issue. The incoming person acknowledges by ticking the
checkbox in its body or commenting `/oncall ack` (the command ticks the box, so the body alone says).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from oncall_lib.services.github import Comment

MARKER = "<!-- oncall-support:handover {key} -->"
_MARKER = re.compile(r"<!-- oncall-support:handover (?P<user>[^/\s]+)/(?P<start>\S+) -->")
ACK_TEXT = "I have read this and I am taking over (or comment `/oncall ack`)"
ACK_BOX = f"- [ ] {ACK_TEXT}"
_TICKED = re.compile(r"^\s*[-*] \[[xX]\] I have read this and I am taking over", re.MULTILINE)
_UNTICKED = re.compile(r"^(\s*[-*] )\[ \]( I have read this and I am taking over)", re.MULTILINE)
_ONLY_COMMANDS = re.compile(r"^(\s*/oncall\b[^\n]*\n?|\s*\n)*$", re.IGNORECASE)


def marker(key: str) -> str:
    return MARKER.format(key=key)


def turn_of(body: str) -> tuple[str, datetime] | None:
    """The PagerDuty user and the turn's start a handover issue's marker names."""
    found = _MARKER.search(body or "")
    if not found:
        return None
    try:
        return found["user"], datetime.fromisoformat(found["start"])
    except ValueError:
        return None


def title(name: str, start: datetime, end: datetime, tz: ZoneInfo) -> str:
    return f"Oncall support: {name}, {start.astimezone(tz):%b %d} – {end.astimezone(tz):%b %d, %Y}"


def acknowledged(body: str) -> bool:
    return bool(_TICKED.search(body or ""))


def ticked(body: str) -> str:
    """The body with the acknowledgement box ticked (unchanged when it is ticked already or absent)."""
    return _UNTICKED.sub(r"\1[x]\2", body, count=1)


def is_ack(comment: Comment, logins: Sequence[str]) -> bool:
    return comment.author.casefold() in {login.casefold() for login in logins} and bool(
        re.search(r"^\s*/oncall\s+ack\b", comment.body, re.IGNORECASE | re.MULTILINE))


def notes(comments: Sequence[Comment], login: str | None) -> Comment | None:
    """The outgoing person's notes: their latest comment on their own turn's issue that is not only commands."""
    if not login:
        return None
    theirs = [c for c in comments if c.author.casefold() == login.casefold() and c.body.strip()
              and not _ONLY_COMMANDS.match(c.body)]
    return theirs[-1] if theirs else None
