"""Help that agrees with itself: every script's --help (and each subcommand's) as a person reads it.

Every flag says what it does; a flag that several scripts share is described the same way everywhere; a
command that only reads offers no --apply; and a script run outside the project's environment says how to run
it instead of dying on an import.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p.name for p in (ROOT / "scripts").glob("*.py"))
# Commands that never write: offering --apply there would promise a write that cannot happen.
READ_ONLY = {"doctor.py", "check_config.py", "postmortems.py pickup", "demo.py"}
# Written for its own command ("the offboarding issue", "the access request issue"), the same default.
CONTEXTUAL = {"--number"}
# init.py runs before there is a configuration: its --at cannot know the team's zone, and its --dry-run writes no
# file rather than no API call. Said differently on purpose, and only there.
BEFORE_A_CONFIG = {("init.py", "--at"), ("init.py", "--dry-run")}


def _help(command: list[str]) -> str:
    """`python3 scripts/NAME.py [SUBCOMMAND] --help`, run in this process (the scripts' imports are loaded once)."""
    script, *rest = command
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [script, *rest, "--help"]
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
            runpy.run_path(str(ROOT / script), run_name="__main__")
    finally:
        sys.argv = argv
    assert exited.value.code == 0, out.getvalue()
    return out.getvalue()


def _options(text: str) -> dict[str, tuple[str, str]]:
    """Each option's longest name -> (how it is written, with its metavar; its help, on one line)."""
    found: dict[str, tuple[str, str]] = {}
    key: str | None = None
    for line in text.splitlines():
        match = re.match(r"^  (-[^ ].*?)(?:  +(\S.*))?$", line)
        if match:
            key = max(re.findall(r"--?[\w-]+", match.group(1)), key=len)
            found[key] = (match.group(1), match.group(2) or "")
        elif key is not None and line.startswith("        ") and line.strip():  # help on the following lines
            written, described = found[key]
            found[key] = (written, f"{described} {line.strip()}".strip())
        else:
            key = None
    return found


def _subcommands(text: str) -> list[str]:
    block = text.split("positional arguments:", 1)[1] if "positional arguments:" in text else ""
    return [m.group(1) for m in re.finditer(r"^    ([a-z][a-z-]*) ", block, re.M)]


@pytest.fixture(scope="module")
def helps() -> Iterator[dict[str, dict[str, tuple[str, str]]]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "400")  # one line per flag where it fits
        tops = {name: _help([f"scripts/{name}"]) for name in SCRIPTS}
        commands = {name: _options(text) for name, text in tops.items() if not _subcommands(text)}
        commands.update({f"{name} {sub}": _options(_help([f"scripts/{name}", sub]))
                         for name, text in tops.items() for sub in _subcommands(text)})
    yield commands


def test_every_flag_of_every_command_says_what_it_does(helps: dict[str, dict[str, tuple[str, str]]]) -> None:
    assert len(helps) >= 18, sorted(helps)
    silent = [f"{command} {flag}" for command, options in helps.items() for flag, (_, text) in options.items()
              if flag != "--help" and not text]
    assert not silent


def test_shared_flags_are_written_and_described_alike(helps: dict[str, dict[str, tuple[str, str]]]) -> None:
    seen: dict[str, dict[tuple[str, str], list[str]]] = {}
    for command, options in helps.items():
        for flag, described in options.items():
            if (command, flag) not in BEFORE_A_CONFIG:
                seen.setdefault(flag, {}).setdefault(described, []).append(command)
    differing = {flag: ways for flag, ways in seen.items() if len(ways) > 1 and flag not in CONTEXTUAL}
    assert not differing, differing
    for flag in CONTEXTUAL:
        ways = seen.get(flag, {})
        assert {written for written, _ in ways} == {f"{flag} NUMBER"}, ways
        assert all(text.endswith("(default: $ISSUE_NUMBER)") for _, text in ways), ways
    # The job flags every command that runs a job has.
    jobs = [c for c in helps if c not in READ_ONLY and c not in ("iam_cleanup.py edit", "init.py", "generate_docs.py")]
    shared = {"--config", "--apply", "--dry-run", "--sandbox", "--at", "--json", "--verbose"}
    assert not [command for command in jobs if not shared <= set(helps[command])]


def test_read_only_commands_offer_no_apply(helps: dict[str, dict[str, tuple[str, str]]]) -> None:
    assert set(helps) >= READ_ONLY
    assert not [c for c in READ_ONLY if "--apply" in helps[c] or "--dry-run" in helps[c]]


def test_user_is_taken_alike_by_edit_and_pr(tmp_path: Path) -> None:
    """`iam_cleanup.py edit --user` and `pr --user` both take names repeated or comma-separated."""
    tf = tmp_path / "iam_users.tf"
    tf.write_text('resource "aws_iam_user" "a" {\n  name = "A.One"\n}\n\nresource "aws_iam_user" "b" {\n'
                  '  name = "B.Two"\n}\n\nresource "aws_iam_user" "c" {\n  name = "C.Three"\n}\n')
    done = subprocess.run([sys.executable, "scripts/iam_cleanup.py", "edit", "--file", str(tf), "--user",
                           "A.One,B.Two", "--user", "C.Three", "--diff"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('-resource "aws_iam_user"') == 3


def test_a_script_run_outside_the_projects_environment_says_how_to_run_it() -> None:
    # -S: no site-packages, as with a system Python that never had the project's packages installed.
    done = subprocess.run([sys.executable, "-S", "scripts/rotate_assignees.py", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error: rotate_assignees.py needs the project's environment, and this Python lacks the "
                           "packages github, ")
    assert "run it as `python3 dev.py run rotate_assignees.py ...`" in line


def test_the_iam_audit_without_aws_credentials_names_what_to_set(tmp_path: Path) -> None:
    """Like the other jobs without their secret: one line saying what to set, and exit 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("GITHUB_ACTIONS",)}
    env.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(
        tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true")
    done = subprocess.run([sys.executable, "scripts/iam_audit.py", "--at", "2026-11-24T11:00"], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("error: no AWS credentials to read the IAM credential report: in GitHub Actions, set the "
                           "repository variable IAM_AUDIT_ROLE_ARN")
    assert "--credential-report FILE" in line
    # The doctor says it once too, not followed by the same advice in other words.
    doctor = subprocess.run([sys.executable, "scripts/doctor.py"], cwd=ROOT, capture_output=True, text=True,
                            env=env, timeout=120)
    [aws] = [row for row in doctor.stdout.splitlines() if row.startswith("FAIL aws iam: ")]
    assert aws.count("IAM_AUDIT_ROLE_ARN") == 1, aws


def test_the_tick_and_the_doctor_say_everything_they_do() -> None:
    tick = " ".join(_help(["scripts/tick.py"]).split())
    assert "the intake" in tick and "the dead man's switch" in tick and "--hourly" in tick
    from oncall_lib.duties import DUTIES

    for duty in DUTIES:
        if duty.runs.tick:
            assert duty.name in tick, duty.name
    doctor = " ".join(_help(["scripts/doctor.py"]).split())
    assert "a warning for each step a missing setting silently turns off" in doctor
    assert "every channel a duty reads or posts to" in doctor and "support layer" in doctor
