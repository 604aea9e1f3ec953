"""The GitHub adapter against GitHub's real quirks, through PyGithub and the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.services import Services

REPO = "department-of-veterans-affairs/va.gov-team"


def test_since_in_a_time_zone_east_of_utc_is_converted_before_pygithub_writes_it(world: dict[str, Any]) -> None:
    """PyGithub formats `since` with a literal Z and no conversion: 10:00 in Kolkata must mean 04:30 UTC."""
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == REPO)
    repo["issues"].append({"number": 5000, "title": "updated at 06:00 UTC", "state": "open", "user": "vfs-dev",
                           "labels": ["support-request"], "assignees": [], "created_at": "2026-11-30T06:00:00Z",
                           "updated_at": "2026-11-30T06:00:00Z"})
    since = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))  # 04:30 UTC
    assert since.astimezone(UTC).hour == 4
    with SandboxServer(world) as server:
        found = Services(sandbox_endpoints(server)).github.issues(REPO, labels=["support-request"], since=since)
    assert [i.number for i in found] == [5000]
