"""The business-hours clock: how long a request has waited in working time.

Days are built in the team's time zone from wall-clock opening and closing
times, so a day on which daylight saving time ends is still 09:00-17:00 local.
Weekends and listed holidays have no business time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 400  # a bound on the walk: a year and a bit of calendar


@dataclass(frozen=True)
class BusinessHours:
    tz: ZoneInfo
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    holidays: frozenset[date] = frozenset()

    @property
    def day_minutes(self) -> float:
        """The length of one business day in minutes (as the wall clock reads it)."""
        return (self.closes.hour * 60 + self.closes.minute) - (self.opens.hour * 60 + self.opens.minute)

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def previous_workday(self, day: date) -> date:
        """The last working day before `day` (a Monday's is the Friday, or the Thursday before a holiday)."""
        for back in range(1, MAX_DAYS):
            candidate = day - timedelta(days=back)
            if self.is_workday(candidate):
                return candidate
        raise ValueError(f"no working day within {MAX_DAYS} days before {day.isoformat()}: check the weekdays")

    def _day_window(self, day: date) -> tuple[datetime, datetime]:
        return (datetime.combine(day, self.opens, tzinfo=self.tz), datetime.combine(day, self.closes, tzinfo=self.tz))

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes in [start, end)."""
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            if self.is_workday(day):
                opens, closes = self._day_window(day)
                overlap = (min(end, closes) - max(start, opens)).total_seconds()
                total += max(0.0, overlap)
            day += timedelta(days=1)
        return total / 60.0

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of business time after `start` (a request's due time)."""
        remaining = timedelta(minutes=minutes)
        day = start.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            if self.is_workday(day):
                opens, closes = self._day_window(day)
                begin = max(start, opens)
                if begin < closes:
                    if begin + remaining <= closes:
                        return begin + remaining
                    remaining -= closes - begin
            day += timedelta(days=1)
        raise ValueError(f"no business time within {MAX_DAYS} days of {start.isoformat()}: check the weekdays")

    def is_open(self, at: datetime) -> bool:
        day = at.astimezone(self.tz).date()
        if not self.is_workday(day):
            return False
        opens, closes = self._day_window(day)
        return opens <= at < closes
