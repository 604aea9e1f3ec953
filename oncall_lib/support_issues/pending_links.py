"""Epic links that did not happen yet, completed by the next scheduled scan.

A link can be left `pending` (ZenHub does not see a new issue for a minute) or
fail for a moment (a rate limit, a full epic before its child epic existed).
Every scan that reads issues also reads whether each is on a Super Epic, and
links the ones that are not, until the link is made or fails with a reason
(an issue under some other parent is reported and left there).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from oncall_lib.config import SuperEpic
from oncall_lib.plan import Action
from oncall_lib.services.epics import EpicLinks
from oncall_lib.services.github import IssueState


def relink_actions(links: EpicLinks, issues: Iterable[IssueState], epic_for: Callable[[IssueState], SuperEpic],
                   *, skip: Collection[str] = ()) -> list[Action]:
    """One `epic.link` for each open issue that is on no Super Epic (`skip`: html_urls already planned)."""
    actions = []
    for issue in issues:
        if issue.state != "open" or issue.html_url in skip or links.is_linked(issue):
            continue
        epic = epic_for(issue)
        where = f"{issue.repo}#{issue.number}"
        actions.append(Action("epic.link", epic.issue, f"link {where} to the {epic.key} Super Epic (not done yet)",
                              {"epic": epic.key, "repo": issue.repo, "number": issue.number, "id": issue.id}))
    return actions
