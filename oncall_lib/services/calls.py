"""Counting API calls per service, as reads and writes, and how many of them were retries.

Counting happens on the client side, where each SDK sends a request, so the
same figures come out against the real APIs and against the sandbox. Every
request sent is counted, retries included (they cost quota), and a retry is
also counted under `retries`: a request sent again because an earlier attempt
of the same call was refused (429), failed (5xx) or lost its connection.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class ApiCalls:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: {"reads": 0, "writes": 0})

    def record(self, service: str, *, write: bool, retry: bool = False) -> None:
        """One request sent: a read or a write, and whether it repeats an attempt that failed."""
        with self._lock:
            counts = self._counts[service]
            counts["writes" if write else "reads"] += 1
            if retry:
                counts["retries"] = counts.get("retries", 0) + 1

    def retrying(self, service: str) -> None:
        """A retry is about to be sent; its request is counted when it goes out (for SDKs that see it only then)."""
        with self._lock:
            counts = self._counts[service]
            counts["retries"] = counts.get("retries", 0) + 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """{service: {"reads": n, "writes": n}}, with "retries": n where some of those requests were retries."""
        with self._lock:
            return {service: dict(counts) for service, counts in sorted(self._counts.items())}


class Attempts:
    """Tells the first request of a call from its retries, for SDKs that retry inside one call.

    `call()` wraps the SDK's call (the one that loops over attempts); `sent()` runs where each attempt's request
    goes out. Per thread, so concurrent calls do not mix their attempts."""

    def __init__(self, calls: ApiCalls, service: str) -> None:
        self._calls, self._service = calls, service
        self._local = threading.local()

    @contextmanager
    def call(self) -> Iterator[None]:
        outer = getattr(self._local, "sent", None)
        self._local.sent = 0
        try:
            yield
        finally:
            self._local.sent = outer

    def sent(self, *, write: bool) -> None:
        sent = getattr(self._local, "sent", None)
        self._calls.record(self._service, write=write, retry=bool(sent))
        if sent is not None:
            self._local.sent = sent + 1


# PyGithub has no request hook; every request it makes passes through its
# Requester's debug log call, so a logger filter sees each one. The filter
# drops those debug records (they hold response bodies) and counts them for
# the ApiCalls of the run in progress.
_current_github_calls: ContextVar[ApiCalls | None] = ContextVar("github_calls", default=None)
_github_counter_installed = False
_github_install_lock = threading.Lock()


class _GitHubRequestCounter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.DEBUG or not isinstance(record.args, tuple) or not record.args:
            return True
        verb = str(record.args[0]).upper()
        calls = _current_github_calls.get()
        if calls is not None and verb in {"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"}:
            write = verb not in {"GET", "HEAD"} and not _graphql_query(record.args) and not _minting(record.args)
            calls.record("github", write=write)
        return False


def _minting(args: tuple[object, ...]) -> bool:
    """The GitHub App minting an installation token: a POST that changes nothing anyone sees."""
    url = str(args[3]) if len(args) > 3 else ""
    return url.split("?")[0].endswith("/access_tokens") and "/app/installations/" in url


def _graphql_query(args: tuple[object, ...]) -> bool:
    """A GraphQL POST that only queries (the log record holds verb, scheme, host, url, headers, input, ...)."""
    url = str(args[3]) if len(args) > 3 else ""
    body = args[5] if len(args) > 5 else None
    query = str(body.get("query", "")) if isinstance(body, dict) else ""
    return url.endswith("/graphql") and not query.lstrip().startswith("mutation")


def count_github_calls(calls: ApiCalls) -> None:
    """Route PyGithub's requests in this context to `calls`."""
    global _github_counter_installed
    with _github_install_lock:
        if not _github_counter_installed:
            logger = logging.getLogger("github.Requester")
            logger.setLevel(logging.DEBUG)
            logger.addFilter(_GitHubRequestCounter())
            _github_counter_installed = True
    _current_github_calls.set(calls)


# Slack's Web API is all POST/GET on method names; what a call does is in its name.
_SLACK_READ_SUFFIXES = (
    ".history",
    ".replies",
    ".info",
    ".list",
    ".lookupByEmail",
    ".getPermalink",
    ".members",
    ".test",
)


def slack_method_is_write(method: str) -> bool:
    # conversations.open returns the existing DM with a user; it changes nothing a person sees.
    if method == "conversations.open":
        return False
    return not method.endswith(_SLACK_READ_SUFFIXES)
