#!/usr/bin/env python3
"""The end-of-rotation report for a busy week: N requests in the support channel, through every SDK
against the sandbox. Requests are answered in their threads (a third with several replies, which the
report reads to date the first answer).

    python3 dev.py run benchmarks/rotation_report.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.config import load_config  # noqa: E402
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD  # noqa: E402
from oncall_lib.services import Services  # noqa: E402
from oncall_lib.tracking import report as rotation_report  # noqa: E402

NY = ZoneInfo("America/New_York")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    config = load_config(Path("oncall.toml"))
    for count in args.requests:
        world = json.loads(EXAMPLE_WORLD.read_text())
        support = next(c for c in world["slack"]["channels"] if c["id"] == "C01SUPPORT")
        start = datetime(2026, 11, 30, 9, 5, tzinfo=NY)
        step = timedelta(minutes=(5 * 8 * 60) / count)  # spread over the week's business hours
        for i in range(count):
            day, offset = divmod(i * step.total_seconds() / 60, 8 * 60)
            asked = start + timedelta(days=int(day), minutes=offset)
            ts = f"{asked.timestamp() + i / 1e6:.6f}"
            support["messages"].append({"type": "message", "ts": ts, "user": "U0REQ1", "text": f"request {i}"})
            repliers = ["U0ALAN"] if i % 3 else ["U0REQ1", "U0ALAN", "U0GRACE"]
            for n, user in enumerate(repliers, start=1):
                support["messages"].append({"type": "message", "ts": f"{float(ts) + 60 * n * (1 + i % 40):.6f}",
                                            "user": user, "text": "reply", "thread_ts": ts})
        at = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
        with SandboxServer(world, clock=lambda at=at: at) as server:
            started = time.perf_counter()
            report = rotation_report.run(Services(sandbox_endpoints(server)), config, at, dry_run=True)
            seconds = time.perf_counter() - started
        calls = ", ".join(f"{s} {c['reads']}" for s, c in report.api_calls.items())
        print(f"{count:5} requests in the week: {seconds:5.2f} s, {report.total_calls('reads')} reads ({calls}); "
              f"median {report.extra['rotation']['median_minutes_to_acknowledge']} min")


if __name__ == "__main__":
    main()
