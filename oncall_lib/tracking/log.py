"""Where recorded tasks go with tracking on: the team's sheet (one read of it, then append actions); and the
log-task job.

Duties record through the core recorder (`oncall_lib/recorder.py`); this duty declares `SHEET` as the place that
keeps their rows.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from oncall_lib.config import Config
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.recorder import Complete, RowKeeper, TaskRow, person_on_support
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.tracking.rows import plan_rows, worksheets_for

JOB = "log-task"


def tracking_actions(services: Services, config: Config, rows: list[TaskRow], warnings: list[str],
                     start: int = 0, complete: Complete | None = None) -> list[Action]:
    """Append actions for the rows the sheet does not have yet; nothing (and no call) without rows or a sheet.

    `complete` fills in what costs calls to learn (who was on support, requesters' names), for new rows only."""
    return tracking_plan(services, config, rows, warnings, start, complete)[0]


def tracking_plan(services: Services, config: Config, rows: list[TaskRow], warnings: list[str],
                  start: int = 0, complete: Complete | None = None,
                  ) -> tuple[list[Action], bool]:
    """`tracking_actions`, and whether the sheet could be read (False: the rows wait for a later run)."""
    if config.tracking is None or not rows:
        return [], True
    try:
        snapshot = services.sheets.snapshot(config.tracking.spreadsheet_id, worksheets_for(rows, config.tracking))
        new = [r for r in rows if r.key not in snapshot.keys.get(config.tracking.section(r.kind), set())]
        if new and complete is not None:
            new = complete(new)
    except ServiceError as exc:
        warnings.append(f"tracking sheet not updated (the next run tries again): {exc}")
        return [], False
    return plan_rows(new, snapshot, config.tracking, start=start), True


def executors(services: Services) -> dict[str, Executor]:
    return {
        "sheet.add_worksheet": lambda a: services.sheets.add_worksheet(a.params["spreadsheet"], a.params["title"],
                                                                       list(a.params["header"])),
        "sheet.set_header": lambda a: services.sheets.set_header(a.params["spreadsheet"], a.params["title"],
                                                                 list(a.params["header"])),
        "sheet.append": lambda a: _append(services, a),
    }


def _append(services: Services, action: Action) -> dict[str, bool]:
    params = action.params
    services.sheets.append(params["spreadsheet"], params["title"], [list(r) for r in params["rows"]])
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
