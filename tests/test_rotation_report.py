"""The end-of-rotation report against a hand-computed week, through every SDK in the sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from oncall_lib.config import Config
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.github import IssueState
from oncall_lib.tracking import report as rotation_report
from oncall_lib.tracking.figures import percentile
from tests.conftest import Sandbox

NY = ZoneInfo("America/New_York")
SUPPORT, SRE, OPERATIONS = "C01SUPPORT", "C03SRE000", "C02VSPOPS"
BEFORE_HANDOFF = datetime(2026, 12, 7, 8, 30, tzinfo=NY)  # Alan Turing's week ends at 09:00


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    month = 11 if day >= 23 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def reporting(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotation_report.run(services, config, at, dry_run=dry_run)


def alans_week(sandbox: Sandbox) -> dict[str, str]:
    """Known acknowledgement times (business minutes): 10, 30, 75 (a breach), never, 5, 20, and one by reaction."""
    ts = {}
    ts["quick"] = sandbox.post(SUPPORT, ny(30, 10), "Is staging down?")
    sandbox.reply(SUPPORT, ts["quick"], ny(30, 10, 10), "U0ALAN")
    ts["half_hour"] = sandbox.post(SUPPORT, ny(30, 11), "Need a DNS record")
    sandbox.reply(SUPPORT, ts["half_hour"], ny(30, 11, 30), "U0GRACE")
    ts["overnight"] = sandbox.post(SUPPORT, ny(1, 16, 30), "Grafana is slow")  # 30 min Tuesday + 45 Wednesday
    sandbox.reply(SUPPORT, ts["overnight"], ny(2, 9, 45), "U0ALAN")
    ts["never"] = sandbox.post(SUPPORT, ny(2, 10), "Can I get Sentry access?")
    ts["sre"] = sandbox.post(SRE, ny(3, 14), "Disk alarms on jenkins", user="U0DOT")
    sandbox.reply(SRE, ts["sre"], ny(3, 14, 5), "U0ALAN")
    ts["busy_thread"] = sandbox.post(SUPPORT, ny(4, 9), "Deploy failed twice")
    sandbox.reply(SUPPORT, ts["busy_thread"], ny(4, 9, 5), "U0REQ1", "any idea?")
    sandbox.reply(SUPPORT, ts["busy_thread"], ny(4, 9, 20), "U0ALAN", "looking")
    sandbox.reply(SUPPORT, ts["busy_thread"], ny(4, 9, 30), "U0GRACE", "found it")
    ts["reaction"] = sandbox.post(SUPPORT, ny(4, 10), "FYI the VPN is flaky",
                                  reactions=[{"name": "eyes", "users": ["U0ALAN"], "count": 1}])
    sandbox.post(SUPPORT, ny(29, 10), "Last week's question")  # Grace's week: in the trend only
    return ts


def test_the_figures_match_the_hand_computed_week(sandbox: Sandbox, config: Config) -> None:
    alans_week(sandbox)
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    assert report.exit_code == 0, report.to_text()
    week = report.extra["rotation"]
    assert week["person"] == "Alan Turing"
    assert week["start"] == "2026-11-30T09:00:00-05:00" and week["end"] == "2026-12-07T09:00:00-05:00"
    assert week["requests"] == 7
    assert week["requests_by_channel"] == {"#vfs-platform-support": 6, "#sre": 1}
    assert (week["acknowledged"], week["never_acknowledged"], week["acknowledged_time_unknown"]) == (6, 1, 1)
    # Known times 5, 10, 20, 30, 75: nearest-rank median 20 and p90 75; 4 of 6 judged within the hour.
    assert week["median_minutes_to_acknowledge"] == 20.0 and week["p90_minutes_to_acknowledge"] == 75.0
    assert week["share_within_limit"] == 0.667
    # A late acknowledgement has its time; the request nobody acknowledged has none, only how long it was open:
    # Wed 10:00 to the end of the turn, Mon 09:00 (119 hours).
    assert [(b["minutes"], b["acknowledged"], b["open_hours"]) for b in week["breaches"]] == [
        (75.0, True, None), (None, False, 119.0)]
    assert week["median_minutes_by_day"] == {"2026-11-30": 10.0, "2026-12-01": 75.0, "2026-12-03": 5.0,
                                             "2026-12-04": 20.0}
    trend = report.extra["trend"]
    assert [t["person"] for t in trend] == ["Grace Hopper", "Ada Lovelace", "Katherine Johnson", "Alan Turing"]
    assert trend[0]["requests"] == 1 and trend[0]["never_acknowledged"] == 1
    assert "pie showData" in report.markdown and "### Requests by day" in report.markdown
    assert "- [#vfs-platform-support 2026-12-02 10:00](" in report.markdown
    assert "): not acknowledged (open 119 h when the turn ended)" in report.markdown
    assert "never acknowledged" not in report.markdown
    # auth.test, six histories, the one busy thread, and the check for an earlier summary.
    assert report.api_calls["slack"]["reads"] == 9


def test_it_is_published_once_and_updated_in_place(sandbox: Sandbox, config: Config) -> None:
    alans_week(sandbox)
    first = sandbox.run(reporting, config, BEFORE_HANDOFF).report
    assert [o.action.kind for o in first.outcomes] == ["github.create_issue", "slack.post"]
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"].endswith("va.gov-team"))
    [issue] = [i for i in repo["issues"] if "rotation-report" in i["labels"]]
    assert issue["title"] == "Rotation report: Alan Turing, Nov 30 – Dec 07, 2026"
    # The review: the outgoing person owns the issue; the PM, the lead and the next person are named in it.
    assert issue["assignees"] == ["alan-turing"]
    assert ("Review with @alan-turing (on support), @katherine-johnson (next on support), @margaret-hamilton (PM), "
            "@ada-lovelace (tech lead): what should change?") in issue["body"]
    # The summary goes to the team's channel, not the requesters', and tags the same people.
    assert not [m for m in sandbox.channel(SUPPORT)["messages"]
                if (m.get("metadata") or {}).get("event_type") == rotation_report.SLACK_EVENT]
    summary = [m for m in sandbox.channel(OPERATIONS)["messages"]
               if (m.get("metadata") or {}).get("event_type") == rotation_report.SLACK_EVENT]
    assert len(summary) == 1 and f"/issues/{issue['number']}|Read it" in summary[0]["text"]
    assert ("7 requests, median time to acknowledge 20 min, 67% within 60 minutes, 1 acknowledged later and 1 not "
            "acknowledged; 0 support issues opened.") in summary[0]["text"]
    assert ("<@U0ALAN> (on support), <@U0KATH> (next on support), <@U0MARG> (PM), <@U0ADA> (tech lead)"
            in summary[0]["text"])

    again = sandbox.run(reporting, config, BEFORE_HANDOFF + timedelta(minutes=10)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0
    sandbox.reply(SUPPORT, alans_week_key(sandbox), ny(6, 12), "U0ALAN")  # a late answer changes the figures
    notes = "Review notes (Margaret): move Sentry access to the access form.\r\n\r\n"
    issue["body"] = notes + issue["body"] + "\r\n\r\n- [ ] Alan: write the FAQ entry"
    updated = sandbox.run(reporting, config, BEFORE_HANDOFF + timedelta(minutes=20)).report
    assert [o.action.kind for o in updated.outcomes] == ["github.edit_issue"]
    # The report's own section changed; the notes the review added around it did not.
    assert issue["body"].startswith(notes) and issue["body"].endswith("- [ ] Alan: write the FAQ entry")
    assert "| Requests | 7 (7 acknowledged, 0 not acknowledged) |" in issue["body"]
    issue["body"] = "We discussed it; see the notes doc."  # a person's edit drops the report, markers and all
    kept = sandbox.run(reporting, config, BEFORE_HANDOFF + timedelta(minutes=30)).report
    assert kept.outcomes == [] and issue["body"] == "We discussed it; see the notes doc."
    assert any("left as it is" in w for w in kept.warnings)


def alans_week_key(sandbox: Sandbox) -> str:
    return next(m["ts"] for m in sandbox.channel(SUPPORT)["messages"] if m.get("text") == "Can I get Sentry access?")


def test_the_schedule_runs_it_once_before_the_handoff(sandbox: Sandbox, config: Config) -> None:
    def at_eight(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return rotation_report.run(s, c, at, dry_run=d, only_at_hour=8)
    assert sandbox.run(at_eight, config, BEFORE_HANDOFF - timedelta(hours=1)).report.facts["skipped"]
    assert "rotation" in sandbox.run(at_eight, config, BEFORE_HANDOFF, dry_run=True).report.extra


def test_the_scheduled_run_follows_the_configured_handoff(sandbox: Sandbox, config: Config) -> None:
    def scheduled(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return rotation_report.run(s, c, at, dry_run=d, only_before_handoff=True)
    assert "it is 07:" in sandbox.run(scheduled, config, BEFORE_HANDOFF - timedelta(hours=1)).report.facts["skipped"]
    assert "the handoff is on monday" in sandbox.run(scheduled, config, BEFORE_HANDOFF + timedelta(days=1),
                                                     dry_run=True).report.facts["skipped"]
    assert "rotation" in sandbox.run(scheduled, config, BEFORE_HANDOFF, dry_run=True).report.extra


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5, 10, 20, 30, 75], 0.5) == 20 and percentile([5, 10, 20, 30, 75], 0.9) == 75
    assert percentile(list(range(1, 11)), 0.9) == 9


def test_logged_tasks_count_whatever_date_format_the_sheet_shows(sandbox: Sandbox, config: Config) -> None:
    """Sheets parses USER_ENTERED dates and shows them in the spreadsheet's own format; the report reads them
    unformatted (serial numbers) and compares dates, not strings."""
    from oncall_lib.tracking import log as tracking

    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    sheet["date_format"] = "%m/%d/%Y"  # a sheet set up by someone in the US

    def log(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return tracking.log_task(s, c, at, dry_run=d, kind="access", summary="=Granted Sentry to Sam", link="")

    assert sandbox.run(log, config, ny(2, 11)).report.exit_code == 0
    access = next(w for w in sheet["worksheets"] if w["title"] == "Access")
    assert access["rows"][1][1] == "12/02/2026"  # how the sheet shows it
    assert access["rows"][1][4] == "=Granted Sentry to Sam"  # the ' that kept it text is not stored
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    assert report.extra["rotation"]["logged_tasks"]["access"] == 1


def _access_rows(dates: list[str]) -> list[list[str]]:
    from oncall_lib.tracking.rows import HEADER

    return [HEADER] + [[f"typed-{i}", day, "Alan Turing", "access", f"granted {i}"] for i, day in enumerate(dates)]


def test_sheet_dates_are_read_whatever_they_hold(sandbox: Sandbox, config: Config) -> None:
    """A Date column formatted as plain text keeps what people type, and the product's own dates, as text: each
    is read as the date it says, and the cells that say none are named in a warning."""
    from oncall_lib.tracking import log as tracking

    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    typed = ["12/3/2026", "2026-12-01", "4 Dec 2026", "December 5, 2026", "Tue 1-Dec-26", "46357",
             "12/2/2026 3:15 PM", "11/29/2026", "next tuesday", ""]
    sheet["worksheets"].append({"title": "Access", "text_columns": ["B"], "rows": _access_rows(typed)})

    def log(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return tracking.log_task(s, c, at, dry_run=d, kind="access", summary="Granted Sentry to Sam", link="")

    assert sandbox.run(log, config, ny(2, 11)).report.exit_code == 0
    access = next(w for w in sheet["worksheets"] if w["title"] == "Access")
    assert access["rows"][-1][1] == "2026-12-02"  # the product's own row, kept as text by the column's format
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    # Seven typed dates in Alan's week (serial 46357 is Dec 1; Nov 29 is before it), and the product's row.
    assert report.extra["rotation"]["logged_tasks"]["access"] == 8
    assert ("tracking sheet: 2 date(s) cannot be read, so those rows are not counted: 'Access'!B10 (“next "
            "tuesday”), 'Access'!B11 (empty); write them as 2026-12-07, 12/7/2026 or 7 Dec 2026") in report.warnings


def test_slashed_dates_follow_the_spreadsheets_locale(sandbox: Sandbox, config: Config) -> None:
    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    sheet["locale"] = "en_GB"  # 2/12/2026 is the 2nd of December; 13/11/2026 could only be day first anyway
    sheet["worksheets"].append({"title": "Access", "text_columns": ["B"],
                                "rows": _access_rows(["2/12/2026", "12/2/2026", "13/11/2026", "1.12.2026"])})
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    assert report.extra["rotation"]["logged_tasks"]["access"] == 2
    assert not [w for w in report.warnings if "tracking sheet" in w]


def test_a_reaction_is_timed_by_the_first_scan_that_saw_it(sandbox: Sandbox, config: Config) -> None:
    """Slack gives a reaction no time: the watch logs the scan that first saw it, and the report's medians use
    that upper bound instead of leaving the request out."""
    from oncall_lib.requests import watch

    def watching(services: Services, c: Config, at: datetime, dry_run: bool) -> Report:
        return watch.run(services, c, at, dry_run=dry_run)

    ts = alans_week(sandbox)
    first = sandbox.run(watching, config, ny(4, 10, 15)).report
    key = f"{SUPPORT}/{ts['reaction']}"
    record = next(r for r in first.facts["records"] if r["key"] == key)
    assert record["via"] == "reaction" and record["acknowledged_at"] is None
    [row] = [r for t in sandbox.world["sheets"]["spreadsheets"][0]["worksheets"] if t["title"] == "Support requests"
             for r in t["rows"] if r and r[0] == key]
    assert row[8] == "15" and row[10] == "reaction; seen by 2026-12-04T10:15-05:00"
    again = sandbox.run(watching, config, ny(4, 10, 30)).report  # a later scan does not move the bound
    assert again.total_calls("writes") == 0

    week = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report.extra["rotation"]
    assert (week["acknowledged_time_unknown"], week["acknowledged_time_upper_bound"]) == (0, 1)
    # Known times 5, 10, 20, 30, 75 and the reaction's 15 (at most): nearest-rank median 15.
    assert week["median_minutes_to_acknowledge"] == 15.0 and week["p90_minutes_to_acknowledge"] == 75.0


def test_the_report_ends_with_three_questions_drawn_from_its_figures(sandbox: Sandbox, config: Config) -> None:
    alans_week(sandbox)
    body = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report.markdown
    questions = body.split("### For the review", 1)[1]
    # The request nobody acknowledged (the Sentry request), and the busiest channel; no support issue was worked
    # on, so nothing is asked about the two-hour rule.
    assert ("1. 1 of the 7 requests was not acknowledged; the oldest, [#vfs-platform-support 2026-12-02 10:00]("
            in questions)
    assert "was open 119 h when the turn ended" in questions
    assert "2. #vfs-platform-support brought 6 of the 7 requests" in questions
    assert "3." not in questions and "two-hour" not in questions


def test_issues_closed_without_a_summary_are_listed(sandbox: Sandbox, config: Config) -> None:
    alans_week(sandbox)
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"].endswith("va.gov-team"))
    for number, comments in ((5001, []), (5002, [{"id": 99002, "user": "alan-turing",
                                                  "body": "Summary: the cache was stale; purged it."}])):
        repo["issues"].append({"number": number, "title": f"Request {number}", "state": "closed", "user": "vfs-dev",
                               "labels": ["support-request"], "assignees": ["alan-turing"], "comments": comments,
                               "created_at": "2026-12-01T15:00:00Z", "closed_at": "2026-12-02T15:00:00Z",
                               "updated_at": "2026-12-02T15:00:00Z"})
    week = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report.extra["rotation"]
    assert [u.rsplit("/", 1)[1] for u in week["closed_without_a_summary"]] == ["5001"]


def test_normal_oncall_is_in_the_report(sandbox: Sandbox, config: Config) -> None:
    """The PagerDuty incidents of the rotation, on the services whose escalation policy pages the schedule."""
    alans_week(sandbox)
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    assert [(i["number"], i["status"]) for i in report.extra["incidents"]] == [(4103, "resolved"),
                                                                               (4104, "acknowledged")]
    assert "### Normal oncall (PagerDuty incidents)" in report.markdown
    assert "2 incident(s), 1 high urgency, 1 resolved." in report.markdown


def _questions(markdown: str) -> list[str]:
    block = markdown.split("### For the review", 1)[1].split("<!--", 1)[0]
    return [line.split(". ", 1)[1] for line in block.splitlines() if line[:1].isdigit()]


def test_a_quiet_week_reads_as_a_quiet_week(sandbox: Sandbox, config: Config) -> None:
    """No request and no support issue: nothing claims an acknowledgement, a busiest channel or a two-hour rule,
    and the weeks before, with nothing recorded either, make no trend of zeros."""
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    body = report.markdown
    assert "| Requests | none |" in body
    assert "| Time to acknowledge | no acknowledged request with a known time |" in body
    assert "### Waited longer" not in body and "mermaid" not in body and "### Requests by day" not in body
    assert "No trend yet: the 4 rotations before this one have nothing recorded" in body
    questions = _questions(body)
    assert questions[0].startswith("No request reached the watched channels during the rotation.")
    assert len(questions) == 2 and "quiet weeks" in questions[1]
    said = " ".join(questions)
    assert "acknowledged within" not in said and "brought" not in said and "two-hour" not in said
    [summary] = [o.action for o in report.outcomes if o.action.kind == "slack.post"]
    assert ": no requests; 0 support issues opened." in summary.params["text"]


def _issue(sandbox: Sandbox, number: int, created: str, comments: list[dict[str, str]] | None = None) -> str:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"].endswith("va.gov-team"))
    repo["issues"].append({"number": number, "title": f"Support request {number}", "state": "open",
                           "user": "vfs-dev", "labels": ["support-request"], "assignees": ["alan-turing"],
                           "created_at": created, "updated_at": created,
                           "comments": [{"id": number * 10 + n, "created_at": created, **c}
                                        for n, c in enumerate(comments or [])]})
    return f"https://github.sandbox/department-of-veterans-affairs/va.gov-team/issues/{number}"


def test_a_busy_week_holds_the_two_hour_rule_to_time_spent(sandbox: Sandbox, config: Config) -> None:
    """Time spent comes from what records it: the tracking sheet's minutes for the issue's link and the team's
    `/oncall spent` entries. An issue open for days is long-open, not past the rule; one with no record is said
    to have no known time."""
    from oncall_lib.tracking import log as tracking

    alans_week(sandbox)
    over = _issue(sandbox, 5101, "2026-12-03T15:00:00Z", [
        {"user": "alan-turing", "body": "Traced it to the cache.\n/oncall spent 1h"},
        {"user": "vfs-dev", "body": "/oncall spent 9h"}])  # not the team's time entry
    small = _issue(sandbox, 5102, "2026-12-04T14:00:00Z", [{"user": "grace-hopper", "body": "/oncall spent 30m"}])
    unknown = _issue(sandbox, 5103, "2026-11-30T15:00:00Z")  # open all week, nothing recorded

    def log(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return tracking.log_task(s, c, at, dry_run=d, kind="support", summary="Cache purge", link=over, minutes=90)

    assert sandbox.run(log, config, ny(3, 16)).report.exit_code == 0
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    week = report.extra["rotation"]
    assert week["over_the_two_hour_rule"] == [{"issue": over, "minutes_spent": 150}]
    assert week["minutes_spent"] == {over: 150, small: 30}
    assert week["time_spent_not_recorded"] == [unknown]
    assert week["open_longer_than_the_scoping_limit"] == [unknown]
    body = report.markdown
    assert "| Over the two-hour rule (recorded time spent) | [#5101](" in body and "(2 h 30 min) |" in body
    assert f"| Time spent not recorded (the two-hour rule cannot be checked) | [#5103]({unknown}) |" in body
    assert f"| Open longer than 2 business days (consider scoping) | [#5103]({unknown}) |" in body
    questions = _questions(body)
    assert len(questions) == 3
    assert questions[2].startswith(f"[department-of-veterans-affairs/va.gov-team#5101]({over}) “Support request "
                                   "5101” took 2 h 30 min of recorded work, past the two-hour rule.")
    [summary] = [o.action for o in report.outcomes if o.action.kind == "slack.post"]
    assert "; 3 support issues opened, 1 past the two-hour rule." in summary.params["text"]


def test_weeks_with_nothing_recorded_are_gaps_and_a_logged_quiet_week_is_not(sandbox: Sandbox,
                                                                            config: Config) -> None:
    """Grace's week had a request; Ada's and Katherine's before it have nothing recorded: they are gaps in the
    trend, not zeros. A week whose handoff the sheet logged but that had no request is a real zero."""
    from oncall_lib.tracking import log as tracking

    alans_week(sandbox)

    def log(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return tracking.log_task(s, c, at, dry_run=d, kind="rotation", summary="Handoff to Katherine Johnson")

    assert sandbox.run(log, config, datetime(2026, 11, 10, 10, 0, tzinfo=NY)).report.exit_code == 0
    report = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report
    trend = {t["person"]: t for t in report.extra["trend"]}
    assert trend["Grace Hopper"]["has_data"] and trend["Katherine Johnson"]["has_data"]
    assert not trend["Ada Lovelace"]["has_data"] and not trend["Alan Turing"]["has_data"]
    table = report.markdown.split("### The last 5 rotations", 1)[1].split("###", 1)[0]
    rows = {line.split(" |", 1)[0].lstrip("| "): line for line in table.splitlines() if line.startswith("| ")}
    assert rows["Ada Lovelace, Nov 16 – Nov 23, 2026"].endswith("| no data (nothing recorded) | | | |")
    assert "| 0 | n/a | n/a | 0 |" in rows["Katherine Johnson, Nov 09 – Nov 16, 2026"]
    assert "| 1 ▇" in rows["Grace Hopper, Nov 23 – Nov 30, 2026"]
    assert "| 7 ▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇ | 20 min" in rows["Alan Turing, Nov 30 – Dec 07, 2026"]


def test_time_entries_read_as_people_write_them() -> None:
    from oncall_lib.support_issues.commands import parse_commands
    from oncall_lib.tracking.time_spent import comment_minutes, parse_duration

    assert [parse_duration(t) for t in ("1h30m", "45m", "2h", "1.5 hours", "90 min", "90", "soon", "0m", "")] == [
        90, 45, 120, 90, 90, 90, None, None, None]
    assert comment_minutes(["Found it.\n/oncall spent 1h\r\n", "/ONCALL SPENT 20m", "no entry here"]) == 80
    assert comment_minutes(["spent an hour"]) is None
    # A time entry is a command the issue-comment job knows: it changes nothing, and a bad one gets an answer.
    commands, problems = parse_commands("/oncall spent 45m\n/oncall spent soon")
    assert [c.verb for c in commands] == ["spent"]
    assert problems == ["`/oncall spent soon`: give the time like `/oncall spent 45m` or `/oncall spent 1h30m`"]


def test_the_report_leaves_out_what_is_off(sandbox: Sandbox, config: Config) -> None:
    """Without the request watch, the review digest and the deploy triage, the report shows none of their rows (no
    zeros) and asks nothing about requests; what is on still shows."""
    alans_week(sandbox)
    unwatched = [c.model_copy(update={"watch": False}) for c in config.slack.channels]
    off = config.model_copy(update={"slack": config.slack.model_copy(update={"channels": unwatched}),
                                    "reviews": None, "deploys": None, "answers": None})
    off.__pydantic_fields_set__.discard("requests")  # as if oncall.toml had no [requests] table
    report = sandbox.run(reporting, off, BEFORE_HANDOFF, dry_run=True).report
    assert report.exit_code == 0, report.to_text()
    markdown = report.markdown
    for gone in ("| Requests |", "| Time to acknowledge |", "| PRs reviewed |", "| Failed deploys handled |",
                 "No request reached the watched channels"):
        assert gone not in markdown, gone
    for kept in ("| Support issues |", "| IAM findings and PRs |", "| Postmortem items moved |",
                 "| Access and offboarding |", "### Normal oncall (PagerDuty incidents)"):
        assert kept in markdown, kept
    assert "pr_review" not in report.extra["rotation"]["logged_tasks"]
    # No channel was read for requests nobody watches.
    assert report.total_calls("reads") < sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True
                                                     ).report.total_calls("reads")

    on = sandbox.run(reporting, config, BEFORE_HANDOFF, dry_run=True).report.markdown
    assert "| Requests | 7 (6 acknowledged, 1 not acknowledged) |" in on and "| PRs reviewed | 0 |" in on


def test_the_trend_shows_only_the_columns_of_duties_that_are_on() -> None:
    """Without the request watch the trend compares the support issues opened, with no request columns of zeros;
    with neither the watch nor support issues there is no trend at all."""
    from oncall_lib.tracking.figures import RequestFigures, RotationFigures, render

    def turn(person: str, start: datetime, requests: int, opened: int) -> RotationFigures:
        issue = IssueState("org/support", 1, "A request", "closed", (), (), "https://github.com/org/support/issues/1")
        figures = RequestFigures(total=requests, by_channel={"#vfs-platform-support": requests})
        return RotationFigures(person, start, start + timedelta(days=7), figures, issues_opened=[issue] * opened)

    current = turn("Alan Turing", datetime(2026, 11, 30, 9, 0, tzinfo=NY), 7, 3)
    before = [turn("Grace Hopper", datetime(2026, 11, 23, 9, 0, tzinfo=NY), 4, 1)]

    def trend(on: set[str]) -> str:
        markdown = render(current, before, 60, "<!-- marker -->", on=on)
        return markdown.split("### The last 2 rotations", 1)[1].split("###", 1)[0] if "### The last" in markdown else ""

    issues_only = trend({"support_issues"})
    assert "| Rotation | Issues opened |" in issues_only and "Requests" not in issues_only
    assert "| Alan Turing, Nov 30 – Dec 07, 2026 | 3 |" in issues_only
    both = trend({"requests", "support_issues"})
    assert "| Rotation | Requests | Median time to acknowledge | Within 60 min | Issues opened |" in both
    assert trend({"iam"}) == ""
