"""Rows in the Support Incidents Spreadsheet: pure planning of where a recorded task goes in the sheet.

Each task is one row, in the worksheet for its kind, with a stable key in
column A. A run reads every key column it needs once, and appends only rows
whose key is not there yet: one append per worksheet per run.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from oncall_lib.config import TrackingConfig
from oncall_lib.plan import Action
from oncall_lib.recorder import TaskRow
from oncall_lib.services.sheets import SheetSnapshot

HEADER = ["Key", "Date", "On support", "Kind", "Summary", "Link", "Channel", "Requester", "Minutes to acknowledge",
          "Minutes spent", "Acknowledged how"]
ACKNOWLEDGED_HOW = HEADER.index("Acknowledged how")
DATE, KIND = HEADER.index("Date"), HEADER.index("Kind")
DATE_COLUMN = chr(ord("A") + DATE)  # as a person finds the cell: 'Access'!B7


def cell(value: object) -> str:
    """A value the sheet shows as text: a leading = + - @ would be read as a formula (USER_ENTERED)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def values(row: TaskRow) -> list[str]:
    """The row's cells, in HEADER's order."""
    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    return [cell(row.key), row.day.isoformat(), cell(row.person), row.kind, cell(row.summary[:500]),
            cell(row.link), cell(row.channel), cell(row.requester), number(row.minutes_to_acknowledge),
            number(row.minutes_spent), cell(row.acknowledged_how)]


def worksheets_for(rows: list[TaskRow], tracking: TrackingConfig) -> list[str]:
    return sorted({tracking.section(r.kind) for r in rows})


def plan_rows(rows: list[TaskRow], snapshot: SheetSnapshot, tracking: TrackingConfig, start: int = 0) -> list[Action]:
    """Create missing worksheets (and headers), then one append per worksheet of the rows it lacks.

    `start` is where these actions will sit in the run's whole plan (for `after`)."""
    actions: list[Action] = []
    by_sheet: dict[str, list[TaskRow]] = {}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        title = tracking.section(row.kind)
        if row.key in snapshot.keys.get(title, set()) or (title, row.key) in seen:
            continue
        seen.add((title, row.key))
        by_sheet.setdefault(title, []).append(row)
    for title, new in sorted(by_sheet.items()):
        ready = None
        if title not in snapshot.titles:
            ready = start + len(actions)
            actions.append(Action("sheet.add_worksheet", title, "add the worksheet with its header",
                                  {"spreadsheet": tracking.spreadsheet_id, "title": title, "header": HEADER}))
        elif (header := snapshot.headers.get(title, [])) != HEADER and HEADER[:len(header)] == header:
            # No header yet, or one from before a column was added: write ours (a header of their own stays).
            ready = start + len(actions)
            actions.append(Action("sheet.set_header", title, "write the header row" if not header else
                                  f"add the column(s) {', '.join(HEADER[len(header):])} to the header",
                                  {"spreadsheet": tracking.spreadsheet_id, "title": title, "header": HEADER}))
        actions.append(Action("sheet.append", title, f"log {len(new)} task(s): " + "; ".join(r.summary[:60]
                                                                                             for r in new[:3])
                              + (" ..." if len(new) > 3 else ""),
                              {"spreadsheet": tracking.spreadsheet_id, "title": title,
                               "rows": [values(r) for r in new]}, after=ready))
    return actions


SERIAL_EPOCH = date(1899, 12, 30)  # Google Sheets' day zero
_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_WEEKDAYS = {"mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs", "thursday",
             "fri", "friday", "sat", "saturday", "sun", "sunday"}
# A time after the date (12/7/2026 14:05, 2026-12-07T09:00:00-05:00, 7 Dec 2026 2:05 PM): the day is what counts.
_TIME = re.compile(r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?(?:Z|[+-]\d{2}:?\d{2})?)\s*$", re.I)
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def day_first(locale: str) -> bool:
    """Whether the spreadsheet's locale writes 7/12/2026 for 7 December (en_GB, fr_FR...): all but the US's."""
    return bool(locale) and locale.replace("-", "_").lower() not in ("en_us", "en", "es_us", "en_ph", "fil_ph")


def sheet_date(value: object, *, day_first: bool = False) -> date | None:
    """A Date cell read back, whatever it holds: a serial number (an unformatted read of a date), or text a
    person typed or a text-formatted column kept: ISO (2026-12-07), numbers with slashes, dots or dashes
    (12/7/2026 in the US, 7/12/2026 where the sheet's locale puts the day first, and either way when one part
    is over 12), or a month's name (7 Dec 2026, December 7, 2026, Mon 7-Dec-26). None when it is none of these."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _serial(float(value))
    text = _TIME.sub("", str(value).strip())
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):  # a serial number kept as text
        return _serial(float(text))
    tokens = [t.lower() for t in _TOKEN.findall(text) if t.lower() not in _WEEKDAYS and t.lower() not in ("of",)]
    tokens = [re.sub(r"^(\d+)(?:st|nd|rd|th)$", r"\1", t) for t in tokens]
    tokens = [t for t in tokens if t not in ("st", "nd", "rd", "th")]
    months = [t for t in tokens if not t.isdigit()]
    numbers = [t for t in tokens if t.isdigit()]
    if len(months) > 1 or (months and months[0] not in _MONTHS) or len(numbers) + len(months) != 3:
        return None
    try:
        if months:  # 7 Dec 2026, December 7 2026, 2026 Dec 7
            years = [n for n in numbers if len(n) == 4] or numbers[-1:]
            day = next(n for n in numbers if n not in years)
            return date(_year(years[0]), _MONTHS[months[0]], int(day))
        first, second, third = numbers
        if len(first) == 4:  # 2026-12-07, 2026/12/07
            return date(int(first), int(second), int(third))
        a, b = int(first), int(second)
        day_then_month = a > 12 or (b <= 12 and (day_first or "." in text))
        return date(_year(third), b if day_then_month else a, a if day_then_month else b)
    except (ValueError, StopIteration):
        return None


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) <= 2 else year


def _serial(number: float) -> date | None:
    if not 1 <= number < 2958466:  # Sheets' own range: 1899-12-31 to 9999-12-31
        return None
    return SERIAL_EPOCH + timedelta(days=int(number))
