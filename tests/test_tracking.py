"""The Support Incidents Spreadsheet through gspread against the sandbox's Sheets API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from oncall_lib.config import Config
from oncall_lib.handoff import rotate
from oncall_lib.iam import audit as iam_audit
from oncall_lib.recorder import TaskRow
from oncall_lib.report import Report
from oncall_lib.requests import watch
from oncall_lib.sandbox import Faults
from oncall_lib.services import Services
from oncall_lib.tracking import log as tracking
from oncall_lib.tracking.rows import HEADER, cell, values
from tests.conftest import Sandbox

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 30, 11, 7, tzinfo=NY)  # Alan Turing is on support


def worksheet(sandbox: Sandbox, title: str) -> list[list[str]]:
    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    found = next((w for w in sheet["worksheets"] if w["title"] == title), None)
    return found["rows"] if found else []


def handoff(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return rotate.run(s, c, at, dry_run=d)


def watching(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return watch.run(s, c, at, dry_run=d)


def auditing(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return iam_audit.run(s, c, at, dry_run=d)


def manual(summary: str, **fields: Any) -> Any:
    def job(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return tracking.log_task(s, c, at, dry_run=d, kind=fields.get("kind", "access"), summary=summary,
                                 link=fields.get("link", ""), minutes=fields.get("minutes"))
    return job


def test_rows_from_several_jobs_land_in_their_worksheets_once(sandbox: Sandbox, config: Config) -> None:
    asked = sandbox.post("C01SUPPORT", datetime(2026, 11, 30, 10, 0, tzinfo=NY), "Can someone rerun the deploy?")
    sandbox.reply("C01SUPPORT", asked, datetime(2026, 11, 30, 10, 12, tzinfo=NY), "U0ALAN", "On it")
    for job in (handoff, watching, auditing, manual("Granted Grafana access to Sam", minutes=15)):
        assert sandbox.run(job, config, MONDAY).report.exit_code == 0
    rotations, requests, iam, access = (worksheet(sandbox, t) for t in ("Rotations", "Support requests", "IAM",
                                                                          "Access"))
    assert [r[0] for r in (rotations, requests, iam, access)] == [HEADER] * 4
    assert rotations[1][2] == "Alan Turing" and rotations[1][3] == "rotation"
    [request] = requests[1:]
    assert request[0] == f"C01SUPPORT/{asked}" and request[2] == "Alan Turing" and request[7] == "Sam Requester"
    assert request[6] == "#vfs-platform-support" and request[8] == "12"  # minutes to acknowledge
    assert iam[1][4].startswith("IAM audit: 3 user(s) near or past 90 days inactive")
    assert access[1][4] == "Granted Grafana access to Sam" and access[1][9] == "15"
    # Who did it: the product's own actions are automatic; a request, whoever answered it; a task by hand, the
    # person on support.
    done_by = HEADER.index("Done by")
    assert (rotations[1][done_by], iam[1][done_by]) == ("automatic", "automatic")
    assert request[done_by] == "Alan Turing" and access[1][done_by] == "Alan Turing"

    before = {t: len(worksheet(sandbox, t)) for t in ("Rotations", "Support requests", "IAM", "Access")}
    for job in (handoff, watching, auditing, manual("Granted Grafana access to Sam", minutes=15)):
        again = sandbox.run(job, config, MONDAY).report
        assert again.total_calls("writes") == 0, again.to_text()
    assert {t: len(worksheet(sandbox, t)) for t in before} == before


def test_a_steady_handoff_reads_no_sheet(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(handoff, config, MONDAY)
    steady = sandbox.run(handoff, config, MONDAY).report
    assert "sheets" not in steady.api_calls  # the row goes in with the handoff message, once per rotation


def test_quota_errors_are_waited_out(sandbox: Sandbox, config: Config) -> None:
    faults = Faults(rate=0.5, kinds=("429",), services=("sheets",), retry_after=0, seed=4)
    run = sandbox.run(manual("Rotated the deploy key", kind="other"), config, MONDAY, faults=faults)
    assert run.report.exit_code == 0 and run.faults_injected > 0
    assert run.report.api_calls["sheets"]["reads"] + run.report.api_calls["sheets"]["writes"] > 4
    assert [r[4] for r in worksheet(sandbox, "Other")[1:]] == ["Rotated the deploy key"]


def test_a_sheet_the_service_account_cannot_edit_is_a_warning_not_a_crash(sandbox: Sandbox, config: Config) -> None:
    sandbox.world["sheets"]["spreadsheets"][0]["read_only"] = True
    report = sandbox.run(manual("Something"), config, MONDAY).report
    assert report.exit_code == 1
    assert "share the sheet with the service account" in report.outcomes[0].error


def test_text_that_looks_like_a_formula_stays_text() -> None:
    assert cell("=IMPORTXML(\"http://x\")") == "'=IMPORTXML(\"http://x\")"
    assert cell("@here") == "'@here" and cell("plain") == "plain"
    row = TaskRow("k", date(2026, 11, 30), "Ada", "support", "-1 day", minutes_to_acknowledge=12.0)
    assert values(row) == ["k", "2026-11-30", "Ada", "support", "'-1 day", "", "", "", "12", "", "", "Ada"]


def test_the_plans_line_says_where_a_summary_was_cut() -> None:
    # The dry run's one line per append: a long summary ends with an ellipsis, not mid-word as if it were whole.
    from oncall_lib.tracking.rows import _summaries
    long = TaskRow("k", date(2026, 12, 21), "Ada", "rotation",
                   "Support handoff: Grace Hopper takes over from Ada Lovelace until Mon 28 Dec")
    short = TaskRow("j", date(2026, 12, 21), "Ada", "access", "Access for Sam")
    assert _summaries([long, short]) == ("Support handoff: Grace Hopper takes over from Ada Lovelace…; "
                                         "Access for Sam")
