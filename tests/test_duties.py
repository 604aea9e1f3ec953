"""Duties a team adopts one at a time: a config with only some of them passes every check and every scheduled
workflow with only the credentials those duties need."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oncall_lib.config import parse_config
from oncall_lib.duties import CREDENTIALS, DUTIES, duty, systems_needed
from oncall_lib.duty import resolve
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.sandbox.world import EXAMPLE_WORLD
from oncall_lib.services import Services
from oncall_lib.setup import doctor
from tests import runner
from tests.runner import Event, run_workflow

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(2026, 11, 30, 15, 7, tzinfo=UTC)  # Monday 10:07 in New York: the handoff's hour

# The handoff alone, as the README's adoption path starts: [team], [rotation], [[super_epics]], [slack] with the
# support channel, [[roster]].
HANDOFF_ONLY = """\
[team]
name = "Platform Operations"
time_zone = "America/New_York"

[rotation]
pagerduty_schedule = "PSUPPRT"
support_layer = "Layer 2"

[[super_epics]]
key = "incident-response"
issue = "department-of-veterans-affairs/va.gov-team#1954"

[[super_epics]]
key = "customer-support"
issue = "department-of-veterans-affairs/va.gov-team#3675"

[slack]
support_channel = "C01SUPPORT"
operations_channel = "operations"

[[slack.channels]]
key = "operations"
id = "C02VSPOPS"
name = "vsp-operations"

[[slack.channels]]
key = "deploys"
id = "C04DEPLOYS"
name = "devops-deploys"
""" + "".join(f"""
[[roster]]
name = "{name}"
github = "{login}"
slack = "{slack}"
pagerduty_email = "{email}"
""" for name, login, slack, email in (
    ("Ada Lovelace", "ada-lovelace", "U0ADA", "ada.lovelace@example.gov"),
    ("Grace Hopper", "grace-hopper", "U0GRACE", "grace.hopper@example.gov"),
    ("Alan Turing", "alan-turing", "U0ALAN", "alan.turing@example.gov"),
    ("Katherine Johnson", "katherine-johnson", "U0KATH", "katherine.johnson@example.gov"),
))

_HEADER = re.compile(r"^\[\[?([A-Za-z_.]+)\]\]?\s*$")


def tables_of_example(*names: str) -> str:
    """The sections of the bundled oncall.toml whose table is one of `names` (sub-tables included)."""
    out, keep = [], False
    for line in (ROOT / "oncall.toml").read_text().splitlines():
        header = _HEADER.match(line)
        if header:
            keep = header[1].split(".")[0] in names
        if keep:
            out.append(line)
    return "\n".join(out) + "\n"


# Each duty alone: the handoff plus the duty's table(s) and the tables it requires, from the bundled example.
ALONE = {
    "handoff": "",
    "requests": tables_of_example("requests") + '\n[[slack.channels]]\nkey = "support-watch"\nid = "C06ONCALL"\n'
                                                'name = "oncall"\nwatch = true\nurgent = true\n',
    "support_issues": tables_of_example("support_issues"),
    "postmortems": tables_of_example("postmortems", "support_issues"),
    "iam": tables_of_example("iam"),
    "access": tables_of_example("access", "support_issues"),
    "offboarding": tables_of_example("offboarding", "iam", "support_issues"),
    "tracking": tables_of_example("tracking"),
    "reviews": tables_of_example("reviews"),
    "deploys": tables_of_example("deploys"),
    "covers": "[covers]\n" + tables_of_example("support_issues"),
}
# Answers come with the watch that gives them.
ALONE["answers"] = ALONE["requests"] + "\n[answers]\n"


def write_config(tmp_path: Path, key: str) -> Path:
    path = tmp_path / f"oncall-{key}.toml"
    path.write_text(HANDOFF_ONLY + "\n" + ALONE[key])
    if key == "answers":  # the answers file lives beside oncall.toml
        (tmp_path / "answers.toml").write_text((ROOT / "answers.toml").read_text())
    return path


def secrets_for(config_path: Path) -> dict[str, str]:
    """Only the secrets the enabled duties' systems need, as the declarations say."""
    config = parse_config(config_path.read_text(), config_path)
    names = {v for system in systems_needed(config) for option in CREDENTIALS[system].options[:1] for v in option}
    return {k: v for k, v in runner.SECRETS.items() if k in names}


def test_every_duty_is_alone_in_the_tests_and_every_entry_point_resolves() -> None:
    assert set(ALONE) == {d.key for d in DUTIES}
    for each in DUTIES:
        if each.checks:
            assert callable(resolve(each.checks)), each.key
        if each.runs.tick:
            assert callable(each.tick_job()), each.key
        for script in each.scripts:
            assert (ROOT / "scripts" / script).exists(), script
        for workflow in (*each.runs.schedules, *each.runs.events, *each.runs.buttons):
            assert (runner.WORKFLOWS / workflow).exists(), workflow


@pytest.mark.parametrize("key", sorted(ALONE))
def test_each_duty_alone_is_a_valid_config_with_exactly_that_duty_on(tmp_path: Path, key: str) -> None:
    path = write_config(tmp_path, key)
    done = subprocess.run([sys.executable, "scripts/check_config.py", "--config", str(path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    on = done.stdout.split("duties on", 1)[1].split("duties off", 1)[0]
    # A duty comes with the tables it requires, and so with their duties.
    expected = {"handoff", key, *{"postmortems": ["support_issues"], "access": ["support_issues"],
                                     "offboarding": ["iam", "support_issues"], "covers": ["support_issues"],
                                     "answers": ["requests"]}.get(key, [])}
    assert {d.key for d in DUTIES if f"{d.title}: needs" in on} == expected, done.stdout


def test_a_duty_on_without_a_table_it_requires_is_named(tmp_path: Path) -> None:
    path = tmp_path / "oncall.toml"
    path.write_text(HANDOFF_ONLY + tables_of_example("postmortems"))
    done = subprocess.run([sys.executable, "scripts/check_config.py", "--config", str(path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert ("postmortem action items is on but still needs [support_issues] (postmortem items live in the "
            "support repository)") in done.stderr


def test_a_job_whose_duty_is_off_says_so_and_exits_0_when_github_started_it_2_by_hand(tmp_path: Path) -> None:
    path = write_config(tmp_path, "handoff")
    command = [sys.executable, "scripts/deploy_watch.py", "--config", str(path), "--sandbox",
               str(tmp_path / "world.json")]
    by_hand = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert by_hand.returncode == 2
    assert by_hand.stderr.strip().splitlines() == [
        f"error: failed deploys is off: {path} has no [deploys] table (add it to turn the duty on; see "
        "docs/duties/deploys.md)"]
    env = {"PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "schedule"}
    scheduled = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert scheduled.returncode == 0 and scheduled.stderr.startswith("notice: failed deploys is off")


def scheduled_events() -> list[tuple[str, str]]:
    return [(path.name, line) for path in sorted(runner.WORKFLOWS.glob("*.yml"))
            for line in runner.schedules(runner.load(path))]


def world_file(tmp_path: Path) -> Path:
    path = tmp_path / "world.json"
    path.write_text(EXAMPLE_WORLD.read_text())
    return path


def test_handoff_only_every_scheduled_workflow_exits_0_doing_only_the_handoff(tmp_path: Path) -> None:
    config = write_config(tmp_path, "handoff")
    secrets = secrets_for(config)
    assert set(secrets) == {"ONCALL_GITHUB_APP_ID", "ONCALL_GITHUB_APP_PRIVATE_KEY", "SLACK_BOT_TOKEN",
                            "PAGERDUTY_API_TOKEN"}
    world = world_file(tmp_path)
    example = json.loads(world.read_text())
    epic = next(i for r in example["github"]["repos"] for i in r["issues"] if i["number"] == 1954)
    epic["assignees"].append("grace-hopper")  # assigned for her turn, which has just ended
    world.write_text(json.dumps(example))
    ran = []
    for workflow, line in scheduled_events():
        run = run_workflow(runner.WORKFLOWS / workflow, Event("schedule", {"schedule": line}), world=world,
                           workdir=tmp_path, at=AT.isoformat(), secrets=secrets, config=config)
        assert run.ok, run.explain()
        ran += [(workflow, step.step, step.stdout) for step in run.steps]
    handoffs = [out for workflow, _, out in ran if workflow == "tick.yml" and "== The weekly handoff" in out]
    assert len(handoffs) == 1  # the hourly line only
    # Nothing but the handoff, and the dead man's switch every tick keeps.
    assert all("==" not in out.replace("== The weekly handoff", "").replace("== The dead man's switch", "")
               for _, _, out in ran), ran
    saved = json.loads(world.read_text())
    epic = next(i for r in saved["github"]["repos"] for i in r["issues"] if i["number"] == 1954)
    logins = [a["login"] if isinstance(a, dict) else a for a in epic["assignees"]]
    # The person on support assigned, the outgoing one unassigned; everyone else on the epic left alone.
    assert "alan-turing" in logins and "grace-hopper" not in logins
    assert "katherine-johnson" in logins and "margaret-hamilton" in logins


@pytest.mark.parametrize("key", [d.key for d in DUTIES if d.key != "handoff"])
def test_each_duty_alone_runs_its_scheduled_workflows_with_only_its_secrets(tmp_path: Path, key: str) -> None:
    config = write_config(tmp_path, key)
    secrets = secrets_for(config)
    world = world_file(tmp_path)
    mine = set(duty(key).runs.schedules) | ({"tick.yml"} if duty(key).runs.tick else set())
    for workflow, line in scheduled_events():
        if workflow not in mine:
            continue
        run = run_workflow(runner.WORKFLOWS / workflow, Event("schedule", {"schedule": line}), world=world,
                           workdir=tmp_path, at=AT.isoformat(), secrets=secrets, config=config)
        assert run.ok, run.explain()


def test_the_doctor_checks_only_what_the_enabled_duties_need(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, "handoff")
    config = parse_config(config_path.read_text(), config_path)
    with SandboxServer(json.loads(EXAMPLE_WORLD.read_text()), clock=lambda: AT) as server:
        everything = Services(sandbox_endpoints(server, required_env=secrets_for(config_path)))
        checks = doctor.examine(everything, config, AT)
        assert [c.line() for c in checks if not c.ok] == []
        names = {c.name for c in checks}
        assert not {"google sheet", "aws iam"} & names and not any(n.startswith("epic ") for n in names)
        assert "slack channel operations" in names  # not watched, but the handoff posts its team message there
        bare = Services(sandbox_endpoints(server, required_env={}))
        lines = [c.line() for c in doctor.examine(bare, config, AT) if not c.ok]
    # Without credentials: one line per missing system, naming who needs it and how to get it.
    assert len(lines) == 3, lines
    assert lines[0].startswith("FAIL PagerDuty credentials: PAGERDUTY_API_TOKEN not set; needed by the weekly "
                               "handoff; to get it: PagerDuty > Integrations")


def test_the_doctor_names_every_duty_that_needs_a_missing_credential(tmp_path: Path) -> None:
    config = parse_config((ROOT / "oncall.toml").read_text(), ROOT / "oncall.toml")
    with SandboxServer(json.loads(EXAMPLE_WORLD.read_text()), clock=lambda: AT) as server:
        lines = [c.line() for c in doctor.examine(Services(sandbox_endpoints(server, required_env={})), config, AT)
                 if not c.ok]
    github = next(line for line in lines if line.startswith("FAIL GitHub credentials"))
    assert "the weekly handoff, support issues, postmortem action items" in github
    assert len(lines) == 4, lines  # GitHub, Slack, PagerDuty, Google: AWS is found by the SDK, checked by its duty
