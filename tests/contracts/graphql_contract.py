"""GraphQL documents and answers, checked against the published schemas with graphql-core.

A request's document must validate against the schema and its variables must
coerce to the declared types. An answer is checked by executing the same
document against the schema with the answer itself as the data source: every
field the document selects must be there (non-null ones not null), every value
must serialise as its type (an enum value GitHub knows, an Int that is an int),
and the execution's result must equal the answer, so a field the document did
not ask for is a problem too. Errors must have GitHub's and ZenHub's shape,
and `data` may be null only beside errors.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    build_client_schema,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from oncall_lib.sandbox.http import Exchange

HERE = Path(__file__).parent


@cache
def github_schema() -> GraphQLSchema:
    text = gzip.decompress((HERE / "github-graphql.schema.graphql.gz").read_bytes()).decode()
    # Octokit's SDL repeats two EnterpriseOwnerInfo fields; GitHub's own server is the judge of validity.
    schema = build_schema(text, assume_valid_sdl=True)
    # graphql-core 3.3 also refuses implementations deprecated where their interface is not (Project.id);
    # that is GitHub's schema as served, so take it as valid (the cache graphql-core itself would fill).
    schema._validation_errors = []  # noqa: SLF001
    return schema


@cache
def zenhub_schema() -> GraphQLSchema:
    introspection = json.loads(gzip.decompress((HERE / "zenhub-graphql.introspection.json.gz").read_bytes()))
    return build_client_schema(introspection["data"])


def _by_alias(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    return source.get(info.path.key) if isinstance(source, dict) else None


def _keys(selection_set: SelectionSetNode | None, kind: GraphQLObjectType, info: GraphQLResolveInfo) -> set[str]:
    """The answer keys a selection yields for an object of `kind` (fields, and the fragments that apply)."""
    keys: set[str] = set()
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            keys.add(selection.alias.value if selection.alias else selection.name.value)
        elif isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
            if isinstance(selection, FragmentSpreadNode):
                fragment = info.fragments[selection.name.value]
                condition, nested = fragment.type_condition.name.value, fragment.selection_set
            else:
                condition = selection.type_condition.name.value if selection.type_condition else kind.name
                nested = selection.selection_set
            if condition == kind.name or condition in {i.name for i in kind.interfaces}:
                keys |= _keys(nested, kind, info)
    return keys


def _type_of(value: Any, info: GraphQLResolveInfo, abstract: GraphQLAbstractType) -> str | None:
    """The concrete type of an interface or union value: its __typename, or the one type its keys fit."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("__typename"), str):
        return str(value["__typename"])
    answered = set(value)
    fitting = []
    for kind in info.schema.get_possible_types(abstract):
        wanted = set().union(*(_keys(node.selection_set, kind, info) for node in info.field_nodes))
        if answered <= wanted:
            fitting.append((len(wanted & answered), -len(wanted), kind.name))
    return max(fitting)[2] if fitting else None


def _error_shape(errors: Any) -> list[str]:
    if not isinstance(errors, list) or not errors:
        return ["`errors` must be a non-empty list"]
    problems = []
    for index, error in enumerate(errors):
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            problems.append(f"errors[{index}] has no message")
            continue
        unknown = set(error) - {"message", "locations", "path", "extensions", "type"}
        if unknown:
            problems.append(f"errors[{index}] has keys no GraphQL server sends: {sorted(unknown)}")
        if "path" in error and not all(isinstance(p, str | int) for p in error["path"]):
            problems.append(f"errors[{index}].path must hold field names and indexes")
    return problems


class GraphQLContract:
    def __init__(self, name: str, schema: GraphQLSchema) -> None:
        self.name, self.schema = name, schema
        self.seen: set[str] = set()

    def request_problems(self, query: Any, variables: Any) -> list[str]:
        if not isinstance(query, str):
            return ["no `query` string in the request body"]
        try:
            document = parse(query)
        except GraphQLError as error:
            return [f"syntax: {error.message}"]
        problems = [error.message for error in validate(self.schema, document)]
        if problems:
            return problems
        if variables is not None and not isinstance(variables, dict):
            return ["`variables` must be an object"]
        coerced = execute_sync(self.schema, document, root_value={}, variable_values=variables or {},
                               field_resolver=lambda *_a, **_k: None)
        return [e.message for e in coerced.errors or () if e.message.startswith("Variable")]

    def response_problems(self, query: str, variables: dict[str, Any], body: Any) -> list[str]:
        if not isinstance(body, dict):
            return ["the answer is not a JSON object"]
        unknown = set(body) - {"data", "errors", "extensions"}
        problems = [f"top-level keys no GraphQL server sends: {sorted(unknown)}"] if unknown else []
        if "errors" in body:
            problems += _error_shape(body["errors"])
        data = body.get("data")
        if data is None:
            if "errors" not in body:
                problems.append("`data` is null (or missing) and there are no `errors`")
            return problems
        result = execute_sync(self.schema, parse(query), root_value=data, variable_values=variables,
                              field_resolver=_by_alias, type_resolver=_type_of)
        reported = {tuple(e.get("path", ())) for e in body.get("errors", []) if isinstance(e, dict)}
        for error in result.errors or ():
            if tuple(error.path or ()) not in reported:
                problems.append(f"{'.'.join(str(p) for p in error.path or ())}: {error.message}")
        if not problems and result.data != data:
            problems.append("the answer holds fields or values the document did not ask for: "
                            + _first_difference(data, result.data))
        return problems

    def problems(self, exchange: Exchange) -> list[str]:
        request = exchange.request
        if request.method != "POST":
            return [f"{request.method} {request.path}: GraphQL is POSTed"]
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return ["the request body is not JSON"]
        query, variables = payload.get("query"), payload.get("variables")
        problems = self.request_problems(query, variables)
        if problems:
            return [f"{self.name} request: {p}" for p in problems]
        self.seen.add(_operation_name(query))
        if exchange.response.status != 200:
            return []  # refusals (401, 429) are HTTP-level, not GraphQL answers
        return [f"{self.name} answer: {p}" for p in self.response_problems(query, variables or {},
                                                                            exchange.response.body)]


def _operation_name(query: str) -> str:
    head = query.lstrip().split("{", 1)[0].split("(", 1)[0].split()
    return head[1] if len(head) > 1 else "(anonymous)"


def _first_difference(expected: Any, got: Any, path: Iterable[str] = ()) -> str:
    where = ".".join(path) or "(top)"
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            if key not in got:
                return f"{where}.{key} was not selected"
            if expected[key] != got[key]:
                return _first_difference(expected[key], got[key], [*path, key])
        return where
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for index, (a, b) in enumerate(zip(expected, got, strict=True)):
            if a != b:
                return _first_difference(a, b, [*path, str(index)])
    return f"{where}: answered {expected!r:.80}, which serialises as {got!r:.80}"
