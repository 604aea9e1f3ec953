"""A request and its answer, checked against a cut of the vendor's REST description (see extract.py).

What is checked, for every exchange the sandbox recorded:
- the operation exists: method and path match one of the vendor's path templates;
- path parameters fit their schema (an issue number is an integer);
- every query or form parameter is one the operation declares, each required
  one is there, and each value fits its schema (an enum value, an integer);
- the JSON body fits the operation's request body, and a required body is sent;
- the status is one the operation documents (or its `default`), and the
  answer fits that status's schema.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft7Validator

from oncall_lib.sandbox.http import Exchange

HERE = Path(__file__).parent
# Path parameters that may hold slashes: a file path, a git ref, BASE...HEAD of branches, an A1 range.
SLASHED = {"path", "ref", "basehead", "range"}


def openapi3_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` is not JSON Schema: a null alternative says the same."""
    if isinstance(node, dict):
        out = {k: openapi3_to_jsonschema(v) for k, v in node.items()}
        if out.pop("nullable", False):
            if "type" in out and "$ref" not in out:
                out["type"] = [*([out["type"]] if isinstance(out["type"], str) else out["type"]), "null"]
                if "enum" in out:
                    out["enum"] = [*out["enum"], None]
            else:
                return {"anyOf": [{"type": "null"}, out]}
        return out
    if isinstance(node, list):
        return [openapi3_to_jsonschema(v) for v in node]
    return node


@dataclass(frozen=True)
class Operation:
    key: str  # "GET /repos/{owner}/{repo}"
    spec: dict[str, Any]

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        template = self.key.split(" ", 1)[1]
        parts = re.split(r"(\{[^}]+\})", template)
        regex = "".join(f"(?P<{p[1:-1]}>{'.+?' if p[1:-1] in SLASHED else '[^/]+'})" if p.startswith("{")
                        else re.escape(p) for p in parts)
        return re.compile(f"^{regex}$")

    @property
    def literal_length(self) -> int:
        return len(re.sub(r"\{[^}]+\}", "", self.key))

    def parameters(self, where: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec["parameters"] if p["in"] == where}


Selector = Callable[[Exchange], str]


class RestContract:
    """One service's published operations; `problems(exchange)` lists every way an exchange breaks them."""

    def __init__(self, name: str, *, draft4: bool = False, common_query: tuple[str, ...] = (),
                 status_of: Selector | None = None, extra_responses: dict[str, Any] | None = None,
                 adjust: Callable[[dict[str, Any]], None] | None = None, any_method: bool = False) -> None:
        cut = json.loads((HERE / f"{name}.json").read_text())
        if adjust:
            adjust(cut)
        self.name, self.source = name, cut["source"]
        self.draft4 = draft4
        self.any_method = any_method  # Slack: "methods accept GET or POST" alike
        self.definitions = cut["definitions"] if draft4 else openapi3_to_jsonschema(cut["definitions"])
        self.operations = sorted((Operation(k, v) for k, v in cut["operations"].items()),
                                 key=lambda o: -o.literal_length)
        self.common_query = set(common_query) | set(cut.get("common_query", []))
        self._status_of = status_of or (lambda exchange: str(exchange.response.status))
        self._extra_responses = extra_responses or {}
        self.seen: set[str] = set()

    # -- lookups -------------------------------------------------------------------------

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for operation in self.operations:
            match = operation.pattern.match(path)
            if match and (operation.method == method or self.any_method):
                return operation, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
        return None

    def operation(self, key: str) -> Operation:
        return next(o for o in self.operations if o.key == key)

    def _errors(self, schema: Any, value: Any) -> list[str]:
        if schema is None:
            return []
        schema = copy.copy(schema if self.draft4 else openapi3_to_jsonschema(schema))
        schema["definitions"] = self.definitions
        validator = (Draft4Validator if self.draft4 else Draft7Validator)(schema)
        found = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message[:300]}" for e in found[:5]]

    # -- checks --------------------------------------------------------------------------

    def problems(self, exchange: Exchange) -> list[str]:
        request = exchange.request
        found = self.find(request.method, request.path)
        if found is None:
            return [f"{request.method} {request.path}: no such operation in {self.source}"]
        operation, path_values = found
        self.seen.add(operation.key)
        where = f"{operation.key}"
        problems = [f"{where}: {p}" for p in self.request_problems(operation, exchange, path_values)]
        problems += [f"{where} -> {exchange.response.status}: {p}" for p in self.response_problems(operation, exchange)]
        return problems

    def request_problems(self, operation: Operation, exchange: Exchange, path_values: dict[str, str]) -> list[str]:
        request = exchange.request
        problems: list[str] = []
        for name, value in path_values.items():
            declared = operation.parameters("path").get(name)
            problems += [f"path {name}={value!r}: {e}" for e in self._parameter_errors(declared, [value])]
        body = self._body(exchange)
        args = {k: v for k, v in request.query.items()}
        form_params = operation.parameters("formData")
        if form_params or self.any_method:  # Slack: arguments come as query, form or JSON body alike
            args.update({k: [v] for k, v in (body if isinstance(body, dict) else {}).items()})
        declared = {**operation.parameters("query"), **form_params}
        for name, values in args.items():
            if name in self.common_query:
                continue
            if name not in declared:
                problems.append(f"parameter {name!r} is not one the operation takes")
                continue
            if not (form_params or self.any_method) or isinstance(values[0], str):
                problems += [f"parameter {name}: {e}" for e in self._parameter_errors(declared[name], values)]
        for name, parameter in operation.parameters("header").items():
            # Slack's `token` header parameter is the Authorization header's bearer token.
            value = request.headers.get("authorization" if name == "token" else name.lower())
            if value is None:
                if parameter.get("required") and name not in args:
                    problems.append(f"required header {name!r} is missing")
            else:
                problems += [f"header {name}: {e}" for e in self._parameter_errors(parameter, [value])]
        bearer = bool(request.headers.get("authorization"))
        for name, parameter in declared.items():
            if parameter.get("required") and name not in args and not (name == "token" and bearer):
                problems.append(f"required parameter {name!r} is missing")
        spec_body = operation.spec.get("body")
        if spec_body is not None:
            if body is None and spec_body["required"]:
                problems.append("the request body is required")
            elif body is not None:
                problems += [f"body {e}" for e in self._errors(spec_body["schema"], body)]
        elif request.body and not (form_params or self.any_method) and not self._is_form(exchange):
            problems.append("the operation takes no request body")
        return problems

    def response_problems(self, operation: Operation, exchange: Exchange) -> list[str]:
        status = self._status_of(exchange)
        responses = {**self._extra_responses, **operation.spec["responses"]}
        if status in responses:
            schema = responses[status]
        elif f"{status[0]}XX" in responses:
            schema = responses[f"{status[0]}XX"]
        elif "default" in responses:
            schema = responses["default"]
        else:
            return [f"status {status} is not one the operation answers ({', '.join(sorted(responses))})"]
        response = exchange.response
        if response.raw is not None or schema is None:
            return []
        if response.body is None:
            return [] if response.status in (204, 301, 302, 304) else ["an empty answer where a body is documented"]
        return self._errors(schema, response.body)

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _is_form(exchange: Exchange) -> bool:
        return "form" in exchange.request.headers.get("content-type", "")

    def _body(self, exchange: Exchange) -> Any:
        request = exchange.request
        if not request.body:
            return None
        if self._is_form(exchange):
            return request.form()
        try:
            return json.loads(request.body)
        except ValueError:
            return request.body.decode(errors="replace")

    def _parameter_errors(self, declared: dict[str, Any] | None, values: list[str]) -> list[str]:
        if declared is None:
            return ["not a declared parameter"]
        schema = declared.get("schema") or {}
        kind = schema.get("type")
        if kind == "array":
            items = [item for value in values for item in (value.split(",") if "," in value else [value])]
            return self._errors(schema, [_typed(schema.get("items", {}), item) for item in items])
        return self._errors(schema, _typed(schema, values[-1]))


def _typed(schema: dict[str, Any], value: str) -> Any:
    """A query string's text as the type its schema declares (what the server would parse it as)."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    if "boolean" in kinds and value in ("true", "false", "1", "0"):
        return value in ("true", "1")
    return value
