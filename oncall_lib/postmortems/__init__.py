"""Postmortem action items."""

from oncall_lib.duty import EPIC_LINKS, Contributes, Duty, Need, Runs

DUTY = Duty(
    key="postmortems",
    title="Postmortem action items",
    summary="Items from postmortems labelled, linked to the incident-response epic and offered to the person on "
            "support when there is no active support work.",
    table="postmortems",
    requires=(("support_issues", "postmortem items live in the support repository"),),
    needs=(
        Need("github", "issues: write", "label postmortem items and open issues for them"),
        Need("github", "contents: write", "draft the PR that links the postmortem documents to their issues"),
        Need("github", "pull_requests: write", "open that PR"),
        *EPIC_LINKS,
    ),
    runs=Runs(schedules=("postmortem-documents.yml",), events=("postmortem-item.yml",),
              buttons=("postmortem-pickup.yml",)),
    checks="oncall_lib.setup.doctor:postmortem_checks",
    scripts=("postmortems.py",),
    docs="docs/duties/postmortems.md",
    interfaces=("pickup",),
    contributes=Contributes(handoff="oncall_lib.postmortems.parts:handoff_section", row_kinds=("postmortem",)),
)
