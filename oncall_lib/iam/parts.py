"""What the IAM duty adds to the places every duty shares (declared in its DUTY's `contributes`)."""

from __future__ import annotations

from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection
from oncall_lib.errors import ServiceError
from oncall_lib.iam.removals import open_removals
from oncall_lib.untrusted import github_text


def handoff_section(config: Config, ctx: HandoffContext) -> HandoffSection | None:
    """The open cleanup and offboarding PRs, for the handover issue."""
    if config.iam is None or not ctx.issue:
        return None
    try:
        removals = open_removals(ctx.services, config.iam.repo)
    except ServiceError as exc:
        return HandoffSection("removals", warnings=[
            f"the handover issue leaves out the open cleanup and offboarding PRs: {exc}"])
    return HandoffSection("removals", markdown=[
        f"### Open cleanup and offboarding PRs ({len(removals)})", "",
        *([f"- [{github_text(r.pull.title, 90, one_line=True)}]({r.pull.html_url}) ({r.why}: "
           f"{github_text(', '.join(r.users), 120, one_line=True)})" for r in removals] or ["None."])])
