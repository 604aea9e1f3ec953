"""AWS IAM's credential report calls, over the Query protocol (form POST, XML answers), for boto3.

World users may give dates as ISO times or as `*_days_ago` numbers relative to
the sandbox clock (`"password_last_used_days_ago": 95`), so the bundled world
has inactive users on any date. The first GenerateCredentialReport answers
STARTED, the next `builds_for` ones INPROGRESS, later ones COMPLETE, as AWS
does while it builds a report; GetCredentialReport before then answers
ReportInProgress (404), and before any generation ReportNotPresent (410).
"""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, timedelta
from typing import Any
from xml.sax.saxutils import escape

from oncall_lib.sandbox.http import FakeRequest, FakeResponse, Host

COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
    "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
    "cert_2_active", "cert_2_last_rotated",
)
NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"


class IamFake:
    def __init__(self, server: Host) -> None:
        self.server = server

    @property
    def data(self) -> dict[str, Any]:
        return self.server.world.setdefault("iam", {"users": []})

    def is_write(self, request: FakeRequest) -> bool:
        return False  # the report calls change nothing in the account

    def _xml(self, status: int, body: str) -> FakeResponse:
        return FakeResponse(status, None, raw=body.encode(), content_type="text/xml")

    def _error(self, status: int, code: str, message: str) -> FakeResponse:
        return self._xml(status, f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type><Code>{code}</Code>'
                                 f"<Message>{escape(message)}</Message></Error><RequestId>sandbox</RequestId>"
                                 "</ErrorResponse>")

    def rate_limited(self, retry_after: int) -> FakeResponse:
        return self._error(400, "Throttling", "Rate exceeded")

    def server_error(self) -> FakeResponse:
        return self._error(503, "ServiceUnavailable", "Service unavailable")

    def handle(self, request: FakeRequest) -> FakeResponse:
        if not request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            return self._error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
        action = request.form().get("Action") or request.arg("Action")
        if action in self.data.get("denied_actions", []):
            return self._error(403, "AccessDenied", f"User is not authorized to perform: iam:{action}")
        if action == "GenerateCredentialReport":
            calls = self.data["generate_calls"] = int(self.data.get("generate_calls", 0)) + 1
            return self._wrapped(action, f"<State>{self._state(calls)}</State><Description>No report exists. "
                                         "Starting a new report generation task</Description>")
        if action == "GetCredentialReport":
            calls = int(self.data.get("generate_calls", 0))
            if not calls:
                return self._error(410, "ReportNotPresent", "Credential report not present")
            # `in_progress_fetches`: a report someone else started after ours completed, as AWS can answer.
            racing = int(self.data.get("in_progress_fetches", 0))
            if racing:
                self.data["in_progress_fetches"] = racing - 1
            if racing or self._state(calls) != "COMPLETE":
                return self._error(404, "ReportInProgress", "Credential report is being generated")
            content = base64.b64encode(self.report().encode()).decode()
            now = self.server.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return self._wrapped(action, f"<Content>{content}</Content><ReportFormat>text/csv</ReportFormat>"
                                         f"<GeneratedTime>{now}</GeneratedTime>")
        return self._error(400, "InvalidAction", f"Could not find operation {action}")

    def _state(self, generate_calls: int) -> str:
        """STARTED on the first call, INPROGRESS while the world's `builds_for` more calls last, then COMPLETE."""
        if not self.data.get("builds_first", True):
            return "COMPLETE"
        if generate_calls == 1:
            return "STARTED"
        return "INPROGRESS" if generate_calls <= 1 + int(self.data.get("builds_for", 0)) else "COMPLETE"

    def _wrapped(self, action: str, result: str) -> FakeResponse:
        return self._xml(200, f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{result}</{action}Result>'
                              f"<ResponseMetadata><RequestId>sandbox</RequestId></ResponseMetadata></{action}Response>")

    def _value(self, user: dict[str, Any], column: str) -> str:
        if column in user:
            return str(user[column])
        days = user.get(f"{column}_days_ago")
        if days is not None:
            when = self.server.now().astimezone(UTC) - timedelta(days=float(days))
            return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        if column == "arn":
            account = self.data.get("account_id", "123456789012")
            return f"arn:{self.data.get('partition', 'aws-us-gov')}:iam::{account}:user/{user['user']}"
        if column.endswith("_active") or column == "password_enabled":
            return "false"
        return "N/A"

    def report(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        root = {"user": "<root_account>", "user_creation_time_days_ago": 2000, "password_last_used_days_ago": 400,
                "password_enabled": "not_supported", "mfa_active": "true"}
        for user in [root, *self.data.get("users", [])]:
            writer.writerow([self._value(user, c) for c in COLUMNS])
        return out.getvalue()
