"""Linking an issue (or a PR) to a Super Epic: GitHub sub-issues, or ZenHub epics.

ZenHub moved its epics onto GitHub sub-issues in 2025 and many teams left it
for GitHub Projects, so both are supported, chosen by `[epics] link_with`.
"""

from __future__ import annotations

from oncall_lib.config import Config, SuperEpic
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Pending
from oncall_lib.services import Services
from oncall_lib.services.github import IssueState


class EpicLinks:
    def __init__(self, services: Services, config: Config) -> None:
        self.services, self.config = services, config
        self.backend = config.epics.link_with
        self._children: dict[str, set[int]] = {}
        self._repo_ids: dict[str, int] = {}
        self._zenhub_epics: dict[tuple[str, int], set[str]] = {}

    def _sub_issues(self, epic: SuperEpic) -> set[int]:
        if epic.key not in self._children:
            self._children[epic.key] = self.services.github.sub_issue_ids(epic.repo, epic.number)
        return self._children[epic.key]

    def _repo_id(self, repo: str) -> int:
        if repo not in self._repo_ids:
            self._repo_ids[repo] = self.services.github.repo_id(repo)
        return self._repo_ids[repo]

    def epic_of(self, issue: IssueState) -> SuperEpic | None:
        """The Super Epic an issue is linked to, if any (None also when ZenHub cannot see it yet)."""
        if self.backend == "github":
            return next((e for e in self.config.super_epics if issue.id in self._sub_issues(e)), None)
        key = (issue.repo, issue.number)
        if key not in self._zenhub_epics:
            found = self.services.zenhub.issue(self._repo_id(issue.repo), issue.number, attempts=1)
            if not found:
                return None  # not seen yet: ask again next time
            self._zenhub_epics[key] = set(found["epics"])
        return next((e for e in self.config.super_epics if e.zenhub_epic_id in self._zenhub_epics[key]), None)

    def is_linked(self, issue: IssueState) -> bool:
        """Linked to any Super Epic. A GitHub sub-issue has one parent, so a link to either counts."""
        return self.epic_of(issue) is not None

    def link(self, epic_key: str, repo: str, number: int, issue_id: int) -> None:
        epic = self.config.epic(epic_key)
        if self.backend == "github":
            try:
                self.services.github.add_sub_issue(epic.repo, epic.number, issue_id)
            except ServiceError as exc:
                if "two parents" in str(exc) or "duplicate" in str(exc):
                    return  # already linked: the goal is reached
                raise
            self._children.setdefault(epic.key, set()).add(issue_id)
            return
        found = self.services.zenhub.issue(self._repo_id(repo), number)
        if found is None:
            raise Pending(f"ZenHub does not see {repo}#{number} yet (it can take a minute); the next run links it")
        if epic.zenhub_epic_id not in found["epics"]:
            assert epic.zenhub_epic_id
            self.services.zenhub.add_to_epic(found["id"], epic.zenhub_epic_id)
