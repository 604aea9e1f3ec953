"""Watching the request channels."""

from oncall_lib.duty import WHO_IS_ON_SUPPORT, Contributes, Duty, Need, Runs, watch_needs, watched

DUTY = Duty(
    key="requests",
    title="Watching the request channels",
    summary="Nothing waits more than an hour unacknowledged, and nobody is interrupted for less: the person on "
            "support hears first, the team only of urgent requests, the rest in one digest at standup.",
    table="requests",
    also_on=watched,
    still_needs=watch_needs,
    needs=(
        *WHO_IS_ON_SUPPORT,
        Need("slack", "channels:history", "read the watched channels and their threads"),
        Need("slack", "chat:write", "nudge the person on support, escalate urgent requests, post the standup digest"),
        Need("slack", "im:write", "DM the person on support"),
    ),
    runs=Runs(tick="every", tick_entry="oncall_lib.requests.watch:run", buttons=("watch-requests.yml",)),
    checks="oncall_lib.setup.doctor:channel_checks",
    scripts=("watch_requests.py",),
    docs="docs/duties/requests.md",
    interfaces=("classify", "waiting"),
    contributes=Contributes(handoff="oncall_lib.requests.parts:handoff_section",
                            report_requests="oncall_lib.requests.parts:report_requests", row_kinds=("support",)),
)
