"""The fakes answer in the vendors' published shapes (PagerDuty REST v2 OpenAPI 3, Slack Web API Swagger 2).

The schemas are a cut of ../shared/api-specs made by tests/contracts/extract.py.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft7Validator

from oncall_lib.sandbox import SandboxServer
from oncall_lib.sandbox.server import SANDBOX_TOKENS

HERE = Path(__file__).parent / "contracts"


def _openapi3_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` is not JSON Schema: turn it into a null type."""
    if isinstance(node, dict):
        out = {k: _openapi3_to_jsonschema(v) for k, v in node.items()}
        if out.pop("nullable", False) and "type" in out:
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_openapi3_to_jsonschema(v) for v in node]
    return node


def _allow_documented_gaps(spec: dict[str, Any]) -> None:
    """Where a vendor's schema contradicts its own documentation and real responses, follow the documentation."""
    if "components" in spec:
        # "end: The end time of this layer. If null, the layer does not end." -- typed as a plain string.
        spec["components"]["schemas"]["ScheduleLayer"]["properties"]["end"]["nullable"] = True
    else:
        # Message metadata (2022) and app_id are in every real bot message; the schema predates them.
        properties = spec["definitions"]["objs_message"]["properties"]
        properties.setdefault("metadata", {"type": "object"})
        properties.setdefault("app_id", {"$ref": "#/definitions/defs_app_id"})
        # Cursor pagination (documented on every paged method) answers with response_metadata.next_cursor.
        for endpoint in ("GET /conversations.history", "GET /conversations.replies"):
            spec["responses"][endpoint]["properties"].setdefault("response_metadata", {"type": "object"})


def validator(service: str, endpoint: str) -> Any:
    spec = json.loads((HERE / f"{service}.json").read_text())
    _allow_documented_gaps(spec)
    schema = copy.deepcopy(spec["responses"][endpoint])
    if "components" in spec:
        schema["components"] = _openapi3_to_jsonschema(spec["components"])
        return Draft7Validator(_openapi3_to_jsonschema(schema))
    schema["definitions"] = spec["definitions"]
    return Draft4Validator(schema)


@pytest.fixture
def server(world: dict[str, Any]) -> Iterator[SandboxServer]:
    with SandboxServer(world) as running:
        yield running


def call(server: SandboxServer, service: str, path: str, *, token: str, method: str = "GET",
         params: dict[str, str] | None = None, body: dict[str, Any] | None = None) -> Any:
    url = server.base_url(service) + path + ("?" + urllib.parse.urlencode(params) if params else "")
    data = json.dumps(body).encode() if body is not None else None
    # Each service's own scheme: PagerDuty's REST API keys go as "Token token=...", the others as Bearer.
    auth = f"Token token={token}" if service == "pagerduty" else f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": auth, "Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def assert_valid(service: str, endpoint: str, body: Any) -> None:
    errors = sorted(validator(service, endpoint).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


PD = SANDBOX_TOKENS["PAGERDUTY_API_TOKEN"]
SLACK = SANDBOX_TOKENS["SLACK_BOT_TOKEN"]


def test_pagerduty_schedule(server: SandboxServer) -> None:
    body = call(server, "pagerduty", "/schedules/PSUPPRT", token=PD,
                params={"since": "2026-11-20T00:00:00Z", "until": "2026-12-10T00:00:00Z", "overflow": "true"})
    assert_valid("pagerduty", "GET /schedules/{id}", body)
    assert [layer["id"] for layer in body["schedule"]["schedule_layers"]] == ["PLAYER2", "PL2OLD0", "PLAYER1"]


def test_pagerduty_users(server: SandboxServer) -> None:
    assert_valid("pagerduty", "GET /users/{id}", call(server, "pagerduty", "/users/PADA001", token=PD))
    assert_valid("pagerduty", "GET /users", call(server, "pagerduty", "/users", token=PD, params={"limit": "2"}))
    assert_valid("pagerduty", "GET /schedules", call(server, "pagerduty", "/schedules", token=PD))


@pytest.mark.parametrize(("method", "args"), [
    ("conversations.info", {"channel": "C01SUPPORT"}),
    ("users.lookupByEmail", {"email": "ada.lovelace@example.gov"}),
    ("users.info", {"user": "U0ADA"}),
    ("auth.test", {}),
    ("chat.getPermalink", {"channel": "C01SUPPORT", "message_ts": "1700000000.000100"}),
])
def test_slack_reads(server: SandboxServer, method: str, args: dict[str, str]) -> None:
    body = call(server, "slack", f"/{method}", token=SLACK, params=args)
    assert body["ok"] is True
    assert_valid("slack", f"GET /{method}", body)


def test_slack_messages(server: SandboxServer) -> None:
    posted = call(server, "slack", "/chat.postMessage", token=SLACK, method="POST",
                  body={"channel": "C01SUPPORT", "text": "hello",
                        "metadata": {"event_type": "t", "event_payload": {"key": "k"}}})
    assert_valid("slack", "POST /chat.postMessage", posted)
    reply = call(server, "slack", "/chat.postMessage", token=SLACK, method="POST",
                 body={"channel": "C01SUPPORT", "text": "in thread", "thread_ts": posted["ts"]})
    assert_valid("slack", "POST /chat.postMessage", reply)
    history = call(server, "slack", "/conversations.history", token=SLACK,
                   params={"channel": "C01SUPPORT", "include_all_metadata": "true"})
    assert_valid("slack", "GET /conversations.history", history)
    assert history["messages"][0]["reply_count"] == 1
    replies = call(server, "slack", "/conversations.replies", token=SLACK,
                   params={"channel": "C01SUPPORT", "ts": posted["ts"]})
    assert_valid("slack", "GET /conversations.replies", replies)
    updated = call(server, "slack", "/chat.update", token=SLACK, method="POST",
                   body={"channel": "C01SUPPORT", "ts": posted["ts"], "text": "hello again"})
    assert_valid("slack", "POST /chat.update", updated)


def test_slack_channel_writes(server: SandboxServer) -> None:
    topic = call(server, "slack", "/conversations.setTopic", token=SLACK, method="POST",
                 body={"channel": "C01SUPPORT", "topic": "On support: Ada"})
    assert_valid("slack", "POST /conversations.setTopic", topic)
    opened = call(server, "slack", "/conversations.open", token=SLACK, method="POST", body={"users": "U0ADA"})
    assert_valid("slack", "POST /conversations.open", opened)


def _example_world() -> tuple[dict[str, Any], dict[str, Any]]:
    """PagerDuty's own GET /schedules/{id} example, and a world holding the layer it describes."""
    example = json.loads((HERE / "pagerduty-schedule-example.json").read_text())["example"]["schedule"]
    layer = example["schedule_layers"][0]
    user = layer["users"][0]["user"]
    world = {"pagerduty": {
        "users": [{"id": user["id"], "name": user["summary"], "email": "regina@example.com"}],
        "schedules": [{"id": example["id"], "name": example["name"], "time_zone": example["time_zone"],
                       "layers": [{"id": layer["id"], "name": layer["name"], "start": layer["start"],
                                   "end": layer.get("end"), "rotation_virtual_start": layer["rotation_virtual_start"],
                                   "rotation_turn_length_seconds": layer["rotation_turn_length_seconds"],
                                   "users": [user["id"]], "restrictions": layer["restrictions"]}],
                       "overrides": []}]}}
    return example, world


def _entries(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["start"], e["end"], e["user"]["id"]) for e in entries]


@pytest.mark.parametrize(("part", "day"), [("layer", "2015-11-09"), ("final", "2015-11-10")])
def test_a_restricted_layer_renders_as_pagerdutys_own_example(part: str, day: str) -> None:
    """The same layer definition renders the same entries and coverage as PagerDuty's documented example."""
    example, world = _example_world()
    expected = example["schedule_layers"][0] if part == "layer" else example["final_schedule"]
    with SandboxServer(world) as running:
        body = call(running, "pagerduty", f"/schedules/{example['id']}", token=PD,
                    params={"since": f"{day}T00:00:00-05:00", "until": f"{day}T23:59:59.999-05:00"})
    assert_valid("pagerduty", "GET /schedules/{id}", body)
    schedule = body["schedule"]
    got = schedule["schedule_layers"][0] if part == "layer" else schedule["final_schedule"]
    assert _entries(got["rendered_schedule_entries"]) == _entries(expected["rendered_schedule_entries"])
    assert round(got["rendered_coverage_percentage"], 1) == expected["rendered_coverage_percentage"]
    assert schedule["schedule_layers"][0]["restrictions"] == example["schedule_layers"][0]["restrictions"]


def test_a_restricted_layer_has_one_entry_per_allowed_window_and_none_out_of_hours() -> None:
    example, world = _example_world()
    with SandboxServer(world) as running:
        body = call(running, "pagerduty", f"/schedules/{example['id']}", token=PD,
                    params={"since": "2015-11-09T00:00:00-05:00", "until": "2015-11-12T00:00:00-05:00"})
    entries = _entries(body["schedule"]["schedule_layers"][0]["rendered_schedule_entries"])
    assert [(s[11:16], e[11:16]) for s, e, _ in entries] == [("08:00", "17:00")] * 3
    with SandboxServer(world) as running:
        night = call(running, "pagerduty", f"/schedules/{example['id']}", token=PD,
                     params={"since": "2015-11-09T20:00:00-05:00", "until": "2015-11-09T20:00:00-05:00"})
    assert night["schedule"]["final_schedule"]["rendered_schedule_entries"] == []


@pytest.mark.parametrize(("service", "path", "wrong"), [
    ("pagerduty", "/users/PADA001", "Bearer sandbox-pagerduty-token"),
    ("zenhub", "/public/graphql", "Token token=sandbox-zenhub-token"),
    ("github", "/repos/department-of-veterans-affairs/va.gov-team", "Token token=sandbox_github_token"),
])
def test_each_fake_takes_only_its_services_auth_scheme(server: SandboxServer, service: str, path: str,
                                                       wrong: str) -> None:
    request = urllib.request.Request(server.base_url(service) + path, headers={"Authorization": wrong},
                                     method="POST" if service == "zenhub" else "GET",
                                     data=b'{"query": "{ viewer { id } }"}' if service == "zenhub" else None)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
