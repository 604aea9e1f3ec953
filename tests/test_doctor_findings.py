"""Setups that pass every check today and fail after go-live: each one is named, today, by check_config.py or the
doctor (a failure, or a warning naming the step a missing setting silently turns off)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oncall_lib.config import Config, parse_config
from oncall_lib.duty import Check
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.setup import doctor
from oncall_lib.tracking import report as rotation_report
from tests.conftest import Sandbox

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "oncall.toml").read_text()
AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def configured(text: str) -> Config:
    return parse_config(text, Path("oncall.toml"))


def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return doctor.run(s, c, at, dry_run=d)


def states(report: Report) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["state"], c["detail"]) for c in report.extra["checks"]}


def check_config(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "oncall.toml"
    path.write_text(text)
    return subprocess.run([sys.executable, "scripts/check_config.py", "--config", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


WITHOUT_OPERATIONS = GOOD.replace('operations_channel = "operations"\n', "")


def test_a_watch_without_an_operations_channel_is_told_its_escalation_is_skipped(sandbox: Sandbox,
                                                                                 tmp_path: Path) -> None:
    config = configured(WITHOUT_OPERATIONS)
    found = states(sandbox.run(doctoring, config, AT).report)
    state, detail = found["setting: the escalation"]
    assert state == "warn"
    assert detail.startswith("watching the request channels: the 60-minute escalation of urgent requests to the "
                             "team is skipped") and "operations_channel" in detail
    done = check_config(tmp_path, WITHOUT_OPERATIONS)
    assert done.returncode == 0
    assert ("warning: watching the request channels: the 60-minute escalation of urgent requests to the team is "
            "skipped") in done.stdout


def test_the_app_missing_from_the_operations_channel_fails_today(sandbox: Sandbox) -> None:
    # The operations channel is not watched here, so only the escalation and the other posts would meet it.
    config = configured(GOOD.replace('name = "vsp-operations"\nwatch = true', 'name = "vsp-operations"'))
    sandbox.channel("C02VSPOPS")["members"].remove("U0BOT")
    report = sandbox.run(doctoring, config, AT).report
    state, detail = states(report)["slack channel operations"]
    assert state == "fail" and report.exit_code == 1
    assert detail.startswith("the app is not a member of #vsp-operations (")
    assert "the request watch's 60-minute escalation" in detail and "not_in_channel" in detail


def test_someone_on_the_support_layer_but_not_on_the_roster_fails_today(sandbox: Sandbox, config: Config) -> None:
    layer = next(layer for layer in sandbox.world["pagerduty"]["schedules"][0]["layers"] if layer["id"] == "PLAYER2")
    layer["users"].append("PDOT001")  # Dorothy takes turns in PagerDuty; nobody added her to oncall.toml
    state, detail = states(sandbox.run(doctoring, config, AT).report)["support layer people"]
    assert state == "fail"
    assert "Dorothy Vaughan (PDOT001), on support from Mon " in detail and "is not on the roster" in detail


def test_a_review_login_that_does_not_exist_fails_and_one_off_the_roster_is_a_warning(sandbox: Sandbox) -> None:
    config = configured(GOOD.replace('pm = "Margaret Hamilton"', 'pm = "margaret-hamiltom"'))
    state, detail = states(sandbox.run(doctoring, config, AT).report)["review pm"]
    assert state == "fail" and "no GitHub user 'margaret-hamiltom'" in detail
    config = configured(GOOD.replace('pm = "Margaret Hamilton"', 'pm = "dorothy-vaughan"'))
    state, detail = states(sandbox.run(doctoring, config, AT).report)["review pm"]
    assert state == "warn" and "GitHub user @dorothy-vaughan, not on the roster" in detail


def test_without_a_team_channel_the_summary_is_not_posted_to_the_requesters(sandbox: Sandbox) -> None:
    text = WITHOUT_OPERATIONS.replace('\nchannel = "operations"\n', "\n")
    config = configured(text)
    state, detail = states(sandbox.run(doctoring, config, AT).report)["setting: the report's summary"]
    assert state == "warn" and "the rotation report's summary is not posted in Slack" in detail
    run = sandbox.run(lambda s, c, at, d: rotation_report.run(s, c, at, dry_run=d), config, AT)
    assert not [o for o in run.report.outcomes if o.action.kind == "slack.post"]
    assert any("the summary is not posted in Slack" in w for w in run.report.warnings)


def test_a_check_that_could_not_be_made_does_not_print_ok(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    config = configured(GOOD.replace('repo = "department-of-veterans-affairs/oncall-support"\n', ""))
    report = sandbox.run(doctoring, config, AT).report
    workflows = next(c for c in _checks(report) if c.name == "workflows")
    assert workflows.line().startswith("skip workflows: not checked:")
    assert doctor.summary(_checks(report)).endswith("1 not checked, 0 to fix")


def _checks(report: Report) -> list[Check]:
    return [Check.from_record(c) for c in report.extra["checks"]]


def test_check_config_names_a_format_error_and_a_missing_table_in_the_same_pass(tmp_path: Path) -> None:
    start = GOOD.index("# The IAM inactivity audit")
    text = GOOD[:start] + GOOD[GOOD.index("# The Support Incidents Spreadsheet"):]
    text = text.replace("handoff_hour = 9", "handoff_hour = 25")
    done = check_config(tmp_path, text)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith(f"error: {tmp_path / 'oncall.toml'}:") and "rotation.handoff_hour" in errors[0]
    assert any("offboarding is on but still needs [iam]" in line for line in errors[1:]), errors


def test_the_doctor_reads_each_channel_once_and_writes_nothing(sandbox: Sandbox, config: Config) -> None:
    # docs/measurements.md's figures: the example config, every duty of it on.
    run = sandbox.run(doctoring, config, AT)
    assert run.report.facts["checks"] == 35 and run.report.exit_code == 0
    calls = run.report.api_calls
    assert {system: counts["reads"] for system, counts in calls.items()} == {
        "slack": 13, "github": 11, "pagerduty": 5, "sheets": 1, "iam": 1}
    assert all(counts["writes"] == 0 for counts in calls.values())


def test_a_private_channel_the_watch_reads_fails_without_its_scope(sandbox: Sandbox, config: Config) -> None:
    sandbox.channel("C03SRE000")["is_private"] = True
    state, detail = states(sandbox.run(doctoring, config, AT).report)["slack channel sre"]
    assert state == "fail" and detail.startswith("#sre is private, and reading it needs the groups:history scope")


# -- roster members by GitHub account id (#31: logins change hands) ------------------------------------------------


def grace_id(config: Config) -> int:
    [pinned] = [m.github_id for m in config.roster if m.github == "grace-hopper"]
    assert pinned
    return pinned


def test_a_login_without_its_account_id_is_a_warning_giving_the_line_to_add(sandbox: Sandbox, config: Config) -> None:
    text = GOOD.replace(f"github_id = {grace_id(config)}\n", "")
    run = sandbox.run(doctoring, configured(text), AT)
    state, detail = states(run.report)["roster Grace Hopper"]
    assert state == "warn" and f"add `github_id = {grace_id(config)}`" in detail  # the id GitHub gives for her login
    assert [name for name, (state, _) in states(run.report).items() if state == "warn"] == ["roster Grace Hopper"]
    assert run.report.exit_code == 0


def test_a_renamed_member_whose_login_someone_claimed_fails_saying_which_login_to_set(sandbox: Sandbox,
                                                                                       config: Config) -> None:
    users = sandbox.world["github"]["users"]
    next(u for u in users if u["login"] == "grace-hopper").update(login="grace-h", id=grace_id(config))
    users.append({"login": "grace-hopper", "id": 6660666, "name": "Someone New"})
    run = sandbox.run(doctoring, config, AT)
    state, detail = states(run.report)["roster Grace Hopper"]
    assert state == "fail" and run.report.exit_code != 0
    assert f"their account (github_id {grace_id(config)}) was renamed to 'grace-h'" in detail
    assert "'grace-hopper' now belongs to another account (id 6660666)" in detail and 'set github = "grace-h"' in detail


def test_a_login_reclaimed_after_the_members_account_was_deleted_fails(sandbox: Sandbox, config: Config) -> None:
    users = sandbox.world["github"]["users"]
    next(u for u in users if u["login"] == "grace-hopper").update(id=6660666, name="Someone New")
    state, detail = states(sandbox.run(doctoring, config, AT).report)["roster Grace Hopper"]
    assert state == "fail"
    assert detail.startswith(f"'grace-hopper' now belongs to another account (id 6660666) and no account has "
                             f"github_id {grace_id(config)}: the login was re-claimed")
