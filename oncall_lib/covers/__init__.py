"""Covers and swaps: asked for in a comment, made as PagerDuty overrides when the person asked accepts."""

from oncall_lib.duty import Duty, Need, Runs

DUTY = Duty(
    key="covers",
    title="Covers and swaps",
    summary="`/oncall cover @login FROM TO` and `/oncall swap @login` in a comment ask a teammate; their "
            "`/oncall accept` makes the PagerDuty override, and the next tick moves the role.",
    table="covers",
    requires=(("support_issues", "the commands are read from comments on the support repository's issues"),),
    needs=(
        Need("pagerduty", "write (overrides)", "create the override a cover or a swap becomes"),
        Need("github", "issues: write", "read the commands and answer them; label an issue while a request on it "
             "waits, and expire the requests nobody accepted"),
    ),
    # The hourly tick expires the requests nobody accepted before their window began (covers.expiry).
    runs=Runs(tick="hourly", tick_entry="oncall_lib.covers.expiry:run", events=("support-issue-commands.yml",)),
    checks="oncall_lib.setup.doctor:covers_checks",
    scripts=("support_issue.py",),
    docs="docs/duties/covers.md",
    # Its commands arrive with the other /oncall commands (support_issues.commands), which hand them over here.
    interfaces=("requests", "windows"),
)
