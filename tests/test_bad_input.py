"""Bad input is refused up front: exit 2, one line per problem naming it, nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import AT, ROOT, script

CONFIG = (ROOT / "oncall.toml").read_text()

BAD_CONFIGS = {
    "an unbalanced brace in the topic": ('topic_template = "Oncall support this week: {name} ({mention})"',
                                         'topic_template = "Oncall support: {name"', "rotation.topic_template"),
    "a template reaching into objects": ('topic_template = "Oncall support this week: {name} ({mention})"',
                                         'topic_template = "{mention.__class__}"', "rotation.topic_template"),
    "a repository that climbs out of its owner": ('repo = "department-of-veterans-affairs/va.gov-team"',
                                                  'repo = "department-of-veterans-affairs/.."', "support_issues.repo"),
    "logins differing only in case": ('github = "grace-hopper"', 'github = "Ada-Lovelace"', "roster github repeated"),
    "AWS names differing only in case": ('aws_username = "Grace.Hopper"', 'aws_username = "ada.lovelace"',
                                         "roster aws_username repeated"),
    "the same member twice under one name": ('name = "Margaret Hamilton"', 'name = "ada  lovelace"',
                                             "roster name repeated: ada  lovelace"),
    "a Terraform path outside the repository": ('file = "terraform/environments/global/iam_users.tf"',
                                                'file = "../../etc/passwd"', "iam.file"),
    "a documents path from the root": ('documents_path = "postmortems"', 'documents_path = "/postmortems"',
                                       "postmortems.documents_path"),
    "a SOCKS file with a backslash": ('socks_file = "ansible/global/config.yml"',
                                      'socks_file = "ansible\\\\config.yml"', "offboarding.socks_file"),
}


@pytest.fixture
def world_file(tmp_path: Path) -> Path:
    path = tmp_path / "world.json"
    shutil.copyfile(ROOT / "oncall_lib" / "sandbox" / "worlds" / "example.json", path)
    return path


def refused(result: object, world: Path, before: bytes) -> list[str]:
    assert result.returncode == 2, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert lines and all(line.startswith("error: ") for line in lines), lines
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr  # type: ignore[attr-defined]
    assert world.read_bytes() == before
    return lines


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_a_config_that_would_break_later_is_refused_now(tmp_path: Path, world_file: Path, case: str) -> None:
    old, new, named = BAD_CONFIGS[case]
    assert old in CONFIG
    config = tmp_path / "oncall.toml"
    config.write_text(CONFIG.replace(old, new, 1))
    before = world_file.read_bytes()
    check = script("check_config.py", "--config", str(config))
    assert check.returncode == 2 and named in check.stderr, check.stderr
    result = script("rotate_assignees.py", "--config", str(config), "--sandbox", str(world_file), "--apply",
                    "--at", AT)
    [line, *_] = refused(result, world_file, before)
    assert str(config) in line


@pytest.mark.parametrize(("args", "message"), [
    (["rotate_assignees.py", "--at", "9999-12-31"], "give a time between 2000 and 2100"),
    (["rotate_assignees.py", "--at", "0001-01-01"], "give a time between 2000 and 2100"),
    (["log_task.py", "--kind", "other", "--summary", "x", "--minutes", "nan"], "give minutes between 0"),
    (["log_task.py", "--kind", "other", "--summary", "x", "--minutes", "inf"], "give minutes between 0"),
    (["log_task.py", "--kind", "other", "--summary", "x", "--minutes", "-5"], "give minutes between 0"),
    (["iam_audit.py", "--only-at-hour", "25"], "is not an hour of the day (0-23)"),
    (["rotation_report.py", "--only-at-hour", "-1"], "is not an hour of the day (0-23)"),
])
def test_bad_flags_are_refused_in_one_line(world_file: Path, args: list[str], message: str) -> None:
    before = world_file.read_bytes()
    result = script(*args, "--sandbox", str(world_file), "--apply")
    if result.stderr.startswith("usage:"):  # argparse: its usage, then the one line that says what is wrong
        assert result.returncode == 2 and message in result.stderr.strip().splitlines()[-1]
        assert world_file.read_bytes() == before
    else:
        [line] = refused(result, world_file, before)
        assert message in line


def _repo_as_text(world: dict) -> None:
    world["github"]["repos"][1] = "department-of-veterans-affairs/devops"


def _layer_time(world: dict) -> None:
    world["pagerduty"]["schedules"][0]["layers"][2]["rotation_virtual_start"] = "2024-06-03 9am"


def _naive_override(world: dict) -> None:
    world["pagerduty"]["schedules"][0]["overrides"][0]["start"] = "2025-07-03T09:00:00"


@pytest.mark.parametrize(("change", "message"), [
    (_repo_as_text, 'github.repos[1]: must be an object, not "department-of-veterans-affairs/devops"'),
    (_layer_time, 'pagerduty.schedules[0].layers[2].rotation_virtual_start: "2024-06-03 9am" is not an ISO 8601 '
                  "time with its offset"),
    (_naive_override, 'pagerduty.schedules[0].overrides[0].start: "2025-07-03T09:00:00" is not an ISO 8601 time'),
])
def test_a_world_the_fakes_cannot_read_is_refused_in_one_line(world_file: Path, change: Any, message: str) -> None:
    world = json.loads(world_file.read_text())
    change(world)
    world_file.write_text(json.dumps(world))
    before = world_file.read_bytes()
    result = script("rotate_assignees.py", "--sandbox", str(world_file), "--apply", "--at", AT)
    [line] = refused(result, world_file, before)
    assert line == f"error: {world_file}: {message}" or line.startswith(f"error: {world_file}: {message}"), line


def test_files_that_are_not_utf8_are_named(tmp_path: Path, world_file: Path) -> None:
    latin1 = tmp_path / "world-latin1.json"
    latin1.write_bytes('{"about": "caf\u00e9"}'.encode("latin-1"))
    before = latin1.read_bytes()
    [line] = refused(script("rotate_assignees.py", "--sandbox", str(latin1), "--apply", "--at", AT), latin1, before)
    assert line.startswith(f"error: {latin1}: not UTF-8 text")

    report = tmp_path / "report.csv"
    report.write_bytes("user,arn\nJos\u00e9,x\n".encode("latin-1"))
    before = world_file.read_bytes()
    result = script("iam_audit.py", "--sandbox", str(world_file), "--apply", "--credential-report", str(report),
                    "--at", AT)
    [line] = refused(result, world_file, before)
    assert line.startswith(f"error: {report}: not UTF-8 text")
