"""Failed deploys."""

from oncall_lib.duty import Contributes, Duty, Need, Runs

DUTY = Duty(
    key="deploys",
    title="Failed deploys",
    summary="A failed deploy with no owner gets a thread under its announcement with the failing step and the "
            "commits since the last good run.",
    table="deploys",
    needs=(
        Need("github", "actions: read", "read the deploy workflows' runs, jobs and logs"),
        Need("github", "contents: read", "compare the commits since the last good deploy"),
        Need("slack", "channels:history", "find the deploy's announcement"),
        Need("slack", "chat:write", "start the thread under it"),
    ),
    runs=Runs(tick="every", tick_entry="oncall_lib.deploys.watch:run", buttons=("deploy-watch.yml",)),
    checks="oncall_lib.setup.doctor:deploy_checks",
    scripts=("deploy_watch.py",),
    docs="docs/duties/deploys.md",
    contributes=Contributes(row_kinds=("deploy",)),
)
