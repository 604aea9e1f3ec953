#!/usr/bin/env python3
"""API calls the tick's intake adds, in the sandbox, through the real SDKs.

    python3 dev.py run benchmarks/intake.py
"""

from __future__ import annotations

import copy
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib import intake  # noqa: E402
from oncall_lib.config import Config, load_config  # noqa: E402
from oncall_lib.report import Report  # noqa: E402
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD  # noqa: E402
from oncall_lib.services import Services  # noqa: E402

REPO = "department-of-veterans-affairs/va.gov-team"
AT = datetime(2026, 11, 30, 15, 20, tzinfo=UTC)


def measure(world: dict[str, object], config: Config, at: datetime) -> Report:
    with SandboxServer(world, clock=lambda: at) as server:
        services = Services(sandbox_endpoints(server))
        started = time.perf_counter()
        report = intake.run(services, config, at, dry_run=False)
        report.facts["seconds"] = round(time.perf_counter() - started, 3)
    return report


def line(label: str, report: Report) -> str:
    calls = ", ".join(f"{s} {c['reads']}r/{c['writes']}w" for s, c in report.api_calls.items())
    return (f"{label:58} {report.total_calls('reads'):3} reads {report.total_calls('writes'):2} writes "
            f"{report.facts['seconds']:6.3f} s  ({calls})")


def busy(world: dict[str, object], issues: int, comments: int) -> dict[str, object]:
    """Issues and comments of the support repository updated in the window that are none of the product's
    business (a feature request, a review remark)."""
    world = copy.deepcopy(world)
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == REPO)  # type: ignore[index]
    stamp = (AT - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for n in range(issues):
        repo["issues"].append({"number": 8000 + n, "title": f"Benefits page {n}", "body": "Designs attached.",
                               "labels": ["benefits"], "user": "vfs-dev", "state": "open", "assignees": [],
                               "created_at": stamp, "updated_at": stamp,
                               "comments": [{"id": 900000 + n * 10 + c, "user": "vfs-dev", "body": "LGTM",
                                             "created_at": stamp} for c in range(comments // max(issues, 1))]})
    return world


def main() -> None:
    config = load_config(Path("oncall.toml"))
    example = json.loads(EXAMPLE_WORLD.read_text())
    print(line("quiet: nothing updated in the window", measure(copy.deepcopy(example), config, AT)))
    print(line("100 unrelated issues and 100 comments updated", measure(busy(example, 100, 100), config, AT)))
    print(line("300 unrelated issues and 300 comments updated", measure(busy(example, 300, 300), config, AT)))
    from tests.conftest import Sandbox  # the intake tests' world: a development run, with pytest installed
    from tests.test_intake import a_week_of_dropped_events

    sandbox = Sandbox(copy.deepcopy(example))
    a_week_of_dropped_events(sandbox)
    print(line("one of each piece of work no event run did (7)", measure(sandbox.world, config, AT)))
    print(line("the tick after it", measure(sandbox.world, config, AT + timedelta(minutes=15))))


if __name__ == "__main__":
    main()
