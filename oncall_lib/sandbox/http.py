"""Requests, responses and routing shared by the fakes."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    origin: str  # this service's base URL on the sandbox, for absolute links

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except json.JSONDecodeError:
            return {}

    def form(self) -> dict[str, str]:
        parsed = urllib.parse.parse_qs(self.body.decode(errors="replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class FakeResponse:
    status: int
    body: Any  # JSON, unless `raw` is given
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Exchange:
    """One request a fake answered and its answer, kept when the server records (for contract tests)."""

    service: str
    request: FakeRequest
    response: FakeResponse


Handler = Callable[..., FakeResponse]


class Host(Protocol):
    """What a fake needs of the server that hosts it: the world it serves and the sandbox's clock.

    The fakes know the server only through this, so they never import it (the server imports them).
    """

    world: dict[str, Any]
    # Google access tokens STS and IAM Credentials handed out this run, which Sheets then accepts.
    google_tokens: dict[str, dict[str, Any]]

    def now(self) -> datetime: ...


class Fake(Protocol):
    """One vendor's API: how it answers, how it refuses, and which requests change state."""

    def is_write(self, request: FakeRequest) -> bool: ...

    def handle(self, request: FakeRequest) -> FakeResponse: ...

    def rate_limited(self, retry_after: int) -> FakeResponse: ...

    def server_error(self) -> FakeResponse: ...


class Routes:
    """(method, path pattern) -> handler; named groups become keyword arguments."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, match.groupdict()
        return None


# The Authorization schemes each real service accepts; a fake refuses any other, as the service would.
GITHUB_SCHEMES = ("Bearer ", "bearer ", "token ")
PAGERDUTY_SCHEMES = ("Token token=",)
BEARER_ONLY = ("Bearer ",)


def bearer_token(request: FakeRequest, schemes: tuple[str, ...] = BEARER_ONLY) -> str | None:
    value = request.headers.get("authorization", "")
    for scheme in schemes:
        if value.startswith(scheme):
            return value[len(scheme):].strip() or None
    return None
