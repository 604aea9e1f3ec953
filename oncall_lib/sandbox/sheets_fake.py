"""Google Sheets API v4, the calls gspread makes for the tracking sheet.

Spreadsheet metadata, adding a worksheet (batchUpdate addSheet), reading
ranges (values.get, values:batchGet), writing a range (values.update) and
appending rows (values:append). Ranges are A1 notation on whole columns and
rows, which is all the product asks for.
"""

from __future__ import annotations

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


class SheetsFake:
    def __init__(self, server: Host) -> None:
        self.server = server
        self.routes = Routes()
        self.routes.add("GET", SHEET, self.metadata)
        self.routes.add("POST", SHEET + r":batchUpdate", self.batch_update)
        self.routes.add("GET", SHEET + r"/values:batchGet", self.batch_get)
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
        rows = worksheet.setdefault("rows", [])
        return {"sheetId": worksheet.setdefault("sheet_id", 1000 + index), "title": worksheet["title"], "index": index,
                "sheetType": "GRID", "gridProperties": {"rowCount": max(1000, len(rows)),
                                                         "columnCount": max(26, *(len(r) for r in rows), 0)}}

    def metadata(self, request: FakeRequest, sheet: dict[str, Any]) -> FakeResponse:
        return FakeResponse(200, {
            "spreadsheetId": sheet["id"],
            "properties": {"title": sheet.get("title", "Sheet"), "locale": sheet.get("locale", "en_US"),
                           "timeZone": sheet.get("time_zone", "America/New_York")},
            "sheets": [{"properties": self._properties(i, w)}
                       for i, w in enumerate(sheet.setdefault("worksheets", []))],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{sheet['id']}/edit"})

    def _worksheet(self, sheet: dict[str, Any], title: str | None) -> dict[str, Any] | None:
        worksheets = sheet.setdefault("worksheets", [])
        if title is None:
            return worksheets[0] if worksheets else None
        return next((w for w in worksheets if w["title"] == title), None)

    def batch_update(self, request: FakeRequest, sheet: dict[str, Any]) -> FakeResponse:
        replies = []
        for item in request.json().get("requests", []):
            if "addSheet" in item:
                title = item["addSheet"].get("properties", {}).get("title", "Sheet")
                if self._worksheet(sheet, title):
                    return self._error(400, f"Invalid requests[0].addSheet: A sheet with the name \"{title}\" "
                                            "already exists. Please enter another name.", "INVALID_ARGUMENT")
                worksheets = sheet.setdefault("worksheets", [])
                worksheets.append({"title": title, "rows": []})
                replies.append({"addSheet": {"properties": self._properties(len(worksheets) - 1, worksheets[-1])}})
            else:
                replies.append({})
        return FakeResponse(200, {"spreadsheetId": sheet["id"], "replies": replies})

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
        title, (row0, col0, _, _) = parse_range(range)
        worksheet = self._worksheet(sheet, title)
        if worksheet is None:
            return self._error(400, f"Unable to parse range: {range}", "INVALID_ARGUMENT")
        values = request.json().get("values", [])
        rows = worksheet.setdefault("rows", [])
        for offset, values_row in enumerate(values):
            while len(rows) <= row0 + offset:
                rows.append([])
            row = rows[row0 + offset]
            while len(row) < col0 + len(values_row):
                row.append("")
            text = self._text_columns(worksheet)
            row[col0: col0 + len(values_row)] = [self._entered(sheet, v, request.arg("valueInputOption"),
                                                               col0 + i in text) for i, v in enumerate(values_row)]
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
