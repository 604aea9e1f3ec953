#!/usr/bin/env python3
"""Cut the vendors' API descriptions down to what the product calls, for the contract tests.

    python3 tests/contracts/extract.py ../shared/api-specs [path/to/discovery_cache/documents]

For each REST service it writes `<service>.json` here, one shape for all of
them: every operation the product sends (method and path template) with its
parameters, request body and responses (schemas, status by status), plus every
schema those reference, renamed into one `definitions` table. Examples and
prose are dropped, so the tests need neither the full documents (20 MB) nor
network access. The GraphQL schemas are copied whole, gzipped: validating a
document needs every type it can reach. SOURCES.md says where each came from.

Google's APIs have no OpenAPI description: Google publishes discovery
documents instead, shipped in the google-api-python-client wheel on PyPI
(googleapiclient/discovery_cache/documents/: sheets.v4.json, and for keyless
credentials sts.v1.json and iamcredentials.v1.json). Their parameters and
schemas are converted to the same shape. The second argument is that folder
(or, as before, the path of sheets.v4.json alone).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# What the product sends, as each vendor spells its paths. A call missing here fails its contract test; one
# listed here that no test sends fails it too. (PyGithub's lazy objects mean no GET of a workflow, a pull or a
# comment before it is edited.)
GITHUB_OPERATIONS = [
    ("get", "/users/{username}"),
    # The doctor: the login a roster member's pinned account id (github_id) holds now.
    ("get", "/user/{account_id}"),
    ("get", "/orgs/{org}/teams/{team_slug}/memberships/{username}"),
    ("put", "/orgs/{org}/teams/{team_slug}/memberships/{username}"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"),
    ("get", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs"),
    ("get", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("get", "/repos/{owner}/{repo}/issues"), ("post", "/repos/{owner}/{repo}/issues"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}"), ("patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/issues/comments"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/events"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"),
    ("get", "/repos/{owner}/{repo}/labels"), ("post", "/repos/{owner}/{repo}/labels"),
    ("patch", "/repos/{owner}/{repo}/labels/{name}"),
    ("get", "/repos/{owner}/{repo}/pulls"), ("post", "/repos/{owner}/{repo}/pulls"),
    ("patch", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"), ("put", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/git/ref/{ref}"), ("post", "/repos/{owner}/{repo}/git/refs"),
    ("delete", "/repos/{owner}/{repo}/git/refs/{ref}"),
    # The GitHub App: its installations, and the tokens it mints for them.
    ("get", "/app"), ("get", "/app/installations"), ("post", "/app/installations/{installation_id}/access_tokens"),
    # Who the product is, to tell its own records from anyone's: the token's user (the App: GET /app, its bot user).
    ("get", "/user"),
    ("get", "/repos/{owner}/{repo}/installation"), ("get", "/orgs/{org}/installation"),
    # The doctor: the product's own workflows and who last changed one.
    ("get", "/repos/{owner}/{repo}/actions/workflows"), ("get", "/repos/{owner}/{repo}/commits"),
]
PAGERDUTY_OPERATIONS = [("get", "/schedules/{id}"), ("get", "/users/{id}"), ("get", "/users"), ("get", "/schedules"),
                        ("get", "/v3/schedules/{id}"), ("get", "/escalation_policies/{id}"), ("get", "/incidents"),
                        ("post", "/schedules/{id}/overrides")]
SLACK_OPERATIONS = [
    ("post", "/chat.scheduleMessage"), ("get", "/chat.scheduledMessages.list"),
    ("post", "/chat.deleteScheduledMessage"),
    ("get", "/conversations.history"), ("get", "/conversations.info"), ("get", "/conversations.replies"),
    ("post", "/chat.postMessage"), ("post", "/chat.update"), ("post", "/conversations.setTopic"),
    ("post", "/conversations.open"), ("get", "/users.lookupByEmail"), ("get", "/auth.test"), ("get", "/users.info"),
    ("get", "/chat.getPermalink"), ("get", "/conversations.list"), ("get", "/usergroups.list"),
    ("post", "/usergroups.users.update"),
]
SHEETS_OPERATIONS = ["spreadsheets.get", "spreadsheets.batchUpdate", "spreadsheets.values.update",
                     "spreadsheets.values.batchUpdate"]
# Keyless Google: the token exchange and the service account's token, which google-auth calls.
GOOGLE_DISCOVERY = {"sheets.json": ("sheets.v4.json", SHEETS_OPERATIONS),
                    "sts.json": ("sts.v1.json", ["v1.token"]),
                    "iamcredentials.json": ("iamcredentials.v1.json", ["projects.serviceAccounts.generateAccessToken"])}
GRAPHQL = [("github-graphql.schema.graphql", "github-graphql.schema.graphql.gz"),
           ("zenhub-graphql.introspection.json", "zenhub-graphql.introspection.json.gz")]

DROP = {"description", "summary", "example", "examples", "externalDocs", "x-github", "x-octokit", "enumDescriptions",
        "x-stackQL-resource", "x-stackQL-method", "x-stackQL-verb", "title"}


def _strip(node: Any, names: bool = False) -> Any:
    """Prose and examples out; `names`: the keys are property names (a property may be called "description")."""
    if isinstance(node, dict):
        return {k: _strip(v, names=k == "properties" and not names) for k, v in node.items()
                if names or k not in DROP}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


class Cutter:
    """Resolves a vendor document's references and keeps the schemas an operation reaches."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.openapi3 = "components" in spec
        self.schema_prefix = "#/components/schemas/" if self.openapi3 else "#/definitions/"
        self.kept: dict[str, Any] = {}

    def resolve(self, node: Any) -> Any:
        """Follow a non-schema $ref (a parameter, a response) to what it names."""
        while isinstance(node, dict) and "$ref" in node and not node["$ref"].startswith(self.schema_prefix):
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def schema(self, node: Any) -> Any:
        """A schema with its references renamed to #/definitions/ and the referenced schemas kept."""
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str) and not node["$ref"].startswith(self.schema_prefix):
                return self.schema(_strip(self.resolve(node)))  # into a response or parameter: inline it
            if isinstance(node.get("$ref"), str) and node["$ref"].startswith(self.schema_prefix):
                pointer = node["$ref"].removeprefix(self.schema_prefix)
                name = pointer.split("/")[0]  # PagerDuty also points into a schema: Tag/allOf/0
                if name not in self.kept:
                    self.kept[name] = None
                    table = self.spec["components"]["schemas"] if self.openapi3 else self.spec["definitions"]
                    self.kept[name] = self.schema(_strip(table[name]))
                return {"$ref": f"#/definitions/{pointer}"}
            return {k: self.schema(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.schema(v) for v in node]
        return node

    def _content_schema(self, holder: dict[str, Any]) -> Any:
        if "content" in holder:
            for media, content in holder["content"].items():
                if "json" in media and "schema" in content:
                    return self.schema(_strip(content["schema"]))
            return None
        return self.schema(_strip(holder["schema"])) if "schema" in holder else None

    def operation(self, path: str, method: str) -> dict[str, Any]:
        item = self.spec["paths"][path]
        operation = item[method]
        parameters = []
        for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
            parameter = _strip(self.resolve(raw))
            schema = parameter.pop("schema", None) or {k: parameter.pop(k) for k in
                                                         ("type", "enum", "items", "format") if k in parameter}
            parameters.append({**parameter, "schema": self.schema(schema)})
        body = None
        if "requestBody" in operation:
            request_body = self.resolve(operation["requestBody"])
            body = {"required": bool(request_body.get("required")), "schema": self._content_schema(request_body)}
        responses = {status: self._content_schema(self.resolve(response))
                     for status, response in operation["responses"].items()}
        return {"parameters": parameters, "body": body, "responses": responses}

    def cut(self, source: str, operations: list[tuple[str, str]]) -> dict[str, Any]:
        ops = {f"{m.upper()} {p}": self.operation(p, m) for m, p in operations}
        return {"source": source, "operations": ops, "definitions": dict(sorted(self.kept.items()))}


def _discovery_schema(node: Any) -> Any:
    """A discovery-document schema as JSON Schema: `$ref: Name` is a definition, `type: any` anything."""
    if isinstance(node, dict):
        out = {k: _discovery_schema(v) for k, v in _strip(node).items() if k not in ("id", "readOnly", "deprecated")}
        if isinstance(node.get("$ref"), str):
            return {"$ref": f"#/definitions/{node['$ref']}"}
        if out.get("type") == "any":
            out.pop("type")
        if out.get("format") in ("int64", "uint64"):  # carried as JSON strings
            out.pop("format")
        return out
    if isinstance(node, list):
        return [_discovery_schema(v) for v in node]
    return node


def discovery_cut(discovery: dict[str, Any], names: list[str], source: str) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    for name in names:
        resource: Any = discovery
        *parts, method = name.split(".")
        for part in parts:
            resource = resource["resources"][part]
        methods[name] = resource["methods"][method]
    kept: set[str] = set()
    pending = [m[key]["$ref"] for m in methods.values() for key in ("request", "response") if key in m]
    while pending:
        ref = pending.pop()
        if ref not in kept:
            kept.add(ref)
            pending.extend(_refs(discovery["schemas"][ref]))
    operations = {}
    for method in methods.values():
        parameters = [{"name": n, "in": p["location"], "required": bool(p.get("required")),
                       "schema": ({"type": "array", "items": _discovery_schema({"type": p["type"]})}
                                  if p.get("repeated") else _discovery_schema(
                                      {k: p[k] for k in ("type", "enum", "format") if k in p}))}
                      for n, p in method.get("parameters", {}).items()]
        flat = method.get("flatPath")
        if flat and flat != method["path"]:
            # The flat path names each segment where the path has one {+name} across them: declare those.
            parameters = [p for p in parameters if p["in"] != "path"] + [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in re.findall(r"\{([^}]+)\}", flat)]
        request = method.get("request")
        # flatPath names each path segment ({projectsId}); path may hold a {+name} that spans several.
        operations[f"{method['httpMethod']} /{method.get('flatPath') or method['path']}"] = {
            "parameters": parameters,
            "body": {"required": True, "schema": _discovery_schema(request)} if request else None,
            "responses": {"200": _discovery_schema(method["response"])},
        }
    definitions = {name: _discovery_schema(discovery["schemas"][name]) for name in sorted(kept)}
    return {"source": source, "revision": discovery.get("revision"), "operations": operations,
            "definitions": definitions, "common_query": sorted(discovery.get("parameters", {}))}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _write(name: str, cut: dict[str, Any]) -> None:
    (HERE / name).write_text(json.dumps(cut, indent=1, sort_keys=True) + "\n")
    print(f"{name}: {len(cut['operations'])} operations, {len(cut['definitions'])} schemas")


def main(source: Path, sheets_discovery: Path | None) -> None:
    for name, filename, operations in (("github", "github-rest.openapi.json", GITHUB_OPERATIONS),
                                       ("pagerduty", "pagerduty-rest-v2.openapi.json", PAGERDUTY_OPERATIONS),
                                       ("slack", "slack-web.openapi.json", SLACK_OPERATIONS)):
        _write(f"{name}.json", Cutter(json.loads((source / filename).read_text())).cut(filename, operations))
    for filename, target in GRAPHQL:
        # mtime=0: the same schema gives the same bytes, so re-running this leaves git with nothing to commit.
        with (source / filename).open("rb") as raw, (HERE / target).open("wb") as file, \
                gzip.GzipFile(fileobj=file, mode="wb", compresslevel=9, mtime=0) as out:
            shutil.copyfileobj(raw, out)
        print(f"{target}: copied")
    if sheets_discovery and sheets_discovery.is_file():  # the sheets document alone, as this script once took
        sheets_discovery = sheets_discovery.parent
    for target, (filename, names) in GOOGLE_DISCOVERY.items() if sheets_discovery else ():
        _write(target, discovery_cut(json.loads((sheets_discovery / filename).read_text()), names,
                                     f"google-api-python-client (PyPI), discovery_cache/documents/{filename}"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/api-specs"),
         Path(sys.argv[2]) if len(sys.argv) > 2 else None)
