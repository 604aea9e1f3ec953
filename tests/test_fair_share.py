"""The quarter's fair share on a world with a quarter of turns, through pagerduty, slack_sdk and PyGithub
against the sandbox: turns, hours, requests, after-hours requests, support issues and covers per person."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import Config
from oncall_lib.errors import InputError
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.tracking import fair_share_page as fair_share
from oncall_lib.tracking.fair_share import quarter
from tests.conftest import Sandbox

NY = ZoneInfo("America/New_York")
REPO = "department-of-veterans-affairs/va.gov-team"
AFTER = datetime(2027, 1, 4, 10, 0, tzinfo=NY)


def page(quarter: str | None = "2026Q4") -> object:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return fair_share.run(services, config, at, dry_run=dry_run, quarter=quarter)
    return job


def a_quarter(sandbox: Sandbox) -> None:
    """Thirteen weekly turns (the example layer), a two-day cover, requests and a support issue."""
    sandbox.world["pagerduty"]["schedules"][0]["overrides"].append(
        {"id": "POVKATH", "start": "2026-11-24T09:00:00-05:00", "end": "2026-11-26T09:00:00-05:00", "user": "PKATH01"})
    by_day = sandbox.post("C01SUPPORT", datetime(2026, 10, 6, 10, 0, tzinfo=NY), "Grafana is slow for me",
                          reactions=[{"name": "eyes", "users": ["U0ADA"], "count": 1}])
    assert by_day
    night = sandbox.post("C06ONCALL", datetime(2026, 10, 10, 20, 0, tzinfo=NY), "Prod login is failing!")
    sandbox.reply("C06ONCALL", night, datetime(2026, 10, 10, 20, 9, tzinfo=NY), "U0ALAN", "Looking")
    sandbox.post("C01SUPPORT", datetime(2026, 9, 20, 10, 0, tzinfo=NY), "Before the quarter: not counted")
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    repo["issues"].append({"number": 2100, "title": "Rotate the CDN certificate", "state": "closed",
                           "user": "vfs-dev", "labels": ["support-request"], "assignees": ["alan-turing"], "body": "",
                           "created_at": "2026-11-03T15:00:00Z", "closed_at": "2026-11-04T15:00:00Z"})


def test_a_quarter_of_turns_per_person(sandbox: Sandbox, untracked: Config) -> None:
    a_quarter(sandbox)
    run = sandbox.run(page(), untracked, AFTER).report
    assert run.exit_code == 0, run.to_text()
    rows = {r["name"]: r for r in run.extra["fair_share"]}
    assert set(rows) == {"Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson"}
    assert {n: r["turns"] for n, r in rows.items()} == {"Ada Lovelace": 3, "Alan Turing": 4, "Grace Hopper": 3,
                                                        "Katherine Johnson": 3}
    # Business hours: a week is 40, Thanksgiving and Christmas are holidays; Katherine covered 16 of Grace's.
    assert {n: r["support_hours"] for n, r in rows.items()} == {"Ada Lovelace": 120, "Alan Turing": 152,
                                                                "Grace Hopper": 104, "Katherine Johnson": 136}
    assert sum(r["support_hours"] for r in rows.values()) == 512  # every business hour of the quarter, once
    assert (rows["Katherine Johnson"]["covers_given"], rows["Grace Hopper"]["covers_taken"]) == (1, 1)
    assert rows["Ada Lovelace"]["requests_acknowledged"] == 1 and rows["Alan Turing"]["requests_acknowledged"] == 1
    assert rows["Alan Turing"]["after_hours_requests"] == 1 and rows["Ada Lovelace"]["after_hours_requests"] == 0
    assert rows["Alan Turing"]["issues_handled"] == 1
    markdown = run.markdown
    assert markdown.startswith("## Fair share: 2026 Q4\n")
    assert '    x-axis ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson"]' in markdown
    assert "    bar [120, 152, 104, 136]" in markdown and "    line [128, 128, 128, 128]" in markdown
    assert "| Katherine Johnson | 3 | 136 | 0 | 0 | 0 | 1 | 0 |" in markdown
    [issue] = [i for i in next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)["issues"]
               if i["title"] == "Fair share: 2026 Q4"]
    assert issue["body"] == markdown
    assert sandbox.run(page(), untracked, AFTER).report.total_calls("writes") == 0


def test_the_current_quarter_so_far_and_a_bad_quarter() -> None:
    start, end, label = quarter(None, datetime(2026, 11, 24, 12, tzinfo=UTC), NY)
    assert (start.isoformat(), end.isoformat(), label) == ("2026-10-01T00:00:00-04:00", "2027-01-01T00:00:00-05:00",
                                                           "2026 Q4")
    with pytest.raises(ValueError, match="is not a quarter like 2026Q4"):
        quarter("2026Q5", datetime(2026, 11, 24, tzinfo=UTC), NY)


def test_a_quarter_that_has_not_begun_is_bad_input(sandbox: Sandbox, untracked: Config) -> None:
    with pytest.raises(InputError, match="2027 Q2 has not begun"):
        sandbox.run(page("2027Q2"), untracked, AFTER)
