"""Time spent on a support issue, from what records it: the seed's two-hour rule is about time spent.

"Unless it's an emergency, don't spend more than 2 hours on any given support
work." Nothing measures that on its own: an issue open for a week may have had
twenty minutes of work. Time is known only where someone recorded it:

- the tracking sheet's "Minutes spent" on rows whose Link is the issue
  (`log_task.py --link URL --minutes N`, or the Log a task button);
- the issue's own time entries: a comment line `/oncall spent 1h30m`
  (also `45m`, `2h`, `1.5h`, `90 min`).

An issue with neither has no known time, and the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from oncall_lib.tracking.rows import HEADER

SPENT = re.compile(r"^[ \t]*/oncall[ \t]+spent[ \t]+(?P<duration>[^\r\n]*?)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_DURATION = re.compile(r"^(?:(?P<hours>\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?)?\s*"
                       r"(?:(?P<minutes>\d+(?:\.\d+)?)\s*m(?:in(?:ute)?s?)?)?$", re.IGNORECASE)
LINK, MINUTES_SPENT = HEADER.index("Link"), HEADER.index("Minutes spent")
WEEK = 7 * 24 * 60


def parse_duration(text: str) -> float | None:
    """Minutes in `1h30m`, `45m`, `2h`, `1.5 hours`, `90 min` or a bare `90` (minutes); None if not a duration
    of up to a week."""
    value = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        minutes = float(value)
    else:
        match = _DURATION.match(value)
        if not value or not match or not (match["hours"] or match["minutes"]):
            return None
        minutes = float(match["hours"] or 0) * 60 + float(match["minutes"] or 0)
    return minutes if 0 < minutes <= WEEK else None


def comment_minutes(bodies: Iterable[str]) -> float | None:
    """The minutes the comments' `/oncall spent` lines record (None when there is no such line)."""
    found = [parse_duration(m["duration"]) for body in bodies for m in SPENT.finditer(body)]
    known = [m for m in found if m is not None]
    return sum(known) if known else None


def _same_issue(link: str, url: str) -> bool:
    return link.strip().rstrip("/").casefold() == url.strip().rstrip("/").casefold()


def sheet_minutes(rows: Iterable[Sequence[Any]], url: str) -> float | None:
    """The "Minutes spent" of the sheet's rows that link to the issue (None when no such row has minutes)."""
    found = []
    for row in rows:
        if len(row) > MINUTES_SPENT and _same_issue(str(row[LINK]), url):
            value = row[MINUTES_SPENT]
            if isinstance(value, int | float) and not isinstance(value, bool):
                found.append(float(value))
            elif str(value).strip():
                parsed = parse_duration(str(value))
                found += [parsed] if parsed is not None else []
    return sum(found) if found else None


def time_spent(rows: Iterable[Sequence[Any]], url: str, comments: Iterable[str]) -> float | None:
    """Both records added up; None when neither says anything."""
    parts = [m for m in (sheet_minutes(rows, url), comment_minutes(comments)) if m is not None]
    return sum(parts) if parts else None


def hours_text(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole} min" if whole < 60 else f"{whole // 60} h" + (f" {whole % 60} min" if whole % 60 else "")
