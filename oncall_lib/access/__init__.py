"""Access grants."""

from oncall_lib.duty import Contributes, Duty, Need, Runs

DUTY = Duty(
    key="access",
    title="Access grants",
    summary="Approved access requests granted: GitHub team memberships added, a checklist for the other tools.",
    table="access",
    requires=(("support_issues", "access requests are filed in the support repository"),),
    needs=(
        Need("github", "issues: write", "read the request forms and answer on them"),
        Need("github", "members: write", "add an approved person to the tool's GitHub team"),
    ),
    runs=Runs(events=("access.yml",)),
    scripts=("access.py",),
    docs="docs/duties/access.md",
    contributes=Contributes(handoff="oncall_lib.access.parts:handoff_section", row_kinds=("access",)),
)
