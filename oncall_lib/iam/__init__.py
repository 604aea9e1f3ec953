"""The IAM inactivity audit."""

from oncall_lib.duty import Contributes, Duty, Need, Runs

DUTY = Duty(
    key="iam",
    title="The IAM inactivity audit",
    summary="IAM users near 90 days of inactivity posted in the operations channel with their owners, and a "
            "draft Terraform PR that removes users from iam_users.tf.",
    table="iam",
    needs=(
        Need("aws", "iam:GenerateCredentialReport", "ask AWS for a fresh credential report"),
        Need("aws", "iam:GetCredentialReport", "read the credential report"),
        Need("github", "contents: write", "push the branch that edits iam_users.tf"),
        Need("github", "pull_requests: write", "open the draft PR"),
        Need("slack", "channels:history", "find the product's own audit post"),
        Need("slack", "chat:write", "post the audit in the operations channel"),
    ),
    runs=Runs(schedules=("iam-audit.yml",), buttons=("iam-cleanup.yml",)),
    checks="oncall_lib.setup.doctor:iam_checks",
    scripts=("iam_audit.py", "iam_cleanup.py"),
    docs="docs/duties/iam.md",
    interfaces=("removals", "terraform", "inactivity"),
    contributes=Contributes(handoff="oncall_lib.iam.parts:handoff_section", row_kinds=("iam",)),
)
