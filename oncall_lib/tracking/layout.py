"""Where a row goes in the team's own spreadsheet, read from what is there: pure.

The Support Incidents Spreadsheet is the team's: title rows, a header row of its own wording and order,
sections (a heading row per kind of task, rows under it), tabs of its own. The product reads it as it is:

- **A header row** is a row where at least two cells name fields (`Date`, `Who`, `Description`...: the names in
  `NAMES`, plus the team's own in `[tracking.columns]`), and those named cells are half the row's cells or include
  the date or the summary. Rows above it (titles) are left alone. A section may have a header row of its own;
  otherwise it uses the one above it.
- **A section heading** is a row with a single cell, not a date or a number (or a section's name with a note
  beside it), in a tab that has a header row.
- **A kind of task's place** (`[tracking.sections]`: `support = "Support requests"`): a tab of that title, else a
  section whose heading reads so (in any tab), else the same for `other`, else a new tab when allowed, else
  the only tab with a header when it has no sections by kind (titles above its header and sections by period,
  "November 2026", "Week of Nov 30", are not: rows go at the end of the newest). Rows go
  after the section's last entry (its last row with a date), before the blank row that closes it and any footer
  (totals), or at the end of the tab, inserted there, so no cell of the team's moves relative to its section.
- **No place**: a tab is added only when the team allows it (`add_tabs`; by default only in a spreadsheet that is
  empty or the product's own). A place whose header lacks the date or the summary gets nothing, and one line
  says which tab and which columns; so does a kind with no place.

A row's key is kept out of the team's columns: in a note on its first written cell (`oncall-support key: ...`),
read back in the same read as the cells; a `Key` column, where there is one (the product's own tabs), counts too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, get_args

from oncall_lib.config import TASK_KINDS, RowField, TrackingConfig
from oncall_lib.services.sheets import SheetRows, SheetSnapshot, Tab

FIELDS: tuple[str, ...] = get_args(RowField)
# The product's own header, for tabs it sets up: a field per column, in this order (older tabs lack "Done by").
PRODUCT_HEADER: dict[str, str] = {
    "key": "Key", "date": "Date", "on_support": "On support", "kind": "Kind", "summary": "Summary", "link": "Link",
    "channel": "Channel", "requester": "Requester", "minutes_to_acknowledge": "Minutes to acknowledge",
    "minutes_spent": "Minutes spent", "acknowledged_how": "Acknowledged how", "done_by": "Done by"}
# The names a header cell may give each field (compared without case, punctuation or a "(unit)").
NAMES: dict[str, tuple[str, ...]] = {
    "key": ("key", "oncall key"),
    "date": ("date", "when", "day", "date logged", "logged on", "date of request", "date time", "timestamp",
             "date opened", "opened", "created"),
    "on_support": ("on support", "oncall", "on call", "person on support", "support person", "on duty"),
    "done_by": ("done by", "who", "person", "engineer", "owner", "handled by", "name", "assignee", "responder",
                "by"),
    "kind": ("kind", "type", "category", "task type", "kind of task"),
    "summary": ("summary", "description", "details", "what", "task", "request", "what happened",
                "description of issue", "issue description", "description of request"),
    "link": ("link", "url", "links", "ticket link"),
    "channel": ("channel", "source", "slack channel"),
    "requester": ("requester", "requestor", "requested by", "asked by", "who asked", "from", "reporter"),
    "minutes_to_acknowledge": ("minutes to acknowledge", "time to acknowledge", "response time", "time to ack",
                               "minutes to ack"),
    "minutes_spent": ("minutes spent", "time spent", "duration", "minutes", "time taken", "hours spent", "hours"),
    "acknowledged_how": ("acknowledged how", "how acknowledged"),
}
REQUIRED = ("date", "summary")
NOTE_PREFIX = "oncall-support key: "
ADDED = " (a tab the product adds)"
HEADER_SEARCH = 50  # rows looked at for a tab's first header row


_UNIT = re.compile(r"\([^)]*\)")
_PUNCTUATION = re.compile(r"[^\w]+")


@lru_cache(maxsize=4096)
def normalized(text: str) -> str:
    """"Time spent (min):" -> "time spent": how header cells and headings are compared."""
    return " ".join(_PUNCTUATION.sub(" ", _UNIT.sub(" ", text.casefold())).split())


@lru_cache(maxsize=4096)
def _is_date(value: str | int | float) -> bool:
    from oncall_lib.tracking.rows import sheet_date

    return sheet_date(value) is not None


def _same_name(a: str, b: str) -> bool:
    x, y = normalized(a), normalized(b)
    return bool(x) and (x == y or x.rstrip("s") == y.rstrip("s"))  # "PR review" is the "PR reviews" section


def column_letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def name_lookup(tracking: TrackingConfig) -> dict[str, str]:
    """Normalized header text -> field: the built-in names, then the team's own (which win)."""
    lookup: dict[str, str] = {}
    for name in FIELDS:
        if tracking.header_names(name) != []:
            lookup.update({normalized(n): name for n in NAMES[name]})
    for name in FIELDS:
        lookup.update({normalized(n): name for n in tracking.header_names(name) or []})
    return {k: v for k, v in lookup.items() if tracking.header_names(v) != []}


_HOURS = re.compile(r"\b(hours?|hrs?|h)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Header:
    row: int
    columns: dict[str, int]  # field -> column
    cells: tuple[str, ...]  # the row as the team wrote it

    def in_hours(self, name: str) -> bool:
        """Whether the team's cell for a minutes field counts hours ("Time spent (h)", "Hours spent")."""
        column = self.columns.get(name)
        return (column is not None and name.startswith("minutes_") and column < len(self.cells)
                and bool(_HOURS.search(self.cells[column])))

    def describe(self) -> str:
        by_column = sorted((c, f) for f, c in self.columns.items())
        return ", ".join(f"{self.cells[c] if c < len(self.cells) and self.cells[c] else PRODUCT_HEADER[f]}"
                         f"={column_letter(c)}" + ("" if normalized(self.cells[c] if c < len(self.cells) else "")
                                                   == normalized(PRODUCT_HEADER[f]) else f" ({f})")
                         for c, f in by_column)


def read_header(row: int, cells: list[str], lookup: dict[str, str]) -> Header | None:
    columns: dict[str, int] = {}
    matched = 0
    for index, text in enumerate(cells):
        found = lookup.get(normalized(text)) if len(text) <= 60 else None  # no field's name is longer
        if found and found not in columns:
            columns[found] = index
            matched += 1
    filled = sum(1 for c in cells if c.strip())
    if len(columns) >= 2 and (matched * 2 >= filled or set(REQUIRED) & set(columns)):
        return Header(row, columns, tuple(cells))
    return None


@dataclass
class Section:
    name: str | None  # the heading's text; None for the top of a tab, above any heading
    start: int
    header: Header | None
    # Its last entry (a row with a date, or one the product keyed), else its heading or header: new rows go
    # after it, so a footer of the team's (a blank row, then totals) stays below them.
    last: int
    last_is_data: bool = False
    data: list[int] = field(default_factory=list)  # its rows that are neither heading nor header


@dataclass
class TabLayout:
    tab: Tab
    sections: list[Section]
    product: bool  # the product's own header in row 1 (Key, Date, ...)
    keys: dict[str, int] = field(default_factory=dict)  # row key -> row
    headers_of: dict[int, Header] = field(default_factory=dict)  # a keyed row -> the header it is under
    unfilled: set[int] = field(default_factory=set)  # keyed rows with nothing in their fields (a lost write)

    def unfilled_keys(self) -> set[str]:
        return {key for key, row in self.keys.items() if row in self.unfilled}

    @property
    def empty(self) -> bool:
        return not any(c.strip() for row in self.tab.rows for c in row) and not self.tab.notes

    def width(self) -> int:
        return max([len(r) for r in self.tab.rows] + [c + 1 for _, c in self.tab.notes] + [0])


def _is_heading(cells: list[str], section_names: frozenset[str] | set[str]) -> bool:
    """One cell that is not a date or a number; or a row that starts with a section's name and holds no date
    (a heading with a count or a note beside it: "Access | 3 this week")."""
    filled = [c.strip() for c in cells if c.strip()]
    if not filled or len(filled[0]) > 80 or _is_date(filled[0]):
        return False
    if len(filled) > 1:
        return _plural(normalized(filled[0])) in section_names and not any(_is_date(c) for c in filled)
    return not re.fullmatch(r"[\d.,:%$ -]+", filled[0])


_PERIOD = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
                     r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|week|sprint|q[1-4]|(19|20)\d\d)\b",
                     re.IGNORECASE)


def _period(name: str) -> bool:
    """A heading that names a time ("November 2026", "Week of Nov 30", "Sprint 42", "Q4"): a log kept by
    period, whose newest section is its last."""
    return bool(_PERIOD.search(name)) or _is_date(name)


def _plural(name: str) -> str:
    return name.rstrip("s")


def _dated(tab: Tab, index: int, header: Header) -> bool:
    """Whether the row's date cell holds a date (an entry, not a footer such as totals)."""
    column = header.columns.get("date")
    if column is None:
        return True
    shown = tab.rows[index][column] if column < len(tab.rows[index]) else ""
    raw = tab.values[index][column] if index < len(tab.values) and column < len(tab.values[index]) else shown
    return _is_date(raw if isinstance(raw, int | float | str) else str(raw)) or _is_date(shown) or bool(
        "key" in header.columns and header.columns["key"] < len(tab.rows[index])
        and tab.rows[index][header.columns["key"]].strip())


def _product_header(rows: list[list[str]]) -> bool:
    first = [c.strip() for c in rows[0]] if rows else []
    while first and not first[-1]:
        first.pop()
    return len(first) >= 2 and first == list(PRODUCT_HEADER.values())[:len(first)]


def read_tab(tab: Tab, lookup: dict[str, str], section_names: frozenset[str] | set[str] = frozenset()) -> TabLayout:
    keyed = {r: text[len(NOTE_PREFIX):].strip() for (r, _), text in tab.notes.items() if text.startswith(NOTE_PREFIX)}
    layout = TabLayout(tab, [Section(None, 0, None, -1)], _product_header(tab.rows))
    header: Header | None = None
    for index in range(max(len(tab.rows), max(keyed, default=-1) + 1)):
        cells = [str(c) for c in tab.rows[index]] if index < len(tab.rows) else []
        current = layout.sections[-1]
        if not any(c.strip() for c in cells) and index not in keyed:
            continue
        found = read_header(index, cells, lookup) if index not in keyed else None
        if found is not None:
            if current.header is not None and current.data:
                layout.sections.append(Section(None, index, found, index))  # a second table below the first
            else:
                current.header = found
                current.last, current.last_is_data = index, False
            header = found
            continue
        if index not in keyed and _is_heading(cells, section_names) and (header is not None or index < HEADER_SEARCH):
            layout.sections.append(Section(cells[[c.strip() != "" for c in cells].index(True)].strip(), index,
                                           None, index))
            continue
        if header is None and index >= HEADER_SEARCH:
            break
        current.data.append(index)
        if current.header is None:
            current.header = header
        under = current.header or header
        if index in keyed or under is None or _dated(tab, index, under):
            current.last, current.last_is_data = index, True
        key = keyed.get(index) or (str(cells[under.columns["key"]]).strip()
                                   if under and "key" in under.columns and under.columns["key"] < len(cells) else "")
        if key:
            layout.keys[key] = index
            if under is not None:
                layout.headers_of[index] = under
                if not any(c < len(cells) and cells[c].strip() for f, c in under.columns.items() if f != "key"):
                    layout.unfilled.add(index)
    # A section without a header row of its own is under the one above it.
    above: Header | None = None
    for section in layout.sections:
        section.header = section.header or above
        above = section.header or above
    return layout


@dataclass
class SheetLayout:
    tabs: dict[str, TabLayout]
    lookup: dict[str, str]

    @property
    def keys(self) -> set[str]:
        return {k for t in self.tabs.values() for k in t.keys}

    def unfilled_keys(self) -> set[str]:
        return {k for t in self.tabs.values() for k in t.unfilled_keys()}

    @property
    def products_own(self) -> bool:
        """Empty, or set up by the product: every tab empty or under the product's header."""
        return all(t.empty or t.product for t in self.tabs.values())


def read_layout(snapshot: SheetSnapshot, tracking: TrackingConfig) -> SheetLayout:
    lookup = name_lookup(tracking)
    names = {_plural(normalized(n)) for n in tracking.sections.values()}
    return SheetLayout({title: read_tab(tab, lookup, names) for title, tab in snapshot.tabs.items()}, lookup)


def logged_keys(snapshot: SheetSnapshot, tracking: TrackingConfig) -> set[str]:
    """The keys of every row the product logged, wherever in the spreadsheet they are now (not those whose
    values were lost after their insert: the next write fills them)."""
    layout = read_layout(snapshot, tracking)
    return layout.keys - layout.unfilled_keys()


def product_header_layout() -> Header:
    return Header(0, {f: i for i, f in enumerate(PRODUCT_HEADER)}, tuple(PRODUCT_HEADER.values()))


@dataclass(frozen=True)
class Place:
    """Where a kind's rows go: `at` is the row they are inserted at (0-based), under `header`."""

    title: str
    section: str | None
    header: Header
    at: int
    inherit: bool = False  # the row above is a data row: the new rows take its formats
    sheet_id: int | None = None  # None: a tab to add
    write_header: bool = False  # an empty tab, or the product's own with an older header: write the product's
    new_columns: tuple[tuple[str, int], ...] = ()  # fields given a header cell the team asked to add

    def where(self) -> str:
        return f"'{self.title}'" + (f", section '{self.section}'" if self.section else "")


def _place_in(layout: TabLayout, section: Section | None, tracking: TrackingConfig) -> Place | str:
    tab = layout.tab
    if layout.empty:
        return Place(tab.title, None, product_header_layout(), 1, sheet_id=tab.sheet_id, write_header=True)
    if layout.product:
        header_cells = [c.strip() for c in tab.rows[0] if c.strip()]
        last = max([i for i, r in enumerate(tab.rows) if any(str(c).strip() for c in r)] + list(layout.keys.values()))
        return Place(tab.title, None, product_header_layout(), last + 1, inherit=last > 0, sheet_id=tab.sheet_id,
                     write_header=len(header_cells) < len(PRODUCT_HEADER))
    if section is None:  # the end of the tab
        section = layout.sections[-1]
    header = section.header
    where = f"'{tab.title}'" + (f", section '{section.name}'" if section.name else "")
    if header is None:
        return (f"tracking sheet: {where} has no header row (a row naming at least two of "
                f"{', '.join(PRODUCT_HEADER[f] for f in ('date', 'done_by', 'summary', 'link'))}...); nothing is "
                "written there")
    missing = [f for f in REQUIRED if f not in header.columns]
    added: list[tuple[str, int]] = []
    if tracking.add_columns:
        next_column = layout.width()
        for name in PRODUCT_HEADER:
            if name not in header.columns and name != "key" and tracking.header_names(name) != []:
                added.append((name, next_column))
                next_column += 1
        header = Header(header.row, {**header.columns, **dict(added)}, header.cells)
        missing = []
    if missing:
        return (f"tracking sheet: {where} has no column for the {' or the '.join(missing)} (its header, row "
                f"{header.row + 1}: {', '.join(c for c in header.cells if c.strip())}); name a header cell "
                f"{' and '.join(repr(PRODUCT_HEADER[f]) for f in missing)}, map one in [tracking.columns], or set "
                "[tracking] add_columns = true; nothing is written there")
    return Place(tab.title, section.name, header, section.last + 1, inherit=section.last_is_data,
                 sheet_id=tab.sheet_id, new_columns=tuple(added))


def place_for(kind: str, layout: SheetLayout, tracking: TrackingConfig) -> Place | str:
    """Where rows of this kind go, or the one line that says why there is no such place."""
    names = list(dict.fromkeys([tracking.section(kind), tracking.section("other")]))
    for name in names:
        for title, tab in layout.tabs.items():
            if _same_name(title, name):
                return _place_in(tab, None, tracking)
        for tab in layout.tabs.values():
            if tab.product or not any(s.header for s in tab.sections):
                continue  # a tab without a header row holds lists or notes, not sections of a log
            for section in tab.sections:
                if section.name and _same_name(section.name, name):
                    return _place_in(tab, section, tracking)
    if tracking.add_tabs is True or (tracking.add_tabs == "auto" and layout.products_own):
        return Place(names[0], None, product_header_layout(), 1)
    logs = [t for t in layout.tabs.values() if not t.empty and any(s.header for s in t.sections)]
    # Headings divide a log into sections (those above its first header row are titles): the end of such a tab
    # is nobody's section.
    headings = [f"'{s.name}'" for t in logs for s in t.sections if s.name and s.header and not _period(s.name)
                and s.start > min(x.header.row for x in t.sections if x.header)]
    if len(logs) == 1 and not headings:
        return _place_in(logs[0], None, tracking)
    return (f"tracking sheet: no tab or section for {kind} rows ('{names[0]}'"
            + (f" or '{names[1]}'" if len(names) > 1 else "") + ")"
            + (f" among the sections {', '.join(headings[:8])}" if headings else "")
            + ": add a tab or a heading row of that name, name another in [tracking.sections], or set [tracking] "
            "add_tabs = true; nothing is written for them")


def product_rows(snapshot: SheetSnapshot, tracking: TrackingConfig) -> SheetRows:
    """The rows of each kind's place as if under the product's own header (unformatted values, the Kind filled
    in from the place where the team's header has no such column, the key from the row's note), each row once,
    under its kind's section name: what the rotation report reads."""
    layout = read_layout(snapshot, tracking)
    found: dict[str, list[list[Any]]] = {}
    cells: dict[str, list[str]] = {}
    done: set[tuple[str, str | None]] = set()
    for kind in TASK_KINDS:
        place = place_for(kind, layout, tracking)
        if isinstance(place, str) or place.sheet_id is None or (place.title, place.section) in done:
            continue
        done.add((place.title, place.section))
        tab = layout.tabs[place.title]
        keys = {row: key for key, row in tab.keys.items()}
        sections = [s for s in tab.sections if place.section is None or s.name == place.section]
        for section in sections:
            header = section.header
            if header is None:
                continue
            for index in section.data:
                values = tab.tab.values[index] if index < len(tab.tab.values) else []

                def value(name: str, values: list[Any] = values, header: Header = header) -> Any:
                    column = header.columns.get(name)
                    found = values[column] if column is not None and column < len(values) else ""
                    if header.in_hours(name) and isinstance(found, int | float) and not isinstance(found, bool):
                        return found * 60  # the report counts minutes
                    return found
                row = [value(name) for name in PRODUCT_HEADER]
                row[0] = row[0] or keys.get(index, "")
                row[3] = row[3] or kind
                # Each row once, under its own kind's name (so a report looking a kind up finds it).
                name = tracking.section(str(row[3]) if row[3] in TASK_KINDS else kind)
                found.setdefault(name, [list(PRODUCT_HEADER.values())]).append(row)
                cells.setdefault(name, []).append(
                    f"'{place.title}'!{column_letter(header.columns.get('date', 0))}{index + 1}")
    return SheetRows(found, snapshot.locale, cells)


def mapping(layout: SheetLayout, tracking: TrackingConfig, kinds: tuple[str, ...] = TASK_KINDS) -> list[
        tuple[bool, str]]:
    """What the doctor and init.py show: each place the kinds' rows go, with its columns, or why there is none."""
    places: dict[str, list[str]] = {}
    lines: dict[str, tuple[bool, str]] = {}
    for kind in kinds:
        found = place_for(kind, layout, tracking)
        if isinstance(found, str):
            lines[found] = (False, found)
            continue
        where = found.where() if found.sheet_id is not None else f"'{found.title}'{ADDED}"
        places.setdefault(where, []).append(kind)
        columns = found.header.describe() if found.sheet_id is not None and not found.write_header else \
            "the product's own header"
        added = (f"; header cells added for {', '.join(PRODUCT_HEADER[f] for f, _ in found.new_columns)}"
                 if found.new_columns else "")
        lines[where] = (True, f"{', '.join(places[where])} -> {where}: {columns}{added}; new rows go in at row "
                              f"{found.at + 1}")
    return list(lines.values())
