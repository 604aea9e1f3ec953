"""The doctor's checks for the tracking duty: the spreadsheet is reachable, and where each kind's rows would go.

One line per place found (its tab or section, which header cell is which field, the row new rows go in at),
and a failing line for each kind that has no place, so a layout the product cannot write into is found before
the first row is lost. Read-only: one read of the spreadsheet.
"""

from __future__ import annotations

from datetime import datetime

from oncall_lib.config import TASK_KINDS, Config
from oncall_lib.duty import Check
from oncall_lib.errors import MissingSecret, OncallError
from oncall_lib.services import Services
from oncall_lib.tracking.layout import ADDED, mapping, read_layout


def kinds_logged(config: Config) -> tuple[str, ...]:
    """The kinds of task some enabled duty logs (answers only with [answers])."""
    return tuple(k for k in TASK_KINDS if k != "answer" or config.answers is not None)


def tracking_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    tracking = config.tracking
    if tracking is None:
        return []
    try:
        snapshot = services.sheets.snapshot(tracking.spreadsheet_id)
    except MissingSecret:
        return []  # already one line in the credentials checklist
    except OncallError as exc:
        return [Check("google sheet", False, str(exc))]
    checks = [Check("google sheet", True, f"the spreadsheet is reachable ({len(snapshot.tabs)} worksheets) with "
                                          f"{services.sheets.credentials_kind}")]
    layout = read_layout(snapshot, tracking)
    problems = 0
    added: list[str] = []
    for ok, line in mapping(layout, tracking, kinds_logged(config)):
        kinds, _, where = line.partition(" -> ")
        if ok and ADDED in where:
            added.append(where.partition(ADDED)[0])
        elif ok:  # "support, other -> 'Log', section 'Support requests': ...": named by its kinds
            checks.append(Check(f"google sheet rows of {kinds}", True, f"go to {where}"))
        else:
            problems += 1
            checks.append(Check("google sheet layout" + (f" ({problems})" if problems > 1 else ""), False,
                                line.removeprefix("tracking sheet: ")))
    if added:
        checks.append(Check("google sheet tabs to add", True, f"{', '.join(added)}: added with the product's own "
                                                               "header when their first row is logged"))
    return checks
