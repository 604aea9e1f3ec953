"""Where recorded tasks go with tracking on: the team's sheet (one read of it, then append actions); and the
log-task job.

Duties record through the core recorder (`oncall_lib/recorder.py`); this duty declares `SHEET` as the place that
keeps their rows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime

from oncall_lib.config import Config
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.recorder import Complete, RowKeeper, TaskRow, person_on_support
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.tracking.layout import read_layout
from oncall_lib.tracking.rows import insert_requests, plan_rows

JOB = "log-task"


def tracking_actions(services: Services, config: Config, rows: list[TaskRow], warnings: list[str],
                     start: int = 0, complete: Complete | None = None) -> list[Action]:
    """Append actions for the rows the sheet does not have yet; nothing (and no call) without rows or a sheet.

    `complete` fills in what costs calls to learn (who was on support, requesters' names), for new rows only."""
    return tracking_plan(services, config, rows, warnings, start, complete)[0]


def tracking_plan(services: Services, config: Config, rows: list[TaskRow], warnings: list[str],
                  start: int = 0, complete: Complete | None = None,
                  ) -> tuple[list[Action], bool]:
    """`tracking_actions`, and whether every row has its place (False: the sheet could not be read, or some rows
    have no place in it; they wait for a later run)."""
    if config.tracking is None or not rows:
        return [], True
    try:
        snapshot = services.sheets.snapshot(config.tracking.spreadsheet_id)
        layout = read_layout(snapshot, config.tracking)
        logged = layout.keys
        pending = [r for r in rows if r.key not in logged or r.key in layout.unfilled_keys()]
        if pending and complete is not None:
            pending = complete(pending)
    except ServiceError as exc:
        warnings.append(f"tracking sheet not updated (the next run tries again): {exc}")
        return [], False
    planned = plan_rows([named(r, config) for r in pending], snapshot, config.tracking, start=start, layout=layout)
    warnings += planned.problems
    return planned.actions, not planned.problems


_SLACK_ID = re.compile(r"^@?([UW][A-Z0-9]{2,})$")


def named(row: TaskRow, config: Config) -> TaskRow:
    """People by their roster name, never a raw Slack id (@U0ADA): in who was on support, who did it and who
    asked."""
    names = {m.slack: m.name for m in config.roster if m.slack}

    def name(text: str) -> str:
        found = _SLACK_ID.match(text.strip())
        return names.get(found.group(1), text) if found else text
    return replace(row, person=name(row.person), by=name(row.by), requester=name(row.requester))


def executors(services: Services) -> dict[str, Executor]:
    return {
        "sheet.add_worksheet": lambda a: {"sheet_id": services.sheets.add_worksheet(
            a.params["spreadsheet"], a.params["title"], list(a.params["header"]))},
        "sheet.set_header": lambda a: services.sheets.set_header(a.params["spreadsheet"], a.params["title"],
                                                                 list(a.params["header"])),
        "sheet.append": lambda a: _append(services, a),
        "sheet.fill": lambda a: services.sheets.write_values(a.params["spreadsheet"], list(a.params["data"])),
    }


def _append(services: Services, action: Action) -> dict[str, bool]:
    params = action.params
    services.sheets.insert_rows(params["spreadsheet"], insert_requests(int(params["sheet_id"]),
                                                                       list(params["inserts"])))
    services.sheets.write_values(params["spreadsheet"], list(params["data"]))
    return {"appended": True}  # for a follow-up that records the rows are in (the handoff message's marker)


# Declared by the tracking duty (`contributes.rows`): where every duty's task rows go.
SHEET = RowKeeper(plan=tracking_plan, executors=executors)


def manual_key(kind: str, summary: str, link: str, day: str) -> str:
    """Logging the same task twice the same day is one row."""
    digest = hashlib.sha1(f"{kind}\n{summary.strip()}\n{link.strip()}\n{day}".encode()).hexdigest()[:12]  # noqa: S324
    return f"manual/{day}/{digest}"


def log_task(services: Services, config: Config, at: datetime, *, dry_run: bool, kind: str, summary: str,
             link: str = "", minutes: float | None = None, channel: str = "", requester: str = "") -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    if config.tracking is None:
        report.errors.append("oncall.toml has no [tracking] table: add the spreadsheet id (see the README)")
        return report
    day = at.astimezone(config.team.tz).date()
    person = person_on_support(services, config, at, report.warnings)
    row = TaskRow(manual_key(kind, summary, link, day.isoformat()), day, person, kind, summary.strip(), link.strip(),
                  channel, requester, None, minutes)
    actions = tracking_actions(services, config, [row], report.warnings)
    report.facts = {"key": row.key, "worksheet": config.tracking.section(kind), "on_support": person or None,
                    "already_logged": not actions and not report.warnings}
    report.outcomes = apply(actions, executors(services), dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
