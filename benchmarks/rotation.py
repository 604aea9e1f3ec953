#!/usr/bin/env python3
"""API calls and time for the weekly handoff in the sandbox, through the real SDKs.

    python3 dev.py run benchmarks/rotation.py

Counts are per run, as the job reports them (client side, retries included).
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.config import Config, load_config  # noqa: E402
from oncall_lib.handoff import rotate  # noqa: E402
from oncall_lib.report import Report  # noqa: E402
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD  # noqa: E402
from oncall_lib.services import Services  # noqa: E402

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PAGERDUTY_IDS = {"Ada Lovelace": "PADA001", "Grace Hopper": "PGRACE1", "Alan Turing": "PALAN01",
                 "Katherine Johnson": "PKATH01"}


def run(world: dict[str, object], config: Config) -> tuple[Report, float]:
    started = time.perf_counter()
    with SandboxServer(world, clock=lambda: AT) as server:
        report = rotate.run(Services(sandbox_endpoints(server)), config, AT, dry_run=False)
    return report, time.perf_counter() - started


def calls(report: Report) -> str:
    return f"{report.total_calls('reads')} reads + {report.total_calls('writes')} writes"


def main() -> None:
    config = load_config(Path("oncall.toml"))
    cached = config.model_copy(update={"roster": [
        m.model_copy(update={"pagerduty_id": PAGERDUTY_IDS.get(m.name)}) for m in config.roster]})
    example = json.loads(EXAMPLE_WORLD.read_text())
    for label, cfg in (("roster by email", config), ("roster with pagerduty_id", cached)):
        world = copy.deepcopy(example)
        first, _ = run(world, cfg)
        times, steady = [], first
        for _ in range(10):
            steady, seconds = run(world, cfg)
            times.append(seconds)
        print(f"{label:26} handoff run: {calls(first):22} steady run: {calls(steady):22} "
              f"median {statistics.median(times) * 1000:.0f} ms (server start included)")


if __name__ == "__main__":
    main()
