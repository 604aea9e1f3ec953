"""Pull requests awaiting review."""

from oncall_lib.duty import Contributes, Duty, Need, Runs

DUTY = Duty(
    key="reviews",
    title="Pull requests awaiting review",
    summary="A daily digest of the DevOps PRs waiting for review, in the operations channel.",
    table="reviews",
    needs=(
        Need("github", "pull_requests: write", "read PRs and ask the person on support to review"),
        Need("github", "checks: read", "show each PR's checks"),
        Need("github", "statuses: read", "show each PR's commit statuses"),
        Need("slack", "channels:history", "find the product's own digest"),
        Need("slack", "chat:write", "post and update the digest"),
    ),
    runs=Runs(schedules=("review-digest.yml",)),
    checks="oncall_lib.setup.doctor:review_checks",
    scripts=("review_digest.py",),
    docs="docs/duties/reviews.md",
    contributes=Contributes(row_kinds=("pr_review",)),
)
