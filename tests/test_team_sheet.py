"""The team's own Support Incidents Spreadsheet, written into as it is, through gspread against the sandbox.

Each layout is one a team could have made: title rows, its own header words and order, sections (a heading row per
kind, rows under it), extra tabs. Rows land under the right header cells at the end of the right section; every
cell of the team's keeps its content and its place relative to its section; no tab is added; a second run writes
nothing; a layout that cannot be mapped gets one line and no write.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import Config, TrackingConfig
from oncall_lib.handoff import rotate
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.tracking import checks
from oncall_lib.tracking import log as tracking
from oncall_lib.tracking.layout import NOTE_PREFIX
from tests.conftest import Sandbox

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 30, 11, 7, tzinfo=NY)  # Alan Turing is on support


def logged(kind: str, summary: str, **fields: Any) -> Any:
    def job(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return tracking.log_task(s, c, at, dry_run=d, kind=kind, summary=summary, link=fields.get("link", ""),
                                 minutes=fields.get("minutes"))
    return job


def handoff(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return rotate.run(s, c, at, dry_run=d)


def doctor(s: Services, c: Config, at: datetime, d: bool) -> Report:
    report = Report("doctor", dry_run=True, at=at)
    report.facts = {"lines": [check.line() for check in checks.tracking_checks(s, c, at)]}
    return report


def team_sheet(sandbox: Sandbox, config: Config, tabs: list[dict[str, Any]], **settings: Any) -> Config:
    """The world's spreadsheet replaced by the team's tabs; [tracking] with the team's settings."""
    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    sheet["worksheets"] = copy.deepcopy(tabs)
    assert config.tracking
    tracking_config = TrackingConfig(spreadsheet_id=config.tracking.spreadsheet_id, **settings)
    return config.model_copy(update={"tracking": tracking_config})


def tab(sandbox: Sandbox, title: str) -> dict[str, Any]:
    return next(w for w in sandbox.world["sheets"]["spreadsheets"][0]["worksheets"] if w["title"] == title)


def trimmed(rows: list[list[Any]]) -> list[list[str]]:
    out = [[str(c) for c in r] for r in rows]
    for row in out:
        while row and not row[-1]:
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def product_rows(worksheet: dict[str, Any]) -> dict[int, str]:
    """Row index -> key of the rows the product inserted (the note on one of their cells)."""
    found = {}
    for ref, text in (worksheet.get("notes") or {}).items():
        if text.startswith(NOTE_PREFIX):
            found[int("".join(ch for ch in ref if ch.isdigit())) - 1] = text[len(NOTE_PREFIX):]
    return found


def teams_rows_unmoved(before: list[list[Any]], worksheet: dict[str, Any]) -> bool:
    """Without the rows the product inserted, the tab is exactly the team's: nothing moved, nothing overwritten."""
    mine = product_rows(worksheet)
    rest = [r for i, r in enumerate(worksheet["rows"]) if i not in mine]
    return trimmed(rest) == trimmed(before)


# -- a tab of sections under one header, with title rows above it and tabs of the team's own ------------------

SECTIONS = [
    {"title": "Support Incidents", "rows": [
        ["VSP Operations: Support Incidents"],
        ["Leave a line for every task, in its section"],
        [],
        ["When", "Engineer", "Type", "Description", "Ticket link", "Time spent (min)", "Team notes"],
        ["Support requests"],
        ["2026-11-23", "Grace Hopper", "slack", "Helped with DNS", "", "20", "keep"],
        [],
        ["Access"],
        ["2026-11-24", "Grace Hopper", "github", "Added Sam to devops", "", "5", ""],
        [],
        ["Other"],
        [],
        ["Totals", "", "", "=COUNTA(D6:D12)"],
    ]},
    {"title": "Charts", "rows": [["Requests per week"], ["=QUERY('Support Incidents'!A:F)"]]},
    {"title": "How we log", "rows": [["Write the date as 2026-12-07"]]},
]


def test_rows_land_under_the_teams_headers_at_the_end_of_their_sections(sandbox: Sandbox, config: Config) -> None:
    team = team_sheet(sandbox, config, SECTIONS)
    before = copy.deepcopy(tab(sandbox, "Support Incidents")["rows"])
    for job in (logged("access", "Granted Grafana access to Sam", minutes=15, link="https://example.org/1"),
                logged("support", "Explained the deploy freeze"), handoff):
        report = sandbox.run(job, team, MONDAY).report
        assert report.exit_code == 0 and not [w for w in report.warnings if "tracking" in w], report.to_text()
    worksheet = tab(sandbox, "Support Incidents")
    rows = worksheet["rows"]
    assert [w["title"] for w in sandbox.world["sheets"]["spreadsheets"][0]["worksheets"]] == [
        "Support Incidents", "Charts", "How we log"]  # no tab added
    assert teams_rows_unmoved(before, worksheet)
    assert tab(sandbox, "Charts")["rows"] == SECTIONS[1]["rows"]

    def section_of(index: int) -> str:
        return next(rows[i][0] for i in range(index, -1, -1) if rows[i][:1] in (["Support requests"], ["Access"],
                                                                                 ["Other"]))
    inserted = {key.split("/")[0]: index for index, key in product_rows(worksheet).items()}
    assert section_of(inserted["manual"]) in ("Access", "Support requests")
    access = next(r for r in rows if r[3:4] == ["Granted Grafana access to Sam"])
    assert access[:6] == ["2026-11-30", "Alan Turing", "access", "Granted Grafana access to Sam",
                          "https://example.org/1", "15"]
    assert section_of(rows.index(access)) == "Access"
    assert rows[rows.index(access) - 1][3] == "Added Sam to devops"  # after the section's last row ...
    assert rows[rows.index(access) + 1] == []  # ... before the blank row that closes it
    support = next(r for r in rows if r[3:4] == ["Explained the deploy freeze"])
    assert section_of(rows.index(support)) == "Support requests" and support[1] == "Alan Turing"
    # The handoff has no section of its own here: it goes to Other, marked as the product's own doing.
    rotation = next(r for r in rows if r[3:4] and r[3].startswith("Support handoff"))
    assert section_of(rows.index(rotation)) == "Other" and rotation[1] == "automatic" and rotation[2] == "rotation"
    assert rows[-1][0] == "Totals"

    again = [sandbox.run(job, team, MONDAY).report for job in (
        logged("access", "Granted Grafana access to Sam", minutes=15, link="https://example.org/1"),
        logged("support", "Explained the deploy freeze"))]
    assert all(r.total_calls("writes") == 0 for r in again)
    assert tab(sandbox, "Support Incidents")["rows"] == rows


# -- several layouts: each kind finds its place, whatever the team wrote ---------------------------------

LAYOUTS: dict[str, tuple[list[dict[str, Any]], dict[str, Any], str, dict[str, str]]] = {
    # A tab per kind, named the team's way, a title row above the header, columns in another order.
    "tabs of their own names": ([
        {"title": "Slack requests", "rows": [["Support log, Q4"], ["Who", "Date", "Summary", "URL", "Category"],
                                             ["Ada Lovelace", "2026-11-02", "VPN reset", "", "vpn"]]},
        {"title": "Access grants", "rows": [["Date", "Who", "Summary", "Duration"]]},
        {"title": "Misc", "rows": [["Date", "Summary"]]},
    ], {"sections": {"support": "Slack requests", "access": "Access grants", "other": "Misc"}},
        "Access grants", {"Date": "2026-11-30", "Who": "Alan Turing", "Summary": "Granted Grafana access to Sam",
                          "Duration": "15"}),
    # Sections that each repeat the header, with a custom word the team maps in [tracking.columns].
    "a header per section": ([
        {"title": "Log", "rows": [
            ["Access"], ["Day", "Engineer", "What we did", "Mins"], ["2026-11-20", "Grace Hopper", "Sentry", "10"],
            [], ["Support requests"], ["Day", "Engineer", "What we did", "Mins"],
            ["2026-11-21", "Grace Hopper", "DNS", "30"]]},
    ], {"columns": {"summary": "What we did", "minutes_spent": ["Mins"]}},
        "Log", {"Day": "2026-11-30", "Engineer": "Alan Turing", "What we did": "Granted Grafana access to Sam",
                "Mins": "15"}),
    # Headings with a count beside them, a header per section, time in hours, the team's longer words.
    "headings with counts, hours": ([
        {"title": "Log", "rows": [
            ["Access", "2 this week"], ["Date", "Who", "Description of issue", "Time spent (h)", "Requestor"],
            ["2026-11-20", "Grace Hopper", "Sentry", "0.5", "Sam"], [],
            ["Support requests", "1 this week"], ["Date", "Who", "Description of issue", "Time spent (h)"],
            ["2026-11-21", "Grace Hopper", "DNS", "1"]]},
    ], {}, "Log", {"Date": "2026-11-30", "Who": "Alan Turing", "Description of issue": "Granted Grafana access to Sam",
                   "Time spent (h)": "0.25"}),
    # One log for everything, no sections, the header on row 4 under blank and title rows.
    "one log": ([
        {"title": "Tasks", "rows": [[], ["Oncall support"], [], ["Date", "Category", "Person", "Description", "Link",
                                                                 "Time spent"],
                                    ["2026-11-02", "support", "Ada Lovelace", "VPN reset", "", "15"]]},
        {"title": "Lists", "rows": [["Categories"], ["support"], ["access"]]},
    ], {}, "Tasks", {"Date": "2026-11-30", "Category": "access", "Person": "Alan Turing",
                     "Description": "Granted Grafana access to Sam", "Time spent": "15"}),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layouts_teams_write_get_rows_under_their_own_words(sandbox: Sandbox, config: Config, name: str) -> None:
    tabs, settings, where, expected = LAYOUTS[name]
    team = team_sheet(sandbox, config, tabs, **settings)
    job = logged("access", "Granted Grafana access to Sam", minutes=15)
    report = sandbox.run(job, team, MONDAY).report
    assert report.exit_code == 0 and not report.warnings, report.to_text()
    worksheets = sandbox.world["sheets"]["spreadsheets"][0]["worksheets"]
    assert [w["title"] for w in worksheets] == [t["title"] for t in tabs]  # no tab added
    for original, now in zip(tabs, worksheets, strict=True):
        assert teams_rows_unmoved(original["rows"], now)
    worksheet = tab(sandbox, where)
    [index] = product_rows(worksheet)
    row = worksheet["rows"][index]
    header = next(r for r in reversed(worksheet["rows"][:index]) if set(expected) <= set(r))
    assert {h: row[header.index(h)] for h in expected} == expected
    headings = [r[0] for r in worksheet["rows"][:index] if r[:1] in (["Access"], ["Support requests"], ["Other"])]
    assert headings[-1:] in ([], ["Access"])  # in a tab of sections, under Access
    assert sandbox.run(job, team, MONDAY).report.total_calls("writes") == 0


def test_a_layout_that_cannot_be_mapped_gets_one_line_and_no_write(sandbox: Sandbox, config: Config) -> None:
    team = team_sheet(sandbox, config, [{"title": "Log", "rows": [["Who", "Link", "Notes"],
                                                                  ["Ada Lovelace", "https://x", "ok"]]}])
    before = copy.deepcopy(sandbox.world["sheets"])
    run = sandbox.run(logged("access", "Granted Grafana access to Sam"), team, MONDAY)
    assert run.report.total_calls("writes") == 0 and sandbox.world["sheets"] == before
    [line] = [w for w in run.report.warnings if "tracking sheet" in w]
    assert "'Log'" in line and "the date or the summary" in line and "Who, Link, Notes" in line
    # The doctor says the same before anything runs.
    lines = sandbox.run(doctor, team, MONDAY).report.facts["lines"]
    assert any(x.startswith("FAIL google sheet layout") and "'Log' has no column for the date" in x for x in lines)


def test_no_place_for_a_kind_is_one_line_and_the_other_kinds_still_go_in(sandbox: Sandbox, config: Config) -> None:
    tabs = [{"title": "Support", "rows": [["Date", "Who", "Summary"]]},
            {"title": "Access", "rows": [["Date", "Who", "Summary"]]}]
    team = team_sheet(sandbox, config, tabs, sections={"support": "Support", "access": "Access"})
    missing = sandbox.run(logged("deploy", "Rolled back"), team, MONDAY).report
    assert missing.total_calls("writes") == 0
    assert [w for w in missing.warnings if "no tab or section for deploy rows ('Other')" in w]
    assert sandbox.run(logged("access", "Granted"), team, MONDAY).report.total_calls("writes") == 2
    assert tab(sandbox, "Access")["rows"][1][2] == "Granted"
    # Asked to, the product adds the tab it lacks (with its own header).
    allowed = team_sheet(sandbox, config, tabs, sections={"support": "Support", "access": "Access"}, add_tabs=True)
    assert sandbox.run(logged("deploy", "Rolled back"), allowed, MONDAY).report.exit_code == 0
    assert tab(sandbox, "Other")["rows"][1][4] == "Rolled back"


def test_a_kind_without_its_section_in_a_tab_of_sections_is_not_put_in_another(sandbox: Sandbox,
                                                                                config: Config) -> None:
    tabs = [{"title": "Log", "rows": [["Date", "Who", "Summary"], ["Slack"], ["2026-11-02", "Ada", "VPN"], [],
                                      ["GitHub"], ["2026-11-03", "Ada", "Team added"]]}]
    team = team_sheet(sandbox, config, tabs)
    run = sandbox.run(logged("access", "Granted"), team, MONDAY)
    assert run.report.total_calls("writes") == 0
    [line] = [w for w in run.report.warnings if "tracking sheet" in w]
    assert "no tab or section for access rows ('Access' or 'Other') among the sections 'Slack', 'GitHub'" in line
    # Named in [tracking.sections], the team's own heading is the place.
    mapped = team_sheet(sandbox, config, tabs, sections={"access": "GitHub", "support": "Slack"})
    assert sandbox.run(logged("access", "Granted"), mapped, MONDAY).report.total_calls("writes") == 2
    assert tab(sandbox, "Log")["rows"][6][:3] == ["2026-11-30", "Alan Turing", "Granted"]


def test_a_log_kept_by_month_gets_rows_at_the_end_of_the_newest_month(sandbox: Sandbox, config: Config) -> None:
    tabs = [{"title": "Log", "rows": [["Date", "Who", "Summary"], ["October 2026"], ["2026-10-02", "Ada", "VPN"], [],
                                      ["November 2026"], ["2026-11-03", "Ada", "Team added"], [],
                                      ["Monthly total", "", "2"]]}]
    team = team_sheet(sandbox, config, tabs)
    assert sandbox.run(logged("access", "Granted"), team, MONDAY).report.total_calls("writes") == 2
    rows = tab(sandbox, "Log")["rows"]
    assert rows[6][:3] == ["2026-11-30", "Alan Turing", "Granted"] and rows[5][2] == "Team added"
    assert teams_rows_unmoved(tabs[0]["rows"], tab(sandbox, "Log"))


def test_columns_are_added_only_when_the_team_asks(sandbox: Sandbox, config: Config) -> None:
    tabs = [{"title": "Access", "rows": [["Date", "Summary", "Team's own"], ["2026-11-02", "Old", "x"]]}]
    team = team_sheet(sandbox, config, tabs, add_columns=True)
    assert sandbox.run(logged("access", "Granted", link="https://example.org/2"), team, MONDAY).report.exit_code == 0
    rows = tab(sandbox, "Access")["rows"]
    assert rows[0][:3] == ["Date", "Summary", "Team's own"] and "Link" in rows[0] and "Key" not in rows[0]
    assert rows[1] == ["2026-11-02", "Old", "x"] and rows[2][rows[0].index("Link")] == "https://example.org/2"


def test_an_empty_spreadsheet_is_set_up_by_the_product(sandbox: Sandbox, config: Config) -> None:
    team = team_sheet(sandbox, config, [{"title": "Sheet1", "rows": []}])
    assert sandbox.run(logged("access", "Granted"), team, MONDAY).report.exit_code == 0
    assert tab(sandbox, "Access")["rows"][0][:2] == ["Key", "Date"]


def test_values_lost_after_the_insert_are_written_by_the_next_run(sandbox: Sandbox, config: Config) -> None:
    team = team_sheet(sandbox, config, SECTIONS)
    job = logged("access", "Granted Grafana access to Sam", minutes=15)
    sandbox.run(job, team, MONDAY)
    worksheet = tab(sandbox, "Support Incidents")
    [index] = product_rows(worksheet)
    written = list(worksheet["rows"][index])
    worksheet["rows"][index] = []  # the insert (and its key) landed, the values did not
    again = sandbox.run(job, team, MONDAY).report
    assert [o.action.kind for o in again.outcomes] == ["sheet.fill"]
    assert worksheet["rows"][index] == written and len(product_rows(worksheet)) == 1


def test_the_doctor_shows_where_each_kind_goes(sandbox: Sandbox, config: Config) -> None:
    team = team_sheet(sandbox, config, SECTIONS)
    lines = sandbox.run(doctor, team, MONDAY).report.facts["lines"]
    assert lines[0].startswith("ok   google sheet: the spreadsheet is reachable (3 worksheets)")
    access = next(x for x in lines if "go to 'Support Incidents', section 'Access'" in x)
    assert access.startswith("ok   google sheet rows of access: go to")
    assert "When=A (date)" in access and "Engineer=B (done_by)" in access and "Description=D (summary)" in access
    assert any("rotation" in x and "section 'Other'" in x for x in lines)
    assert len(lines) == len({x.split(":")[0] for x in lines})  # each its own name: the doctor shows every one


def test_rows_name_people_never_raw_ids(sandbox: Sandbox, config: Config) -> None:
    tabs = [{"title": "Access", "rows": [["Date", "Who", "Summary", "Requester"]]}]
    team = team_sheet(sandbox, config, tabs)
    row = tracking.TaskRow("k", MONDAY.date(), "@U0ALAN", "access", "x", requester="U0GRACE")
    named = tracking.named(row, team)
    assert (named.person, named.requester) == ("Alan Turing", "Grace Hopper")


def test_the_rotation_report_counts_the_rows_where_the_team_keeps_them(sandbox: Sandbox, config: Config) -> None:
    from tests.test_rotation_report import BEFORE_HANDOFF, reporting

    tabs = copy.deepcopy(SECTIONS)
    log = tabs[0]["rows"]
    log[8:8] = [["12/1/2026", "Alan Turing", "", "Granted Sentry", "", "5"],
                ["next tuesday", "Alan Turing", "", "Granted VPN", "", ""]]  # rows 9 and 10 of the tab
    team = team_sheet(sandbox, config, tabs)
    report = sandbox.run(reporting, team, BEFORE_HANDOFF, dry_run=True).report
    assert report.extra["rotation"]["logged_tasks"]["access"] == 1
    assert any("'Support Incidents'!A10 (“next tuesday”)" in w for w in report.warnings), report.warnings


def test_init_shows_the_mapping_it_found_and_writes_the_spreadsheet_id(sandbox: Sandbox, config: Config,
                                                                      tmp_path: Any) -> None:
    from oncall_lib.setup import init_config
    from oncall_lib.setup.init_config import InitRequest
    from tests.test_init import AT

    team_sheet(sandbox, config, SECTIONS)
    url = "https://docs.google.com/spreadsheets/d/1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k/edit#gid=0"
    request = InitRequest("PSUPPRT", "C01SUPPORT", output=str(tmp_path / "oncall.toml"), spreadsheet=url)
    from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
    with SandboxServer(sandbox.world, clock=lambda: AT) as server:
        report, text = init_config.run(Services(sandbox_endpoints(server)), request, AT, dry_run=True)
    assert 'spreadsheet_id = "1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k"' in text
    assert any("access -> 'Support Incidents', section 'Access': When=A (date)" in line
               for line in report.facts["tracking_sheet"])
    assert "# access -> 'Support Incidents', section 'Access'" in text
