"""Contract checks: each service's published description, and what the sandbox is allowed to differ in.

`Contracts().problems(exchanges)` checks every recorded request and answer
against its vendor's description (see SOURCES.md); `seen` says which operations
a run reached, so a test can also insist that every operation was checked.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from oncall_lib.sandbox.http import Exchange
from tests.contracts.graphql_contract import GraphQLContract, github_schema, zenhub_schema
from tests.contracts.iam import IamContract
from tests.contracts.rest import RestContract

# Google's error model (google.rpc.Status inside "error"), which every Google REST API answers with; the
# discovery document does not describe errors. https://cloud.google.com/apis/design/errors
GOOGLE_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "status"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}, "details": {"type": "array"},
                   "errors": {"type": "array"},
                   "status": {"enum": ["CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                                       "ALREADY_EXISTS", "PERMISSION_DENIED", "UNAUTHENTICATED", "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                       "UNAVAILABLE", "DATA_LOSS"]}}}}}


# OAuth 2.0's error answer (RFC 6749 section 5.2), which Google's STS gives at its token endpoint.
OAUTH_ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"enum": ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                       "unsupported_grant_type", "invalid_scope", "invalid_target"]},
    "error_description": {"type": "string"}}}


def sts_documented_gaps(cut: dict[str, Any]) -> None:
    """STS's token endpoint takes RFC 8693's form encoding, fields in snake_case (what google-auth sends, and what
    Google's workload identity docs show); the discovery document describes the same fields as a JSON body in
    camelCase. The form's fields are checked against those."""
    operation = cut["operations"]["POST /v1/token"]
    fields = cut["definitions"]["GoogleIdentityStsV1ExchangeTokenRequest"]["properties"]
    operation["parameters"] = [
        {"name": "".join(f"_{c.lower()}" if c.isupper() else c for c in name), "in": "formData",
         "required": name in ("grantType", "subjectToken", "subjectTokenType"), "schema": schema}
        for name, schema in fields.items()]
    operation["body"] = None


def iamcredentials_documented_gaps(cut: dict[str, Any]) -> None:
    """google-auth sends "delegates": null when there are none; Google's JSON mapping of its protocol buffers
    takes null for any field as its default (protobuf's "JSON Mapping": "null is accepted for all field types")."""
    for field in cut["definitions"]["GenerateAccessTokenRequest"]["properties"].values():
        field["nullable"] = True


def slack_documented_gaps(cut: dict[str, Any]) -> None:
    """Where Slack's 2020 description predates what Slack documents and answers today, follow the documentation.

    Message metadata (2022): chat.postMessage and chat.update take `metadata`, history and replies take
    `include_all_metadata`, and messages carry `metadata` and `app_id`. Cursor pagination answers with
    `response_metadata` on every paged method. Nothing else is added.
    """
    operations, definitions = cut["operations"], cut["definitions"]
    for key in ("POST /chat.postMessage", "POST /chat.update"):
        operations[key]["parameters"].append({"in": "formData", "name": "metadata", "schema": {"type": "string"}})
    for key in ("GET /conversations.history", "GET /conversations.replies"):
        operations[key]["parameters"].append({"in": "query", "name": "include_all_metadata",
                                              "schema": {"type": "boolean"}})
        operations[key]["responses"]["200"]["properties"].setdefault("response_metadata", {"type": "object"})
    # An empty channel's history is an empty list; the description's minItems: 1 says otherwise.
    operations["GET /conversations.history"]["responses"]["200"]["properties"]["messages"].pop("minItems", None)
    # Errors every method can answer (Slack's docs list them under each method's errors, the description on
    # some), and the body of missing_scope: {"error": "missing_scope", "needed": ..., "provided": ...}.
    for operation in operations.values():
        default = operation["responses"].get("default")
        if default:
            default["properties"].update(needed={"type": "string"}, provided={"type": "string"},
                                         warning={"type": "string"}, response_metadata={"type": "object"})
            default["properties"]["error"]["enum"] = sorted(set(default["properties"]["error"]["enum"]) | {
                "missing_scope", "not_authed", "invalid_auth", "token_revoked", "account_inactive", "ratelimited",
                "unknown_method", "fatal_error", "internal_error", "service_unavailable", "request_timeout"})
    # More than 30 messages scheduled within five minutes for one channel: "restricted_too_many" (Slack's docs for
    # chat.scheduleMessage, added after this description).
    error = operations["POST /chat.scheduleMessage"]["responses"]["default"]["properties"]["error"]
    error["enum"] = sorted(set(error["enum"]) | {"restricted_too_many"})
    # User groups on a free plan: "plan_upgrade_required" (Slack's docs for the usergroups methods, 2023).
    for key in ("GET /usergroups.list", "POST /usergroups.users.update"):
        error = operations[key]["responses"]["default"]["properties"]["error"]
        error["enum"] = sorted(set(error["enum"]) | {"plan_upgrade_required", "no_users_provided", "invalid_users"})
    message = definitions["objs_message"]["properties"]
    message.setdefault("metadata", {"type": "object"})
    message.setdefault("app_id", {"$ref": "#/definitions/defs_app_id"})


def github_documented_gaps(cut: dict[str, Any]) -> None:
    """POST .../issues/{n}/labels takes a bare array of names too, as every earlier version of GitHub's description
    said and GitHub still accepts (PyGithub sends it so); the current description lists only {"labels": [...]}."""
    body = cut["operations"]["POST /repos/{owner}/{repo}/issues/{issue_number}/labels"]["body"]["schema"]
    body["oneOf"].append({"type": "array", "minItems": 1, "items": {"type": "string"}})
    # "Requests with invalid credentials return 401 Unauthorized" (GitHub's REST authentication docs), on every
    # operation; the description lists 401 only on some.
    for operation in cut["operations"].values():
        operation["responses"].setdefault("401", {"$ref": "#/definitions/basic-error"})
    # An App not installed on an organisation: 404 Not Found, as the repository lookup documents ("Get an
    # organization installation" lists only 200).
    org_installation = cut["operations"]["GET /orgs/{org}/installation"]
    org_installation["responses"].setdefault("404", {"$ref": "#/definitions/basic-error"})
    # The list of installations inlines each one's account as allOf [simple-user, enterprise], which no account
    # fits (a user or an organisation has no slug); the installation schema of every other App operation says
    # anyOf, which is what GitHub answers.
    listed = cut["operations"]["GET /app/installations"]["responses"]["200"]["items"]["properties"]["account"]
    listed["anyOf"] = listed.pop("allOf")
    # An installation token used outside its installation: 403 "Resource not accessible by integration" (GitHub's
    # docs on App permissions); the team membership operations list 404 only.
    for key in ("GET /orgs/{org}/teams/{team_slug}/memberships/{username}",
                "PUT /orgs/{org}/teams/{team_slug}/memberships/{username}"):
        cut["operations"][key]["responses"].setdefault("403", {"$ref": "#/definitions/basic-error"})


def pagerduty_documented_gaps(cut: dict[str, Any]) -> None:
    # "end: The end time of this layer. If null, the layer does not end." -- typed as a plain string.
    # Content-Type is marked required on every operation, GETs included, which have no body: PagerDuty's own
    # client (the `pagerduty` package) sends it only with a body, and the API answers without it.
    for key, operation in cut["operations"].items():
        for parameter in operation["parameters"]:
            if key.startswith("GET ") and parameter["in"] == "header" and parameter["name"] == "Content-Type":
                parameter["required"] = False
    cut["definitions"]["ScheduleLayer"]["properties"]["end"]["nullable"] = True


def _slack_status(exchange: Exchange) -> str:
    """Slack answers errors with HTTP 200 and ok: false, which its description calls the default response."""
    body = exchange.response.body
    if exchange.response.status == 200 and isinstance(body, dict):
        return "200" if body.get("ok") else "default"
    return str(exchange.response.status)


class Contracts:
    def __init__(self) -> None:
        self.github = RestContract("github", adjust=github_documented_gaps)
        self.pagerduty = RestContract("pagerduty", adjust=pagerduty_documented_gaps)
        self.slack = RestContract("slack", draft4=True, status_of=_slack_status, adjust=slack_documented_gaps,
                                  any_method=True)
        self.sheets = RestContract("sheets", extra_responses={"default": GOOGLE_ERROR})
        self.sts = RestContract("sts", adjust=sts_documented_gaps, extra_responses={"default": OAUTH_ERROR})
        self.iamcredentials = RestContract("iamcredentials", adjust=iamcredentials_documented_gaps,
                                           extra_responses={"default": GOOGLE_ERROR})
        self.github_graphql = GraphQLContract("GitHub GraphQL", github_schema())
        self.zenhub = GraphQLContract("ZenHub GraphQL", zenhub_schema())
        self.iam = IamContract()

    @property
    def rest(self) -> dict[str, RestContract]:
        return {"github": self.github, "pagerduty": self.pagerduty, "slack": self.slack, "sheets": self.sheets,
                "sts": self.sts, "iamcredentials": self.iamcredentials}

    def checker(self, exchange: Exchange) -> Any:
        path = exchange.request.path
        if exchange.service == "github":
            if path.startswith("/_logs/"):
                return None  # a signed blob-storage URL GitHub redirects to, not part of the API
            return self.github_graphql if path == "/graphql" else self.github
        if exchange.service == "actions_oidc":
            # The runner's token service (ACTIONS_ID_TOKEN_REQUEST_URL) has no published description; GitHub's docs
            # and actions/toolkit's getIDToken read {"value": <JWT>} from it, and the tests check the JWT itself.
            return None
        return {"pagerduty": self.pagerduty, "slack": self.slack, "sheets": self.sheets, "zenhub": self.zenhub,
                "iam": self.iam, "sts": self.sts, "iamcredentials": self.iamcredentials}[exchange.service]

    def problems(self, exchanges: list[Exchange]) -> list[str]:
        found: list[str] = []
        for exchange in exchanges:
            checker = self.checker(exchange)
            if checker is not None:
                found += [f"{exchange.service}: {p}" for p in checker.problems(exchange)]
        return list(dict.fromkeys(found))


class Sample:
    """A few exchanges of each kind (operation and status) from a whole test session, to check at its end.

    Thread-safe: the sandbox serves each request on its own thread.
    """

    def __init__(self, per_kind: int = 6) -> None:
        self.per_kind = per_kind
        self.whole_suite = False  # set when every test runs, so that every operation should have been reached
        self.kinds: dict[tuple[str, ...], list[Exchange]] = {}
        self._lock = threading.Lock()
        self._rest = {name: RestContract(name) for name in ("github", "pagerduty", "slack", "sheets", "sts",
                                                             "iamcredentials")}
        self._rest["slack"].any_method = True

    def kind(self, exchange: Exchange) -> tuple[str, ...]:
        request = exchange.request
        status = str(exchange.response.status)
        if exchange.service == "zenhub" or request.path == "/graphql":
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                payload = {}
            body = exchange.response.body if isinstance(exchange.response.body, dict) else {}
            head = str(payload.get("query", ""))[:60]
            return exchange.service, "graphql", head, status, str(sorted(body)), str(body.get("data") is None)
        if exchange.service == "iam":
            return exchange.service, request.form().get("Action", "?"), status
        contract = self._rest.get(exchange.service)
        found = contract.find(request.method, request.path) if contract else None
        template = found[0].key if found else f"{request.method} {request.path}"
        error = ""
        if isinstance(exchange.response.body, dict):
            error = str(exchange.response.body.get("error") or exchange.response.body.get("message") or "")[:40]
        return exchange.service, template, status, error

    def add(self, exchange: Exchange) -> None:
        kind = self.kind(exchange)
        with self._lock:
            kept = self.kinds.setdefault(kind, [])
            if len(kept) < self.per_kind:
                kept.append(exchange)

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return [e for kept in self.kinds.values() for e in kept]
