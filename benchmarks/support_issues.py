#!/usr/bin/env python3
"""API calls of the support-issue entry points in the sandbox, through the real SDKs.

    python3 dev.py run benchmarks/support_issues.py
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.config import Config, load_config  # noqa: E402
from oncall_lib.report import Report  # noqa: E402
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD  # noqa: E402
from oncall_lib.services import Services  # noqa: E402
from oncall_lib.support_issues import issues as support_issues  # noqa: E402

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 30, 11, 0, tzinfo=NY)


def measure(world: dict[str, object], config: Config, at: datetime, job: str, **kwargs: object) -> Report:
    with SandboxServer(world, clock=lambda: at) as server:
        services = Services(sandbox_endpoints(server))
        started = time.perf_counter()
        report: Report = getattr(support_issues, job)(services, config, at, dry_run=False, **kwargs)
        report.facts["seconds"] = round(time.perf_counter() - started, 3)
    return report


def line(label: str, report: Report) -> str:
    calls = ", ".join(f"{s} {c['reads']}r/{c['writes']}w" for s, c in report.api_calls.items())
    return f"{label:48} {report.total_calls('reads'):3} reads {report.total_calls('writes'):2} writes  ({calls})"


def main() -> None:
    base = load_config(Path("oncall.toml"))
    for backend in ("github", "zenhub"):
        config = base.model_copy(update={"epics": base.epics.model_copy(update={"link_with": backend})})
        world = json.loads(EXAMPLE_WORLD.read_text())
        support = next(c for c in world["slack"]["channels"] if c["id"] == "C01SUPPORT")  # type: ignore[index]
        ts = f"{datetime(2026, 11, 30, 9, 30, tzinfo=NY).timestamp():.6f}"
        support["messages"].append({"type": "message", "ts": ts, "user": "U0REQ1", "text": "Need Grafana access",
                                    "reactions": [{"name": "ticket", "users": ["U0ALAN"], "count": 1}]})
        print(f"[epics] link_with = {backend}")
        print(line("  scan that opens an issue from a ticket", measure(world, config, AT, "scan")))
        print(line("  scan two minutes later", measure(world, config, AT + timedelta(minutes=2), "scan")))
        print(line("  scan with nothing to do", measure(world, config, AT + timedelta(minutes=15), "scan")))
        link = f"https://sandbox.slack.com/archives/C01SUPPORT/p{ts.replace('.', '')}"
        print(line("  button on a thread that already has its issue",
                   measure(world, config, AT + timedelta(minutes=20), "from_thread", link=link,
                           epic_key="customer-support")))


if __name__ == "__main__":
    main()
