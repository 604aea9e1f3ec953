"""Support issues."""

from oncall_lib.duty import EPIC_LINKS, WHO_IS_ON_SUPPORT, Contributes, Duty, Need, Runs

DUTY = Duty(
    key="support_issues",
    title="Support issues",
    summary="A request over 30 minutes becomes a GitHub issue linked to a Super Epic, assigned to the person on "
            "support, followed up (the two-hour rule, a closing summary) and logged.",
    table="support_issues",
    needs=(
        *WHO_IS_ON_SUPPORT,
        Need("github", "issues: write", "open, label, assign and comment on support issues"),
        Need("github", "pull_requests: read", "find support PRs to link to the epics"),
        *EPIC_LINKS,
        Need("slack", "channels:history", "read the request's thread and ticket reactions"),
        Need("slack", "chat:write", "reply in the thread with the issue's link"),
        Need("slack", "im:write", "DM the person on support about the two-hour rule"),
    ),
    runs=Runs(tick="every", tick_entry="oncall_lib.support_issues.issues:scan",
              events=("support-issue-form.yml", "support-issue-commands.yml"),
              buttons=("support-issue-from-thread.yml", "support-issue-scan.yml")),
    checks="oncall_lib.setup.doctor:support_issue_checks",
    scripts=("support_issue.py",),
    docs="docs/duties/support-issues.md",
    interfaces=("pending_links", "followups"),
    contributes=Contributes(handoff="oncall_lib.support_issues.parts:handoff_section",
                            report="oncall_lib.support_issues.parts:report_part", row_kinds=("support",)),
)
