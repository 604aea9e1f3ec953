"""Google Sheets API v4, the calls gspread makes for the tracking sheet.

Spreadsheet metadata, with the cells too when asked (`includeGridData`:
each cell's formattedValue, effectiveValue and note, as spreadsheets.get
returns GridData), batchUpdate (addSheet; insertDimension on rows, which moves
the rows and notes below down as Sheets does; updateCells writing notes),
reading ranges (values.get, values:batchGet), writing ranges (values.update,
values:batchUpdate) and appending rows (values:append). Ranges are A1
notation on whole columns and rows, which is all the product asks for.

A worksheet in the world file: `{"title", "rows": [[...]], "notes": {"B7": "text"}}` (notes optional).
"""

from __future__ import annotations

import copy
import re
import urllib.parse
from datetime import date, datetime
from typing import Any

from oncall_lib.sandbox.federation_fake import sheets_refuses
from oncall_lib.sandbox.http import FakeRequest, FakeResponse, Host, Routes, bearer_token

SHEET = r"/v4/spreadsheets/(?P<sheet_id>[A-Za-z0-9_-]+)"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SERIAL_EPOCH = date(1899, 12, 30)  # Sheets' day zero for serial numbers
_A1 = re.compile(r"^(?:(?P<title>'(?:[^']|'')+'|[^!]+)!)?(?P<cells>[A-Z]*\d*(?::[A-Z]*\d*)?)?$")


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


def parse_range(text: str) -> tuple[str | None, tuple[int, int, int | None, int | None]]:
    """'Title'!A1:J -> ("Title", (first row, first column, last row or None, last column or None)), 0-based."""
    match = _A1.match(text)
    if "!" not in text and (not match or not match["cells"]):
        # A bare worksheet name is a range too: the whole sheet.
        title = text[1:-1].replace("''", "'") if text.startswith("'") and text.endswith("'") else text
        return title, (0, 0, None, None)
    if not match:
        raise ValueError(text)
    title = match["title"]
    if title and title.startswith("'"):
        title = title[1:-1].replace("''", "'")
    cells = match["cells"] or ""
    start, _, end = cells.partition(":")

    def split(ref: str) -> tuple[int | None, int | None]:
        m = re.match(r"^([A-Z]*)(\d*)$", ref)
        assert m
        return (int(m[2]) - 1 if m[2] else None), (_column_index(m[1]) if m[1] else None)

    row0, col0 = split(start) if start else (None, None)
    row1, col1 = split(end) if end else (row0, col0) if start else (None, None)
    return title, (row0 or 0, col0 or 0, row1, col1)


def _a1(row: int, column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _notes(worksheet: dict[str, Any]) -> dict[tuple[int, int], str]:
    """A worksheet's notes by (row, column), 0-based, from the world's {"B7": "text"}."""
    found = {}
    for ref, text in (worksheet.get("notes") or {}).items():
        _, (row, column, _, _) = parse_range(str(ref))
        found[(row, column)] = str(text)
    return found


class SheetsFake:
    def __init__(self, server: Host) -> None:
        self.server = server
        self.routes = Routes()
        self.routes.add("GET", SHEET, self.metadata)
        self.routes.add("POST", SHEET + r":batchUpdate", self.batch_update)
        self.routes.add("GET", SHEET + r"/values:batchGet", self.batch_get)
        self.routes.add("POST", SHEET + r"/values:batchUpdate", self.batch_update_values)
        self.routes.add("POST", SHEET + r"/values/(?P<range>.+):append", self.append)
        self.routes.add("GET", SHEET + r"/values/(?P<range>.+)", self.get_values)
        self.routes.add("PUT", SHEET + r"/values/(?P<range>.+)", self.update_values)

    @property
    def data(self) -> dict[str, Any]:
        return self.server.world.setdefault("sheets", {"spreadsheets": []})

    def is_write(self, request: FakeRequest) -> bool:
        return request.method != "GET"

    def _error(self, status: int, message: str, reason: str = "") -> FakeResponse:
        return FakeResponse(status, {"error": {"code": status, "message": message, "status": reason or "ERROR"}})

    def rate_limited(self, retry_after: int) -> FakeResponse:
        return FakeResponse(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                            "message": "Quota exceeded for quota metric 'Write requests'"}},
                            {"Retry-After": str(retry_after)})

    def server_error(self) -> FakeResponse:
        return self._error(503, "The service is currently unavailable.", "UNAVAILABLE")

    def handle(self, request: FakeRequest) -> FakeResponse:
        token = bearer_token(request)
        if not token:
            return self._error(401, "Request is missing required authentication credential.", "UNAUTHENTICATED")
        found = self.routes.find(request.method, urllib.parse.unquote(request.path))
        if not found:
            return self._error(404, "Not found", "NOT_FOUND")
        handler, params = found
        sheet = next((s for s in self.data["spreadsheets"] if s["id"] == params.get("sheet_id")), None)
        if sheet is None:
            return self._error(404, "Requested entity was not found.", "NOT_FOUND")
        refused = sheets_refuses(self.server, token, sheet)
        if refused is not None:
            return refused
        if request.method != "GET" and sheet.get("read_only"):
            return self._error(403, "The caller does not have permission", "PERMISSION_DENIED")
        params["sheet"] = sheet
        params.pop("sheet_id", None)
        return handler(request, **params)

    @staticmethod
    def _properties(index: int, worksheet: dict[str, Any]) -> dict[str, Any]:
        rows = worksheet.get("rows", [])  # a read leaves the world as it was
        return {"sheetId": worksheet.get("sheet_id", 1000 + index), "title": worksheet["title"], "index": index,
                "sheetType": "GRID", "gridProperties": {"rowCount": max(1000, len(rows)),
                                                         "columnCount": max(26, *(len(r) for r in rows), 0)}}

    def metadata(self, request: FakeRequest, sheet: dict[str, Any]) -> FakeResponse:
        grid = (request.arg("includeGridData") or "").lower() == "true"
        wanted = {parse_range(r)[0] for r in request.query.get("ranges", [])}
        unformatted = "effectiveValue" in (request.arg("fields") or "effectiveValue")  # what the mask asks for
        sheets = []
        for index, worksheet in enumerate(sheet.setdefault("worksheets", [])):
            entry: dict[str, Any] = {"properties": self._properties(index, worksheet)}
            if grid and (not wanted or worksheet["title"] in wanted):
                entry["data"] = [self._grid(sheet, worksheet, unformatted)]
            sheets.append(entry)
        return FakeResponse(200, {
            "spreadsheetId": sheet["id"],
            "properties": {"title": sheet.get("title", "Sheet"), "locale": sheet.get("locale", "en_US"),
                           "timeZone": sheet.get("time_zone", "America/New_York")},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{sheet['id']}/edit"})

    def _grid(self, sheet: dict[str, Any], worksheet: dict[str, Any], unformatted: bool) -> dict[str, Any]:
        """A worksheet's cells as GridData: empty cells are `{}`, trailing ones left out, as Sheets answers; the
        unformatted value only when the field mask asks for it."""
        notes = _notes(worksheet)
        text = self._text_columns(worksheet)
        height = max([len(worksheet.get("rows", []))] + [r + 1 for r, _ in notes])
        row_data = []
        for r in range(height):
            row = worksheet["rows"][r] if r < len(worksheet.get("rows", [])) else []
            width = max([len(row)] + [c + 1 for (nr, c) in notes if nr == r])
            values = []
            for c in range(width):
                value = str(row[c]) if c < len(row) else ""
                cell: dict[str, Any] = {}
                if value:
                    effective = self._rendered(sheet, value, "UNFORMATTED_VALUE", c in text)
                    cell["formattedValue"] = value
                    if unformatted:
                        cell["effectiveValue"] = ({"numberValue": effective} if isinstance(effective, int | float)
                                                  else {"stringValue": effective})
                if (r, c) in notes:
                    cell["note"] = notes[(r, c)]
                values.append(cell)
            while values and not values[-1]:
                values.pop()
            row_data.append({"values": values} if values else {})
        return {"rowData": row_data} if row_data else {}

    def _worksheet(self, sheet: dict[str, Any], title: str | None) -> dict[str, Any] | None:
        worksheets = sheet.setdefault("worksheets", [])
        if title is None:
            return worksheets[0] if worksheets else None
        return next((w for w in worksheets if w["title"] == title), None)

    def _by_id(self, sheet: dict[str, Any], sheet_id: Any) -> dict[str, Any] | None:
        for index, worksheet in enumerate(sheet.setdefault("worksheets", [])):
            if self._properties(index, worksheet)["sheetId"] == sheet_id:
                return worksheet
        return None

    def batch_update(self, request: FakeRequest, sheet: dict[str, Any]) -> FakeResponse:
        """All or nothing, as Sheets does: tried on a copy first, then applied to the world in place."""
        requests = request.json().get("requests", [])
        trial = {**sheet, "worksheets": copy.deepcopy(sheet.setdefault("worksheets", []))}
        replies: list[dict[str, Any]] = []
        for number, item in enumerate(requests):
            problem = self._one_update(trial, item, replies)
            if problem:
                return self._error(400, f"Invalid requests[{number}].{problem}", "INVALID_ARGUMENT")
        replies = []
        for item in requests:
            self._one_update(sheet, item, replies)
        return FakeResponse(200, {"spreadsheetId": sheet["id"], "replies": replies})

    def _one_update(self, sheet: dict[str, Any], item: dict[str, Any], replies: list[dict[str, Any]]) -> str:
        """Apply one request of a batchUpdate; the error's text when Sheets would refuse it."""
        worksheets = sheet["worksheets"]
        if "addSheet" in item:
            title = item["addSheet"].get("properties", {}).get("title", "Sheet")
            if self._worksheet(sheet, title):
                return f"addSheet: A sheet with the name \"{title}\" already exists. Please enter another name."
            worksheets.append({"title": title, "rows": [],
                               "sheet_id": max([1000 + len(worksheets)] + [int(w.get("sheet_id", 0)) + 1
                                                                          for w in worksheets])})
            replies.append({"addSheet": {"properties": self._properties(len(worksheets) - 1, worksheets[-1])}})
            return ""
        if "insertDimension" in item:
            span = item["insertDimension"].get("range", {})
            worksheet = self._by_id(sheet, span.get("sheetId"))
            start, end = int(span.get("startIndex", -1)), int(span.get("endIndex", -1))
            if worksheet is None:
                return f"insertDimension: No grid with id: {span.get('sheetId')}"
            limit = self._properties(worksheets.index(worksheet), worksheet)["gridProperties"]["rowCount"]
            if span.get("dimension") != "ROWS" or not 0 <= start < end or start > limit:
                return "insertDimension: the range is not a span of rows within the grid"
            if start == 0 and item["insertDimension"].get("inheritFromBefore"):
                return "insertDimension: Cannot inherit properties from before when inserting at row 0."
            rows = worksheet.setdefault("rows", [])
            if start < len(rows):
                rows[start:start] = [[] for _ in range(end - start)]
            notes = _notes(worksheet)
            worksheet["notes"] = {_a1(r + (end - start) if r >= start else r, c): text
                                  for (r, c), text in notes.items()}
            replies.append({})
            return ""
        if "updateCells" in item:
            update = item["updateCells"]
            origin: dict[str, Any] = update.get("start") or {}
            worksheet = self._by_id(sheet, origin.get("sheetId"))
            if worksheet is None:
                return f"updateCells: No grid with id: {origin.get('sheetId')}"
            fields = {f.strip() for f in str(update.get("fields", "")).split(",")}
            if fields != {"note"}:
                return "updateCells: this sandbox writes only notes through updateCells (fields: note)"
            notes = _notes(worksheet)
            for r, row in enumerate(update.get("rows", [])):
                for c, cell in enumerate(row.get("values", [])):
                    at = (int(origin.get("rowIndex", 0)) + r, int(origin.get("columnIndex", 0)) + c)
                    if cell.get("note"):
                        notes[at] = str(cell["note"])
                    else:
                        notes.pop(at, None)
            worksheet["notes"] = {_a1(r, c): text for (r, c), text in notes.items()}
            replies.append({})
            return ""
        replies.append({})
        return ""

    @staticmethod
    def _entered(sheet: dict[str, Any], value: Any, option: str | None, as_text: bool = False) -> str:
        """A written value as the sheet keeps (and shows) it. RAW is kept as typed, and so is anything written into
        a column formatted as plain text (`as_text`); USER_ENTERED is parsed as if typed into the sheet: a
        leading ' makes the rest text (and is dropped), a date is shown in the spreadsheet's own format
        (`date_format`, a strftime pattern; ISO by default)."""
        text = str(value)
        if option != "USER_ENTERED" or as_text:
            return text
        if text.startswith("'"):
            return text[1:]
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text).strftime(str(sheet.get("date_format") or "%Y-%m-%d"))
        return text

    @staticmethod
    def _text_columns(worksheet: dict[str, Any]) -> set[int]:
        """The columns a person formatted as plain text (`text_columns`: ["B"]): Sheets keeps what is typed there
        as text, dates included, and reads it back as text."""
        return {_column_index(str(letters)) for letters in worksheet.get("text_columns") or []}

    @staticmethod
    def _rendered(sheet: dict[str, Any], cell: str, render: str | None, as_text: bool = False) -> Any:
        """A stored cell as a read asks for it: FORMATTED_VALUE (the default) as shown; UNFORMATTED_VALUE numbers
        as numbers and dates as serial numbers (days since 1899-12-30), except in a text-formatted column."""
        if render != "UNFORMATTED_VALUE" or not cell or as_text:
            return cell
        try:
            day = datetime.strptime(cell, str(sheet.get("date_format") or "%Y-%m-%d")).date()
        except ValueError:
            pass
        else:
            return (day - SERIAL_EPOCH).days
        try:
            number = float(cell)
        except ValueError:
            return cell
        return int(number) if number.is_integer() else number

    def _read(self, sheet: dict[str, Any], range_text: str, render: str | None = None) -> dict[str, Any] | FakeResponse:
        try:
            title, (row0, col0, row1, col1) = parse_range(range_text)
        except ValueError:
            return self._error(400, f"Unable to parse range: {range_text}", "INVALID_ARGUMENT")
        worksheet = self._worksheet(sheet, title)
        if worksheet is None:
            return self._error(400, f"Unable to parse range: {range_text}", "INVALID_ARGUMENT")
        rows = worksheet.get("rows", [])
        chosen = rows[row0: (row1 + 1) if row1 is not None else None]
        text = self._text_columns(worksheet)
        values = [[self._rendered(sheet, str(c), render, col0 + i in text)
                   for i, c in enumerate(r[col0: (col1 + 1) if col1 is not None else None])] for r in chosen]
        while values and not any(str(v) for v in values[-1]):
            values.pop()
        out: dict[str, Any] = {"range": range_text, "majorDimension": "ROWS"}
        if values:
            out["values"] = values
        return out

    def get_values(self, request: FakeRequest, sheet: dict[str, Any], range: str) -> FakeResponse:  # noqa: A002
        result = self._read(sheet, range, request.arg("valueRenderOption"))
        return result if isinstance(result, FakeResponse) else FakeResponse(200, result)

    def batch_get(self, request: FakeRequest, sheet: dict[str, Any]) -> FakeResponse:
        ranges = []
        for range_text in request.query.get("ranges", []):
            result = self._read(sheet, range_text, request.arg("valueRenderOption"))
            if isinstance(result, FakeResponse):
                return result
            ranges.append(result)
        return FakeResponse(200, {"spreadsheetId": sheet["id"], "valueRanges": ranges})

    def update_values(self, request: FakeRequest, sheet: dict[str, Any], range: str) -> FakeResponse:  # noqa: A002
        return self._write(sheet, range, request.json().get("values", []), request.arg("valueInputOption"))

    def batch_update_values(self, request: FakeRequest, sheet: dict[str, Any]) -> FakeResponse:
        body = request.json()
        option = body.get("valueInputOption")
        for item in body.get("data", []):  # checked first: a bad range writes nothing
            title, _ = parse_range(str(item.get("range", "")))
            if self._worksheet(sheet, title) is None:
                return self._error(400, f"Unable to parse range: {item.get('range')}", "INVALID_ARGUMENT")
        responses = []
        for item in body.get("data", []):
            written = self._write(sheet, str(item["range"]), item.get("values", []), option)
            responses.append(written.body)
        return FakeResponse(200, {"spreadsheetId": sheet["id"], "totalUpdatedRows": sum(
            r["updatedRows"] for r in responses), "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            "totalUpdatedSheets": len({r["updatedRange"].rpartition("!")[0] for r in responses}),
            "responses": responses})

    def _write(self, sheet: dict[str, Any], range: str, values: list[list[Any]],  # noqa: A002
               option: str | None) -> FakeResponse:
        title, (row0, col0, _, _) = parse_range(range)
        worksheet = self._worksheet(sheet, title)
        if worksheet is None:
            return self._error(400, f"Unable to parse range: {range}", "INVALID_ARGUMENT")
        rows = worksheet.setdefault("rows", [])
        for offset, values_row in enumerate(values):
            while len(rows) <= row0 + offset:
                rows.append([])
            row = rows[row0 + offset]
            while len(row) < col0 + len(values_row):
                row.append("")
            text = self._text_columns(worksheet)
            row[col0: col0 + len(values_row)] = [self._entered(sheet, v, option, col0 + i in text)
                                                 for i, v in enumerate(values_row)]
        return FakeResponse(200, {"spreadsheetId": sheet["id"], "updatedRange": range,
                                  "updatedRows": len(values), "updatedCells": sum(len(r) for r in values)})

    def append(self, request: FakeRequest, sheet: dict[str, Any], range: str) -> FakeResponse:  # noqa: A002
        title, _ = parse_range(range)
        worksheet = self._worksheet(sheet, title)
        if worksheet is None:
            return self._error(400, f"Unable to parse range: {range}", "INVALID_ARGUMENT")
        values = request.json().get("values", [])
        rows = worksheet.setdefault("rows", [])
        while rows and not any(str(v) for v in rows[-1]):
            rows.pop()
        first = len(rows) + 1
        option = request.arg("valueInputOption")
        text = self._text_columns(worksheet)
        rows.extend([self._entered(sheet, v, option, i in text) for i, v in enumerate(row)] for row in values)
        return FakeResponse(200, {"spreadsheetId": sheet["id"], "tableRange": f"'{worksheet['title']}'!A1",
                                  "updates": {"updatedRange": f"'{worksheet['title']}'!A{first}",
                                              "updatedRows": len(values),
                                              "updatedCells": sum(len(r) for r in values)}})
