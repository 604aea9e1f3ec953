"""The demo tells the truth: it runs whole, its clock only moves forward (demo.py asserts it), forms file issues
with their own labels and dates, the ticketed request counts as acknowledged, every message it wrote is shown
whole and as people read it, and every command it suggests runs."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oncall_lib.config import load_config
from oncall_lib.preview import github_visible, slack_readable
from oncall_lib.sandbox.world import EXAMPLE_WORLD, world_clock

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    world = tmp_path_factory.mktemp("demo") / "demo.json"
    done = subprocess.run([sys.executable, "scripts/demo.py", "--world", str(world), "--full"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout, json.loads(world.read_text())


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> str:
    world = tmp_path_factory.mktemp("short") / "demo.json"
    done = subprocess.run([sys.executable, "scripts/demo.py", "--world", str(world)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


# The short demo is read, not skimmed: it stays well under 200 lines.
SHORT_DEMO_LINES = 150


def test_the_demo_opens_with_the_handoff_at_the_worlds_moment_and_stays_short(short: str) -> None:
    lines = short.splitlines()
    assert len(lines) <= SHORT_DEMO_LINES, f"the demo grew to {len(lines)} lines: show a run in one line"
    headings = [line for line in lines if line.startswith("== ")]
    clock = world_clock(EXAMPLE_WORLD)
    assert clock is not None
    # Whenever it is run: the world's own moment, so the handoff it shows is always the same.
    assert headings[0].startswith("== This week's handoff") and f"{clock:%a %d %b %H:%M}" in headings[0]
    handoff = short.split("\n== ", 2)[1]
    assert "slack.post #vfs-platform-support: handoff message" in handoff and "       | :wave:" in handoff
    # What waits in the bundled world is shown whole too: the nudge, the urgent escalation, the standup digest.
    watch = next(part for part in short.split("\n== ") if part.startswith("The request watch"))
    assert "past 45 minutes" in watch and "+ slack.post #vsp-operations: 1 urgent request(s) past 60" in watch
    assert "       | *Standup:" in watch
    # Every other run in one line, with what it changed.
    deploy_watch = re.compile(r"^   \w{3} \d\d \w{3} \d\d:\d\d  The deploy watch .*: (append, )?post")
    assert any(deploy_watch.match(line) for line in lines)
    assert "From fork to first real run" in short
    # Read by a newcomer: moments as people write them, requests by their words, never a raw ISO time or Slack ts.
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", short) and not re.search(r"\b\d{10}\.\d{6}\b", short)
    assert "   since: Mon 21 Dec 09:00 EST" in handoff


def test_the_demo_runs_a_week_and_shows_what_really_happened(demo: tuple[str, dict[str, Any]]) -> None:
    out, _ = demo
    report = out.split("== The end-of-rotation report", 1)[1]
    # Only support requests are support issues (the form, the button, the Slack app): not offboarding or access.
    assert "| Support issues | 4 opened" in report
    assert "(the offboarding form)" in out and "(the access form)" in out
    # The :ticket:ed request is acknowledged (by its "Tracked as" reply); nothing is left without a time.
    assert "| Acknowledged by reaction only (time unknown) | 0 |" in report
    # The whole report: its breach list and its questions.
    assert "### Waited longer than 60 minutes" in report and "### For the review" in report
    assert "== Recap: what each job did" in out and "From fork to first real run" in out
    # A request arrives from Slack (the GitHub for Slack app's issue) and is reassigned by a /oncall comment.
    assert "arrived by: slack app" in out and "+ github.assign" in out.split("The comment workflow runs", 1)[1]
    # The week's duties, turned on by the demo: the handover issue opened and acknowledged, a cover accepted and
    # made in PagerDuty, an FAQ answered in its thread, and the report linking the issue and counting the answer.
    assert "+ github.create_issue department-of-veterans-affairs/va.gov-team: open “Oncall support: " in out
    assert "+ github.edit_issue department-of-veterans-affairs/va.gov-team#" in out  # /oncall ack ticks the box
    assert "+ pagerduty.create_overrides PSUPPRT: 1 override(s) for the cover" in out and "Done in PagerDuty:" in out
    assert "answer with “aws-console”" in out and "This looks like a question we have an answer for" in out
    assert "### Handover issues" in report and "| aws-console | 1 | 0 | 0 |" in report


def _shown(out: str) -> set[str]:
    return {line.split("| ", 1)[1] if "| " in line else "" for line in out.splitlines()
            if line.lstrip().startswith("|")}


def test_no_message_is_cut_and_links_read_as_in_slack(demo: tuple[str, dict[str, Any]]) -> None:
    out, world = demo
    config = load_config(ROOT / "oncall.toml")
    names = {**{c.id: c.name for c in config.slack.channels}, **{m.slack: m.name for m in config.roster if m.slack}}
    shown = _shown(out)
    bot = world["slack"]["bot"]["user_id"]
    # What the app posted (not the notices Slack itself posts under its name, "set the channel topic").
    posted = [m["text"] for c in world["slack"]["channels"] for m in c["messages"]
              if m.get("user") == bot and not m.get("subtype")]
    assert len(posted) > 15
    for text in posted:
        missing = [line for line in slack_readable(text, names).split("\n") if line.rstrip() not in shown]
        assert not missing, f"cut or missing from the demo: {missing[:3]} of\n{text}"
    login = world["github"]["bot_login"]
    written = [c["body"] for r in world["github"]["repos"] for i in r.get("issues", []) for c in i.get("comments", [])
               if c.get("user") == login]
    written += [i["body"] for r in world["github"]["repos"] for i in r.get("issues", []) if i.get("user") == login]
    assert len(written) > 8
    for body in written:
        missing = [line for line in github_visible(body).split("\n") if line.rstrip() not in shown]
        assert not missing, f"cut or missing from the demo: {missing[:3]}"
    # Slack's link markup is shown as people see it: the label, then the address.
    assert not re.search(r"<https?://[^>\s]*\|", out)
    assert not re.search(r"<@U[A-Z0-9]+>", out)


def test_every_command_the_demo_suggests_runs(demo: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = demo
    hints = [line.strip() for line in out.splitlines() if line.strip().startswith("python3 dev.py ")]
    assert len(hints) >= 2, out[-1500:]
    for hint in hints:
        world = tmp_path / "world.json"
        shutil.copyfile(EXAMPLE_WORLD, world)
        # As the reader would run it, against the sandbox instead of their workspace.
        command = [sys.executable, *shlex.split(hint)[1:], "--sandbox", str(world)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{hint}: exit {done.returncode}\n{done.stdout[-1500:]}{done.stderr[-1500:]}"
