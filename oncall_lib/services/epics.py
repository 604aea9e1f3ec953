"""Linking an issue (or a PR) to a Super Epic: GitHub sub-issues, or ZenHub epics.

ZenHub moved its epics onto GitHub sub-issues in 2025 and many teams left it
for GitHub Projects, so both are supported, chosen by `[epics] link_with`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from oncall_lib.config import Config, SuperEpic
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Pending
from oncall_lib.services import Services
from oncall_lib.services.github import IssueState

# GitHub: a parent holds at most 100 sub-issues, closed ones included. The last place goes to a child epic
# ("Global Customer Support, 2026 Q4"), itself a sub-issue of the Super Epic, and items continue under it.
SUB_ISSUE_CAP = 100
CHILD_EPIC_MARKER = "<!-- oncall-support:child-epic {key} -->"
MAX_DEPTH = 7  # sub-issues nest up to 8 levels


class EpicLinks:
    def __init__(self, services: Services, config: Config, at: datetime | None = None) -> None:
        self.services, self.config = services, config
        self.backend = config.epics.link_with
        self.at = at or datetime.now(UTC)
        self._subs: dict[tuple[str, int], list[IssueState]] = {}
        self._repo_ids: dict[str, int] = {}
        self._zenhub_epics: dict[tuple[str, int], set[str]] = {}
        # Things a person should know that are not failures (an item under a parent that is not a Super Epic).
        self.warnings: list[str] = []

    def _children(self, repo: str, number: int) -> list[IssueState]:
        if (repo, number) not in self._subs:
            self._subs[(repo, number)] = self.services.github.sub_issues(repo, number)
        return self._subs[(repo, number)]

    def _continuation(self, epic: SuperEpic, children: list[IssueState]) -> IssueState | None:
        marker = CHILD_EPIC_MARKER.format(key=epic.key)
        return next((c for c in children if marker in c.body), None)

    def _tree(self, epic: SuperEpic) -> list[tuple[str, int]]:
        """The Super Epic and the child epics that continue it once it is full."""
        nodes = [(epic.repo, epic.number)]
        for _ in range(MAX_DEPTH):
            child = self._continuation(epic, self._children(*nodes[-1]))
            if child is None:
                break
            nodes.append((child.repo, child.number))
        return nodes

    def _repo_id(self, repo: str) -> int:
        if repo not in self._repo_ids:
            self._repo_ids[repo] = self.services.github.repo_id(repo)
        return self._repo_ids[repo]

    def epic_of(self, issue: IssueState) -> SuperEpic | None:
        """The Super Epic an issue is linked to, if any (None also when ZenHub cannot see it yet)."""
        if self.backend == "github":
            return next((e for e in self.config.super_epics
                         if any(issue.id in {c.id for c in self._children(*node)} for node in self._tree(e))), None)
        key = (issue.repo, issue.number)
        if key not in self._zenhub_epics:
            found = self.services.zenhub.issue(self._repo_id(issue.repo), issue.number, attempts=1)
            if not found:
                return None  # not seen yet: ask again next time
            self._zenhub_epics[key] = set(found["epics"])
        return next((e for e in self.config.super_epics if e.zenhub_epic_id in self._zenhub_epics[key]), None)

    def is_linked(self, issue: IssueState) -> bool:
        """Linked to any Super Epic. A GitHub sub-issue has one parent, so a link to either counts, and an issue
        under some other parent stays there (reported once a run, never retried)."""
        if self.epic_of(issue) is not None:
            return True
        if self.backend == "github" and issue.parent_url:
            self.warnings.append(f"{issue.repo}#{issue.number} is a sub-issue of {_issue_ref(issue.parent_url)}, not "
                                 "of a Super Epic: a sub-issue has one parent, so it is left there")
            return True
        return False

    def link(self, epic_key: str, repo: str, number: int, issue_id: int, *, move: bool = False) -> None:
        """Link an issue to a Super Epic; `move`: take it from the epic (or parent) it is under now."""
        epic = self.config.epic(epic_key)
        if self.backend == "github":
            parent = self._place_for(epic)
            try:
                self.services.github.add_sub_issue(*parent, issue_id, replace_parent=move)
            except ServiceError:
                # Whatever GitHub's words, ask GitHub where the issue is now.
                child = self.services.github.issue(repo, number)
                if child.parent_url and any(child.parent_url.endswith(f"/repos/{r}/issues/{n}")
                                            for r, n in self._tree(epic)):
                    return  # already linked: the goal is reached
                if child.parent_url:
                    raise ServiceError(f"GitHub {repo}#{number} is already a sub-issue of "
                                       f"{_issue_ref(child.parent_url)}: a sub-issue has one parent; move it by "
                                       f"hand if it belongs on {epic.key}") from None
                raise
            self._children(*parent).append(IssueState(repo, number, "", "open", (), (), "", id=issue_id))
            return
        found = self.services.zenhub.issue(self._repo_id(repo), number)
        if found is None:
            raise Pending(f"ZenHub does not see {repo}#{number} yet (it can take a minute); the next run links it")
        if epic.zenhub_epic_id not in found["epics"]:
            assert epic.zenhub_epic_id
            self.services.zenhub.add_to_epic(found["id"], epic.zenhub_epic_id)
        others = [e.zenhub_epic_id for e in self.config.super_epics if e.zenhub_epic_id
                  and e.zenhub_epic_id != epic.zenhub_epic_id and e.zenhub_epic_id in found["epics"]]
        if move and others:  # a ZenHub issue may sit in several epics: moving means leaving the other Super Epics
            self.services.zenhub.remove_from_epics(found["id"], others)

    def _place_for(self, epic: SuperEpic) -> tuple[str, int]:
        """Where a new item goes: the Super Epic, or the child epic that continues it when it is (nearly) full."""
        node = (epic.repo, epic.number)
        for _ in range(MAX_DEPTH):
            children = self._children(*node)
            child = self._continuation(epic, children)
            if child is not None:
                node = (child.repo, child.number)
                continue
            if len(children) < SUB_ISSUE_CAP - 1:
                return node
            if len(children) == SUB_ISSUE_CAP - 1:
                return self._open_continuation(epic, node, depth=len(self._tree(epic)))
            break
        raise ServiceError(f"GitHub {node[0]}#{node[1]} holds {SUB_ISSUE_CAP} sub-issues (GitHub's cap, closed ones "
                           "included) and no child epic continues it: move one out, and the next run opens a child "
                           "epic in its place")

    def _open_continuation(self, epic: SuperEpic, parent: tuple[str, int], depth: int) -> tuple[str, int]:
        quarter = (self.at.month - 1) // 3 + 1
        base = epic.title or f"{epic.key} Super Epic"
        title = f"{base}, {self.at.year} Q{quarter}" + (f" ({depth})" if depth > 1 else "")
        labels = list(self.services.github.issue(epic.repo, epic.number).labels)
        created = self.services.github.create_issue(
            epic.repo, title=title, labels=labels, assignees=[],
            body=(f"Continues {epic.issue}: GitHub allows {SUB_ISSUE_CAP} sub-issues per issue, so new items go "
                  f"here. It is itself a sub-issue of {parent[0]}#{parent[1]}, so the work still rolls up.\n\n"
                  + CHILD_EPIC_MARKER.format(key=epic.key)))
        self.services.github.add_sub_issue(*parent, int(str(created["id"])))
        child = IssueState(epic.repo, int(str(created["number"])), title, "open", (), tuple(labels),
                           str(created["html_url"]), body=CHILD_EPIC_MARKER.format(key=epic.key),
                           id=int(str(created["id"])))
        self._children(*parent).append(child)
        self._subs[(child.repo, child.number)] = []
        return child.repo, child.number

    def room(self, epic: SuperEpic) -> int:
        """Places left before the Super Epic (or the child epic continuing it) is full (GitHub sub-issues)."""
        last = self._tree(epic)[-1]
        return SUB_ISSUE_CAP - len(self._children(*last))


def _issue_ref(api_url: str) -> str:
    """owner/repo#N from an API URL like https://api.github.com/repos/owner/repo/issues/N."""
    tail = api_url.split("/repos/", 1)[-1]
    repo, _, number = tail.rpartition("/issues/")
    return f"{repo}#{number}" if repo else api_url
