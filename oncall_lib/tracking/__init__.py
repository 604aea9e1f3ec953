"""Tracking and the rotation review: the Support Incidents Spreadsheet and the end-of-rotation report."""

from oncall_lib.duty import Contributes, Duty, Need, Runs

# The label of the report's issues (in the core, so other duties find the report without importing this one).
from oncall_lib.report_issue import REPORT_LABEL as REPORT_LABEL

DUTY = Duty(
    key="tracking",
    title="Tracking and the rotation review",
    summary="Every task logged in the Support Incidents Spreadsheet, and the end-of-rotation report for the PM, "
            "the tech lead and the outgoing and next person.",
    table="tracking",
    needs=(
        Need("google", "spreadsheets (edit)", "append rows and read them back for the report"),
        Need("pagerduty", "read", "the turns of the period"),
        Need("github", "issues: write", "open the report issue and assign it"),
        Need("slack", "channels:history", "read the week's requests for the figures"),
        Need("slack", "chat:write", "post the report's summary"),
    ),
    runs=Runs(schedules=("rotation-report.yml",), buttons=("log-task.yml", "fair-share.yml")),
    checks="oncall_lib.tracking.checks:tracking_checks",
    scripts=("log_task.py", "rotation_report.py", "fair_share.py"),
    docs="docs/duties/tracking.md",
    interfaces=("time_spent",),
    # Every duty records its tasks through the core recorder; with tracking on, they go to the team's sheet.
    contributes=Contributes(rows="oncall_lib.tracking.log:SHEET"),
)
