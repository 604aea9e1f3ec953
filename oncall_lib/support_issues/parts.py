"""What support issues add to the places every duty shares (declared in the DUTY's `contributes`)."""

from __future__ import annotations

from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection, ReportContext, ReportPart, issue_age, issue_md
from oncall_lib.support_issues.followups import has_summary
from oncall_lib.untrusted import slack_link

ISSUES_LISTED = 10


def handoff_section(config: Config, ctx: HandoffContext) -> HandoffSection | None:
    """The open support issues, for the handover issue (oldest first) and the heads-up DM."""
    rules = config.support_issues
    if rules is None or not (ctx.issue or ctx.heads_up):
        return None
    issues = ctx.services.github.issues(rules.repo, labels=[rules.labels[0]], state="open")
    lines = [f"• {slack_link(i.html_url, i.title, limit=90)}"
             + (f" (@{', @'.join(i.assignees)})" if i.assignees else " (unassigned)")
             for i in issues[:ISSUES_LISTED]] + (
                 [f"…and {len(issues) - ISSUES_LISTED} more"] if len(issues) > ISSUES_LISTED else [])
    oldest = sorted(issues, key=lambda i: i.created_at or ctx.at)
    return HandoffSection(
        "open_issues",
        markdown=[f"### Open support issues, oldest first ({len(oldest)})", "",
                  *([f"- {issue_md(i)}, open {issue_age(i, ctx.at)}"
                     + (f" ({', '.join('@' + a for a in i.assignees)})" if i.assignees else " (unassigned)")
                     for i in oldest] or ["None."])] if ctx.issue else [],
        heads_up=[f"Open support issues ({len(lines)}):", *lines] if lines else ["No support issue is open."])


def report_part(config: Config, ctx: ReportContext) -> ReportPart:
    """Which of the turn's closed issues lack the summary of what was tried and what solved it."""
    missing = [i.html_url for i in ctx.closed if not has_summary(ctx.comments.get(i.html_url, []))]
    return ReportPart("support_issues", figures={"closed_without_summary": missing})
