#!/usr/bin/env python3
"""A quiet tick, the old way (four processes, one per check) against the new one (scripts/tick.py: one process
that reads what the duties share once). Same world, same moment, dry runs after the world has settled: the
hourly tick (with the handoff), and the quarter-hour tick (three runs in four), which must stay at 15 API calls
or fewer.

    python3 dev.py run benchmarks/tick.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "oncall_lib" / "sandbox" / "worlds" / "example.json"
SETTLE_AT = "2026-12-01T10:07"
QUIET_AT = "2026-12-01T10:22"
OLD_WAY = (["watch_requests.py"], ["support_issue.py", "scan"], ["deploy_watch.py"], ["rotate_assignees.py"])


def run(script: list[str], world: Path, at: str, *extra: str) -> tuple[dict[str, dict[str, int]], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, f"scripts/{script[0]}", *script[1:], "--sandbox", str(world), "--at", at,
                           "--json", *extra], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if not done.stdout.strip():
        raise SystemExit(f"{' '.join(script)} printed nothing: {done.stderr.strip()}")
    return json.loads(done.stdout)["api_calls"], seconds


def total(calls: dict[str, dict[str, int]]) -> int:
    return sum(c.get("reads", 0) + c.get("writes", 0) for c in calls.values())


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = Path(folder) / "world.json"
        shutil.copy(EXAMPLE, world)
        run(["tick.py"], world, SETTLE_AT, "--hourly", "--apply")
        old_calls, old_seconds = 0, 0.0
        for script in OLD_WAY:
            calls, seconds = run(script, world, QUIET_AT, "--dry-run")
            old_calls += total(calls)
            old_seconds += seconds
        new, new_seconds = run(["tick.py"], world, QUIET_AT, "--hourly", "--dry-run")
        quarter, quarter_seconds = run(["tick.py"], world, QUIET_AT, "--dry-run")
    print(f"quiet hourly tick, four processes: {old_calls} API calls, {old_seconds:.1f} s")
    print(f"quiet hourly tick, one process:    {total(new)} API calls, {new_seconds:.1f} s  ({json.dumps(new)})")
    print(f"quiet quarter-hour tick:           {total(quarter)} API calls, {quarter_seconds:.1f} s  "
          f"({json.dumps(quarter)})")
    if total(quarter) > 15:
        raise SystemExit(f"the quiet quarter-hour tick made {total(quarter)} API calls: more than 15")


if __name__ == "__main__":
    main()
