"""What access requests add to the places every duty shares (declared in the DUTY's `contributes`)."""

from __future__ import annotations

from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection, issue_age, issue_md

# The access form's label (.github/ISSUE_TEMPLATE/access-request.yml).
ACCESS_FORM_LABEL = "access-request"


def handoff_section(config: Config, ctx: HandoffContext) -> HandoffSection | None:
    """The access requests not yet approved, for the handover issue."""
    if not (config.access and config.support_issues) or not ctx.issue:
        return None
    approved = config.access.approved_label
    requests = ctx.services.github.issues(config.support_issues.repo, labels=[ACCESS_FORM_LABEL], state="open")
    waiting = [i for i in requests if approved not in i.labels]
    return HandoffSection("access", markdown=[
        f"### Access requests waiting for an approver ({len(waiting)})", "",
        *([f"- {issue_md(i)}, open {issue_age(i, ctx.at)}" for i in waiting] or ["None."])])
