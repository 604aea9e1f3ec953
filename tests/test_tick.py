"""The tick as one process, through the real SDKs against the sandbox: what one tick creates it also records, so
the next tick writes nothing; and a quiet tick reads each listing once, in 15 API calls or fewer."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from oncall_lib import tick
from oncall_lib.config import AnswersConfig, Config
from oncall_lib.report import CombinedReport
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.services import Services
from oncall_lib.setup import heartbeat

NY = ZoneInfo("America/New_York")
SUPPORT = "C01SUPPORT"
REPO = "department-of-veterans-affairs/va.gov-team"
SETTLE = datetime(2026, 12, 1, 10, 7, tzinfo=NY)  # Tuesday: Alan Turing is on support


def ticking(world: dict[str, Any], config: Config, at: datetime, *, hourly: bool,
            dry_run: bool = False) -> tuple[CombinedReport, list[tuple[str, str, str]]]:
    """One tick on its own server (as one Actions run), and every request it sent: (service, method, path+query)."""
    with SandboxServer(world, clock=lambda: at, record=True) as server:
        report = tick.run(Services(sandbox_endpoints(server)), config, at, dry_run=dry_run, hourly=hourly)
        assert server.exchanges is not None
        sent = [(e.service, e.request.method, e.request.path + str(sorted(e.request.query.items()))
                 + (e.request.body.decode(errors="replace") if e.service == "slack" else ""))
                for e in server.exchanges]
    return report, sent


def duty_writes(report: CombinedReport) -> list[str]:
    """What the duties wrote or would write (the dead man's switch moves its message every tick, by design)."""
    return [f"{title}: {o.action.kind} {o.action.target}" for title, part in report.parts
            if title != "The dead man's switch" for o in part.outcomes]


def a_ticketed_thread(world: dict[str, Any], when: datetime) -> str:
    channel = next(c for c in world["slack"]["channels"] if c["id"] == SUPPORT)
    ts = f"{when.timestamp():.6f}"
    channel["messages"].append({"type": "message", "ts": ts, "user": "U0REQ1",
                                "text": "Our review instance returns 502 since this morning, can someone look?",
                                "reactions": [{"name": "ticket", "users": ["U0GRACE"], "count": 1}]})
    return ts


def support_sheet_rows(world: dict[str, Any], config: Config) -> list[list[Any]]:
    assert config.tracking
    sheet = world["sheets"]["spreadsheets"][0]
    title = config.tracking.section("support")
    return next((w["rows"] for w in sheet["worksheets"] if w["title"] == title), [])


def test_what_a_tick_creates_it_records_so_the_next_tick_writes_nothing(world: dict[str, Any],
                                                                         config: Config) -> None:
    config = config.model_copy(update={"answers": AnswersConfig()})
    a_ticketed_thread(world, SETTLE - timedelta(minutes=20))
    support = next(c for c in world["slack"]["channels"] if c["id"] == SUPPORT)
    support["messages"].append({"type": "message", "ts": f"{(SETTLE - timedelta(minutes=3)).timestamp():.6f}",
                                "user": "U0REQ1", "text": "hi team, how do I get access to the AWS console?"})
    first, _ = ticking(world, config, SETTLE, hourly=True)
    assert first.exit_code == 0, first.to_text()
    [opened] = [o for o in first.outcomes if o.action.kind == "github.create_issue"]
    url = opened.result["html_url"]
    # The issue it opened from the ticket reaction is in the sheet after this same tick, and so is the answer
    # it gave.
    assert [r for r in support_sheet_rows(world, config) if r and r[0] == url]
    assert any(o.action.kind == "sheet.append" and "aws-console" in str(o.action.params["rows"])
               for o in first.outcomes)

    # (Before the request watch would nudge anyone about the answered request, which is still waiting for a person.)
    for minutes, hourly in ((15, False), (30, True)):
        again, _ = ticking(world, config, SETTLE + timedelta(minutes=minutes), hourly=hourly)
        assert again.exit_code == 0, again.to_text()
        assert duty_writes(again) == [], again.to_text()
        assert [t for t, p in again.parts if p.outcomes] in ([], ["The dead man's switch"])
    rows = [r for r in support_sheet_rows(world, config) if r and r[0] == url]
    assert len(rows) == 1


def test_a_quiet_tick_reads_each_listing_once_in_fifteen_calls_or_fewer(world: dict[str, Any],
                                                                        config: Config) -> None:
    settled, _ = ticking(world, config, SETTLE, hourly=True)
    assert settled.exit_code == 0, settled.to_text()
    quiet, sent = ticking(world, config, SETTLE + timedelta(minutes=15), hourly=False, dry_run=True)
    assert quiet.exit_code == 0 and duty_writes(quiet) == [], quiet.to_text()
    assert quiet.total_calls() <= 15, sent
    repeated = [request for request, count in Counter(sent).items() if count > 1]
    assert repeated == []
    # One listing of the support repository's issues that any duty shares, not one per use.
    issue_listings = [r for r in sent if r[0] == "github" and r[2].startswith(f"/repos/{REPO}/issues[")]
    assert len(issue_listings) == 2, issue_listings  # the open support issues; everything updated lately

    # The hourly one adds the handoff's own reads (the schedule, the epics, the topic, the DM), nothing twice.
    hourly, sent = ticking(world, config, SETTLE + timedelta(minutes=53), hourly=True, dry_run=True)
    assert hourly.exit_code == 0 and duty_writes(hourly) == [], hourly.to_text()
    assert [request for request, count in Counter(sent).items() if count > 1] == []
    assert heartbeat.JOB in {p.job for _, p in hourly.parts}
