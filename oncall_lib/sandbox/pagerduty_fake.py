"""PagerDuty REST v2, the parts the jobs use: schedules (rendered), users.

Layers are recurring rotations (virtual start, turn length, users), rendered
for whatever window is asked, so the bundled world works on any date. Turns
that are whole days keep their wall-clock hour in the schedule's time zone
across daylight-saving changes, as PagerDuty's do. A layer's `restrictions`
(PagerDuty's `daily_restriction` and `weekly_restriction`, in the schedule's
time zone) cut each turn into one entry per allowed window, as PagerDuty
renders them; outside the windows the layer has no entry. Users marked
`"deleted": true` stay on their layers (PagerDuty keeps them) and answer 404.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from oncall_lib.rotation.schedule import Shift, overlay, parse_time
from oncall_lib.sandbox.http import PAGERDUTY_SCHEMES, FakeRequest, FakeResponse, Host, Routes, bearer_token

DAY = 86400


def iso(value: datetime) -> str:
    return value.isoformat()


def turn_start(layer: dict[str, Any], k: int, tz: ZoneInfo) -> datetime:
    virtual = parse_time(layer["rotation_virtual_start"])
    length = int(layer["rotation_turn_length_seconds"])
    if length % DAY == 0:
        wall = virtual.astimezone(tz).replace(tzinfo=None) + timedelta(days=k * (length // DAY))
        return wall.replace(tzinfo=tz)
    return virtual + timedelta(seconds=k * length)


def _restriction_windows(restrictions: list[dict[str, Any]], since: datetime, until: datetime,
                         tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The allowed windows of a layer's restrictions that touch [since, until), merged, in order."""
    windows: list[tuple[datetime, datetime]] = []
    first = since.astimezone(tz).date() - timedelta(days=8)
    days = (until.astimezone(tz).date() - first).days + 2
    for restriction in restrictions:
        hours, minutes, seconds = (int(x) for x in str(restriction["start_time_of_day"]).split(":"))
        duration = timedelta(seconds=int(restriction["duration_seconds"]))
        weekly = restriction.get("type") == "weekly_restriction"
        for offset in range(days):
            day = first + timedelta(days=offset)
            if weekly and day.isoweekday() != int(restriction.get("start_day_of_week") or 1):
                continue
            start = datetime(day.year, day.month, day.day, hours, minutes, seconds, tzinfo=tz)
            if start + duration > since and start < until:
                windows.append((start, start + duration))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _restricted(turns: list[Shift], windows: list[tuple[datetime, datetime]]) -> list[Shift]:
    """Each turn cut to the allowed windows: one entry per window it overlaps."""
    cut: list[Shift] = []
    for turn in turns:
        for start, end in windows:
            if start < turn.end and end > turn.start:
                cut.append(Shift(turn.user_id, "", max(start, turn.start), min(end, turn.end)))
    return cut


def render_layer(layer: dict[str, Any], since: datetime, until: datetime, tz: ZoneInfo) -> list[Shift]:
    turns = _render_turns(layer, since, until, tz)
    restrictions = layer.get("restrictions") or []
    if not restrictions:
        return turns
    return [e for e in _restricted(turns, _restriction_windows(restrictions, since, until, tz))
            if e.end > since and e.start < until]


def _render_turns(layer: dict[str, Any], since: datetime, until: datetime, tz: ZoneInfo) -> list[Shift]:
    users = layer["users"]
    length = int(layer["rotation_turn_length_seconds"])
    if not users or length <= 0:
        return []
    layer_start = parse_time(layer["start"])
    layer_end = parse_time(layer["end"]) if layer.get("end") else None
    virtual = parse_time(layer["rotation_virtual_start"])
    # Start one turn early: wall-clock turns can be an hour off the arithmetic guess.
    k = math.floor((max(since, layer_start) - virtual).total_seconds() / length) - 1
    entries: list[Shift] = []
    while True:
        start, end = turn_start(layer, k, tz), turn_start(layer, k + 1, tz)
        if start >= until or (layer_end and start >= layer_end):
            break
        start, end = max(start, layer_start), min(end, layer_end) if layer_end else end
        if end > since and end > start:
            entries.append(Shift(users[k % len(users)], "", start, end))
        k += 1
    return entries


class PagerDutyFake:
    def __init__(self, server: Host) -> None:
        self.server = server
        self.routes = Routes()
        self.routes.add("GET", r"/v3/schedules/(?P<schedule_id>[A-Za-z0-9]+)", self.get_shift_schedule)
        self.routes.add("POST", r"/schedules/(?P<schedule_id>[A-Za-z0-9]+)/overrides", self.create_overrides)
        self.routes.add("GET", r"/schedules/(?P<schedule_id>[A-Za-z0-9]+)", self.get_schedule)
        self.routes.add("GET", r"/schedules", self.list_schedules)
        self.routes.add("GET", r"/users/(?P<user_id>[A-Za-z0-9]+)", self.get_user)
        self.routes.add("GET", r"/users", self.list_users)
        self.routes.add("GET", r"/escalation_policies/(?P<policy_id>[A-Za-z0-9]+)", self.get_escalation_policy)
        self.routes.add("GET", r"/incidents", self.list_incidents)

    @property
    def data(self) -> dict[str, Any]:
        return self.server.world["pagerduty"]

    def is_write(self, request: FakeRequest) -> bool:
        return request.method not in ("GET", "HEAD")

    def rate_limited(self, retry_after: int) -> FakeResponse:
        body = {"error": {"code": 2020, "message": "Rate Limit Exceeded"}}
        return FakeResponse(429, body, {"Retry-After": str(retry_after)})

    def server_error(self) -> FakeResponse:
        return FakeResponse(503, {"error": {"code": 2001, "message": "Service unavailable"}})

    def handle(self, request: FakeRequest) -> FakeResponse:
        token = bearer_token(request, PAGERDUTY_SCHEMES)
        if token is None or token in self.data.get("revoked_tokens", []):
            return FakeResponse(401, {"error": {"code": 2006, "message": "Invalid Credentials"}})
        found = self.routes.find(request.method, request.path)
        if not found:
            return FakeResponse(404, {"error": {"code": 2100, "message": "Not Found"}})
        if self.is_write(request) and self.data.get("read_only_token"):
            # A read-only API key reads everything and may change nothing.
            return FakeResponse(403, {"error": {"code": 2010, "message": "Access Denied",
                                                "errors": ["This API key is read-only"]}})
        handler, params = found
        return handler(request, **params)

    def _user(self, user_id: str) -> dict[str, Any] | None:
        """A user the API still knows: a deleted one stays on layers but answers 404."""
        found = next((u for u in self.data["users"] if u["id"] == user_id), None)
        return None if found is None or found.get("deleted") else found

    def _policies(self, schedule_id: str) -> list[dict[str, Any]]:
        """World `escalation_policies`: {id, name, schedules: [...], services: [{id, name}]}."""
        return [p for p in self.data.get("escalation_policies", []) if schedule_id in p.get("schedules", [])]

    @staticmethod
    def _ref(request: FakeRequest, kind: str, ref_id: str, summary: str) -> dict[str, Any]:
        path = {"escalation_policy": "escalation_policies", "service": "services", "schedule": "schedules"}[kind]
        return {"id": ref_id, "type": f"{kind}_reference", "summary": summary,
                "self": f"{request.origin}/{path}/{ref_id}",
                "html_url": f"https://sandbox.pagerduty.com/{path}/{ref_id}"}

    def get_escalation_policy(self, request: FakeRequest, policy_id: str) -> FakeResponse:
        policy = next((p for p in self.data.get("escalation_policies", []) if p["id"] == policy_id), None)
        if policy is None:
            return FakeResponse(404, {"error": {"code": 2100, "message": "Not Found"}})
        rules = [{"id": f"R{policy_id}", "escalation_delay_in_minutes": 30,
                  "targets": [{"id": s, "type": "schedule_reference"} for s in policy.get("schedules", [])]}]
        return FakeResponse(200, {"escalation_policy": {
            **self._ref(request, "escalation_policy", policy_id, policy.get("name", policy_id)),
            "type": "escalation_policy", "name": policy.get("name", policy_id), "num_loops": 0,
            "escalation_rules": rules,
            "services": [self._ref(request, "service", s["id"], s.get("name", s["id"]))
                         for s in policy.get("services", [])]}})

    def list_incidents(self, request: FakeRequest) -> FakeResponse:
        """GET /incidents: by service_ids[] and the since/until window (PagerDuty's default is the last 30 days)."""
        window = self._window(request)
        if isinstance(window, FakeResponse):
            return window
        since, until = window
        services = set(request.query.get("service_ids[]", []))
        names = {s["id"]: s.get("name", s["id"]) for p in self.data.get("escalation_policies", [])
                 for s in p.get("services", [])}
        found = []
        for incident in sorted(self.data.get("incidents", []), key=lambda i: i["created_at"]):
            created = parse_time(incident["created_at"])
            if services and incident["service"] not in services:
                continue
            if (since and created < since) or (until and created >= until):
                continue
            number = int(incident["incident_number"])
            found.append({
                "id": incident["id"], "type": "incident", "summary": f"[#{number}] {incident['title']}",
                "self": f"{request.origin}/incidents/{incident['id']}",
                "html_url": f"https://sandbox.pagerduty.com/incidents/{incident['id']}",
                "incident_number": number, "title": incident["title"], "created_at": incident["created_at"],
                "updated_at": incident.get("resolved_at") or incident["created_at"],
                "status": incident.get("status", "resolved"), "urgency": incident.get("urgency", "high"),
                "incident_key": incident["id"],
                # PagerDuty's description types it as a string: an open incident's answer leaves it out.
                **({"resolved_at": incident["resolved_at"]} if incident.get("resolved_at") else {}),
                "service": self._ref(request, "service", incident["service"],
                                     names.get(incident["service"], incident["service"])),
                "assignments": [], "acknowledgements": [], "teams": [],
            })
        return self._page(request, "incidents", found)

    def _user_ref(self, request: FakeRequest, user_id: str) -> dict[str, Any]:
        # A deleted user stays on the layer under their name; only GET /users/{id} says they are gone.
        user = next((u for u in self.data["users"] if u["id"] == user_id), None) or {"name": "Deleted user"}
        return {
            "id": user_id,
            "type": "user_reference",
            "summary": user.get("name", user_id),
            "self": f"{request.origin}/users/{user_id}",
            "html_url": f"https://sandbox.pagerduty.com/users/{user_id}",
        }

    def _entries(self, request: FakeRequest, entries: list[Shift], since: datetime, until: datetime,
                 overflow: bool) -> list[dict[str, Any]]:
        rendered = []
        for entry in entries:
            start, end = (entry.start, entry.end) if overflow else (max(entry.start, since), min(entry.end, until))
            rendered.append({"user": self._user_ref(request, entry.user_id), "start": iso(start), "end": iso(end)})
        return rendered

    @staticmethod
    def _coverage(entries: list[Shift], since: datetime | None, until: datetime | None) -> float | None:
        """Share of the window with someone on call, in percent, as PagerDuty reports it."""
        if since is None or until is None or until <= since:
            return None
        covered = sum(max(0.0, (min(e.end, until) - max(e.start, since)).total_seconds()) for e in entries)
        return round(100.0 * covered / (until - since).total_seconds(), 2)

    def _user_obj(self, request: FakeRequest, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": user["id"],
            "type": "user",
            "summary": user.get("name", ""),
            "self": f"{request.origin}/users/{user['id']}",
            "html_url": f"https://sandbox.pagerduty.com/users/{user['id']}",
            "name": user.get("name", ""),
            "email": user.get("email", ""),
            "time_zone": user.get("time_zone", "America/New_York"),
            "color": "purple",
            "role": user.get("role", "user"),
            "avatar_url": "https://sandbox.pagerduty.com/avatar.png",
            "description": "",
            "invitation_sent": False,
            "job_title": "",
            "teams": [],
            "contact_methods": [],
            "notification_rules": [],
        }

    def get_user(self, request: FakeRequest, user_id: str) -> FakeResponse:
        user = self._user(user_id)
        if user is None:
            return FakeResponse(404, {"error": {"code": 2100, "message": "Not Found"}})
        return FakeResponse(200, {"user": self._user_obj(request, user)})

    def list_users(self, request: FakeRequest) -> FakeResponse:
        query = (request.arg("query") or "").lower()
        users = [u for u in self.data["users"] if query in u.get("name", "").lower() or query in u.get("email", "")]
        return self._page(request, "users", [self._user_obj(request, u) for u in users])

    def list_schedules(self, request: FakeRequest) -> FakeResponse:
        items = [{"id": s["id"], "type": "schedule", "summary": s.get("name", ""), "name": s.get("name", ""),
                  "time_zone": s.get("time_zone", "UTC")} for s in self.data["schedules"]]
        return self._page(request, "schedules", items)

    @staticmethod
    def _page(request: FakeRequest, key: str, items: list[dict[str, Any]]) -> FakeResponse:
        limit = min(int(request.arg("limit", "25") or 25), 100)
        offset = int(request.arg("offset", "0") or 0)
        page = items[offset: offset + limit]
        return FakeResponse(200, {key: page, "limit": limit, "offset": offset,
                                  "more": offset + limit < len(items), "total": None})

    def _window(self, request: FakeRequest) -> tuple[datetime | None, datetime | None] | FakeResponse:
        since_arg, until_arg = request.arg("since"), request.arg("until")
        try:
            until = parse_time(until_arg) if until_arg else None
            since = parse_time(since_arg) if since_arg else None
        except ValueError:
            return FakeResponse(400, {"error": {"code": 2001, "message": "Invalid Input Provided",
                                                "errors": ["since/until must be ISO 8601"]}})
        if since is not None and until is not None and until <= since:
            until = since + timedelta(microseconds=1)  # a point in time: the entries covering it
        return since, until

    def get_shift_schedule(self, request: FakeRequest, schedule_id: str) -> FakeResponse:
        """GET /v3/schedules/{id}: a shift-based schedule, with `include[]=final_schedule` its computed
        assignments, each with its member and source (a rotation, or an override of one)."""
        schedule = next((s for s in self.data["schedules"] if s["id"] == schedule_id), None)
        if schedule is None or not schedule.get("shift_based"):
            # A layer-based (v2) schedule is not a shift-based one.
            return FakeResponse(404, {"error": {"code": 2100, "message": "Not Found"}})
        window = self._window(request)
        if isinstance(window, FakeResponse):
            return window
        since, until = window
        tz = ZoneInfo(request.arg("time_zone") or schedule.get("time_zone", "UTC"))
        includes = set(request.query.get("include[]", []))
        if includes - {"final_schedule"}:  # the only value the v3 description allows
            return FakeResponse(400, {"error": {"message": "Invalid Input Provided", "code": 2001,
                                                "errors": [f"include[] {sorted(includes - {'final_schedule'})} "
                                                           "is not supported"]}})
        rotations = schedule.get("rotations") or []
        body: dict[str, Any] = {
            "id": schedule["id"], "type": "schedule_v3", "name": schedule.get("name", ""),
            "time_zone": schedule.get("time_zone", "UTC"), "description": schedule.get("description", ""),
            "self": f"{request.origin}/v3/schedules/{schedule['id']}",
            "html_url": f"https://sandbox.pagerduty.com/schedules/{schedule['id']}",
            "rotations": [{"id": r["id"], "type": "schedule_rotation", "events": [self._event(r)]} for r in rotations],
            # The v3 description: "Escalation policies that reference this schedule".
            "escalation_policies": [self._ref(request, "escalation_policy", p["id"], p.get("name", p["id"]))
                                    for p in self._policies(schedule["id"])],
        }
        if "final_schedule" in includes and since and until:
            assignments: list[dict[str, Any]] = []
            covered: list[Shift] = []
            for rotation in rotations:
                base = render_layer(rotation, since, until, tz)
                mine = [o for o in schedule.get("overrides", []) if o.get("rotation_id") == rotation["id"]]
                cuts = [Shift(o["user"], o["id"], parse_time(o["start"]), parse_time(o["end"]), True) for o in mine]
                for shift in overlay(base, cuts):
                    source: dict[str, Any] = {"type": "schedule_rotation", "rotation_id": rotation["id"]}
                    if shift.override:
                        source = {"type": "schedule_rotation_override", "rotation_id": rotation["id"],
                                  "override_id": next((c.user_name for c in cuts if c.user_id == shift.user_id
                                                       and c.start <= shift.start < c.end), "")}
                    if shift.end > since and shift.start < until:
                        covered.append(shift)
                        assignments.append({"type": "computed_shift_assignment", "start_time": iso(shift.start),
                                            "end_time": iso(shift.end),
                                            "member": {"type": "user_member", "user_id": shift.user_id},
                                            "source": source})
            body["final_schedule"] = {"type": "final_schedule",
                                      "rendered_coverage_percentage": self._coverage(covered, since, until) or 0.0,
                                      "computed_shift_assignments": sorted(assignments,
                                                                           key=lambda a: a["start_time"])}
        # `users` is a property of the v3 schedule, not something include[] may ask for.
        ids = sorted({u for r in rotations for u in r["users"]} | {o["user"] for o in schedule.get("overrides", [])})
        body["users"] = [self._user_ref(request, u) for u in ids]
        return FakeResponse(200, {"schedule": body})

    @staticmethod
    def _event(rotation: dict[str, Any]) -> dict[str, Any]:
        start = parse_time(rotation["rotation_virtual_start"])
        length = int(rotation["rotation_turn_length_seconds"])
        return {"id": f"{rotation['id']}E", "type": "schedule_event", "name": rotation.get("name", rotation["id"]),
                "start_time": {"date_time": iso(start), "time_zone": "UTC"},
                "end_time": {"date_time": iso(start + timedelta(seconds=length)), "time_zone": "UTC"},
                "effective_since": iso(parse_time(rotation["start"])),
                "effective_until": iso(parse_time(rotation["end"])) if rotation.get("end") else None,
                "recurrence": [f"RRULE:FREQ=DAILY;INTERVAL={max(1, length // DAY)}" if length % DAY == 0
                               else "RRULE:FREQ=HOURLY"],
                "assignment_strategy": {"type": "rotating_member_assignment_strategy", "shifts_per_member": 1,
                                        "members": [{"type": "user_member", "user_id": u}
                                                    for u in rotation["users"]]}}

    def create_overrides(self, request: FakeRequest, schedule_id: str) -> FakeResponse:
        """POST /schedules/{id}/overrides: each override answered with its own status, as PagerDuty does (201 with
        the created override and its id, or 400 with `errors`); the request as a whole is 201."""
        schedule = next((s for s in self.data["schedules"] if s["id"] == schedule_id), None)
        if schedule is None:
            return FakeResponse(404, {"error": {"code": 2100, "message": "Not Found"}})
        wanted = request.json().get("overrides") if isinstance(request.json(), dict) else None
        if not isinstance(wanted, list) or not wanted:
            return FakeResponse(400, {"error": {"code": 2001, "message": "Invalid Input Provided",
                                                "errors": ["overrides must be a non-empty list"]}})
        answers = []
        for item in wanted:
            user_id = str((item.get("user") or {}).get("id", ""))
            try:
                start, end = parse_time(str(item["start"])), parse_time(str(item["end"]))
            except (KeyError, ValueError):
                answers.append({"status": 400, "errors": ["start and end must be ISO 8601 times"],
                                "override": {"start": str(item.get("start")), "end": str(item.get("end")),
                                             "user": self._user_ref(request, user_id)}})
                continue
            problems = []
            if end <= start:
                problems.append("Override must end after its start")
            if self._user(user_id) is None:
                problems.append("User not found")
            shown = {"start": iso(start), "end": iso(end), "user": self._user_ref(request, user_id)}
            if problems:
                answers.append({"status": 400, "errors": problems, "override": shown})
                continue
            number = sum(len(s.get("overrides", [])) for s in self.data["schedules"]) + 1
            override_id = f"POV{number:04d}{user_id[-4:]}"
            schedule.setdefault("overrides", []).append({"id": override_id, "start": iso(start), "end": iso(end),
                                                         "user": user_id})
            answers.append({"status": 201, "override": {**shown, "id": override_id}})
        return FakeResponse(201, answers)

    def get_schedule(self, request: FakeRequest, schedule_id: str) -> FakeResponse:
        schedule = next((s for s in self.data["schedules"] if s["id"] == schedule_id), None)
        if schedule is None:
            return FakeResponse(404, {"error": {"code": 2100, "message": "Not Found"}})
        if schedule.get("shift_based"):
            # PagerDuty: shift-based schedules are read through /v3/schedules only.
            return FakeResponse(400, {"error": {"code": 2001, "message": "Invalid Input Provided",
                                                "errors": ["This schedule is a shift-based schedule; use the "
                                                           "/v3/schedules API"]}})
        tz = ZoneInfo(request.arg("time_zone") or schedule.get("time_zone", "UTC"))
        window = self._window(request)
        if isinstance(window, FakeResponse):
            return window
        since, until = window
        if since is None and until is not None:
            since = until - timedelta(weeks=2)
        if until is None and since is not None:
            until = since + timedelta(weeks=2)
        overflow = (request.arg("overflow") or "").lower() == "true"

        layers_out = []
        rendered_layers: list[list[Shift]] = []
        for layer in schedule["layers"]:
            entries = render_layer(layer, since, until, tz) if since and until else []
            rendered_layers.append(entries)
            layers_out.append({
                "id": layer["id"],
                "name": layer["name"],
                "start": layer["start"],
                "end": layer.get("end"),
                "rotation_virtual_start": layer["rotation_virtual_start"],
                "rotation_turn_length_seconds": layer["rotation_turn_length_seconds"],
                "users": [{"user": self._user_ref(request, u)} for u in layer["users"]],
                "restrictions": [dict(r) for r in layer.get("restrictions") or []],
                "rendered_schedule_entries": self._entries(request, entries, since, until, overflow)
                if since and until else [],
                "rendered_coverage_percentage": self._coverage(entries, since, until),
            })
        overrides = [
            Shift(o["user"], "", parse_time(o["start"]), parse_time(o["end"]), override=True)
            for o in schedule.get("overrides", [])
            if since and until and parse_time(o["end"]) > since and parse_time(o["start"]) < until
        ]
        final: list[Shift] = []
        for entries in rendered_layers:  # later layers are higher, and win
            final = overlay(final, entries)
        final = overlay(final, overrides)
        user_ids = sorted({u for layer in schedule["layers"] for u in layer["users"]})
        body = {
            "id": schedule["id"],
            "type": "schedule",
            "summary": schedule.get("name", ""),
            "self": f"{request.origin}/schedules/{schedule['id']}",
            "html_url": f"https://sandbox.pagerduty.com/schedules/{schedule['id']}",
            "name": schedule.get("name", ""),
            "time_zone": schedule.get("time_zone", "UTC"),
            "description": schedule.get("description", ""),
            # PagerDuty returns layers in the reverse of the order they were created in.
            "schedule_layers": list(reversed(layers_out)),
            "overrides_subschedule": {
                "name": "Overrides",
                "rendered_schedule_entries": self._entries(request, overrides, since, until, overflow)
                if since and until else [],
                "rendered_coverage_percentage": self._coverage(overrides, since, until),
            },
            "final_schedule": {
                "name": "Final Schedule",
                "rendered_schedule_entries": self._entries(request, final, since, until, overflow)
                if since and until else [],
                "rendered_coverage_percentage": self._coverage(final, since, until),
            },
            "escalation_policies": [self._ref(request, "escalation_policy", p["id"], p.get("name", p["id"]))
                                    for p in self._policies(schedule["id"])],
            "users": [self._user_ref(request, u) for u in user_ids],
            "teams": [],
        }
        return FakeResponse(200, {"schedule": body})
