#!/usr/bin/env python3
"""Logging one task into a team's spreadsheet of a year's rows, in the sandbox, through gspread.

    python3 dev.py run benchmarks/team_sheet.py

One tab, sections per kind under one header, 5,000 rows (about a year of a busy rotation), plus two tabs of
the team's own. Measures the calls and the time of a run that logs a row and of the re-run that writes nothing,
and the time of reading the layout alone (the pure part: header, sections, keys).
"""

from __future__ import annotations

import copy
import json
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.config import TrackingConfig, load_config  # noqa: E402
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD  # noqa: E402
from oncall_lib.services import Services  # noqa: E402
from oncall_lib.services.sheets import SheetSnapshot, Tab  # noqa: E402
from oncall_lib.tracking import log as tracking  # noqa: E402
from oncall_lib.tracking.layout import read_layout  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(2026, 11, 30, 11, 7, tzinfo=ZoneInfo("America/New_York"))
SECTIONS = ("Support requests", "Access", "Deploys", "PR reviews", "Other")


def team_rows(count: int) -> list[list[str]]:
    rows = [["Support Incidents"], [], ["When", "Engineer", "Type", "Description", "Ticket link", "Time spent"]]
    per_section = count // len(SECTIONS)
    start = date(2025, 12, 1)
    for section in SECTIONS:
        rows.append([section])
        rows += [[(start + timedelta(days=i % 365)).isoformat(), "Grace Hopper", "slack", f"task {i} in {section}",
                  f"https://example.org/{section}/{i}", "15"] for i in range(per_section)]
        rows.append([])
    return rows


def main() -> None:
    config = load_config(ROOT / "oncall.toml")
    assert config.tracking
    team = config.model_copy(update={"tracking": TrackingConfig(spreadsheet_id=config.tracking.spreadsheet_id)})
    world = json.loads(EXAMPLE_WORLD.read_text())
    rows = team_rows(5000)
    world["sheets"]["spreadsheets"][0]["worksheets"] = [
        {"title": "Support Incidents", "rows": rows}, {"title": "Charts", "rows": [["Per week"]]},
        {"title": "Lists", "rows": [["Categories"], ["slack"], ["github"]]}]
    world = copy.deepcopy(world)
    for label in ("log one task", "the same again"):
        with SandboxServer(world, clock=lambda: AT) as server:
            started = time.perf_counter()
            report = tracking.log_task(Services(sandbox_endpoints(server)), team, AT, dry_run=False, kind="access",
                                       summary="Granted Grafana access to Sam", minutes=15)
            seconds = time.perf_counter() - started
        calls = report.api_calls.get("sheets", {})
        print(f"{label:16} sheets {calls.get('reads', 0)} read(s) / {calls.get('writes', 0)} write(s), "
              f"{seconds:.2f} s (sandbox, HTTP and JSON included)")
    snapshot = SheetSnapshot({"Support Incidents": Tab("Support Incidents", 1, rows, rows)})
    started = time.perf_counter()
    for _ in range(10):
        read_layout(snapshot, team.tracking)  # type: ignore[arg-type]
    print(f"reading the layout of {len(rows)} rows: {(time.perf_counter() - started) / 10 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
