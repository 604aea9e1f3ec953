"""PagerDuty through `pagerduty`, the maintained successor of pdpyras (same API, no import warning).

The client insists on an https:// base URL. To reach the sandbox it keeps that
URL and gets a transport that sends each request to a local http:// origin
instead, so the SDK's own code (auth headers, retries, unwrapping) still runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx2
from pagerduty import Error as PagerDutyError
from pagerduty import RestApiV2Client

from oncall_lib.errors import ServiceError
from oncall_lib.services.calls import ApiCalls, Attempts

SANDBOX_BASE_URL = "https://pagerduty.sandbox.invalid"


class RedirectingTransport(httpx2.HTTPTransport):
    """Sends every request to `origin` (http://host:port/prefix), keeping path and query."""

    def __init__(self, origin: str) -> None:
        super().__init__()
        target = httpx2.URL(origin)
        self._scheme, self._host, self._port = target.scheme, target.host, target.port
        self._prefix = target.path.rstrip("/")

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = request.url.copy_with(
            scheme=self._scheme, host=self._host, port=self._port, path=self._prefix + request.url.path
        )
        return super().handle_request(request)


class _CountingClient(RestApiV2Client):
    """The client's `request` retries inside itself; each attempt goes through the httpx request hook."""

    attempts: Attempts

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        with self.attempts.call():
            return super().request(method, url, **kwargs)


class PagerDutyService:
    def __init__(self, token: str, calls: ApiCalls, *, base_url: str = "https://api.pagerduty.com",
                 route_to: str | None = None, retry_pause: float | None = None) -> None:
        attempts = Attempts(calls, "pagerduty")

        def count(request: httpx2.Request) -> None:
            attempts.sent(write=request.method not in ("GET", "HEAD"))

        def extra() -> dict[str, Any]:
            options: dict[str, Any] = {"event_hooks": {"request": [count]}}
            if route_to:
                options["transport"] = RedirectingTransport(route_to)
            return options

        self._client = _CountingClient(token, base_url=base_url, **extra())
        self._client.attempts = attempts
        # Writes (overrides) go through a client that never repeats a request: an override POST answered with a
        # 5xx or lost on the way back may have been created, and the job reads the schedule before trying again.
        self._writer = _CountingClient(token, base_url=base_url, **extra())
        self._writer.attempts = attempts
        self._writer.max_network_attempts = 0
        # 429 is retried by the client itself; server errors on reads are safe to repeat too.
        for status in (500, 502, 503, 504):
            self._client.retry[status] = 3
        if retry_pause is not None:
            self._client.sleep_timer = retry_pause
            self._client.sleep_timer_base = 1

    def schedule(self, schedule_id: str, since: datetime, until: datetime) -> dict[str, Any]:
        """The schedule with every layer's entries, overrides and the final schedule rendered for a window."""
        found = self.schedule_if_any(schedule_id, since, until, missing_ok=False)
        assert found is not None
        return found

    def schedule_if_any(self, schedule_id: str, since: datetime, until: datetime, *,
                        missing_ok: bool = True) -> dict[str, Any] | None:
        """`schedule`, or None when PagerDuty has no schedule with that id (404), so a caller can say so."""
        params = {"since": since.isoformat(), "until": until.isoformat(), "overflow": "true"}
        try:
            return dict(self._client.rget(f"/schedules/{schedule_id}", params=params))
        except (PagerDutyError, httpx2.HTTPError) as exc:
            if missing_ok and getattr(getattr(exc, "response", None), "status_code", None) == 404:
                return None
            raise ServiceError(_describe(exc, f"GET /schedules/{schedule_id}")) from None

    def shift_schedule(self, schedule_id: str, since: datetime, until: datetime) -> dict[str, Any] | None:
        """A shift-based (v3) schedule with its computed assignments for a window; None when the id is not a
        shift-based schedule (PagerDuty answers 404 or 400), so the caller can read it as a layered one.
        `include[]` takes only what the v3 description lists: anything else is a 400, which would read as "not
        shift-based" and hide the schedule's rotations."""
        params = {"since": since.isoformat(), "until": until.isoformat(), "overflow": "true",
                  "include[]": ["final_schedule"]}
        try:
            return dict(self._client.rget(f"/v3/schedules/{schedule_id}", params=params))
        except (PagerDutyError, httpx2.HTTPError) as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (400, 404):
                return None
            raise ServiceError(_describe(exc, f"GET /v3/schedules/{schedule_id}")) from None

    def user_emails(self) -> dict[str, str]:
        """email -> user id of every user in the account (the SDK pages through them)."""
        try:
            return {str(u.get("email", "")).lower(): str(u["id"]) for u in self._client.iter_all("users")}
        except (PagerDutyError, httpx2.HTTPError) as exc:
            raise ServiceError(_describe(exc, "GET /users")) from None

    def schedule_services(self, schedule: dict[str, Any]) -> list[str]:
        """The ids of the services whose escalation policies page this schedule (one read per policy)."""
        ids: list[str] = []
        for policy in schedule.get("escalation_policies") or []:
            try:
                found = self._client.rget(f"/escalation_policies/{policy['id']}")
            except (PagerDutyError, httpx2.HTTPError) as exc:
                raise ServiceError(_describe(exc, f"GET /escalation_policies/{policy['id']}")) from None
            ids += [str(s["id"]) for s in dict(found).get("services") or [] if str(s["id"]) not in ids]
        return ids

    def incidents(self, service_ids: list[str], since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Every incident on those services triggered in the window, oldest first (the SDK pages through them)."""
        if not service_ids:
            return []
        params = {"service_ids[]": service_ids, "since": since.isoformat(), "until": until.isoformat()}
        try:
            return [dict(i) for i in self._client.iter_all("incidents", params=params)]
        except (PagerDutyError, httpx2.HTTPError) as exc:
            raise ServiceError(_describe(exc, "GET /incidents")) from None

    def create_overrides(self, schedule_id: str, overrides: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /schedules/{id}/overrides with several overrides at once, as PagerDuty documents it: each item
        answers with its own status (201, or 400 with `errors`). Raises on a refused request (403: the token is
        read-only), with PagerDuty's reason."""
        body = {"overrides": [{"start": o["start"], "end": o["end"], "time_zone": o.get("time_zone", "UTC"),
                               "user": {"id": o["user"], "type": "user_reference"}} for o in overrides]}
        what = f"POST /schedules/{schedule_id}/overrides"
        try:
            response = self._writer.post(f"/schedules/{schedule_id}/overrides", json=body)
        except (PagerDutyError, httpx2.HTTPError) as exc:
            raise ServiceError(_describe(exc, what)) from None
        if response.status_code >= 400:
            raise ServiceError(_describe(httpx2.HTTPStatusError(what, request=response.request, response=response),
                                         what))
        try:
            items = response.json()
        except ValueError:
            raise ServiceError(f"PagerDuty {what}: HTTP {response.status_code} with no JSON body") from None
        return [dict(i) for i in items] if isinstance(items, list) else []

    def can_write_overrides(self, schedule_id: str) -> bool:
        """Whether the token may create overrides, without creating one: an override that ends when it starts is
        refused item by item (status 400, "Override must end after its start", as PagerDuty's own example shows),
        while a read-only token is refused the whole request (403)."""
        probe = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
        try:
            answers = self.create_overrides(schedule_id, [{"start": probe, "end": probe, "user": "PPROBE0"}])
        except ServiceError as exc:
            if "HTTP 403" in str(exc):
                return False
            raise
        if any(int(a.get("status") or 0) == 201 for a in answers):
            raise ServiceError(f"PagerDuty POST /schedules/{schedule_id}/overrides accepted an override that ends "
                               "when it starts: delete it in PagerDuty (it covers no time)")
        return True

    def user(self, user_id: str) -> dict[str, Any]:
        try:
            return dict(self._client.rget(f"/users/{user_id}"))
        except (PagerDutyError, httpx2.HTTPError) as exc:
            raise ServiceError(_describe(exc, f"GET /users/{user_id}")) from None


def _describe(exc: Exception, what: str) -> str:
    if isinstance(exc, httpx2.HTTPError) and not isinstance(exc, httpx2.HTTPStatusError):
        return f"PagerDuty {what}: network error: {type(exc).__name__}"
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    hint = {401: " (check PAGERDUTY_API_TOKEN)", 404: " (check the id in oncall.toml)",
            403: " (PAGERDUTY_API_TOKEN cannot do this: a read-only key cannot create overrides; use a full-access "
                 "key for covers)"}.get(status or 0, "")
    detail = f"HTTP {status}" if status else str(exc).splitlines()[0]
    try:
        error = (response.json() or {}).get("error") or {} if response is not None else {}
    except ValueError:
        error = {}
    said = "; ".join(str(e) for e in error.get("errors") or []) or str(error.get("message") or "")
    if said:
        detail += f": {said}"
    if status == 400 and "shift-based" in said:
        hint = ' (set rotation.schedule_kind = "shifts" in oncall.toml)'
    return f"PagerDuty {what}: {detail}{hint}"
