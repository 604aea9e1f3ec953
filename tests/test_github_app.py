"""GitHub App credentials: the product signs the App's JWT, mints an installation token per account and renews it
before it expires; the fake checks the JWT and expires the tokens as GitHub does."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oncall_lib.config import Config
from oncall_lib.errors import InputError, MissingSecret
from oncall_lib.github_permissions import GITHUB_APP_NEEDS, app_permissions, manifest_text, registration_link
from oncall_lib.handoff import rotate
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.sandbox.server import sandbox_app_key
from oncall_lib.secrets import scrub
from oncall_lib.services import Endpoints, Services
from oncall_lib.setup import labels
from oncall_lib.support_issues import issues as support_issues
from tests import runner
from tests.runner import Event, run_workflow
from tests.test_workflows import MONDAY, prepared_world

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
ORG = "department-of-veterans-affairs"


def app_services(server: SandboxServer, **changes: Any) -> Services:
    endpoints = sandbox_endpoints(server, github_app=True)
    return Services(Endpoints(**{**endpoints.__dict__, **changes}))


def http(server: SandboxServer, path: str, token: str, method: str = "GET") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(server.base_url("github") + path, method=method, data=b"{}" if method == "POST"
                                     else None, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def signed(claims: dict[str, Any], key: str | None = None) -> str:
    return jwt.encode(claims, key or sandbox_app_key()[0], algorithm="RS256")


# -- a job with the App's credentials -------------------------------------------------------------------------


def test_a_job_runs_with_the_apps_credentials_and_mints_one_token_for_the_account(world: dict[str, Any],
                                                                                  config: Config) -> None:
    with SandboxServer(world, clock=lambda: AT, record=True) as server:
        services = app_services(server)
        report = rotate.run(services, config, AT, dry_run=False)
        paths = [(e.request.method, e.request.path) for e in server.exchanges or [] if e.service == "github"]
    assert report.exit_code == 0, report.to_text()
    assert {"ONCALL_GITHUB_APP_ID", "ONCALL_GITHUB_APP_PRIVATE_KEY"} <= set(services.secrets_used)
    assert "ONCALL_GITHUB_TOKEN" not in services.secrets_used
    # The installation is found through the first repository read, then one token serves the whole run.
    assert paths[:2] == [("GET", f"/repos/{ORG}/va.gov-team/installation"),
                         ("POST", "/app/installations/52001/access_tokens")]
    assert services.github.installation_tokens[ORG].minted == 1
    assert next(i for r in world["github"]["repos"] if r["full_name"] == f"{ORG}/va.gov-team"
                for i in r["issues"] if i["number"] == 1954)["assignees"][-1] == "alan-turing"
    # Minting a token is not a write: the second run changes nothing and says so.
    with SandboxServer(world, clock=lambda: AT) as server:
        again = rotate.run(app_services(server), config, AT, dry_run=False)
    assert again.outcomes == [] and again.api_calls["github"]["writes"] == 0


def test_a_run_that_outlives_its_installation_token_mints_another_and_succeeds(world: dict[str, Any],
                                                                             config: Config) -> None:
    """The sandbox clock moves four minutes with every request, so the handoff lasts well over an hour."""
    server = SandboxServer(world, record=True)
    server.clock = lambda: AT + timedelta(minutes=4) * sum(sum(c.values()) for c in server.counts.values())
    with server:
        services = app_services(server)
        report = rotate.run(services, config, AT, dry_run=False)
        statuses = [e.response.status for e in server.exchanges or [] if e.service == "github"]
        minted = [e for e in server.exchanges or [] if e.request.path.endswith("/access_tokens")]
        elapsed = server.now() - AT
    assert report.exit_code == 0, report.to_text()
    assert elapsed > timedelta(hours=1, minutes=10)
    assert len(minted) == services.github.installation_tokens[ORG].minted >= 2
    assert 401 not in statuses  # renewed before it expired, never after a refusal


def test_an_expired_installation_token_is_refused_like_github_and_the_service_mints_a_new_one(
        world: dict[str, Any]) -> None:
    now = [AT]
    with SandboxServer(world, clock=lambda: now[0]) as server:
        services = app_services(server)
        assert services.github.issue(f"{ORG}/va.gov-team", 1954).number == 1954
        old = services.github.installation_tokens[ORG].token
        now[0] += timedelta(hours=1)
        assert http(server, f"/repos/{ORG}/va.gov-team/issues/1954", old) == (
            401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        assert services.github.issue(f"{ORG}/va.gov-team", 1954).number == 1954
        assert services.github.installation_tokens[ORG].token != old


def test_one_installation_per_account_each_with_its_own_token(world: dict[str, Any], config: Config) -> None:
    devops = next(r for r in world["github"]["repos"] if r["full_name"] == f"{ORG}/devops")
    world["github"]["repos"].append({**json.loads(json.dumps(devops)), "full_name": "va-platform/devops"})
    world["github"]["app"]["installations"].append({"id": 52002, "account": "va-platform",
                                                    "repositories": ["devops"]})
    two_orgs = config.model_copy(update={"label_repos": [f"{ORG}/va.gov-team", "va-platform/devops"]})
    with SandboxServer(world, clock=lambda: AT) as server:
        services = app_services(server)
        report = labels.run(services, two_orgs, AT, dry_run=False, path=ROOT / ".github" / "labels.yml")
    assert report.exit_code == 0, report.to_text()
    assert {account: t.installation_id for account, t in services.github.installation_tokens.items()} == {
        ORG: 52001, "va-platform": 52002}
    written = {o.action.target for o in report.outcomes}
    assert written == {f"{ORG}/va.gov-team", "va-platform/devops"}


def test_a_repository_the_installation_was_not_given_is_named(world: dict[str, Any], config: Config) -> None:
    world["github"]["app"]["installations"][0]["repositories"] = ["va.gov-team"]
    with SandboxServer(world, clock=lambda: AT) as server:
        report = labels.run(app_services(server), config, AT, dry_run=False, path=ROOT / ".github" / "labels.yml")
    assert report.exit_code == 1
    assert report.errors == [f"GitHub: the App is not installed on {ORG}/devops: install it on the {ORG} account "
                             "and give it access to the repository (the doctor lists what each installation covers)"]


def test_a_token_from_one_installation_cannot_reach_another_accounts_repositories(world: dict[str, Any]) -> None:
    world["github"]["app"]["installations"].append({"id": 52002, "account": "va-platform", "repositories": "all"})
    with SandboxServer(world, clock=lambda: AT) as server:
        app_jwt = signed({"iat": int(AT.timestamp()) - 60, "exp": int(AT.timestamp()) + 300, "iss": "1776"})
        status, minted = http(server, "/app/installations/52002/access_tokens", app_jwt, "POST")
        assert status == 201 and minted["expires_at"] == "2026-11-30T17:00:00Z"
        assert http(server, f"/repos/{ORG}/va.gov-team/issues/1954", minted["token"])[0] == 404
        assert http(server, f"/orgs/{ORG}/teams/vsp-operations/memberships/ada-lovelace", minted["token"])[0] == 403


@pytest.mark.parametrize(("claims", "key", "message"), [
    ({"exp": 660}, None, "'Expiration time' claim ('exp') is too far in the future"),
    ({"exp": -1}, None, "'Expiration time' claim ('exp') must be a numeric value representing the future time at "
                        "which the assertion expires"),
    ({"iss": "9999"}, None, "'Issuer' claim ('iss') must be an Integer"),
    ({"iat": 300}, None, "'Issued at' claim ('iat') must be an Integer representing a time in the past"),
    ({}, "another key", "A JSON web token could not be decoded"),
], ids=["too far ahead", "expired", "another app", "issued in the future", "signed with another key"])
def test_the_fake_checks_the_apps_jwt_as_github_does(world: dict[str, Any], claims: dict[str, Any],
                                                     key: str | None, message: str) -> None:
    now = int(AT.timestamp())
    payload = {"iat": now - 60, "exp": now + 300, "iss": "1776"}
    payload.update({k: v if k == "iss" else now + int(v) for k, v in claims.items()})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with SandboxServer(world, clock=lambda: AT) as server:
        status, body = http(server, "/app/installations", signed(payload, other if key else None))
        assert (status, body["message"]) == (401, message)
        assert http(server, "/app/installations", signed({"iat": now - 60, "exp": now + 300, "iss": "1776"}))[0] == 200


def test_a_jwt_opens_only_the_apps_own_endpoints(world: dict[str, Any]) -> None:
    now = int(AT.timestamp())
    with SandboxServer(world, clock=lambda: AT) as server:
        app_jwt = signed({"iat": now - 60, "exp": now + 300, "iss": "1776"})
        assert http(server, f"/repos/{ORG}/va.gov-team/issues/1954", app_jwt)[0] == 401


def test_the_job_says_in_one_line_when_the_world_knows_another_key(world: dict[str, Any], config: Config) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    world["github"]["app"]["public_key"] = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with SandboxServer(world, clock=lambda: AT) as server:
        report = support_issues.scan(app_services(server), config, AT, dry_run=True)
    assert report.exit_code == 1
    assert any("HTTP 401 A JSON web token could not be decoded" in e for e in report.errors), report.errors


# -- the secrets ------------------------------------------------------------------------------------------------


def test_one_of_the_apps_two_variables_alone_is_named(world: dict[str, Any]) -> None:
    with SandboxServer(world, clock=lambda: AT) as server:
        endpoints = sandbox_endpoints(server, github_app=True)
        env = {k: v for k, v in endpoints.env.items() if k != "ONCALL_GITHUB_APP_PRIVATE_KEY"}
        services = Services(Endpoints(**{**endpoints.__dict__, "env": env}))
        with pytest.raises(MissingSecret, match="ONCALL_GITHUB_APP_PRIVATE_KEY is not set"):
            services.github.issue(f"{ORG}/va.gov-team", 1954)


def test_without_any_github_credentials_the_error_names_both_options(world: dict[str, Any]) -> None:
    with SandboxServer(world, clock=lambda: AT) as server:
        endpoints = sandbox_endpoints(server)
        env = {k: v for k, v in endpoints.env.items() if not k.startswith("ONCALL_GITHUB")}
        with pytest.raises(MissingSecret) as raised:
            _ = Services(Endpoints(**{**endpoints.__dict__, "env": env})).github
    assert "ONCALL_GITHUB_TOKEN is not set" in str(raised.value)
    assert "ONCALL_GITHUB_APP_ID and ONCALL_GITHUB_APP_PRIVATE_KEY" in str(raised.value)


@pytest.mark.parametrize(("value", "message"), [
    ("ghp_notakey", "is not a PEM private key: paste the whole .pem file"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n", "is not a PEM private key: paste the whole .pem file"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAnotreallyakey\n-----END RSA PRIVATE KEY-----",
     "is not a readable private key"),
], ids=["a token", "cut short", "garbled inside"])
def test_a_key_that_is_not_a_pem_key_is_refused_in_one_line(world: dict[str, Any], value: str, message: str) -> None:
    with SandboxServer(world, clock=lambda: AT) as server:
        endpoints = sandbox_endpoints(server, github_app=True)
        env = {**endpoints.env, "ONCALL_GITHUB_APP_PRIVATE_KEY": value}
        with pytest.raises(InputError, match=f"ONCALL_GITHUB_APP_PRIVATE_KEY {message}") as raised:
            _ = Services(Endpoints(**{**endpoints.__dict__, "env": env})).github
    assert "\n" not in str(raised.value) and "notreallyakey" not in str(raised.value)


def test_a_key_pasted_with_literal_backslash_n_works(world: dict[str, Any], config: Config) -> None:
    with SandboxServer(world, clock=lambda: AT) as server:
        endpoints = sandbox_endpoints(server, github_app=True)
        env = {**endpoints.env, "ONCALL_GITHUB_APP_PRIVATE_KEY": sandbox_app_key()[0].replace("\n", "\\n")}
        services = Services(Endpoints(**{**endpoints.__dict__, "env": env}))
        assert services.github.issue(f"{ORG}/va.gov-team", 1954).number == 1954


def test_neither_the_key_nor_a_minted_token_reaches_any_output(world: dict[str, Any], config: Config,
                                                               caplog: pytest.LogCaptureFixture,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    world["github"]["revoked_tokens"] = []
    with SandboxServer(world, clock=lambda: AT) as server:
        services = app_services(server)
        outputs = []
        for job in (rotate.run, support_issues.scan):
            report = job(services, config, AT, dry_run=False)
            outputs += [report.to_text(), report.to_json_text(), report.to_markdown()]
        token = services.github.installation_tokens[ORG].token
        # A failure that quotes the token: what any SDK error text could do.
        outputs.append(scrub(f"request with {token} failed"))
    captured = capsys.readouterr()
    everything = "\n".join([*outputs, captured.out, captured.err, caplog.text])
    key_lines = [line for line in sandbox_app_key()[0].splitlines() if "PRIVATE KEY" not in line and len(line) >= 8]
    assert key_lines and not any(line in everything for line in key_lines)
    assert token not in everything


# -- the workflows ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kept", [("ONCALL_GITHUB_APP_ID", "ONCALL_GITHUB_APP_PRIVATE_KEY"), ("ONCALL_GITHUB_TOKEN",)],
                         ids=["only the App's two", "only the fallback token"])
def test_the_handoff_workflow_runs_with_either_kind_of_github_credentials(tmp_path: Path,
                                                                        kept: tuple[str, ...]) -> None:
    world = prepared_world(tmp_path)
    secrets = {k: v for k, v in runner.SECRETS.items() if not k.startswith("ONCALL_GITHUB_") or k in kept}
    run = run_workflow(runner.WORKFLOWS / "rotate-assignees.yml", Event("workflow_dispatch", {}, {"dry_run": False}),
                       world=world, workdir=tmp_path, at=MONDAY.isoformat(), secrets=secrets)
    assert run.ok, run.explain()
    assert "github.assign" in run.summary or "assign @" in run.summary


def test_every_step_that_passes_the_github_token_passes_the_apps_credentials_too() -> None:
    for path in sorted(runner.WORKFLOWS.glob("*.yml")):
        for job in (runner.load(path).get("jobs") or {}).values():
            for step in job.get("steps") or []:
                env = step.get("env") or {}
                if "ONCALL_GITHUB_TOKEN" in env:
                    assert {"ONCALL_GITHUB_APP_ID", "ONCALL_GITHUB_APP_PRIVATE_KEY"} <= set(env), \
                        f"{path.name}: {step.get('name')} passes the token but not the App's credentials"


# -- the manifest -----------------------------------------------------------------------------------------------


def test_the_app_manifest_is_the_declaration() -> None:
    shipped = (ROOT / "github-app-manifest.json").read_text()
    assert shipped == manifest_text(), "regenerate: python3 dev.py run generate_docs.py"
    permissions = json.loads(shipped)["default_permissions"]
    assert permissions == app_permissions()
    # Every permission a part declares is there, at least at the level it asks for.
    for need in GITHUB_APP_NEEDS:
        for permission, level in need.permissions.items():
            assert permissions[permission] in ((level,) if level == "write" else ("read", "write")), need
    assert permissions["metadata"] == "read"


def test_the_docs_registration_link_asks_for_the_declared_permissions() -> None:
    docs = (ROOT / "docs" / "credentials.md").read_text()
    assert registration_link() in docs


# -- the doctor -------------------------------------------------------------------------------------------------


def doctor_failures(report: Any) -> dict[str, str]:
    return {c["check"]: c["detail"] for c in report.extra["checks"] if not c["ok"]}


def doctor_lines(report: Any) -> dict[str, str]:
    return {c["check"]: c["detail"] for c in report.extra["checks"]}


def test_the_doctor_names_what_each_installation_covers(world: dict[str, Any], config: Config) -> None:
    from oncall_lib.setup import doctor

    with SandboxServer(world, clock=lambda: AT) as server:
        report = doctor.run(app_services(server), config, AT, dry_run=True)
        writes = sum(c["writes"] for c in server.counts.values())
    lines = doctor_lines(report)
    assert doctor_failures(report) == {}
    assert lines["github credentials"].startswith("the GitHub App's id and key")
    assert lines["github app coverage"] == ("every repository and organisation the product touches is covered "
                                            "(1 installation(s))")
    assert lines["github app installation 52001"] == (f"on {ORG}, all repositories: covers devops, oncall-support, "
                                                      "va.gov-team")
    assert writes == 0


def test_the_doctor_names_what_no_installation_covers_and_what_one_was_not_granted(world: dict[str, Any],
                                                                                   config: Config) -> None:
    from oncall_lib.setup import doctor

    world["github"]["app"]["installations"][0].update(repositories=["va.gov-team", "devops"],
                                                      permissions={"issues": "write", "contents": "read",
                                                                   "metadata": "read"})
    with SandboxServer(world, clock=lambda: AT) as server:
        report = doctor.run(app_services(server), config, AT, dry_run=True)
    found = doctor_failures(report)
    assert found["github app coverage"].startswith(f"no installation covers {ORG}/oncall-support (the product's own "
                                                   "workflows): install the App there, or add the repository")
    assert found["github app installation 52001"] == (
        f"on {ORG}, selected repositories: covers devops, va.gov-team; not granted actions: read, checks: read, "
        "contents: write, members: write, pull_requests: write, statuses: read: accept the App's permissions on the "
        f"installation (https://github.sandbox/organizations/{ORG}/settings/installations/52001)")
    # The workflows of a repository the App cannot see are named too, by the check that reads them.
    assert "the App is not installed on department-of-veterans-affairs/oncall-support" in found["workflows"]


def test_a_world_whose_app_is_malformed_is_named_in_one_line(tmp_path: Path, world: dict[str, Any]) -> None:
    from oncall_lib.sandbox.world import load_world

    world["github"]["app"]["installations"].append({"account": "va-platform"})
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    with pytest.raises(InputError, match=r"github.app.installations\[1\]: needs an integer 'id'"):
        load_world(path)
    del world["github"]["app"]  # an older world, without an App, still loads
    path.write_text(json.dumps(world))
    assert "app" not in load_world(path)["github"]


# -- tokens minted for what the run needs, masked, and no wait longer than a job may run ------------------------


def test_installation_tokens_ask_only_for_what_the_enabled_duties_need(world: dict[str, Any], config: Config,
                                                                      tmp_path: Path) -> None:
    from oncall_lib.config import parse_config
    from oncall_lib.github_permissions import configured_needs
    from tests.test_duties import write_config

    path = write_config(tmp_path, "handoff")
    handoff_only = parse_config(path.read_text(), path)
    needed = app_permissions(configured_needs(handoff_only))
    assert "members" not in needed and "pull_requests" not in needed  # the handoff adds no one to a team
    with SandboxServer(world, clock=lambda: AT) as server:
        services = app_services(server)
        services.github_permissions = needed
        report = rotate.run(services, handoff_only, AT, dry_run=False)
        assert report.exit_code == 0, report.to_text()
        assert server.minted_github_permissions() == [needed]
    # An installation that holds less than the run would use: the token asks for what it holds, and the calls it
    # allows still work (GitHub, and the fake, refuse to mint a token asking for more).
    world["github"]["app"]["installations"][0]["permissions"] = {"issues": "read", "metadata": "read"}
    with SandboxServer(world, clock=lambda: AT) as server:
        services = app_services(server)
        services.github_permissions = needed
        services.github.issue(f"{ORG}/va.gov-team", 1954)
        assert server.minted_github_permissions() == [{"issues": "read", "metadata": "read"}]


def test_a_minted_token_is_masked_in_the_actions_log(world: dict[str, Any], config: Config,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with SandboxServer(world, clock=lambda: AT) as server:
        endpoints = sandbox_endpoints(server, github_app=True)
        services = Services(Endpoints(**{**endpoints.__dict__, "env": {**endpoints.env, "GITHUB_ACTIONS": "true"}}))
        services.github.issue(f"{ORG}/va.gov-team", 1954)
        token = services.github.installation_tokens[ORG].token
    err = capsys.readouterr().err
    assert f"::add-mask::{token}\n" in err  # the runner then hides it in every later log line


def test_a_rate_limit_longer_than_a_job_may_wait_stops_the_run_instead_of_waiting(
        world: dict[str, Any], config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub's primary limit resets within the hour; a job's timeout is 10 or 15 minutes. The run stops with
    one line (the next one carries on) instead of sleeping past its timeout; short waits are still waited."""
    import time

    from oncall_lib.sandbox import Faults

    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    now = datetime.now(UTC)  # GitHub's reset is read against the machine's clock
    for service, kind in (("github", "403"), ("slack", "429")):
        faults = Faults(rate=1.0, kinds=(kind,), retry_after=3600, services=(service,), seed=1)
        with SandboxServer(world, clock=lambda: now, faults=faults) as server:
            report = rotate.run(Services(sandbox_endpoints(server)), config, now, dry_run=True)
        assert report.exit_code != 0 and report.errors, service
        assert any("rate limit" in e.lower() or "ratelimited" in e for e in report.errors), report.errors
    assert all(w <= 90 for w in waits), waits
