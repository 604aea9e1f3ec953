"""The scripts as a person (or a workflow) runs them: flags, output, exit codes, files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oncall_lib.sandbox.world import EXAMPLE_WORLD

ROOT = Path(__file__).resolve().parent.parent
AT = "2026-11-24T10:00"  # a Tuesday, New York time: Grace Hopper is on support


def script(name: str, *args: str, env: dict[str, str] | None = None,
           cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], capture_output=True, text=True,
                          env={**clean, **(env or {})}, cwd=cwd, timeout=120)


@pytest.fixture
def world_file(tmp_path: Path) -> Path:
    path = tmp_path / "world.json"
    shutil.copyfile(EXAMPLE_WORLD, path)
    return path


def test_apply_twice_on_one_world_file_writes_nothing_the_second_time(world_file: Path) -> None:
    world = json.loads(world_file.read_text())
    for issue in (i for r in world["github"]["repos"] for i in r.get("issues", []) if i["number"] in (1954, 3675)):
        issue["assignees"].append("ada-lovelace")  # the outgoing person, assigned for her turn
    world_file.write_text(json.dumps(world))
    first = script("rotate_assignees.py", "--sandbox", str(world_file), "--apply", "--json", "--at", AT)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)  # stdout is one JSON object and nothing else
    assert report["job"] == "rotate-assignees" and report["dry_run"] is False
    assert {a["status"] for a in report["actions"]} == {"applied"}
    assert {a["kind"] for a in report["actions"]} == {"github.assign", "github.unassign", "slack.set_topic",
                                                        "slack.post", "sheet.add_worksheet", "sheet.append"}
    assert report["api_calls"]["github"]["writes"] == 4
    assert set(report["actions"][0]) == {"kind", "target", "status", "detail"}

    second = json.loads(script("rotate_assignees.py", "--sandbox", str(world_file), "--apply", "--json",
                               "--at", AT).stdout)
    assert second["actions"] == []
    assert all(counts["writes"] == 0 for counts in second["api_calls"].values())
    assert sum(c["reads"] for c in second["api_calls"].values()) <= 8


def test_dry_run_is_the_default_and_leaves_the_world_file_alone(world_file: Path) -> None:
    before = world_file.read_bytes()
    result = script("rotate_assignees.py", "--sandbox", str(world_file), "--at", AT)
    assert result.returncode == 0, result.stderr
    assert "dry run (nothing written)" in result.stdout
    assert "[planned] github.assign" in result.stdout
    assert world_file.read_bytes() == before


def test_in_github_actions_the_report_goes_to_the_job_summary(world_file: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = script("rotate_assignees.py", "--sandbox", str(world_file), "--dry-run", "--at", AT,
                    env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stderr
    text = summary.read_text()
    assert text.startswith("### rotate-assignees: dry run")
    assert "| planned | github.assign | department-of-veterans-affairs/va.gov-team#1954 |" in text


def test_warnings_become_annotations_in_actions(world_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "oncall.toml"
    text = (ROOT / "oncall.toml").read_text()
    config.write_text(text.replace('github = "grace-hopper"\n', ""))
    result = script("rotate_assignees.py", "--config", str(config), "--sandbox", str(world_file), "--at", AT,
                    "--json", env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 0
    json.loads(result.stdout)
    assert "::warning::Grace Hopper has no github login in the roster" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--at", "next tuesday"], "error: --at 'next tuesday': not an ISO 8601 time"),
    (["--sandbox-faults", "2"], "error: --sandbox-faults 2.0: give a share between 0 and 1"),
])
def test_bad_flags_get_one_line_and_exit_2(world_file: Path, args: list[str], message: str) -> None:
    before = world_file.read_bytes()
    result = script("rotate_assignees.py", "--sandbox", str(world_file), "--apply", *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr
    assert world_file.read_bytes() == before


def test_a_bad_config_lists_every_problem_and_writes_nothing(world_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "oncall.toml"
    config.write_text((ROOT / "oncall.toml").read_text().replace('"C01SUPPORT"', '"support"')
                      .replace("handoff_hour = 9", "handoff_hour = 99"))
    before = world_file.read_bytes()
    result = script("rotate_assignees.py", "--config", str(config), "--sandbox", str(world_file), "--apply")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"error: {config}:") for line in lines)
    assert world_file.read_bytes() == before

    checked = script("check_config.py", "--config", str(config))
    assert checked.returncode == 2 and checked.stderr == result.stderr
    assert script("check_config.py").stdout.startswith("oncall.toml: ok (5 people, 2 Super Epics, 6 channels)")


def test_a_job_whose_table_is_missing_names_the_file_and_the_table(world_file: Path, tmp_path: Path) -> None:
    text = (ROOT / "oncall.toml").read_text()
    config = tmp_path / "team.toml"
    config.write_text(text[:text.index("[deploys]")] + text[text.index("[offboarding]"):])
    before = world_file.read_bytes()
    result = script("deploy_watch.py", "--config", str(config), "--sandbox", str(world_file), "--apply")
    assert result.returncode == 2
    # The duty is off: one line saying so and how to turn it on.
    assert result.stderr.strip() == (f"error: failed deploys is off: {config} has no [deploys] table (add it to "
                                     "turn the duty on; see docs/duties/deploys.md)")
    assert world_file.read_bytes() == before


@pytest.mark.parametrize("command", [["offboard.py"], ["access.py"], ["postmortems.py", "label"],
                                     ["support_issue.py", "from-issue"]])
def test_issue_numbers_are_checked_before_any_call(world_file: Path, command: list[str]) -> None:
    before = world_file.read_bytes()
    result = script(*command, "--sandbox", str(world_file), "--apply", env={"ISSUE_NUMBER": "-5"})
    assert result.returncode == 2
    assert result.stderr.strip().endswith("error: argument --number: '-5' is not an issue number")
    assert world_file.read_bytes() == before


def test_a_broken_world_file_is_named_with_its_line(tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    world.write_text('{\n "pagerduty": {\n  "users": [,]\n }\n}\n')
    result = script("rotate_assignees.py", "--sandbox", str(world), "--apply")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {world}:3: not valid JSON: Expecting value"
    assert world.read_text() == '{\n "pagerduty": {\n  "users": [,]\n }\n}\n'


def test_without_secrets_a_real_run_names_the_missing_variable(tmp_path: Path) -> None:
    env = {k: "" for k in ("ONCALL_GITHUB_TOKEN", "SLACK_BOT_TOKEN", "PAGERDUTY_API_TOKEN")}
    result = script("rotate_assignees.py", "--at", AT, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: environment variable PAGERDUTY_API_TOKEN is not set")


def test_the_default_sandbox_world_is_created_on_first_use(tmp_path: Path) -> None:
    shutil.copyfile(ROOT / "oncall.toml", tmp_path / "oncall.toml")
    result = script("rotate_assignees.py", "--sandbox", "--apply", "--at", AT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / ".oncall-sandbox" / "world.json").read_text())
    assert "grace-hopper" in saved["github"]["repos"][0]["issues"][0]["assignees"]
    reset = script("rotate_assignees.py", "--sandbox", "--reset-sandbox", "--at", AT, cwd=tmp_path)
    assert "[planned] github.assign" in reset.stdout


def test_help_describes_the_job() -> None:
    result = script("rotate_assignees.py", "--help")
    assert result.returncode == 0
    assert "Weekly handoff" in result.stdout and "--sandbox" in result.stdout and "--at ISO_TIME" in result.stdout
