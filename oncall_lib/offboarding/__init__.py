"""Offboarding."""

from oncall_lib.duty import Contributes, Duty, Need, Runs

# The label the offboarding form gives its issues (.github/ISSUE_TEMPLATE/offboarding-request.yml), which the
# workflow's `if:`, the tick's intake and the support form (an offboarding request is no support request) read.
OFFBOARDING_LABEL = "offboarding"

DUTY = Duty(
    key="offboarding",
    title="Offboarding",
    summary="An offboarding request turned into one PR that removes the person's IAM user and SOCKS key.",
    table="offboarding",
    requires=(("support_issues", "offboarding requests are filed in the support repository"),
              ("iam", "the PR is drafted in the devops repository named there")),
    needs=(
        Need("github", "issues: write", "read the request forms and answer on them"),
        Need("github", "contents: write", "push the offboarding branch"),
        Need("github", "pull_requests: write", "open the offboarding PR"),
    ),
    runs=Runs(events=("offboarding.yml",)),
    scripts=("offboard.py",),
    docs="docs/duties/offboarding.md",
    contributes=Contributes(row_kinds=("offboarding",)),
)
