"""It knows when it has stopped: the dead man's switch in Slack, and the doctor's reading of the workflows' states."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.plan import Status
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.setup import doctor, heartbeat
from tests import runner
from tests.conftest import Sandbox
from tests.test_workflows import prepared_world

TICK = datetime(2026, 11, 30, 15, 7, tzinfo=UTC)  # Monday 10:07 in New York
OPERATIONS = "C02VSPOPS"


def beat(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return heartbeat.run(s, c, at, dry_run=d)


def pending(sandbox: Sandbox) -> list[dict[str, Any]]:
    return list(sandbox.channel(OPERATIONS).get("scheduled", []))


def alarms_posted(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [m for m in sandbox.channel(OPERATIONS)["messages"] if m["text"].startswith(heartbeat.OPENING)]


def test_each_tick_keeps_exactly_one_alarm_three_hours_ahead(sandbox: Sandbox, config: Config) -> None:
    ticks = [TICK + timedelta(minutes=15) * n for n in range(6)]
    for at in ticks:
        run = sandbox.run(beat, config, at)
        assert run.report.exit_code == 0, run.report.to_text()
        assert len(pending(sandbox)) == 1
        assert pending(sandbox)[0]["post_at"] == int((at + timedelta(hours=3)).timestamp())
    # Every later tick scheduled the new one before deleting the old one.
    assert [o.action.kind for o in run.report.outcomes] == ["slack.schedule", "slack.delete_scheduled"]
    text = pending(sandbox)[0]["text"]
    assert text.startswith(f"{heartbeat.OPENING} Mon 30 Nov 11:22 (EST)")
    assert "https://github.com/department-of-veterans-affairs/oncall-support/actions" in text
    assert "the Doctor workflow" in text and "cron line" in text
    assert alarms_posted(sandbox) == []


def test_a_second_run_at_the_same_time_changes_nothing(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(beat, config, TICK)
    before = json.dumps(sandbox.world)
    again = sandbox.run(beat, config, TICK)
    assert again.report.outcomes == [] and again.server_counts["slack"]["writes"] == 0
    assert json.dumps(sandbox.world) == before


def test_a_dry_run_plans_and_writes_nothing(sandbox: Sandbox, config: Config) -> None:
    run = sandbox.run(beat, config, TICK, dry_run=True)
    assert [o.status for o in run.report.outcomes] == [Status.PLANNED]
    assert pending(sandbox) == [] and run.server_counts["slack"]["writes"] == 0


def test_when_the_ticks_stop_slack_posts_the_alarm(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(beat, config, TICK)
    sandbox.run(beat, config, TICK + timedelta(minutes=15))
    # No tick for 2 h 59 min after the last one: still pending, nothing posted.
    sandbox.run(doctoring_nothing, config, TICK + timedelta(minutes=15, hours=2, seconds=3599))
    assert alarms_posted(sandbox) == [] and len(pending(sandbox)) == 1
    # Three hours after the last tick, Slack posts it (the world's next reader sees it in the channel).
    sandbox.run(doctoring_nothing, config, TICK + timedelta(minutes=15, hours=3))
    posted = alarms_posted(sandbox)
    assert len(posted) == 1 and pending(sandbox) == []
    assert posted[0]["text"].startswith(f"{heartbeat.OPENING} Mon 30 Nov 10:22 (EST)")
    assert float(posted[0]["ts"]) == (TICK + timedelta(minutes=15, hours=3)).timestamp()
    assert posted[0]["bot_id"]
    # The next tick schedules a fresh alarm; the posted one cannot be deleted and is not counted as pending.
    run = sandbox.run(beat, config, TICK + timedelta(hours=4))
    assert [o.action.kind for o in run.report.outcomes] == ["slack.schedule"]
    assert len(pending(sandbox)) == 1


def doctoring_nothing(s: Services, c: Config, at: datetime, d: bool) -> Report:
    """Any Slack call at a later time: what a person reading the channel would do."""
    s.slack.history(OPERATIONS, oldest=0)
    return Report("read", dry_run=True, at=at)


def test_the_alarm_goes_to_the_configured_channel_or_the_support_channel(sandbox: Sandbox, config: Config) -> None:
    chosen = config.model_copy(update={"automation": config.automation.model_copy(
        update={"heartbeat_channel": "oncall"})})
    sandbox.run(beat, chosen, TICK)
    assert len(sandbox.channel("C06ONCALL").get("scheduled", [])) == 1
    no_ops = config.model_copy(update={"slack": config.slack.model_copy(update={"operations_channel": None})})
    sandbox.run(beat, no_ops, TICK)
    assert len(sandbox.channel("C01SUPPORT").get("scheduled", [])) == 1


def test_turned_off_the_switch_removes_its_pending_alarm(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(beat, config, TICK)
    off = config.model_copy(update={"automation": config.automation.model_copy(update={"heartbeat_hours": 0})})
    run = sandbox.run(beat, off, TICK + timedelta(minutes=15))
    assert [o.action.kind for o in run.report.outcomes] == ["slack.delete_scheduled"]
    assert pending(sandbox) == []


def test_other_scheduled_messages_of_the_app_are_left_alone(sandbox: Sandbox, config: Config) -> None:
    later = int((TICK + timedelta(days=2)).timestamp())
    sandbox.channel(OPERATIONS)["scheduled"] = [{"id": "Q0TEAMPOST1", "post_at": later, "text": "Retro at 3pm",
                                                 "date_created": int(TICK.timestamp()) - 60}]
    sandbox.run(beat, config, TICK)
    sandbox.run(beat, config, TICK + timedelta(minutes=15))
    assert sorted(m["text"][:12] for m in pending(sandbox)) == [heartbeat.OPENING[:12], "Retro at 3pm"]


@pytest.mark.parametrize(("post_at", "error"), [(-60, "time_in_past"), (121 * 86400, "time_too_far")])
def test_slacks_limits_on_post_at_are_the_fakes(sandbox: Sandbox, config: Config, post_at: int, error: str) -> None:
    def schedule(s: Services, c: Config, at: datetime, d: bool) -> Report:
        report = Report("schedule", dry_run=False, at=at)
        try:
            s.slack.schedule(OPERATIONS, "x", int(at.timestamp()) + post_at)
        except Exception as exc:  # noqa: BLE001 - the ServiceError under test
            report.errors.append(str(exc))
        return report

    run = sandbox.run(schedule, config, TICK)
    assert run.report.errors == [f"Slack chat.scheduleMessage {OPERATIONS}: {error}" + (
        " (Slack schedules at most 120 days ahead)" if error == "time_too_far" else "")]


def test_more_than_thirty_in_five_minutes_is_restricted(sandbox: Sandbox, config: Config) -> None:
    def burst(s: Services, c: Config, at: datetime, d: bool) -> Report:
        report = Report("burst", dry_run=False, at=at)
        for n in range(31):
            try:
                s.slack.schedule(OPERATIONS, f"message {n}", int(at.timestamp()) + 3600 + n)
            except Exception as exc:  # noqa: BLE001 - the ServiceError under test
                report.errors.append(str(exc))
        return report

    run = sandbox.run(burst, config, TICK)
    assert run.report.errors == [f"Slack chat.scheduleMessage {OPERATIONS}: restricted_too_many (more than 30 "
                                 "messages scheduled in five minutes for this channel)"]
    assert len(pending(sandbox)) == 30


# -- the doctor reads every workflow's state ------------------------------------------------------------------


def doctoring(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return doctor.run(s, c, at, dry_run=True)


def failures(report: Report) -> dict[str, str]:
    return {c["check"]: c["detail"] for c in report.extra["checks"] if not c["ok"]}


def product_workflows(sandbox: Sandbox) -> list[dict[str, Any]]:
    repo = next(r for r in sandbox.world["github"]["repos"]
                if r["full_name"] == "department-of-veterans-affairs/oncall-support")
    return list(repo["workflows"])


def test_the_doctor_says_every_workflow_is_active(sandbox: Sandbox, config: Config) -> None:
    run = sandbox.run(doctoring, config, TICK)
    checks = {c["check"]: c for c in run.report.extra["checks"]}
    assert checks["workflows"]["ok"]
    assert checks["workflows"]["detail"] == ("all 10 workflows in department-of-veterans-affairs/oncall-support "
                                             "are active")


def test_a_disabled_workflow_is_named_with_its_remedy_and_who_last_changed_it(sandbox: Sandbox,
                                                                           config: Config) -> None:
    states = {"tick.yml": "disabled_inactivity", "doctor.yml": "disabled_manually"}
    for workflow in product_workflows(sandbox):
        workflow["state"] = states.get(workflow["file"], "active")
    run = sandbox.run(doctoring, config, TICK)
    found = failures(run.report)
    assert run.report.exit_code == 1
    assert found["workflows"] == ("2 of 10 workflow(s) in department-of-veterans-affairs/oncall-support are not "
                                  "running: tick.yml (disabled_inactivity), doctor.yml (disabled_manually)")
    assert found["workflow tick.yml"] == (
        "Tick is disabled_inactivity: GitHub turned it off after 60 days without activity in a public repository: "
        "enable it (Actions tab > the workflow > Enable workflow, or `gh workflow enable tick.yml`); a commit now "
        "and then keeps it on; its file was last changed by grace-hopper (5d1f0c3, 2026-10-05): GitHub also stops "
        "a schedule when the person who last committed its cron line leaves the organisation, and a commit to the "
        "file by a current member starts it again")
    assert found["workflow doctor.yml"].startswith("Doctor is disabled_manually: someone turned it off: enable it")
    assert "last changed" not in found["workflow doctor.yml"]  # no commit in the world touched it
    assert all(counts["writes"] == 0 for counts in run.server_counts.values())


def test_without_the_products_repository_the_workflows_are_not_checked(sandbox: Sandbox, config: Config,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    unknown = config.model_copy(update={"automation": config.automation.model_copy(update={"repo": None})})
    checks = {c["check"]: c for c in sandbox.run(doctoring, unknown, TICK).report.extra["checks"]}
    assert checks["workflows"]["ok"] and checks["workflows"]["detail"].startswith("not checked: set [automation] repo")


# -- the script --------------------------------------------------------------------------------------------------


def test_the_script_applies_once_and_then_finds_nothing_to_do(tmp_path: Path) -> None:
    from tests.test_cli import script

    world = prepared_world(tmp_path)
    at = TICK.isoformat()
    first = script("heartbeat.py", "--sandbox", str(world), "--apply", "--json", "--at", at)
    assert first.returncode == 0, first.stderr
    assert [a["kind"] for a in json.loads(first.stdout)["actions"]] == ["slack.schedule"]
    second = script("heartbeat.py", "--sandbox", str(world), "--apply", "--json", "--at", at)
    report = json.loads(second.stdout)
    assert report["actions"] == [] and report["facts"]["alarms_pending_before"] == 1
    assert report["api_calls"] == {"slack": {"reads": 1, "writes": 0}}


def test_a_heartbeat_shorter_than_a_tick_is_refused_in_one_line(tmp_path: Path) -> None:
    from tests.test_cli import script

    config = tmp_path / "oncall.toml"
    text = (runner.ROOT / "oncall.toml").read_text()
    config.write_text(text.replace("heartbeat_hours = 3", "heartbeat_hours = 0.5"))
    result = script("heartbeat.py", "--config", str(config), "--sandbox", str(prepared_world(tmp_path)))
    assert result.returncode == 2
    assert "automation.heartbeat_hours" in result.stderr and "at least 1 hour" in result.stderr
    assert result.stderr.count("\n") == 1
