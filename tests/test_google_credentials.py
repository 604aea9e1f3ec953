"""Keyless Google: the tracking sheet reached through gspread with the external-account file google-github-actions/auth
writes (Workload Identity Federation through GitHub's OIDC provider), as well as with a service account key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest

from oncall_lib.config import Config
from oncall_lib.errors import InputError, MissingSecret
from oncall_lib.report import Report
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.sandbox.federation_fake import (
    GITHUB_ISSUER,
    SANDBOX_REQUEST_TOKEN,
    actions_credentials_file,
    issuer_key,
)
from oncall_lib.secrets import scrub
from oncall_lib.services import Endpoints, Services
from oncall_lib.tracking import log as tracking
from tests import runner
from tests.runner import Event, run_workflow
from tests.test_workflows import prepared_world

AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
SHEET = "1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k"


def identity(world: dict[str, Any]) -> dict[str, str]:
    return world["google"]["workload_identity"]


def written(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "gha-creds-test.json"
    path.write_text(json.dumps(data))
    return str(path)


def log(services: Services, config: Config, summary: str = "Rotated the Grafana key") -> Report:
    return tracking.log_task(services, config, AT, dry_run=False, kind="other", summary=summary)


def rows(world: dict[str, Any], title: str = "Other") -> list[list[Any]]:
    sheet = next(s for s in world["sheets"]["spreadsheets"] if s["id"] == SHEET)
    return next((w["rows"] for w in sheet["worksheets"] if w["title"] == title), [])


def test_the_tracking_row_goes_through_gspread_with_the_actions_file_and_no_key(world: dict[str, Any],
                                                                               config: Config,
                                                                               tmp_path: Path) -> None:
    file = written(tmp_path, actions_credentials_file(identity(world)["provider"],
                                                      identity(world)["service_account"]))
    with SandboxServer(world, clock=lambda: AT, record=True) as server:
        services = Services(sandbox_endpoints(server, google_credentials_file=file))
        report = log(services, config)
        exchanges = list(server.exchanges or [])
    assert report.exit_code == 0, report.to_text()
    assert "GOOGLE_APPLICATION_CREDENTIALS" in services.secrets_used
    assert "GOOGLE_SERVICE_ACCOUNT_JSON" not in services.secrets_used
    assert [r[4] for r in rows(world)[1:]] == ["Rotated the Grafana key"]
    # The chain google-auth follows: the runner's OIDC token, STS, the service account's token, then Sheets.
    order = [e.service for e in exchanges if e.service != "pagerduty"]
    assert order[:4] == ["actions_oidc", "sts", "iamcredentials", "sheets"]
    assert order.count("sts") == 1 and order.count("iamcredentials") == 1  # one token serves the run
    oidc = exchanges[[e.service for e in exchanges].index("actions_oidc")]
    assert oidc.request.arg("audience") == f"https://iam.googleapis.com/{identity(world)['provider']}"
    assert report.api_calls["google-auth"] == {"reads": 3, "writes": 0}
    # (Every exchange is checked against Google's discovery documents by the suite's last contract test.)
    # The same task again: nothing more is written (the key column says it is there).
    with SandboxServer(world, clock=lambda: AT) as server:
        again = log(Services(sandbox_endpoints(server, google_credentials_file=file)), config)
    assert again.outcomes == [] and again.api_calls["sheets"]["writes"] == 0


def test_the_oidc_token_may_come_from_a_file(world: dict[str, Any], config: Config, tmp_path: Path) -> None:
    provider = identity(world)["provider"]
    now = int(AT.timestamp())
    token = jwt.encode({"iss": GITHUB_ISSUER, "aud": f"https://iam.googleapis.com/{provider}", "iat": now,
                        "exp": now + 300, "sub": "repo:x", "repository": identity(world)["repository"]},
                       issuer_key()[0], algorithm="RS256")
    (tmp_path / "oidc-token").write_text(token)
    data = actions_credentials_file(provider, identity(world)["service_account"])
    data["credential_source"] = {"file": str(tmp_path / "oidc-token")}
    with SandboxServer(world, clock=lambda: AT, record=True) as server:
        report = log(Services(sandbox_endpoints(server, google_credentials_file=written(tmp_path, data))), config)
        services_seen = {e.service for e in server.exchanges or []}
    assert report.exit_code == 0, report.to_text()
    assert "actions_oidc" not in services_seen and {"sts", "iamcredentials", "sheets"} <= services_seen
    assert len(rows(world)) == 2


def test_a_repository_the_provider_does_not_admit_gets_no_token_and_says_why(world: dict[str, Any],
                                                                            config: Config, tmp_path: Path) -> None:
    file = written(tmp_path, actions_credentials_file(identity(world)["provider"],
                                                      identity(world)["service_account"]))
    world["google"]["runner_repository"] = "someone-else/a-fork"  # a fork runs the workflow
    with SandboxServer(world, clock=lambda: AT) as server:
        report = log(Services(sandbox_endpoints(server, google_credentials_file=file)), config)
    # The sheet is a log: a job says it could not write there (the next run tries again) and goes on.
    assert report.warnings == [
        f"tracking sheet not updated (the next run tries again): Google Sheets read spreadsheet {SHEET}: no access "
        "token: Error code unauthorized_client: The given credential is rejected by the attribute condition."]
    assert SANDBOX_REQUEST_TOKEN not in report.to_text()
    assert rows(world) == []


def test_without_a_service_account_the_sheet_refuses_the_federated_identity(world: dict[str, Any],
                                                                           config: Config, tmp_path: Path) -> None:
    """Drive shares a sheet with an email, which a federated identity does not have: impersonate the account."""
    file = written(tmp_path, actions_credentials_file(identity(world)["provider"], None))
    with SandboxServer(world, clock=lambda: AT) as server:
        report = log(Services(sandbox_endpoints(server, google_credentials_file=file)), config)
    assert any("HTTP 403 The caller does not have permission (share the sheet with the service account's email"
               in w for w in report.warnings), report.warnings
    assert rows(world) == []


def test_a_sheet_shared_with_another_account_refuses_this_one(world: dict[str, Any], config: Config,
                                                             tmp_path: Path) -> None:
    sheet = next(s for s in world["sheets"]["spreadsheets"] if s["id"] == SHEET)
    sheet["shared_with"] = ["someone-else@other.iam.gserviceaccount.com"]
    file = written(tmp_path, actions_credentials_file(identity(world)["provider"],
                                                      identity(world)["service_account"]))
    with SandboxServer(world, clock=lambda: AT) as server:
        report = log(Services(sandbox_endpoints(server, google_credentials_file=file)), config)
    assert any("HTTP 403" in w for w in report.warnings), report.warnings
    assert rows(world) == []


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "not JSON (line 1)"),
    (json.dumps({"type": "authorized_user", "client_id": "x"}), "type 'authorized_user': an external_account file"),
    (json.dumps({"type": "external_account", "audience": "a"}),
     "lacks subject_token_type, token_url, credential_source: write it with google-github-actions/auth"),
    (json.dumps({"type": "external_account", "audience": "a", "subject_token_type": "t",
                 "credential_source": {"file": "f"}, "token_url": "https://attacker.example/token"}),
     "token_url 'https://attacker.example/token' is not Google's (https://sts.googleapis.com/...)"),
    (None, "cannot read the credentials file: No such file or directory"),
], ids=["not json", "a user's credentials", "cut short", "tokens sent elsewhere", "no file"])
def test_a_credentials_file_that_is_not_usable_is_named_in_one_line(world: dict[str, Any], tmp_path: Path,
                                                                   content: str | None, message: str) -> None:
    path = tmp_path / "creds.json"
    if content is not None:
        path.write_text(content)
    with SandboxServer(world, clock=lambda: AT) as server:
        services = Services(sandbox_endpoints(server, google_credentials_file=str(path)))
        with pytest.raises(InputError) as raised:
            _ = services.sheets
    assert str(raised.value).startswith(f"GOOGLE_APPLICATION_CREDENTIALS={path}: ")
    assert message in str(raised.value)


def test_with_neither_option_the_error_names_both(world: dict[str, Any]) -> None:
    with SandboxServer(world, clock=lambda: AT) as server:
        endpoints = sandbox_endpoints(server)
        env = {k: v for k, v in endpoints.env.items() if k != "GOOGLE_SERVICE_ACCOUNT_JSON"}
        with pytest.raises(MissingSecret) as raised:
            _ = Services(Endpoints(**{**endpoints.__dict__, "env": env})).sheets
    assert "GOOGLE_SERVICE_ACCOUNT_JSON is not set" in str(raised.value)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(raised.value)


def test_the_runners_request_token_in_the_file_is_scrubbed(world: dict[str, Any], tmp_path: Path) -> None:
    file = written(tmp_path, actions_credentials_file(identity(world)["provider"], None,
                                                      request_token="eyJrunner-request-token-0000"))
    with SandboxServer(world, clock=lambda: AT) as server:
        _ = Services(sandbox_endpoints(server, google_credentials_file=file)).sheets
    assert "eyJrunner-request-token-0000" not in scrub("header: Bearer eyJrunner-request-token-0000")


# -- the workflows ----------------------------------------------------------------------------------------------


def test_the_log_task_workflow_runs_keyless_when_the_variables_name_the_provider(tmp_path: Path) -> None:
    world = prepared_world(tmp_path)
    wif = identity(json.loads(world.read_text()))
    variables = {**runner.VARS, "GOOGLE_WORKLOAD_IDENTITY_PROVIDER": wif["provider"],
                 "GOOGLE_SERVICE_ACCOUNT": wif["service_account"]}
    secrets = {k: v for k, v in runner.SECRETS.items() if k != "GOOGLE_SERVICE_ACCOUNT_JSON"}
    run = run_workflow(runner.WORKFLOWS / "log-task.yml",
                       Event("workflow_dispatch", {}, {"kind": "other", "summary": "Renewed the TLS certificate"}),
                       world=world, workdir=tmp_path, at=AT.isoformat(), secrets=secrets, variables=variables)
    assert run.ok, run.explain()
    assert [r[4] for r in rows(json.loads(world.read_text()))[1:]] == ["Renewed the TLS certificate"]


def test_without_the_variable_the_workflow_needs_the_key(tmp_path: Path) -> None:
    world = prepared_world(tmp_path)
    secrets = {k: v for k, v in runner.SECRETS.items() if k != "GOOGLE_SERVICE_ACCOUNT_JSON"}
    run = run_workflow(runner.WORKFLOWS / "log-task.yml",
                       Event("workflow_dispatch", {}, {"kind": "other", "summary": "x"}),
                       world=world, workdir=tmp_path, at=AT.isoformat(), secrets=secrets)
    assert not run.ok and "GOOGLE_SERVICE_ACCOUNT_JSON is not set" in run.explain()


def test_only_jobs_that_use_github_oidc_may_ask_for_its_token() -> None:
    """id-token: write where a step uses it (AWS's or Google's auth action), nowhere else."""
    for path in sorted(runner.WORKFLOWS.glob("*.yml")):
        for name, job in (runner.load(path).get("jobs") or {}).items():
            uses = [str(step.get("uses", "")) for step in job.get("steps") or []]
            oidc = any(u.startswith(("google-github-actions/auth@", "aws-actions/configure-aws-credentials@"))
                       for u in uses)
            asks = (job.get("permissions") or {}).get("id-token") == "write"
            assert asks == oidc, f"{path.name} {name}: id-token: write {'without' if asks else 'but no'} OIDC use"
            logs = any("GOOGLE_SERVICE_ACCOUNT_JSON" in (step.get("env") or {}) for step in job.get("steps") or [])
            assert logs == any(u.startswith("google-github-actions/auth@") for u in uses), \
                f"{path.name} {name}: a job that logs to the sheet offers the keyless option, and only such a job"


def test_the_doctor_reaches_the_sheet_keyless_and_says_as_whom(world: dict[str, Any], config: Config,
                                                              tmp_path: Path) -> None:
    from oncall_lib.setup import doctor

    file = written(tmp_path, actions_credentials_file(identity(world)["provider"],
                                                      identity(world)["service_account"]))
    with SandboxServer(world, clock=lambda: AT) as server:
        report = doctor.run(Services(sandbox_endpoints(server, google_credentials_file=file)), config, AT,
                            dry_run=True)
    sheet = next(c for c in report.extra["checks"] if c["check"] == "google sheet")
    assert sheet["ok"] and sheet["detail"].startswith(
        "the spreadsheet is reachable (1 worksheets) with keyless (Workload Identity Federation) as "
        "oncall-sheets@oncall-support.iam.gserviceaccount.com")
