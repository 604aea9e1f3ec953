"""When the scheduled audit acts: at `[iam] audit_hour` on a weekday, in the team's time zone.

Cron is UTC and cannot read oncall.toml, so `iam-audit.yml` schedules the UTC hours
that can be the audit hour (two, for winter and summer time) and the job reads
`audit_hour` at run time, acting only in the run that is that hour locally. A
schedule that can no longer reach the hour (audit_hour or time_zone changed, the
cron lines not) would mean no audit ever: the job then fails, every scheduled
run, naming the cron line to write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "iam-audit.yml"
_CRON = re.compile(r"""^\s*-\s*cron:\s*["']([^"']+)["']""", re.M)


def workflow_schedule(path: Path = WORKFLOW) -> list[str]:
    """The cron lines of the audit's workflow (none when the file is not there, as in a package install)."""
    try:
        return _CRON.findall(path.read_text(encoding="utf-8"))
    except OSError:
        return []


@cache
def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step = part.partition("/")
        start, end = (low, high) if body == "*" else (
            (int(body.split("-")[0]), int(body.split("-")[1])) if "-" in body else (int(body), int(body)))
        values.update(range(start, end + 1, int(step) if step else 1))
    return frozenset(values)


def fires(line: str, when: datetime) -> bool:
    """Whether a cron line (UTC, as GitHub reads it) starts a run at `when`'s minute."""
    minute, hour, day, month, weekday = line.split()
    utc = when.astimezone(UTC)
    day_ok = utc.day in _field(day, 1, 31)
    weekday_ok = utc.isoweekday() % 7 in {d % 7 for d in _field(weekday, 0, 7)}
    days = (day_ok or weekday_ok) if day != "*" and weekday != "*" else (day_ok and weekday_ok)
    return (utc.minute in _field(minute, 0, 59) and utc.hour in _field(hour, 0, 23)
            and utc.month in _field(month, 1, 12) and days)


def _weekday_hours(hour: int, tz: ZoneInfo, start: date, days: int) -> list[datetime]:
    out = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() < 5:
            out.append(datetime(day.year, day.month, day.day, hour, tzinfo=tz))
    return out


def missed_days(lines: Sequence[str], hour: int, tz: ZoneInfo, start: date, days: int = 366) -> list[datetime]:
    """The weekdays of the coming year on which no cron line starts a run within the audit hour."""
    missed = []
    for local in _weekday_hours(hour, tz, start, days):
        if not any(fires(line, local + timedelta(minutes=m)) for m in range(60) for line in lines):
            missed.append(local)
    return missed


def _listed(values: Sequence[int]) -> str:
    """1,2,3,4,5 -> 1-5; 15,16 stays."""
    values = sorted(set(values))
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(map(str, values))


def cron_for(hour: int, tz: ZoneInfo, start: date, minute: int = 7) -> str:
    """The cron line that reaches `hour` (at `minute` past, local) on every weekday of the coming year, through
    daylight-saving changes (and in zones half an hour off UTC)."""
    runs = [(t + timedelta(minutes=minute)).astimezone(UTC) for t in _weekday_hours(hour, tz, start, 366)]
    return (f"{_listed([r.minute for r in runs])} {_listed([r.hour for r in runs])} * * "
            f"{_listed([r.isoweekday() % 7 for r in runs])}")


def unreachable(lines: Sequence[str], hour: int, tz: ZoneInfo, at: datetime) -> str | None:
    """Why the schedule cannot run the audit at its hour, with the line to write; None when it can."""
    if not lines:
        return None
    missed = missed_days(lines, hour, tz, at.astimezone(tz).date())
    if not missed:
        return None
    return (f"iam-audit.yml's schedule ({'; '.join(lines)}, UTC) does not start a run at {hour:02d}:00 in {tz.key} "
            f"on weekdays ({len(missed)} missed in the coming year, the first {missed[0]:%a %Y-%m-%d}), so "
            f"[iam] audit_hour = {hour} would never audit then: set its cron line to "
            f"\"{cron_for(hour, tz, at.astimezone(tz).date())}\"")
