"""The embedded sandbox: a fake world served over HTTP for the real SDKs.

`sandbox_services` is what `--sandbox` uses: it loads a world file, serves it
on 127.0.0.1, hands out `Services` pointed at it, and with `apply` saves the
world back afterwards, so consecutive runs see each other's writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from oncall_lib.sandbox.federation_fake import SANDBOX_ACTIONS_ORIGIN
from oncall_lib.sandbox.server import SANDBOX_TOKENS, Clock, Faults, SandboxServer, sandbox_app_credentials
from oncall_lib.sandbox.world import load_world, save_world
from oncall_lib.secrets import GITHUB_APP_VARIABLES, GOOGLE_CREDENTIALS_FILE
from oncall_lib.services import Endpoints, Services
from oncall_lib.services.pagerduty import SANDBOX_BASE_URL

__all__ = ["Faults", "SandboxServer", "sandbox_endpoints", "sandbox_services"]


def sandbox_endpoints(server: SandboxServer, required_env: Mapping[str, str] | None = None, *,
                      github_app: bool | None = None, google_credentials_file: str | None = None) -> Endpoints:
    """Endpoints for the real SDKs pointed at `server`, with the sandbox's own fake tokens.

    With `required_env`, a secret the job asks for must also be set there, as in production. `github_app`: talk
    to GitHub as the world's App (its id, the sandbox's key) instead of with a token; by default, when
    `required_env` holds the App's variables, as production would. `google_credentials_file`: reach the sheet with
    that credentials file (Workload Identity Federation through the sandbox's STS) instead of a key; by default
    the one `required_env` names when it names no key.
    """
    env = dict(SANDBOX_TOKENS)
    if github_app is None:
        github_app = required_env is not None and any(required_env.get(n, "").strip() for n in GITHUB_APP_VARIABLES)
    if github_app:
        env.update(sandbox_app_credentials(server.world))
        del env["ONCALL_GITHUB_TOKEN"]
    if google_credentials_file is None and required_env is not None and not required_env.get(
            "GOOGLE_SERVICE_ACCOUNT_JSON", "").strip():
        google_credentials_file = required_env.get(GOOGLE_CREDENTIALS_FILE, "").strip() or None
    if google_credentials_file:
        env[GOOGLE_CREDENTIALS_FILE] = google_credentials_file
        del env["GOOGLE_SERVICE_ACCOUNT_JSON"]
    return Endpoints(
        github=server.base_url("github"),
        slack=server.base_url("slack") + "/",
        pagerduty=SANDBOX_BASE_URL,
        pagerduty_route_to=server.base_url("pagerduty"),
        zenhub=server.base_url("zenhub") + "/public/graphql",
        iam=server.base_url("iam"),
        sheets_route_to=server.base_url("sheets"),
        google_auth_routes={"https://sts.googleapis.com": server.base_url("sts"),
                            "https://iamcredentials.googleapis.com": server.base_url("iamcredentials"),
                            SANDBOX_ACTIONS_ORIGIN: server.base_url("actions_oidc")},
        aws_credentials={"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"},
        fast_retries=True,
        # Never the real environment: a sandbox run must not see, or leak, real secrets.
        env=env,
        required_env=required_env,
        clock=server.now,
    )


@contextmanager
def sandbox_services(world_file: Path, *, save: bool, clock: Clock | None = None,
                     faults: Faults | None = None, required_env: Mapping[str, str] | None = None) -> Iterator[Services]:
    world = load_world(world_file)
    server = SandboxServer(world, clock=clock, faults=faults).start()
    try:
        yield Services(sandbox_endpoints(server, required_env))
    finally:
        server.stop()
    # Only after the job returned: a crash leaves the world file as it was.
    if save:
        save_world(world, world_file)
