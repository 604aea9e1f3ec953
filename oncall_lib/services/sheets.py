"""The Support Incidents Spreadsheet through gspread.

Credentials: a service account's JSON key, or a credentials file google-auth
reads (`google.auth.load_credentials_from_dict`): in Actions, the
external-account file google-github-actions/auth writes for Workload Identity
Federation, with which google-auth fetches the runner's OIDC token, exchanges
it at Google's STS and, through IAM Credentials, gets the service account's
short-lived token. No key is stored.

gspread's own back-off client retries server errors on appends too (an append
answered with a 5xx may have landed) and sleeps up to minutes; this client
retries 429 for any call (nothing was done; Retry-After is honoured) and
server errors only for reads. One read per run gets every tab's cells and
notes (spreadsheets.get with grid data and a field mask); rows go in with one
batchUpdate (rows inserted, keyed by notes) and one values:batchUpdate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession, Request
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from requests.adapters import HTTPAdapter

from oncall_lib.errors import InputError, ServiceError
from oncall_lib.services.calls import ApiCalls

SHEETS_ORIGIN = "https://sheets.googleapis.com"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]


class _Redirect(HTTPAdapter):
    """Sends `prefix`... (https://sheets.googleapis.com, say) to another origin (the sandbox), keeping the rest."""

    def __init__(self, origin: str, prefix: str = SHEETS_ORIGIN) -> None:
        super().__init__()
        self._origin = origin.rstrip("/")
        self._prefix = prefix

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        assert request.url
        request.url = self._origin + request.url[len(self._prefix):]
        return super().send(request, *args, **kwargs)


def _credentials(credentials_file: Mapping[str, Any] | None, credentials_json: str | None) -> Any:
    """google-auth's credentials for a credentials file (external account or key) or a key's JSON text. Built
    from the file's fields directly: google.auth.load_credentials_from_dict would also look up the project,
    an extra request to Google that needs a token before the first one is used."""
    from google.auth import identity_pool
    from google.oauth2 import service_account

    if credentials_file is not None and credentials_file.get("type") == "external_account":
        return identity_pool.Credentials.from_info(dict(credentials_file), scopes=SCOPES)
    info = dict(credentials_file) if credentials_file is not None else json.loads(credentials_json or "")
    return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)


def _retrying_client(pause: float, calls: ApiCalls) -> type[HTTPClient]:
    class SafeRetryClient(HTTPClient):
        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
            for attempt in range(5):
                # Every request gspread sends comes through here: counted as it goes out (a dropped one too).
                calls.record("sheets", write=method.upper() != "GET", retry=attempt > 0)
                try:
                    return super().request(method, endpoint, *args, **kwargs)
                except APIError as exc:
                    code = exc.response.status_code
                    if attempt == 4 or not (code == 429 or (code >= 500 and method.upper() == "GET")):
                        raise
                    wait = exc.response.headers.get("Retry-After")
                    time.sleep(float(wait) if wait else pause * (2 ** attempt))
            raise AssertionError("unreachable")

    return SafeRetryClient


@dataclass
class Tab:
    """One worksheet as read: each cell as the sheet shows it, its value unformatted (a date as its serial
    number), and the notes on cells, by (row, column) from 0."""

    title: str
    sheet_id: int
    rows: list[list[str]] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    row_count: int = 1000


@dataclass
class SheetSnapshot:
    """What the spreadsheet holds, read once: every tab's cells and notes, and its locale."""

    tabs: dict[str, Tab] = field(default_factory=dict)
    locale: str = ""  # the spreadsheet's (en_US, en_GB...): how a date typed as text is read

    @property
    def titles(self) -> set[str]:
        return set(self.tabs)


@dataclass
class SheetRows:
    """Rows by place (under the product's header), unformatted, and the spreadsheet's locale to read text dates
    with; `date_cells`: where each row's date cell is, as a person finds it ('Log'!A7)."""

    values: dict[str, list[list[Any]]] = field(default_factory=dict)
    locale: str = ""
    date_cells: dict[str, list[str]] = field(default_factory=dict)


def quote_title(title: str) -> str:
    """A tab's title as A1 notation needs it: 'It''s a tab'."""
    return "'" + title.replace("'", "''") + "'"


class SheetsService:
    def __init__(self, calls: ApiCalls, *, credentials_json: str | None = None,
                 credentials_file: Mapping[str, Any] | None = None, route_to: str | None = None,
                 auth_routes: Mapping[str, str] | None = None, pause: float = 2.0) -> None:
        """`credentials_json`: a service account key; or `credentials_file`: a credentials file's content.
        `route_to` and `auth_routes` (prefix -> origin): where the sandbox serves Sheets and the token endpoints."""
        credentials = None
        # What the doctor says about the credentials (never a secret: a kind and an account's email).
        impersonated = str((credentials_file or {}).get("service_account_impersonation_url", ""))
        self.credentials_kind = (
            "a service account key" if credentials_file is None or credentials_file.get("type") == "service_account"
            else "keyless (Workload Identity Federation)" + (
                f" as {impersonated.rsplit('/', 1)[-1].split(':')[0]}" if impersonated else ", no service account"))
        if route_to and credentials_file is None:
            # The sandbox's key cannot sign: its Sheets fake takes a fixed token for the key path.
            session = requests.Session()
            session.headers["Authorization"] = "Bearer sandbox-google-token"
        else:
            # google-auth's own token requests (STS, IAM Credentials, the runner's OIDC token), counted apart.
            token_session = requests.Session()
            for prefix, origin in (auth_routes or {}).items():
                token_session.mount(prefix, _Redirect(origin, prefix))
            token_session.hooks["response"].append(
                lambda response, *args, **kwargs: calls.record("google-auth", write=False))
            try:
                credentials = _credentials(credentials_file, credentials_json)
            except (ValueError, KeyError, GoogleAuthError) as exc:
                what = "the credentials file" if credentials_file is not None else "GOOGLE_SERVICE_ACCOUNT_JSON"
                raise InputError(f"{what} is not usable Google credentials: {exc}") from None
            session = AuthorizedSession(credentials, auth_request=Request(token_session))
        if route_to:
            session.mount(SHEETS_ORIGIN, _Redirect(route_to))

        self._client = gspread.Client(auth=credentials, session=session,  # type: ignore[arg-type]
                                      http_client=_retrying_client(pause, calls))

    @property
    def _http(self) -> HTTPClient:
        # gspread's HTTP layer, addressed by spreadsheet id: opening a Spreadsheet object would read the
        # metadata once to construct it and again to list its worksheets.
        return self._client.http_client

    def snapshot(self, spreadsheet_id: str, *, unformatted: bool = False) -> SheetSnapshot:
        """One read: every tab's properties, cells as shown (and `unformatted`, their values: a date as its
        serial number) and notes (where the product keeps its rows' keys), with a field mask so nothing else
        comes back."""
        cell = "formattedValue,effectiveValue,note" if unformatted else "formattedValue,note"
        with sheets_errors(f"read spreadsheet {spreadsheet_id}"):
            body = self._http.fetch_sheet_metadata(spreadsheet_id, params={"includeGridData": "true", "fields": (
                "properties(locale),sheets(properties(sheetId,title,gridProperties(rowCount)),"
                f"data(startRow,startColumn,rowData(values({cell}))))")})
        snapshot = SheetSnapshot(locale=str(body.get("properties", {}).get("locale") or ""))
        for sheet in body.get("sheets", []):
            properties = sheet.get("properties", {})
            tab = Tab(str(properties.get("title", "")), int(properties.get("sheetId", 0)),
                      row_count=int(properties.get("gridProperties", {}).get("rowCount", 1000)))
            for grid in sheet.get("data", []):
                top, left = int(grid.get("startRow", 0)), int(grid.get("startColumn", 0))
                for r, row_data in enumerate(grid.get("rowData", [])):
                    cells = row_data.get("values", [])
                    while len(tab.rows) <= top + r:
                        tab.rows.append([])
                        tab.values.append([])
                    shown = [""] * left + [str(c.get("formattedValue", "")) for c in cells]
                    tab.rows[top + r], tab.values[top + r] = shown, [""] * left + [_effective(c) for c in cells]
                    tab.notes.update({(top + r, left + c): str(cell["note"])
                                      for c, cell in enumerate(cells) if cell.get("note")})
            snapshot.tabs[tab.title] = tab
        return snapshot

    def insert_rows(self, spreadsheet_id: str, requests: list[dict[str, Any]]) -> None:
        """One batchUpdate (all or nothing): rows inserted where they belong, with the notes that key them."""
        with sheets_errors("insert rows"):
            self._http.batch_update(spreadsheet_id, {"requests": requests})

    def write_values(self, spreadsheet_id: str, data: list[dict[str, Any]]) -> None:
        """One values:batchUpdate, parsed as if typed (dates become dates in the sheet's own format)."""
        with sheets_errors(f"write {len(data)} range(s)"):
            self._http.values_batch_update(spreadsheet_id, {"valueInputOption": "USER_ENTERED", "data": data})

    def add_worksheet(self, spreadsheet_id: str, title: str, header: list[str]) -> int:
        """Add a tab with the product's header; its sheet id (for the rows that follow in the same run)."""
        body = {"requests": [{"addSheet": {"properties": {
            "title": title, "gridProperties": {"rowCount": 1000, "columnCount": max(len(header), 10)}}}}]}
        with sheets_errors(f"add worksheet {title!r}"):
            reply = self._http.batch_update(spreadsheet_id, body)
        self.set_header(spreadsheet_id, title, header)
        return int(reply["replies"][0]["addSheet"]["properties"]["sheetId"])

    def set_header(self, spreadsheet_id: str, title: str, header: list[str]) -> None:
        with sheets_errors(f"write the header of {title!r}"):
            self._http.values_update(spreadsheet_id, f"{quote_title(title)}!A1", params={"valueInputOption": "RAW"},
                                     body={"values": [header]})


def _effective(cell: Mapping[str, Any]) -> Any:
    """A cell's unformatted value: a number (dates are serial numbers), text, a boolean, or "" when empty."""
    value = cell.get("effectiveValue") or {}
    for kind in ("numberValue", "stringValue", "boolValue"):
        if kind in value:
            return value[kind]
    return str(cell.get("formattedValue", ""))


@contextmanager
def sheets_errors(what: str) -> Iterator[None]:
    try:
        yield
    except APIError as error:
        body: Mapping[str, Any] = error.error if isinstance(error.error, Mapping) else {}
        hint = {403: " (share the sheet with the service account's email, as an editor)",
                404: " (check [tracking] spreadsheet_id)"}.get(error.response.status_code, "")
        raise ServiceError(f"Google Sheets {what}: HTTP {error.response.status_code} "
                           f"{body.get('message', '')}{hint}".rstrip()) from None
    except GoogleAuthError as error:
        # STS, IAM Credentials or the runner's token service refused: the message names which and why.
        reason = str(error.args[0] if error.args else error).splitlines()[0][:300]
        raise ServiceError(f"Google Sheets {what}: no access token: {reason}") from None
    except requests.RequestException as error:
        raise ServiceError(f"Google Sheets {what}: network error: {error}") from None
