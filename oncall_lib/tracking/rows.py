"""Rows in the Support Incidents Spreadsheet: pure planning of where a recorded task (`recorder.TaskRow`) goes.

Each task is one row, in the place for its kind (a tab, or a section in a tab: oncall_lib.tracking.layout), its
values under the team's own header cells. A run reads the whole spreadsheet once (cells and notes), and writes
only rows whose key is nowhere in it yet: per tab, one batchUpdate that inserts the rows where they belong with
the notes that key them (all or nothing), then one write of their values. A row whose values were lost after
its insert (its note is there, its cells are empty) gets its values on the next run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from oncall_lib import recorder
from oncall_lib.config import TrackingConfig
from oncall_lib.plan import Action, Ref
from oncall_lib.recorder import TaskRow
from oncall_lib.services.sheets import SheetSnapshot, quote_title
from oncall_lib.tracking.layout import (
    NOTE_PREFIX,
    PRODUCT_HEADER,
    Header,
    Place,
    SheetLayout,
    column_letter,
    place_for,
    read_layout,
)

HEADER = list(PRODUCT_HEADER.values())
ACKNOWLEDGED_HOW = HEADER.index("Acknowledged how")
DATE, KIND = HEADER.index("Date"), HEADER.index("Kind")
DATE_COLUMN = chr(ord("A") + DATE)  # as a person finds the cell: 'Access'!B7
# Who did a task the product did on its own: the "Done by" (Who, Engineer...) cell of its row (the recorder's).
AUTOMATIC = recorder.AUTOMATIC


def cell(value: object) -> str:
    """A value the sheet shows as text: a leading = + - @ would be read as a formula (USER_ENTERED)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def fields(row: TaskRow) -> dict[str, str]:
    """The row's cells by field name, as the sheet shows them."""
    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    return {"key": cell(row.key), "date": row.day.isoformat(), "on_support": cell(row.person),
            "kind": row.kind, "summary": cell(row.summary[:500]), "link": cell(row.link),
            "channel": cell(row.channel), "requester": cell(row.requester),
            "minutes_to_acknowledge": number(row.minutes_to_acknowledge),
            "minutes_spent": number(row.minutes_spent), "acknowledged_how": cell(row.acknowledged_how),
            "done_by": cell(row.by or row.person)}


def values(row: TaskRow) -> list[str]:
    """The row under the product's own header."""
    found = fields(row)
    return [found[name] for name in PRODUCT_HEADER]


@dataclass
class Planned:
    """The sheet's actions for some rows, and the one-line problems of rows that have no place."""

    actions: list[Action] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def new_rows(rows: list[TaskRow], layout: SheetLayout) -> list[TaskRow]:
    """Rows whose key is nowhere in the spreadsheet yet, once each."""
    seen = layout.keys
    fresh = []
    for row in rows:
        if row.key not in seen:
            seen.add(row.key)
            fresh.append(row)
    return fresh


def _runs(columns: dict[str, int]) -> list[list[tuple[int, str]]]:
    """The header's columns in contiguous runs (one range each, so no cell between them is written)."""
    runs: list[list[tuple[int, str]]] = []
    for column, name in sorted((c, f) for f, c in columns.items()):
        if runs and runs[-1][-1][0] == column - 1:
            runs[-1].append((column, name))
        else:
            runs.append([(column, name)])
    return runs


def _ranges(title: str, header: Header, first_row: int, rows: list[TaskRow]) -> list[dict[str, Any]]:
    data = []
    for run in _runs(header.columns):
        data.append({"range": f"{quote_title(title)}!{column_letter(run[0][0])}{first_row + 1}:"
                              f"{column_letter(run[-1][0])}{first_row + len(rows)}",
                     "values": [[_in_unit(fields(r)[name], header.in_hours(name)) for _, name in run]
                                for r in rows]})
    return data


def _in_unit(value: str, hours: bool) -> str:
    """Minutes as the team's column counts them: hours where its header says so (90 -> 1.5)."""
    return f"{round(float(value) / 60, 2):g}" if hours and value else value


def _summaries(rows: list[TaskRow]) -> str:
    # Cut with an ellipsis, so a summary cut mid-word does not read as the whole of it.
    return "; ".join(r.summary if len(r.summary) <= 60 else r.summary[:59].rstrip() + "…"
                     for r in rows[:3]) + (" ..." if len(rows) > 3 else "")


def plan_rows(rows: list[TaskRow], snapshot: SheetSnapshot, tracking: TrackingConfig, start: int = 0,
              layout: SheetLayout | None = None) -> Planned:
    """Per tab: add it (when allowed) or write the product's header (an empty tab or the product's own), then
    insert the rows it lacks at the end of their section with their keys, and write their values.

    `start` is where these actions will sit in the run's whole plan (for `after`)."""
    layout = layout or read_layout(snapshot, tracking)
    planned = Planned()
    fills: dict[str, list[tuple[int, Header, TaskRow]]] = {}
    for row in rows:
        for title, tab in layout.tabs.items():
            if row.key in tab.unfilled_keys():
                at = tab.keys[row.key]
                fills.setdefault(title, []).append((at, tab.headers_of[at], row))
    by_place: dict[tuple[str, int], tuple[Place, list[TaskRow]]] = {}
    problems: dict[str, None] = {}
    for row in new_rows(rows, layout):
        place = place_for(row.kind, layout, tracking)
        if isinstance(place, str):
            problems[place] = None
            continue
        by_place.setdefault((place.title, place.at), (place, []))[1].append(row)
    planned.problems = list(problems)
    spreadsheet = tracking.spreadsheet_id
    for title in sorted({t for t, _ in by_place}):
        groups = sorted((p for (t, _), p in by_place.items() if t == title), key=lambda g: g[0].at)
        first = groups[0][0]
        ready: int | None = None
        sheet_id: Any = first.sheet_id
        if first.sheet_id is None:
            ready = start + len(planned.actions)
            sheet_id = Ref(ready, "sheet_id")
            planned.actions.append(Action("sheet.add_worksheet", title, "add the worksheet with its header",
                                          {"spreadsheet": spreadsheet, "title": title, "header": HEADER}))
        elif first.write_header:
            ready = start + len(planned.actions)
            current = [c for c in (layout.tabs[title].tab.rows or [[]])[0] if c.strip()]
            planned.actions.append(Action("sheet.set_header", title, "write the header row" if not current else
                                          f"add the column(s) {', '.join(HEADER[len(current):])} to the header",
                                          {"spreadsheet": spreadsheet, "title": title, "header": HEADER}))
        inserts, data, shift = [], [], 0
        for place, new in groups:
            at = place.at + shift  # the groups above have already pushed this one down
            header = place.header
            first_column = min(header.columns.values())
            inserts.append({"at": at, "count": len(new), "inherit": place.inherit and at > 0,
                            "notes": [[offset, first_column, NOTE_PREFIX + r.key] for offset, r in enumerate(new)]})
            data += _ranges(title, header, at, new)
            header_row = header.row + sum(len(n) for p, n in groups if p.at <= header.row)
            data += [{"range": f"{quote_title(title)}!{column_letter(column)}{header_row + 1}",
                      "values": [[PRODUCT_HEADER[name]]]} for name, column in place.new_columns]
            shift += len(new)
        where = "; ".join(f"{len(new)} under {p.where()}" for p, new in groups)
        every = [r for _, new in groups for r in new]
        planned.actions.append(Action("sheet.append", title, f"log {len(every)} task(s) ({where}): "
                                      + _summaries(every),
                                      {"spreadsheet": spreadsheet, "title": title, "sheet_id": sheet_id,
                                       "inserts": inserts, "data": data,
                                       "rows": [values(r) for r in every]}, after=ready))
    for title, found in sorted(fills.items()):
        data = [d for at, header, row in found for d in _ranges(title, header, at, [row])]
        planned.actions.append(Action("sheet.fill", title, f"write the values of {len(found)} row(s) inserted "
                                      "before without them: " + _summaries([r for _, _, r in found]),
                                      {"spreadsheet": spreadsheet, "title": title, "data": data}))
    return planned


def insert_requests(sheet_id: int, inserts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The batchUpdate requests for `plan_rows`' inserts, top to bottom (each `at` already counts the rows the
    inserts above it add): the rows, then each one's key in a note."""
    requests: list[dict[str, Any]] = []
    for insert in inserts:
        requests.append({"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                       "startIndex": insert["at"],
                                                       "endIndex": insert["at"] + insert["count"]},
                                             "inheritFromBefore": bool(insert["inherit"])}})
        for offset, column, text in insert["notes"]:
            requests.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": insert["at"] + offset,
                                                       "columnIndex": column},
                                             "rows": [{"values": [{"note": text}]}], "fields": "note"}})
    return requests


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
