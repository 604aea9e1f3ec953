"""What the postmortem duty adds to the places every duty shares (declared in its DUTY's `contributes`)."""

from __future__ import annotations

from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection
from oncall_lib.postmortems.pickup import pickup_order
from oncall_lib.untrusted import github_text, slack_link

PICKUP_LISTED = 5


def handoff_section(config: Config, ctx: HandoffContext) -> HandoffSection | None:
    """The action items to pick up when it is quiet, unassigned first."""
    if not (config.postmortems and config.support_issues):
        return None
    items = pickup_order(ctx.services.github.issues(config.support_issues.repo, labels=[config.postmortems.label],
                                                    state="open"))[:PICKUP_LISTED]
    lines = [f"• {slack_link(i.html_url, i.title, limit=90)}" + ("" if i.assignees else " (unassigned)")
             for i in items]
    return HandoffSection(
        "pickup",
        message=["With no support work or incident, pick up a postmortem action item:", *lines] if lines else [],
        markdown=["### Postmortem action items to pick up when it is quiet", "",
                  *([f"- [{github_text(i.title, 90, one_line=True)}]({i.html_url})"
                     + ("" if i.assignees else " (unassigned)") for i in items] or ["None open."])],
        heads_up=["Postmortem action items to pick up when it is quiet:", *lines] if lines else [],
        first="with no support work or incident, pick up a postmortem action item:", first_lines=lines[:3])
