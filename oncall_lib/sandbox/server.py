"""The sandbox server: the fake world over real HTTP on 127.0.0.1.

Each service lives under its own path prefix (/github, /slack/api,
/pagerduty). The real SDKs are pointed at these by base URL (or, for
PagerDuty, by transport), so a sandbox run exercises the same client code as
production. The server counts requests per service and can inject faults.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from oncall_lib.sandbox.github_fake import sandbox_app_key
from oncall_lib.sandbox.http import Exchange, Fake, FakeRequest, FakeResponse

Clock = Callable[[], datetime]

SANDBOX_TOKENS = {
    "ONCALL_GITHUB_TOKEN": "sandbox_github_token",
    "SLACK_BOT_TOKEN": "xoxb-sandbox-slack-token",
    "PAGERDUTY_API_TOKEN": "sandbox-pagerduty-token",
    "ZENHUB_API_TOKEN": "sandbox-zenhub-token",
    # A well-formed key file; the sandbox's Sheets session does not sign with it.
    "GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps({"type": "service_account",
                                               "client_email": "oncall@sandbox.iam.gserviceaccount.com",
                                               "private_key": "sandbox-not-a-key"}),
}

# The sandbox's GitHub App, when a world has one ("github": {"app": {...}}) and a run asks for the App's credentials.
SANDBOX_APP_ID = 1776


def sandbox_app_credentials(world: dict[str, Any]) -> dict[str, str]:
    app = (world.get("github") or {}).get("app") or {}
    return {"ONCALL_GITHUB_APP_ID": str(app.get("id", SANDBOX_APP_ID)),
            "ONCALL_GITHUB_APP_PRIVATE_KEY": sandbox_app_key()[0]}


@dataclass
class Faults:
    """Inject failures into a share of requests, the way real APIs fail.

    - "429": refused with Retry-After before anything happens;
    - "403": GitHub's rate-limit 403 (x-ratelimit-remaining 0), nothing done (429 for other services);
    - "5xx": a server error; for writes, half of them happen *after* the
      write was done (the response is lost, the change is not), which is what
      makes blind retries of POSTs create duplicates;
    - "drop": the connection is closed before any response.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "5xx", "drop")
    retry_after: int = 0
    seed: int | None = None
    services: tuple[str, ...] = ("github", "slack", "pagerduty", "zenhub", "iam", "sheets")
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        self._rng = random.Random(self.seed)

    def draw(self, service: str) -> str | None:
        if self.rate <= 0 or service not in self.services:
            return None
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(self.kinds)

    def after_write(self) -> bool:
        return self._rng.random() < 0.5


class SandboxServer:
    # Called with every exchange of every server when set: how the tests check all traffic against the
    # vendors' descriptions without each test asking for it.
    witness: Callable[[Exchange], None] | None = None

    def __init__(self, world: dict[str, Any], *, clock: Clock | None = None, faults: Faults | None = None,
                 record: bool = False) -> None:
        from oncall_lib.sandbox.federation_fake import ActionsOidcFake, IamCredentialsFake, StsFake
        from oncall_lib.sandbox.github_fake import GitHubFake
        from oncall_lib.sandbox.iam_fake import IamFake
        from oncall_lib.sandbox.pagerduty_fake import PagerDutyFake
        from oncall_lib.sandbox.sheets_fake import SheetsFake
        from oncall_lib.sandbox.slack_fake import SlackFake
        from oncall_lib.sandbox.zenhub_fake import ZenHubFake

        self.world = world
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.faults = faults or Faults()
        self.lock = threading.RLock()
        self.counts: dict[str, dict[str, int]] = {}
        self.faults_injected: dict[str, int] = {}
        # Every answered request and its answer, when recording: what the contract tests check.
        self.exchanges: list[Exchange] | None = [] if record else None
        # Google access tokens the sandbox's STS and IAM Credentials handed out: token -> principal, expiry.
        self.google_tokens: dict[str, dict[str, Any]] = {}
        self._fakes: dict[str, Fake] = {
            "github": GitHubFake(self),
            "slack": SlackFake(self),
            "pagerduty": PagerDutyFake(self),
            "zenhub": ZenHubFake(self),
            "iam": IamFake(self),
            "sheets": SheetsFake(self),
            "sts": StsFake(self),
            "iamcredentials": IamCredentialsFake(self),
            "actions_oidc": ActionsOidcFake(self),
        }
        self._prefixes = {"github": "/github", "slack": "/slack/api", "pagerduty": "/pagerduty", "zenhub": "/zenhub",
                          "iam": "/iam", "sheets": "/sheets", "sts": "/sts", "iamcredentials": "/iamcredentials",
                          "actions_oidc": "/actions-oidc"}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def base_url(self, service: str) -> str:
        return self.url + self._prefixes[service]

    def now(self) -> datetime:
        return self.clock()

    def reset_counts(self) -> None:
        with self.lock:
            self.counts = {}
            self.faults_injected = {}

    def minted_github_permissions(self) -> list[dict[str, str]]:
        """The permissions each GitHub App installation token minted here was asked for, in order."""
        from oncall_lib.sandbox.github_fake import GitHubFake

        fake = self._fakes["github"]
        assert isinstance(fake, GitHubFake)
        return list(fake.minted_permissions)

    # -- dispatch ---------------------------------------------------------------------------

    def route(self, path: str) -> tuple[str, str] | None:
        for service, prefix in self._prefixes.items():
            if path == prefix or path.startswith(prefix + "/"):
                return service, path[len(prefix):] or "/"
        return None

    def handle(self, service: str, request: FakeRequest) -> FakeResponse | None:
        """The response, or None to drop the connection."""
        fake = self._fakes[service]
        write = fake.is_write(request)
        with self.lock:
            counts = self.counts.setdefault(service, {"reads": 0, "writes": 0})
            counts["writes" if write else "reads"] += 1
            fault = self.faults.draw(service)
            if fault:
                self.faults_injected[fault] = self.faults_injected.get(fault, 0) + 1
            if fault == "drop":
                return None
            if fault == "429":
                return fake.rate_limited(self.faults.retry_after)
            if fault == "403":  # GitHub signals rate limits with 403 too
                limited = getattr(fake, "rate_limited_403", fake.rate_limited)
                return limited(self.faults.retry_after)
            if fault == "5xx" and not (write and self.faults.after_write()):
                return fake.server_error()
            response = fake.handle(request)
            if fault == "5xx":
                return fake.server_error()
            if self.exchanges is not None or SandboxServer.witness is not None:
                exchange = Exchange(service, request, response)
                if self.exchanges is not None:
                    self.exchanges.append(exchange)
                if SandboxServer.witness is not None:
                    SandboxServer.witness(exchange)
            return response


def _make_handler(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without TCP_NODELAY each response waits on a delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def _serve(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            routed = server.route(parsed.path)
            if routed is None:
                self._send(FakeResponse(404, {"message": f"no sandbox service at {parsed.path}"}))
                return
            service, path = routed
            request = FakeRequest(
                method=self.command,
                path=path,
                query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                origin=server.base_url(service),
            )
            response = server.handle(service, request)
            if response is None:
                self.close_connection = True
                return
            self._send(response)

        def _send(self, response: FakeResponse) -> None:
            if response.raw is not None:
                payload = response.raw
            else:
                payload = b"" if response.body is None else json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler
