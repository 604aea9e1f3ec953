"""Parsing the times people type."""

from __future__ import annotations

import argparse
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from oncall_lib.errors import InputError


def parse_at(value: str | None, tz: ZoneInfo, *, now: datetime | None = None) -> datetime:
    """`--at`: an ISO 8601 time; without an offset it is read in the team's time zone."""
    if not value:
        return now or datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--at {value!r}: not an ISO 8601 time (like 2026-11-30T09:30 or 2026-11-30T14:30Z)") from None
    # Every job looks back and ahead from --at by days or weeks: the ends of the calendar would overflow.
    if not EARLIEST <= parsed.replace(tzinfo=None) <= LATEST:
        raise InputError(f"--at {value!r}: give a time between {EARLIEST:%Y} and {LATEST:%Y}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2100, 1, 1)


def hour_of_day(value: str) -> int:
    """An argparse type for an hour of the day, 0-23."""
    if not value.strip().isdigit() or not 0 <= int(value) <= 23:
        raise argparse.ArgumentTypeError(f"{value!r} is not an hour of the day (0-23)")
    return int(value)


def minutes(value: str) -> float:
    """An argparse type for minutes spent: a finite, non-negative number, at most a week."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of minutes") from None
    if not math.isfinite(number) or not 0 <= number <= 7 * 24 * 60:
        raise argparse.ArgumentTypeError(f"{value!r}: give minutes between 0 and {7 * 24 * 60} (a week)")
    return number


def not_at_hour(at: datetime, tz: ZoneInfo, hour: int | None) -> str | None:
    """Why a run scheduled for `hour` (local) should do nothing now, or None when it should run.

    Cron is UTC, so a job meant for 11:00 in New York is scheduled at both candidate UTC hours and acts
    only in the run where it is that hour locally, in summer and winter alike."""
    local = at.astimezone(tz)
    if hour is None or local.hour == hour:
        return None
    return f"it is {local:%H:%M %Z}, not {hour:02d}:00 in {tz.key}"
