"""The weekly handoff."""

from oncall_lib.duty import WHO_IS_ON_SUPPORT, Contributes, Duty, Need, Runs, user_group

DUTY = Duty(
    key="handoff",
    title="The weekly handoff",
    summary="The person on support, from PagerDuty, assigned to both Super Epics, named in the support channel's "
            "topic, and handed over with a message and DMs.",
    table=None,
    still_needs=lambda config: ["[support_issues] (with [handover], the handover issue is opened in the support "
                                "repository)"] if config.handover and not config.support_issues else [],
    needs=(
        *WHO_IS_ON_SUPPORT,
        Need("github", "issues: write", "assign and unassign the Super Epics"),
        Need("slack", "channels:read", "read the support channel's topic"),
        Need("slack", "channels:manage", "set the support channel's topic"),
        Need("slack", "channels:history", "find the product's own handoff message"),
        Need("slack", "chat:write", "post the handoff message and the DMs"),
        Need("slack", "im:write", "open the DM with the incoming and the next person"),
        Need("slack", "im:history", "find the product's own DMs"),
        Need("slack", "usergroups:read", "find the support user group", when=user_group,
             when_text="with [rotation] slack_user_group"),
        Need("slack", "usergroups:write", "keep the support user group to the person on support", when=user_group,
             when_text="with [rotation] slack_user_group"),
    ),
    runs=Runs(tick="hourly", tick_entry="oncall_lib.handoff.rotate:run", buttons=("rotate-assignees.yml",)),
    checks="oncall_lib.setup.doctor:handoff_checks",
    scripts=("rotate_assignees.py",),
    docs="docs/duties/handoff.md",
    interfaces=("handover_issue",),
    contributes=Contributes(handoff="oncall_lib.handoff.parts:handoff_section",
                            report="oncall_lib.handoff.parts:report_part", row_kinds=("rotation",)),
)
