"""The IAM inactivity audit: the rule on CSV fixtures, then through boto3 and slack_sdk in the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.errors import InputError
from oncall_lib.iam import audit as iam_audit
from oncall_lib.iam.inactivity import audit, parse_credential_report
from oncall_lib.report import Report
from oncall_lib.services import Services
from tests.conftest import Sandbox

AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Monday 11:00 in New York
OPS = "C02VSPOPS"
HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
          "cert_2_active,cert_2_last_rotated")


def days_ago(days: int) -> str:
    return (AT - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def row(user: str, created: str, password: str = "N/A", key1: str = "N/A", key2: str = "N/A") -> str:
    arn = f"arn:aws-us-gov:iam::123456789012:user/{user}"
    return (f"{user},{arn},{created},true,{password},N/A,N/A,false,true,N/A,{key1},N/A,N/A,"
            f"false,N/A,{key2},N/A,N/A,false,N/A,false,N/A")


REPORT = "\n".join([
    HEADER,
    row("<root_account>", days_ago(2000), password=days_ago(500)),
    row("Active.User", days_ago(400), password=days_ago(1), key1=days_ago(200)),
    row("Key.Two", days_ago(400), password=days_ago(300), key1=days_ago(150), key2=days_ago(80)),
    row("Never.Used", days_ago(91)),
    row("No.Information", days_ago(120), password="no_information", key1="not_supported"),
    row("Exactly.Limit", days_ago(900), password=days_ago(90)),
    row("Exactly.Warning", days_ago(900), key1=days_ago(75)),
    row("Just.Under", days_ago(900), key1=days_ago(74)),
    row("New.Account", days_ago(10)),
]) + "\n"


def test_the_rule_on_every_special_value() -> None:
    findings = {f.user: f for f in audit(parse_credential_report(REPORT), AT, limit_days=90, warning_days=75)}
    assert set(findings) == {"Key.Two", "Never.Used", "No.Information", "Exactly.Limit", "Exactly.Warning"}
    assert findings["Key.Two"].days_inactive == 80 and findings["Key.Two"].basis == "access key 2"
    assert findings["Key.Two"].status == "warning"
    assert findings["Never.Used"].basis == "never used (counted from creation)"
    assert findings["Never.Used"].status == "over_limit"
    assert findings["No.Information"].days_inactive == 120  # no_information and not_supported are no dates
    assert findings["Exactly.Limit"].status == "over_limit" and findings["Exactly.Limit"].basis == "console password"
    assert findings["Exactly.Warning"].status == "warning"
    assert "<root_account>" not in findings


def test_most_inactive_first() -> None:
    users = [f.user for f in audit(parse_credential_report(REPORT), AT, limit_days=90, warning_days=75)]
    assert users == ["No.Information", "Never.Used", "Exactly.Limit", "Key.Two", "Exactly.Warning"]


def test_a_file_that_is_not_a_credential_report() -> None:
    with pytest.raises(InputError, match="report.csv: not an IAM credential report .missing column.s. user_creation"):
        parse_credential_report("user,arn\nx,y\n", source="report.csv")


def test_an_unreadable_creation_time_names_the_line() -> None:
    text = REPORT.replace(days_ago(91), "yesterday-ish")
    with pytest.raises(InputError, match=r"report.csv:5: user 'Never.Used' has no readable user_creation_time"):
        parse_credential_report(text, source="report.csv")


def auditing(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return iam_audit.run(services, config, at, dry_run=dry_run)


def posts(sandbox: Sandbox, event: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.channel(OPS)["messages"] if (m.get("metadata") or {}).get("event_type") == event]


def test_through_boto3_one_message_a_day_with_owners_in_the_thread(sandbox: Sandbox, config: Config) -> None:
    first = sandbox.run(auditing, config, AT).report
    assert first.exit_code == 0, first.to_text()
    findings = {f["user"]: f for f in first.extra["findings"]}
    assert set(findings) == {"Alan.Turing", "Bob.Smith", "Contractor.Build"}
    assert findings["Bob.Smith"]["status"] == "over_limit" and findings["Bob.Smith"]["days_inactive"] == 95
    assert findings["Alan.Turing"]["status"] == "warning"
    assert findings["Contractor.Build"]["basis"] == "never used (counted from creation)"
    # Owners: the roster's AWS username, the Terraform owner tag, [iam.owners].
    assert findings["Alan.Turing"]["owner"] == "<@U0ALAN>"
    assert findings["Bob.Smith"]["owner"] == "<@U0KATH>"
    assert findings["Contractor.Build"]["owner"] == "<@U0ALAN>"
    assert first.api_calls["iam"]["reads"] == 3  # generate (STARTED), generate (COMPLETE), get
    [parent] = posts(sandbox, iam_audit.AUDIT_EVENT)
    [detail] = posts(sandbox, iam_audit.DETAIL_EVENT)
    assert detail["thread_ts"] == parent["ts"]
    assert "`Bob.Smith`: 95 days inactive" in detail["text"] and "owner <@U0KATH>" in detail["text"]

    again = sandbox.run(auditing, config, AT + timedelta(hours=2)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0
    tomorrow = sandbox.run(auditing, config, AT + timedelta(days=1)).report
    assert [o.action.detail for o in tomorrow.outcomes][0].startswith("today's IAM audit")


def test_a_thread_reply_that_failed_is_posted_alone_next_time(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(auditing, config, AT)
    ops = sandbox.channel(OPS)
    ops["messages"] = [m for m in ops["messages"]
                       if (m.get("metadata") or {}).get("event_type") != iam_audit.DETAIL_EVENT]
    report = sandbox.run(auditing, config, AT + timedelta(minutes=30)).report
    assert [o.action.detail for o in report.outcomes] == ["each user, days inactive and owner"]
    assert len(posts(sandbox, iam_audit.AUDIT_EVENT)) == 1 and len(posts(sandbox, iam_audit.DETAIL_EVENT)) == 1


def test_no_findings_posts_nothing(sandbox: Sandbox, config: Config) -> None:
    for user in sandbox.world["iam"]["users"]:
        user.update(password_last_used_days_ago=1, user_creation_time_days_ago=30)
    report = sandbox.run(auditing, config, AT).report
    assert report.extra["findings"] == [] and report.outcomes == [] and posts(sandbox, iam_audit.AUDIT_EVENT) == []


def test_missing_permissions_are_named(sandbox: Sandbox, config: Config) -> None:
    sandbox.world["iam"]["denied_actions"] = ["GenerateCredentialReport"]
    report = sandbox.run(auditing, config, AT).report
    assert report.exit_code == 1
    assert report.errors == ["IAM generate_credential_report: AccessDenied: User is not authorized to perform: "
                             "iam:GenerateCredentialReport (the role needs iam:GenerateCredentialReport and "
                             "iam:GetCredentialReport)"]


@pytest.mark.parametrize(("utc_hour", "runs"), [(15, True), (16, False)])  # winter: 11:00 EST is 16:00 UTC
def test_the_schedule_acts_only_at_eleven_new_york_time(sandbox: Sandbox, config: Config, utc_hour: int,
                                                        runs: bool) -> None:
    at = datetime(2026, 11, 30, utc_hour, 5, tzinfo=UTC)
    report = sandbox.run(lambda s, c, t, d: iam_audit.run(s, c, t, dry_run=d, only_at_hour=10), config, at).report
    assert (report.api_calls != {}) is runs
    summer = datetime(2026, 7, 13, 15, 5, tzinfo=UTC)  # 11:05 EDT
    assert sandbox.run(lambda s, c, t, d: iam_audit.run(s, c, t, dry_run=d, only_at_hour=11), config,
                       summer).report.facts.get("skipped") is None


def test_an_exported_csv_needs_no_aws(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    report = tmp_path / "credential-report.csv"
    report.write_text(REPORT)
    result = subprocess.run([sys.executable, str(root / "scripts" / "iam_audit.py"), "--credential-report",
                             str(report), "--json", "--at", "2026-11-30T11:00", "--sandbox",
                             str(tmp_path / "world.json"), "--dry-run"], capture_output=True, text=True, cwd=root,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "no such world file" in result.stderr  # a world file must exist
    (tmp_path / "world.json").write_text((root / "oncall_lib/sandbox/worlds/example.json").read_text())
    result = subprocess.run([sys.executable, str(root / "scripts" / "iam_audit.py"), "--credential-report",
                             str(report), "--json", "--at", "2026-11-30T11:00", "--sandbox",
                             str(tmp_path / "world.json"), "--dry-run"], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [f["user"] for f in out["findings"]] == ["No.Information", "Never.Used", "Exactly.Limit", "Key.Two",
                                                     "Exactly.Warning"]
    assert "iam" not in out["api_calls"]


@pytest.mark.parametrize(("world_iam", "reads"), [
    ({"builds_for": 2}, 5),  # STARTED, INPROGRESS x2, COMPLETE, get
    ({"in_progress_fetches": 1}, 5),  # COMPLETE... but the fetch finds a newer report being built: wait, refetch
])
def test_a_report_still_being_built_is_waited_for(sandbox: Sandbox, config: Config, world_iam: dict[str, Any],
                                                  reads: int) -> None:
    sandbox.world["iam"].update(world_iam)
    report = sandbox.run(auditing, config, AT).report
    assert report.exit_code == 0, report.to_text()
    assert {f["user"] for f in report.extra["findings"]} == {"Alan.Turing", "Bob.Smith", "Contractor.Build"}
    assert report.api_calls["iam"]["reads"] == reads


# -- quiet unless useful: the hour is the setting's, the owners are told what 90 days means, the post can be off --


def with_iam(config: Config, **changes: Any) -> Config:
    assert config.iam is not None
    return config.model_copy(update={"iam": config.iam.model_copy(update=changes)})


def in_zone(config: Config, zone: str) -> Config:
    return config.model_copy(update={"team": config.team.model_copy(update={"time_zone": zone})})


def scheduled(schedule: list[str] | None = None) -> Any:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return iam_audit.run(services, config, at, dry_run=dry_run, at_audit_hour=True, schedule=schedule)
    return job


def test_owners_who_keep_an_account_are_told_it_may_be_disabled_at_the_limit(sandbox: Sandbox,
                                                                            config: Config) -> None:
    sandbox.run(auditing, config, AT)
    [parent] = posts(sandbox, iam_audit.AUDIT_EVENT)
    assert ("An account you keep could be disabled if its activity is not reset before the 90-day mark"
            in parent["text"])


def test_the_schedule_acts_at_the_configured_hour_in_the_teams_zone(sandbox: Sandbox, config: Config) -> None:
    """audit_hour = 14 in Berlin, with the cron line the job asks for: it acts at 14:xx Berlin time, and in no
    other run; Saturday's run does nothing."""
    berlin = with_iam(in_zone(config, "Europe/Berlin"), audit_hour=14)
    schedule = ["7 12,13 * * 1-5"]
    at_two = datetime(2026, 11, 30, 13, 7, tzinfo=UTC)  # Monday 14:07 CET
    report = sandbox.run(scheduled(schedule), berlin, at_two).report
    assert report.exit_code == 0 and "skipped" not in report.facts, report.to_text()
    assert len(posts(sandbox, iam_audit.AUDIT_EVENT)) == 1
    noon = sandbox.run(scheduled(schedule), berlin, datetime(2026, 11, 30, 12, 7, tzinfo=UTC)).report
    assert noon.facts["skipped"] == "it is 13:07 CET, not 14:00 in Europe/Berlin" and noon.api_calls == {}
    summer = sandbox.run(scheduled(schedule), berlin, datetime(2026, 7, 13, 12, 7, tzinfo=UTC)).report
    assert "skipped" not in summer.facts  # 14:07 CEST: the other candidate hour
    saturday = sandbox.run(scheduled(["7 12,13 * * *"]), berlin, datetime(2026, 12, 5, 13, 7, tzinfo=UTC)).report
    assert saturday.facts["skipped"] == "it is Saturday in Europe/Berlin: the audit runs on weekdays"


def test_a_schedule_that_cannot_reach_the_hour_fails_and_names_the_line_to_write(sandbox: Sandbox,
                                                                                config: Config) -> None:
    """audit_hour changed, the cron lines not: no audit would ever run, so every scheduled run fails, loudly."""
    berlin = with_iam(in_zone(config, "Europe/Berlin"), audit_hour=14)
    report = sandbox.run(scheduled(["7 15,16 * * 1-5"]), berlin, datetime(2026, 11, 30, 15, 7, tzinfo=UTC)).report
    assert report.exit_code == 1 and report.api_calls == {}
    assert report.errors[0].startswith("iam-audit.yml's schedule (7 15,16 * * 1-5, UTC) does not start a run at "
                                       "14:00 in Europe/Berlin on weekdays")
    assert report.errors[0].endswith('set its cron line to "7 12,13 * * 1-5"')


def test_the_repositorys_schedule_reaches_the_repositorys_audit_hour() -> None:
    from oncall_lib.config import load_config
    from oncall_lib.iam.schedule import missed_days, workflow_schedule

    config = load_config(Path(__file__).resolve().parent.parent / "oncall.toml")
    assert config.iam is not None
    lines = workflow_schedule()
    assert lines and missed_days(lines, config.iam.audit_hour, config.team.tz, datetime(2026, 12, 7).date()) == []


def test_with_the_teams_own_audit_posting_the_product_posts_nothing(sandbox: Sandbox, config: Config) -> None:
    quiet = with_iam(config, post_audit=False, audit_poster="B0IAMLAMBDA")
    report = sandbox.run(auditing, quiet, AT).report
    assert report.exit_code == 0, report.to_text()
    assert len(report.extra["findings"]) == 3  # still audited (and logged), just not posted
    assert report.facts["posted"] == "nothing: post_audit = false (the team's own audit posts)"
    assert posts(sandbox, iam_audit.AUDIT_EVENT) == [] and posts(sandbox, iam_audit.DETAIL_EVENT) == []
    assert report.api_calls.get("slack", {}).get("writes", 0) == 0


def test_the_doctor_says_when_the_schedule_cannot_reach_the_audit_hour(sandbox: Sandbox, config: Config) -> None:
    from oncall_lib.setup import doctor

    def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return doctor.run(s, c, at, dry_run=d)

    ok = sandbox.run(doctoring, config, AT).report
    [line] = [c for c in ok.extra["checks"] if c["check"] == "iam schedule"]
    assert line["ok"] and line["detail"] == ("iam-audit.yml starts a run at 11:00 America/New_York on every "
                                             "weekday")
    berlin = with_iam(in_zone(config, "Europe/Berlin"), audit_hour=14)
    report = sandbox.run(doctoring, berlin, AT).report
    [line] = [c for c in report.extra["checks"] if c["check"] == "iam schedule"]
    assert not line["ok"] and line["detail"].endswith('set its cron line to "7 12,13 * * 1-5"')
