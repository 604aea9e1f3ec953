"""The only package that talks to external systems. One module per system.

`Services` builds each adapter on first use, so a job asks only for the
secrets of the systems it touches, and a missing one is named in one line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

from oncall_lib.errors import MissingSecret
from oncall_lib.secrets import (
    GITHUB_APP_VARIABLES,
    GOOGLE_CREDENTIALS_FILE,
    SECRETS,
    checked,
    google_credentials_file,
    mask_in_actions_log,
    remember,
)
from oncall_lib.services.calls import ApiCalls
from oncall_lib.services.github import AppCredentials, GitHubService
from oncall_lib.services.iam import IamService
from oncall_lib.services.pagerduty import PagerDutyService
from oncall_lib.services.sheets import SheetsService
from oncall_lib.services.slack import SlackService
from oncall_lib.services.zenhub import ZenHubService

__all__ = ["SECRETS", "Endpoints", "Services"]

T = TypeVar("T")


@dataclass(frozen=True)
class Endpoints:
    """Where each API lives. The defaults are the real services; the sandbox overrides them."""

    github: str = "https://api.github.com"
    slack: str = "https://slack.com/api/"
    pagerduty: str = "https://api.pagerduty.com"
    zenhub: str = "https://api.zenhub.com/public/graphql"
    # AWS: None means boto3's own endpoint for the region and credentials from the environment (OIDC in Actions).
    iam: str | None = None
    aws_credentials: dict[str, str] | None = None
    # When set, Google Sheets requests go to this origin (gspread's base URL is fixed).
    sheets_route_to: str | None = None
    # When set, google-auth's token requests go here (URL prefix -> origin): STS, IAM Credentials, the runner's.
    google_auth_routes: Mapping[str, str] | None = None
    # When set, PagerDuty requests go to this http:// origin (the SDK only accepts https:// URLs).
    pagerduty_route_to: str | None = None
    # The sandbox answers at once, so its retries need no long pauses or throttling.
    fast_retries: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # The workflow harness: a sandbox run that, like production, stops when a secret the job asks for is
    # not in this environment (what the workflow step passed), though it talks to the sandbox with `env`'s.
    required_env: Mapping[str, str] | None = None
    # The time as the APIs see it: the App's JWT and its tokens' expiry are reckoned by it (the sandbox's own clock).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class Services:
    def __init__(self, endpoints: Endpoints | None = None) -> None:
        self.endpoints = endpoints or Endpoints()
        self.calls = ApiCalls()
        self._iam: dict[str, IamService] = {}
        # Which secrets this run asked for, in order (names only).
        self.secrets_used: list[str] = []
        # The GitHub App permissions this run's duties need (set before the job runs): its installation tokens are
        # minted with only those. None: everything each installation holds.
        self.github_permissions: dict[str, str] | None = None
        # Facts read once per process and shared by the duties a tick runs (who is on support, the channels).
        self._shared: dict[tuple[Any, ...], Any] = {}

    def once(self, key: tuple[Any, ...], read: Callable[[], T]) -> T:
        """`read()` the first time `key` is asked for in this process, the same answer after that."""
        if key not in self._shared:
            self._shared[key] = read()
        return self._shared[key]

    def _secret(self, name: str) -> str:
        if name not in self.secrets_used:
            self.secrets_used.append(name)
        required = self.endpoints.required_env
        if required is not None:
            checked(name, required.get(name, ""))
        value = self.endpoints.env.get(name, "")
        if not value.strip():
            raise MissingSecret(name, SECRETS[name].purpose)
        return checked(name, value)

    def _github_credentials(self) -> str | AppCredentials:
        """The GitHub App's id and key when either is set (both are then needed), else the token."""
        deciding = self.endpoints.required_env if self.endpoints.required_env is not None else self.endpoints.env
        if any(deciding.get(name, "").strip() for name in GITHUB_APP_VARIABLES):
            return AppCredentials(*(self._secret(name) for name in GITHUB_APP_VARIABLES))
        return self._secret("ONCALL_GITHUB_TOKEN")

    @cached_property
    def github(self) -> GitHubService:
        fast = self.endpoints.fast_retries
        return GitHubService(
            self._github_credentials(),
            self.calls,
            base_url=self.endpoints.github,
            retry_backoff=0.01 if fast else 0.5,
            throttle=not fast,
            clock=self.endpoints.clock,
            # Inside Actions the runner masks the secrets it handed over, not the tokens the product mints.
            on_mint=mask_in_actions_log if self.endpoints.env.get("GITHUB_ACTIONS") == "true" else remember,
            token_permissions=self.github_permissions,
        )

    @cached_property
    def slack(self) -> SlackService:
        fast = self.endpoints.fast_retries
        return SlackService(
            self._secret("SLACK_BOT_TOKEN"),
            self.calls,
            base_url=self.endpoints.slack,
            retry_backoff=0.01 if fast else 0.5,
            retry_jitter=0.0 if fast else 1.0,
        )

    @cached_property
    def pagerduty(self) -> PagerDutyService:
        return PagerDutyService(
            self._secret("PAGERDUTY_API_TOKEN"),
            self.calls,
            base_url=self.endpoints.pagerduty,
            route_to=self.endpoints.pagerduty_route_to,
            retry_pause=0.01 if self.endpoints.fast_retries else None,
        )

    @cached_property
    def zenhub(self) -> ZenHubService:
        fast = self.endpoints.fast_retries
        return ZenHubService(self._secret("ZENHUB_API_TOKEN"), self.calls, url=self.endpoints.zenhub,
                             lookup_wait=0.01 if fast else 15.0, retry_pause=0.01 if fast else 2.0)

    def iam(self, region: str) -> IamService:
        if region not in self._iam:
            fast = self.endpoints.fast_retries
            self._iam[region] = IamService(self.calls, region=region, endpoint_url=self.endpoints.iam,
                                           credentials=self.endpoints.aws_credentials,
                                           poll_seconds=0.01 if fast else 2.0)
        return self._iam[region]

    @cached_property
    def sheets(self) -> SheetsService:
        # Asked for in the sandbox too (which then ignores a key), so a job run there needs what production needs.
        deciding = self.endpoints.required_env if self.endpoints.required_env is not None else self.endpoints.env
        pause = 0.01 if self.endpoints.fast_retries else 2.0
        if deciding.get(GOOGLE_CREDENTIALS_FILE, "").strip() and not deciding.get("GOOGLE_SERVICE_ACCOUNT_JSON",
                                                                                  "").strip():
            # Keyless: the file google-github-actions/auth wrote (Workload Identity Federation).
            if GOOGLE_CREDENTIALS_FILE not in self.secrets_used:
                self.secrets_used.append(GOOGLE_CREDENTIALS_FILE)
            info = google_credentials_file(self.endpoints.env.get(GOOGLE_CREDENTIALS_FILE, "").strip())
            return SheetsService(self.calls, credentials_file=info, route_to=self.endpoints.sheets_route_to,
                                 auth_routes=self.endpoints.google_auth_routes, pause=pause)
        key = self._secret("GOOGLE_SERVICE_ACCOUNT_JSON")
        return SheetsService(self.calls, credentials_json=key, route_to=self.endpoints.sheets_route_to, pause=pause)
