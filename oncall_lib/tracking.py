"""Rows for the Support Incidents Spreadsheet: pure planning.

Each task is one row, in the worksheet for its kind, with a stable key in
column A. A run reads every key column it needs once, and appends only rows
whose key is not there yet: one append per worksheet per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from oncall_lib.config import TrackingConfig
from oncall_lib.plan import Action
from oncall_lib.services.sheets import SheetSnapshot

HEADER = ["Key", "Date", "On support", "Kind", "Summary", "Link", "Channel", "Requester", "Minutes to acknowledge",
          "Minutes spent", "Acknowledged how"]
ACKNOWLEDGED_HOW = HEADER.index("Acknowledged how")


def cell(value: object) -> str:
    """A value the sheet shows as text: a leading = + - @ would be read as a formula (USER_ENTERED)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@dataclass(frozen=True)
class TaskRow:
    key: str
    day: date
    person: str
    kind: str
    summary: str
    link: str = ""
    channel: str = ""
    requester: str = ""
    minutes_to_acknowledge: float | None = None
    minutes_spent: float | None = None
    acknowledged_how: str = ""  # reply, ticket, or "reaction; seen by <the scan's time>"

    def values(self) -> list[str]:
        def number(value: float | None) -> str:
            return "" if value is None else f"{value:g}"

        return [cell(self.key), self.day.isoformat(), cell(self.person), self.kind, cell(self.summary[:500]),
                cell(self.link), cell(self.channel), cell(self.requester), number(self.minutes_to_acknowledge),
                number(self.minutes_spent), cell(self.acknowledged_how)]


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
                               "rows": [r.values() for r in new]}, after=ready))
    return actions


SERIAL_EPOCH = date(1899, 12, 30)  # Google Sheets' day zero


def sheet_date(value: object) -> date | None:
    """A Date cell read back: a serial number (an unformatted read), or an ISO date (a sheet that keeps text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return SERIAL_EPOCH + timedelta(days=int(value))
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None
