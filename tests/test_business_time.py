"""The business-hours clock across weekends, holidays and the end of daylight saving time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from oncall_lib.business_time import BusinessHours

NY = ZoneInfo("America/New_York")
CLOCK = BusinessHours(NY, holidays=frozenset({date(2026, 11, 26)}))


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_a_request_late_on_friday_is_due_monday_morning() -> None:
    asked = ny(2026, 11, 20, 16, 50)
    assert CLOCK.add_minutes(asked, 60) == ny(2026, 11, 23, 9, 50)
    assert CLOCK.minutes_between(asked, ny(2026, 11, 23, 9, 0)) == 10
    assert CLOCK.minutes_between(asked, ny(2026, 11, 21, 12, 0)) == 10  # Saturday adds nothing


def test_a_holiday_has_no_business_time() -> None:
    asked = ny(2026, 11, 25, 16, 30)  # the day before Thanksgiving
    assert CLOCK.add_minutes(asked, 60) == ny(2026, 11, 27, 9, 30)
    assert CLOCK.minutes_between(asked, ny(2026, 11, 27, 9, 0)) == 30


def test_the_end_of_daylight_saving_time_keeps_nine_to_five_local() -> None:
    asked = ny(2026, 10, 30, 16, 40)  # Friday, EDT
    due = CLOCK.add_minutes(asked, 45)
    assert due == ny(2026, 11, 2, 9, 25) and due.utcoffset() == ny(2026, 11, 2, 9).utcoffset()
    assert CLOCK.minutes_between(asked, ny(2026, 11, 2, 9, 25)) == 45
    # A whole business day is eight hours on both sides of the change.
    assert CLOCK.minutes_between(ny(2026, 10, 30, 0, 0), ny(2026, 11, 3, 0, 0)) == 2 * 8 * 60


def test_before_opening_and_after_closing() -> None:
    assert CLOCK.minutes_between(ny(2026, 11, 24, 6, 0), ny(2026, 11, 24, 8, 0)) == 0
    assert CLOCK.add_minutes(ny(2026, 11, 24, 7, 0), 30) == ny(2026, 11, 24, 9, 30)
    assert CLOCK.add_minutes(ny(2026, 11, 24, 18, 0), 30) == ny(2026, 11, 25, 9, 30)
    assert not CLOCK.is_open(ny(2026, 11, 24, 17, 0)) and CLOCK.is_open(ny(2026, 11, 24, 16, 59))
