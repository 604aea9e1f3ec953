#!/usr/bin/env python3
"""The request watch on a busy week: 1,000 requests in one channel, through slack_sdk against the sandbox.

    python3 dev.py run benchmarks/watch.py
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.config import load_config  # noqa: E402
from oncall_lib.requests import watch  # noqa: E402
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD  # noqa: E402
from oncall_lib.services import Services  # noqa: E402

NY = ZoneInfo("America/New_York")


def main() -> None:
    config = load_config(Path("oncall.toml"))
    for count in (0, 100, 1000, 3000):
        world = json.loads(EXAMPLE_WORLD.read_text())
        support = next(c for c in world["slack"]["channels"] if c["id"] == "C01SUPPORT")
        start = datetime(2026, 11, 30, 9, 0, tzinfo=NY).timestamp()
        for i in range(count):
            message = {"type": "message", "ts": f"{start + i * 10:.6f}", "user": "U0REQ1", "text": f"request {i}"}
            if i % 3:
                message["reactions"] = [{"name": "eyes", "users": ["U0GRACE"], "count": 1}]
            support["messages"].append(message)
        at = datetime(2026, 12, 2, 9, 0, tzinfo=NY)
        with SandboxServer(world, clock=lambda at=at: at) as server:
            started = time.perf_counter()
            report = watch.run(Services(sandbox_endpoints(server)), config, at, dry_run=True)
            seconds = time.perf_counter() - started
        print(f"{count:5} requests in one channel: {seconds:5.2f} s, "
              f"{report.total_calls('reads')} reads ({report.facts['waiting']} waiting)")


if __name__ == "__main__":
    main()
