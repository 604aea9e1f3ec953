"""The fakes answer in the vendors' published shapes (PagerDuty REST v2 OpenAPI 3, Slack Web API Swagger 2).

The schemas are a cut of ../shared/api-specs made by tests/contracts/extract.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oncall_lib.config import Config, load_config
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.sandbox.http import Exchange, FakeResponse
from oncall_lib.sandbox.server import SANDBOX_TOKENS
from oncall_lib.services import Services
from tests.conftest import _EXAMPLE, ROOT, SESSION_TRAFFIC
from tests.contracts import Contracts
from tests.test_doctor_and_secrets import AT, every_job

HERE = Path(__file__).parent / "contracts"


@pytest.fixture(scope="module")
def contracts() -> Contracts:
    return Contracts()


@pytest.fixture
def server(world: dict[str, Any]) -> Iterator[SandboxServer]:
    with SandboxServer(world, record=True) as running:
        yield running


def call(server: SandboxServer, service: str, path: str, *, token: str, method: str = "GET",
         params: dict[str, str] | None = None, body: dict[str, Any] | None = None) -> Any:
    url = server.base_url(service) + path + ("?" + urllib.parse.urlencode(params) if params else "")
    data = json.dumps(body).encode() if body is not None else None
    # Each service's own scheme: PagerDuty's REST API keys go as "Token token=...", the others as Bearer.
    auth = f"Token token={token}" if service == "pagerduty" else f"Bearer {token}"
    headers = {"Authorization": auth, "Content-Type": "application/json; charset=utf-8"}
    if service == "pagerduty":  # as PagerDuty's description has it
        headers.update({"Accept": "application/vnd.pagerduty+json;version=2", "Content-Type": "application/json"})
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def assert_fits(contracts: Contracts, server: SandboxServer) -> None:
    assert server.exchanges, "nothing was recorded"
    problems = contracts.problems(server.exchanges)
    assert not problems, "\n".join(problems[:20])


PD = SANDBOX_TOKENS["PAGERDUTY_API_TOKEN"]
SLACK = SANDBOX_TOKENS["SLACK_BOT_TOKEN"]


def test_pagerduty_schedule(contracts: Contracts, server: SandboxServer) -> None:
    body = call(server, "pagerduty", "/schedules/PSUPPRT", token=PD,
                params={"since": "2026-11-20T00:00:00Z", "until": "2026-12-10T00:00:00Z", "overflow": "true"})
    assert [layer["id"] for layer in body["schedule"]["schedule_layers"]] == ["PLAYER2", "PL2OLD0", "PLAYER1"]
    assert_fits(contracts, server)


def test_pagerduty_users(contracts: Contracts, server: SandboxServer) -> None:
    call(server, "pagerduty", "/users/PADA001", token=PD)
    call(server, "pagerduty", "/users", token=PD, params={"limit": "2"})
    call(server, "pagerduty", "/schedules", token=PD)
    assert_fits(contracts, server)


def test_github_users_by_login_and_by_account_id(contracts: Contracts, server: SandboxServer) -> None:
    """The doctor reads a roster login's account id, and the login a pinned github_id holds now."""
    token = SANDBOX_TOKENS["ONCALL_GITHUB_TOKEN"]
    grace = call(server, "github", "/users/grace-hopper", token=token)
    assert call(server, "github", f"/user/{grace['id']}", token=token)["login"] == "grace-hopper"
    assert_fits(contracts, server)


@pytest.mark.parametrize(("method", "args"), [
    ("conversations.info", {"channel": "C01SUPPORT"}),
    ("users.lookupByEmail", {"email": "ada.lovelace@example.gov"}),
    ("users.info", {"user": "U0ADA"}),
    ("auth.test", {}),
    ("chat.getPermalink", {"channel": "C01SUPPORT", "message_ts": "1700000000.000100"}),
    ("conversations.list", {"types": "public_channel"}),
])
def test_slack_reads(contracts: Contracts, server: SandboxServer, method: str, args: dict[str, str]) -> None:
    assert call(server, "slack", f"/{method}", token=SLACK, params=args)["ok"] is True
    assert_fits(contracts, server)


def test_slack_messages(contracts: Contracts, server: SandboxServer) -> None:
    posted = call(server, "slack", "/chat.postMessage", token=SLACK, method="POST",
                  body={"channel": "C01SUPPORT", "text": "hello",
                        "metadata": {"event_type": "t", "event_payload": {"key": "k"}}})
    call(server, "slack", "/chat.postMessage", token=SLACK, method="POST",
         body={"channel": "C01SUPPORT", "text": "in thread", "thread_ts": posted["ts"]})
    history = call(server, "slack", "/conversations.history", token=SLACK,
                   params={"channel": "C01SUPPORT", "include_all_metadata": "true"})
    assert history["messages"][0]["reply_count"] == 1
    call(server, "slack", "/conversations.replies", token=SLACK, params={"channel": "C01SUPPORT", "ts": posted["ts"]})
    call(server, "slack", "/chat.update", token=SLACK, method="POST",
         body={"channel": "C01SUPPORT", "ts": posted["ts"], "text": "hello again"})
    assert_fits(contracts, server)


def test_slack_channel_writes(contracts: Contracts, server: SandboxServer) -> None:
    call(server, "slack", "/conversations.setTopic", token=SLACK, method="POST",
         body={"channel": "C01SUPPORT", "topic": "On support: Ada"})
    call(server, "slack", "/conversations.open", token=SLACK, method="POST", body={"users": "U0ADA"})
    assert_fits(contracts, server)


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
    with SandboxServer(world, record=True) as running:
        body = call(running, "pagerduty", f"/schedules/{example['id']}", token=PD,
                    params={"since": f"{day}T00:00:00-05:00", "until": f"{day}T23:59:59.999-05:00"})
        assert_fits(Contracts(), running)
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
    headers = {"Authorization": wrong, "Accept": "application/vnd.pagerduty+json;version=2"}
    request = urllib.request.Request(server.base_url(service) + path, headers=headers,
                                     method="POST" if service == "zenhub" else "GET",
                                     data=b'{"query": "{ viewer { id } }"}' if service == "zenhub" else None)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


# -- what the product itself sends, and what the fakes answer ----------------------------------------


def _every_job_twice(world: dict[str, Any], config: Config) -> list[Exchange]:
    """Every job, applied and then re-run, through the real SDKs: the requests the product sends."""
    exchanges: list[Exchange] = []
    for _ in range(2):
        with SandboxServer(world, clock=lambda: AT, record=True) as running:
            for job in every_job(config):
                job(Services(sandbox_endpoints(running)), AT)
            exchanges += running.exchanges or []
    return exchanges


def test_every_job_sends_and_is_answered_as_the_vendors_describe(contracts: Contracts, world: dict[str, Any],
                                                                  config: Config) -> None:
    exchanges = _every_job_twice(world, config)
    assert {e.service for e in exchanges} == {"github", "slack", "pagerduty", "iam", "sheets"}
    problems = contracts.problems(exchanges)
    assert not problems, "\n".join(problems[:20])


def _first(exchanges: list[Exchange], service: str, path: str, method: str | None = None) -> Exchange:
    """The first exchange whose path matches the regular expression `path`."""
    return next(e for e in exchanges if e.service == service and re.search(path, e.request.path)
                and (method is None or e.request.method == method) and e.response.status < 300)


def _with_response(exchange: Exchange, body: Any = None, raw: bytes | None = None,
                   status: int | None = None) -> Exchange:
    response = FakeResponse(status or exchange.response.status, body, exchange.response.headers, raw,
                            exchange.response.content_type)
    return Exchange(exchange.service, exchange.request, response)


def _with_request(exchange: Exchange, *, body: bytes | None = None, query: dict[str, list[str]] | None = None,
                  path: str | None = None) -> Exchange:
    request = dataclasses.replace(exchange.request, body=exchange.request.body if body is None else body,
                                  query=exchange.request.query if query is None else query,
                                  path=path or exchange.request.path)
    return Exchange(exchange.service, request, exchange.response)


@pytest.fixture(scope="module")
def traffic() -> list[Exchange]:
    """One recorded run of every job, epics linked through ZenHub, for the mutation tests to break."""
    world = copy.deepcopy(_EXAMPLE)
    config = load_config(ROOT / "oncall.toml")
    config = config.model_copy(update={"epics": config.epics.model_copy(update={"link_with": "zenhub"})})
    with SandboxServer(world, clock=lambda: AT, record=True) as running:
        for job in every_job(config):
            job(Services(sandbox_endpoints(running)), AT)
        return list(running.exchanges or [])


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _json_body(exchange: Exchange) -> dict[str, Any]:
    body = exchange.request.body
    return dict(json.loads(body)) if body.startswith(b"{") else exchange.request.form()


def _string_draft(exchange: Exchange) -> Exchange:
    body = copy.deepcopy(exchange.response.body)
    pulls = body["data"]["repository"]["pullRequests"]
    pulls["nodes"] = [{**pulls["nodes"][0], "isDraft": "no"}]
    return _with_response(exchange, body)


def _layer_without_start(exchange: Exchange) -> Exchange:
    body = copy.deepcopy(exchange.response.body)
    del body["schedule"]["schedule_layers"][0]["rotation_virtual_start"]
    return _with_response(exchange, body)


def _iam(traffic: list[Exchange], action: bytes) -> Exchange:
    return next(e for e in traffic if e.service == "iam" and b"Action=" + action + b"&" in e.request.body + b"&")


def _lookup(traffic: list[Exchange]) -> Exchange:
    return next(e for e in traffic if e.service == "zenhub" and b"IssueByInfo" in e.request.body
                and (e.response.body or {}).get("data"))


Traffic = list[Exchange]
# What is broken, a word the problem must name, and how to break a recorded exchange: per service, at least one
# request and one answer.
MUTATIONS: dict[str, tuple[str, Callable[[Traffic], Exchange]]] = {
    "GitHub REST request: an issue without a title": ("title", lambda t: _with_request(
        e := _first(t, "github", "/issues$", "POST"), body=json.dumps(_without(_json_body(e), "title")).encode())),
    "GitHub REST request: a state GitHub does not know": ("state", lambda t: _with_request(
        e := _first(t, "github", "/pulls$", "GET"), query={**e.request.query, "state": ["merged"]})),
    "GitHub REST answer: an issue without its number": ("number", lambda t: _with_response(
        e := _first(t, "github", "/issues$", "POST"), _without(e.response.body, "number"))),
    "GitHub GraphQL request: a field the schema does not have": ("isDraftPR", lambda t: _with_request(
        e := _first(t, "github", "/graphql"), body=e.request.body.replace(b"isDraft", b"isDraftPR"))),
    "GitHub GraphQL answer: a Boolean that is a string": ("Boolean", lambda t: _string_draft(
        _first(t, "github", "/graphql"))),
    "ZenHub GraphQL request: a field the schema does not have": ("parentEpics", lambda t: _with_request(
        e := _lookup(t), body=e.request.body.replace(b"parentZenhubEpics", b"parentEpics"))),
    "ZenHub GraphQL answer: a field nobody asked for": ("title", lambda t: _with_response(_lookup(t), {"data": {
        "issueByInfo": {"id": "Z1", "number": 1, "parentZenhubEpics": {"nodes": []}, "title": "extra"}}})),
    "PagerDuty request: a parameter GET /schedules/{id} does not take": ("include_overrides", lambda t: _with_request(
        e := _first(t, "pagerduty", "^/schedules/"), query={**e.request.query, "include_overrides": ["true"]})),
    "PagerDuty answer: a layer without its rotation start": ("rotation_virtual_start", lambda t: _layer_without_start(
        _first(t, "pagerduty", "^/schedules/"))),
    "Slack request: chat.postMessage without a channel": ("channel", lambda t: _with_request(
        e := _first(t, "slack", "/chat.postMessage"), body=json.dumps(_without(_json_body(e), "channel")).encode())),
    "Slack answer: an error Slack does not have for the method": ("channel_is_sad", lambda t: _with_response(
        _first(t, "slack", "/chat.postMessage"), {"ok": False, "error": "channel_is_sad"})),
    "Slack answer: a posted message without its ts": ("ts", lambda t: _with_response(
        e := _first(t, "slack", "/chat.postMessage"), _without(e.response.body, "ts"))),
    "Sheets request: a valueInputOption Sheets does not have": ("PARSED", lambda t: _with_request(
        e := _first(t, "sheets", "values:batchUpdate$"),
        body=json.dumps({**_json_body(e), "valueInputOption": "PARSED"}).encode())),
    "Sheets answer: cells that are not rows": ("rowData", lambda t: _with_response(
        e := _first(t, "sheets", r"^/v4/spreadsheets/[^/:]+$"),
        {**e.response.body, "sheets": [{"data": [{"rowData": "x"}]}]})),
    "IAM answer: a report state AWS does not have": ("DONE", lambda t: _with_response(
        e := _iam(t, b"GenerateCredentialReport"),
        raw=(e.response.raw or b"").replace(b"<State>STARTED", b"<State>DONE").replace(b"<State>COMPLETE",
                                                                                        b"<State>DONE"))),
    "IAM answer: an error GetCredentialReport does not declare": ("ReportIsLate", lambda t: _with_response(
        _iam(t, b"GetCredentialReport"), status=404,
        raw=b"<ErrorResponse><Error><Code>ReportIsLate</Code><Message>x</Message></Error></ErrorResponse>")),
}


@pytest.mark.parametrize("what", MUTATIONS)
def test_a_contract_fails_when_a_request_or_answer_breaks_the_description(contracts: Contracts,
                                                                          traffic: list[Exchange], what: str) -> None:
    word, breaking = MUTATIONS[what]
    exchange = breaking(traffic)
    original = next(e for e in traffic if e.request is exchange.request or e.response is exchange.response)
    assert contracts.problems([original]) == [], "the unbroken exchange must fit, or the test proves nothing"
    problems = contracts.problems([exchange])
    assert problems and any(word in p for p in problems), problems


def test_every_kind_of_exchange_in_the_whole_suite_fits_the_published_descriptions(contracts: Contracts) -> None:
    """Runs last (see conftest): a few exchanges of every kind any test made, errors and edge worlds included,
    and every operation the product calls must have been seen and checked at least once."""
    exchanges = SESSION_TRAFFIC.exchanges
    if len(exchanges) < 200:
        exchanges += _every_job_twice(copy.deepcopy(_EXAMPLE), load_config(ROOT / "oncall.toml"))
    problems = contracts.problems(exchanges)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:30])
    if not SESSION_TRAFFIC.whole_suite:
        return  # a part of the suite reaches a part of the operations
    for name, contract in contracts.rest.items():
        unseen = sorted(o.key for o in contract.operations if o.key not in contract.seen)
        assert not unseen, f"{name}: no test sent {unseen}"
    assert contracts.iam.seen == {"GenerateCredentialReport", "GetCredentialReport"}
    assert {"OpenPullRequests"} <= contracts.github_graphql.seen
    assert {"IssueByInfo", "AddIssuesToZenhubEpics"} <= contracts.zenhub.seen
