"""The doctor against deliberately broken setups, and every job run with recognisable secrets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.deploys import watch as deploy_watch
from oncall_lib.handoff import rotate
from oncall_lib.iam import audit as iam_audit
from oncall_lib.iam import cleanup as iam_cleanup
from oncall_lib.offboarding import requests as offboarding
from oncall_lib.postmortems import items as postmortems
from oncall_lib.report import Report
from oncall_lib.requests import watch
from oncall_lib.reviews import digest as review_digest
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.services import Services
from oncall_lib.setup import doctor, heartbeat, labels
from oncall_lib.support_issues import issues as support_issues
from oncall_lib.tracking import log as tracking
from oncall_lib.tracking import report as rotation_report
from tests.conftest import Sandbox

AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return doctor.run(s, c, at, dry_run=d)


def failures(report: Report) -> dict[str, str]:
    return {c["check"]: c["detail"] for c in report.extra["checks"] if not c["ok"]}


def test_the_sandbox_is_all_ok_and_the_doctor_writes_nothing(sandbox: Sandbox, config: Config) -> None:
    run = sandbox.run(doctoring, config, AT)
    assert run.report.exit_code == 0 and failures(run.report) == {}
    assert all(counts["writes"] == 0 for counts in run.server_counts.values())


def test_each_deliberate_fault_is_named(sandbox: Sandbox, config: Config) -> None:
    world = sandbox.world
    world["slack"]["scopes"].remove("channels:manage")
    next(c for c in world["slack"]["channels"] if c["name"] == "sre")["members"].remove("U0BOT")
    world["slack"]["users"] = [u for u in world["slack"]["users"] if u["id"] != "U0KATH"]
    world["github"]["repos"] = [r for r in world["github"]["repos"] if not r["full_name"].endswith("/devops")]
    world["iam"]["denied_actions"] = ["GenerateCredentialReport"]
    broken = config.model_copy(update={"rotation": config.rotation.model_copy(update={"support_layer": "Layer 9"})})
    run = sandbox.run(doctoring, broken, AT)
    found = failures(run.report)
    assert run.report.exit_code == 1
    assert "missing scope(s) channels:manage (set the support channel's topic)" in found["slack scopes"]
    assert found["slack channel sre"] == ("the app is not a member of #sre (the request watch reads it; support "
                                          "issues: :ticket: reactions read, \"Tracked as\" replied): /invite it "
                                          "there, or each of those fails with not_in_channel")
    assert "no active Slack user U0KATH" in found["roster Katherine Johnson"]
    assert "cannot see department-of-veterans-affairs/devops" in found["github department-of-veterans-affairs/devops"]
    assert "no active layer with id or name 'Layer 9'" in found["pagerduty schedule"]
    assert "the role needs iam:GenerateCredentialReport" in found["aws iam"]
    assert "no active layer" in found["rotation handoff time"]  # the same bad layer, seen by this check too
    assert "no active layer" in found["support layer shape"]  # and by this one
    # The missing devops repository also stops the review digest's query, which the doctor runs.
    devops = "department-of-veterans-affairs/devops"
    assert devops in found[f"github review digest {devops}"]
    assert "no active layer" in found["support layer people"]  # and by the look at who holds it next
    assert len(found) == 10
    assert all(counts["writes"] == 0 for counts in run.server_counts.values())


def test_a_handoff_time_that_does_not_match_pagerduty(sandbox: Sandbox, config: Config) -> None:
    tuesday = config.model_copy(update={"rotation": config.rotation.model_copy(
        update={"handoff_weekday": "tuesday", "handoff_hour": 10})})
    found = failures(sandbox.run(doctoring, tuesday, AT).report)
    assert found["rotation handoff time"].startswith("PagerDuty hands over on Monday at 09:00, but oncall.toml says "
                                                     "tuesday at 10:00")


SECRETS = {
    "ONCALL_GITHUB_TOKEN": "ghp_SECRETgithubTOKEN0000000000000001",
    "SLACK_BOT_TOKEN": "xoxb-SECRET-slack-0000000000002",
    "PAGERDUTY_API_TOKEN": "SECRETpagerduty00003",
    "ZENHUB_API_TOKEN": "SECRETzenhub00004",
    "GOOGLE_SERVICE_ACCOUNT_JSON": '{"type": "service_account", "client_email": "x@y", '
                                   '"private_key": "SECRETgoogle00005"}',
}


def every_job(config: Config) -> list[Any]:
    link = "https://sandbox.slack.com/archives/C01SUPPORT/p1764512400000100"
    return [
        lambda s, at: rotate.run(s, config, at, dry_run=False),
        lambda s, at: watch.run(s, config, at, dry_run=False),
        lambda s, at: support_issues.scan(s, config, at, dry_run=False),
        lambda s, at: support_issues.from_thread(s, config, at, link=link, epic_key="customer-support",
                                                 dry_run=False),
        lambda s, at: iam_audit.run(s, config, at, dry_run=False),
        lambda s, at: iam_cleanup.run(s, config, at, dry_run=False, users=[], from_audit=True),
        lambda s, at: rotation_report.run(s, config, at, dry_run=False),
        lambda s, at: review_digest.run(s, config, at, dry_run=False),
        lambda s, at: deploy_watch.run(s, config, at, dry_run=False),
        lambda s, at: postmortems.scan_documents(s, config, at, dry_run=False),
        lambda s, at: postmortems.pickup(s, config, at, dry_run=False),
        lambda s, at: labels.run(s, config, at, dry_run=False),
        lambda s, at: tracking.log_task(s, config, at, dry_run=False, kind="other", summary="x"),
        lambda s, at: offboarding.grant(s, config, at, number=1954, sender="ada-lovelace", label="access-approved",
                                        dry_run=False),
        lambda s, at: doctor.run(s, config, at, dry_run=True),
        lambda s, at: heartbeat.run(s, config, at, dry_run=False),
    ]


@pytest.mark.parametrize("revoked", [False, True])
def test_no_secret_ever_reaches_any_output(world: dict[str, Any], config: Config, revoked: bool,
                                           caplog: pytest.LogCaptureFixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    if revoked:  # every API refuses the token: the errors must not repeat it either
        world["github"]["revoked_tokens"] = [SECRETS["ONCALL_GITHUB_TOKEN"]]
        world["slack"]["revoked_tokens"] = [SECRETS["SLACK_BOT_TOKEN"]]
        world["pagerduty"]["revoked_tokens"] = [SECRETS["PAGERDUTY_API_TOKEN"]]
    caplog.set_level(logging.DEBUG)
    outputs = []
    with SandboxServer(world, clock=lambda: AT) as server:
        endpoints = sandbox_endpoints(server)
        endpoints = type(endpoints)(**{**endpoints.__dict__, "env": dict(SECRETS)})
        for job in every_job(config):
            report = job(Services(endpoints), AT)
            outputs += [report.to_text(), report.to_json_text(), report.to_markdown(), *report.annotations()]
    captured = capsys.readouterr()
    everything = "\n".join([*outputs, captured.out, captured.err, caplog.text])
    for name, secret in SECRETS.items():
        core = secret.split('"')[-2] if secret.startswith("{") else secret
        assert core not in everything, f"{name} leaked"


def test_the_slack_manifest_asks_for_exactly_the_scopes_the_duties_declare() -> None:
    from pathlib import Path

    from ruamel.yaml import YAML

    from oncall_lib.duties import permissions

    manifest = YAML(typ="safe").load((Path(__file__).resolve().parent.parent / "slack-app-manifest.yml").read_text())
    declared = {scope for scope, needs in permissions("slack").items() if any(n.when is None for _, n in needs)}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == declared
    # The doctor asks a config with every duty on for exactly those.
    assert set(doctor.slack_scopes(every_duty_config())) == declared


def every_duty_config() -> Config:
    from pathlib import Path

    from oncall_lib.config import load_config

    return load_config(Path(__file__).resolve().parent.parent / "oncall.toml")


def test_every_generated_file_matches_the_declarations() -> None:
    from oncall_lib.generated import expected_files

    for path, text in expected_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: python3 dev.py run generate_docs.py"
