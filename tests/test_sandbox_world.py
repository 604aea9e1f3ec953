"""The bundled world shows every duty: it has its own moment (a run without --at acts then, whenever it is run),
requests waiting at that moment, and every moment docs/sandbox.md suggests runs at the time it gives."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from oncall_lib.config import load_config
from oncall_lib.sandbox.world import EXAMPLE_WORLD, load_world, world_clock

ROOT = Path(__file__).resolve().parent.parent


def run(command: list[str], world: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, *command, "--sandbox", str(world), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    return dict(json.loads(done.stdout))


def test_without_at_a_run_acts_at_the_worlds_moment_and_finds_the_waiting_requests(tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    shutil.copyfile(EXAMPLE_WORLD, world)
    clock = world_clock(world)
    assert clock is not None
    report = run(["scripts/watch_requests.py"], world)
    assert report["at"] == clock.isoformat()
    # The waiting requests are questions from people outside the team, in the support channel.
    config = load_config(ROOT / "oncall.toml")
    team = {m.slack for m in config.roster}
    support = next(c for c in load_world(world)["slack"]["channels"] if c["id"] == config.slack.support.id)
    askers = {m["user"] for m in support["messages"]}
    assert askers and not askers & team and all(m["text"].rstrip().endswith("?") for m in support["messages"])
    kinds = [(a["kind"], a["target"]) for a in report["actions"]]
    assert ("slack.post", f"DM {report['facts']['on_support']}") in kinds
    assert ("slack.post", "#vsp-operations") in kinds  # one of them is past the 60-minute escalation


def test_a_world_without_a_clock_runs_at_the_real_time(tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    data = json.loads(EXAMPLE_WORLD.read_text())
    del data["clock"]
    world.write_text(json.dumps(data))
    report = run(["scripts/heartbeat.py"], world)
    assert report["at"] != str(data.get("clock")) and world_clock(world) is None


MOMENTS = re.compile(r"^\| `python3 dev\.py run ([^`]+)` \| (.+) \|$", re.M)


def test_every_moment_the_sandbox_page_suggests_runs(tmp_path: Path) -> None:
    moments = MOMENTS.findall((ROOT / "docs" / "sandbox.md").read_text())
    assert len(moments) >= 8
    for command, _what in moments:
        world = tmp_path / "world.json"
        shutil.copyfile(EXAMPLE_WORLD, world)
        args = [a for a in shlex.split(command) if a != "--sandbox"]
        report = run([f"scripts/{args[0]}", *args[1:]], world)
        at = next((args[i + 1] for i, a in enumerate(args) if a == "--at"), None)
        clock = world_clock(world)
        assert clock is not None
        assert report["at"].startswith(at if at else clock.isoformat()), command
