"""Action items in Markdown postmortems: read them, and fill in their Issue # cells. Pure functions.

The "Action Items" section (a heading of any level) holds a table with
Description, Type, Owner and Issue # columns in any order, or a checklist
(`- [ ] description, owner @login, #123`). A malformed table is reported with
the file and line, and its document is skipped. Filling in issue numbers
changes only those cells; every other byte stays as it was.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ACTION_ITEMS = re.compile(r"^action\s+items?\b", re.IGNORECASE)
_ISSUE_REF = re.compile(r"(?:[\w.-]+/[\w.-]+)?#\d+|https?://\S+/(?:issues|pull)/\d+")
_CHECKBOX = re.compile(r"^\s*[-*]\s+\[( |x|X)\]\s+(.*)$")
_OWNER = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))")
EMPTY_CELLS = {"", "-", "—", "tbd", "n/a", "none", "todo"}
COLUMNS = {
    "description": ("description", "action", "action item", "item", "task", "what"),
    "type": ("type", "kind", "category"),
    "owner": ("owner", "owners", "assignee", "who"),
    "issue": ("issue", "issue #", "issue#", "issue number", "ticket", "github issue", "link"),
}


class DocumentProblem(Exception):
    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class ActionItem:
    path: str
    line: int
    description: str
    type: str
    owner: str
    issue: str | None  # the reference already in the document, if any
    cell: tuple[int, int] | None  # where the Issue # cell's text sits in the document (tables only)

    @property
    def key(self) -> str:
        """Stable while the description stays the same, wherever the row moves."""
        normal = " ".join(self.description.casefold().split())
        return f"{self.path}#{hashlib.sha1(normal.encode()).hexdigest()[:10]}"  # noqa: S324 - an id, not security


def _split_cells(line: str, offset: int) -> list[tuple[str, int, int]]:
    """The cells of a table row with their character spans (escaped \\| stays inside a cell)."""
    cells, start, i = [], None, 0
    stripped_start = len(line) - len(line.lstrip())
    if line[stripped_start:stripped_start + 1] != "|":
        raise ValueError("not a table row")
    i = stripped_start + 1
    start = i
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            i += 2
            continue
        if line[i] == "|":
            cells.append((line[start:i], offset + start, offset + i))
            start = i + 1
        i += 1
    if line[start:].strip():
        cells.append((line[start:], offset + start, offset + len(line)))  # a row without the closing pipe
    return cells


def _column(name: str) -> str | None:
    normal = " ".join(name.strip().strip("*_").casefold().split())
    return next((column for column, names in COLUMNS.items() if normal in names), None)


def _section(lines: list[str]) -> tuple[int, int] | None:
    for index, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading and _ACTION_ITEMS.match(heading[2]):
            level, end = len(heading[1]), len(lines)
            for later in range(index + 1, len(lines)):
                other = _HEADING.match(lines[later])
                if other and len(other[1]) <= level:
                    end = later
                    break
            return index + 1, end
    return None


def action_items(path: str, text: str) -> list[ActionItem]:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    section = _section([line.rstrip("\r\n") for line in lines])
    if section is None:
        return []
    first, end = section
    items: list[ActionItem] = []
    index = first
    while index < end:
        line = lines[index].rstrip("\r\n")
        if line.lstrip().startswith("|"):
            table_end = index
            while table_end < end and lines[table_end].lstrip().startswith("|"):
                table_end += 1
            items += _table(path, lines, starts, index, table_end)
            index = table_end
            continue
        box = _CHECKBOX.match(line)
        if box and box[1] == " ":
            body = box[2].strip()
            reference = _ISSUE_REF.search(body)
            owner = _OWNER.search(body)
            description = " ".join(_OWNER.sub("", _ISSUE_REF.sub("", body)).split()).strip(" ,;-")
            items.append(ActionItem(path, index + 1, description, "", owner[1] if owner else "",
                                    reference[0] if reference else None, None))
        index += 1
    return items


def _table(path: str, lines: list[str], starts: list[int], first: int, end: int) -> list[ActionItem]:
    header = [cell for cell, _, _ in _split_cells(lines[first].rstrip("\r\n"), starts[first])]
    columns = {_column(name): position for position, name in enumerate(header) if _column(name)}
    if "description" not in columns or "issue" not in columns:
        missing = [c for c in ("description", "issue") if c not in columns]
        raise DocumentProblem(path, first + 1, f"the Action Items table has no {' or '.join(missing)} column "
                                               f"(it has: {', '.join(h.strip() for h in header)})")
    if end - first < 2 or not re.fullmatch(r"\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*\|?\s*",
                                           lines[first + 1].rstrip("\r\n")):
        raise DocumentProblem(path, first + 2, "the Action Items table has no |---| line under its header")
    items = []
    for index in range(first + 2, end):
        cells = _split_cells(lines[index].rstrip("\r\n"), starts[index])
        if len(cells) != len(header):
            raise DocumentProblem(path, index + 1, f"this row has {len(cells)} cells, the header {len(header)}")
        values = {column: cells[position][0].strip() for column, position in columns.items() if column}
        if not values["description"]:
            continue
        issue_text = values["issue"]
        reference = _ISSUE_REF.search(issue_text)
        has_issue = reference is not None or issue_text.casefold() not in EMPTY_CELLS
        _, cell_start, cell_end = cells[columns["issue"]]
        existing = reference[0] if reference else (issue_text if has_issue else None)
        items.append(ActionItem(path, index + 1, values["description"], values.get("type", ""),
                                values.get("owner", ""), existing, (cell_start, cell_end)))
    return items


def fill_issue_cells(text: str, filled: dict[tuple[int, int], str]) -> str:
    """The document with each given Issue # cell set to ` ref `; nothing else changes."""
    for (start, end), reference in sorted(filled.items(), reverse=True):
        text = text[:start] + f" {reference} " + text[end:]
    return text
