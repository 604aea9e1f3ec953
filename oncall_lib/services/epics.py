"""Linking an issue (or a PR) to a Super Epic: GitHub sub-issues, or ZenHub epics.

ZenHub moved its epics onto GitHub sub-issues in 2025 and many teams left it
for GitHub Projects, so both are supported, chosen by `[epics] link_with`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from oncall_lib.authorship import github_identity, github_wrote
from oncall_lib.config import Config, SuperEpic
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor, Pending, Ref, insert, with_params
from oncall_lib.services import Services
from oncall_lib.services.github import GitHubIdentity, IssueState

# GitHub: a parent holds at most 100 sub-issues, closed ones included. The last place goes to a child epic
# ("Global Customer Support, 2026 Q4"), itself a sub-issue of the Super Epic, and items continue under it.
SUB_ISSUE_CAP = 100
CHILD_EPIC_MARKER = "<!-- oncall-support:child-epic {key} -->"
MAX_DEPTH = 7  # sub-issues nest up to 8 levels
LINK_KINDS = ("epic.link", "epic.move")
# What a child epic opened to make room says, for the doctor to report.
ROOM_MADE = re.compile(r"Room was made on (?P<day>\d{4}-\d{2}-\d{2}): \S+ was full, so its oldest closed sub-issue, "
                       r"(?P<moved>\S+), moved here")


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
        """The child epic continuing this one: the product's own issue carrying its marker (authorship.py)."""
        marker = CHILD_EPIC_MARKER.format(key=epic.key)
        candidates = [c for c in children if marker in c.body]
        if not candidates:
            return None
        me = github_identity(self.services)
        return next((c for c in candidates if github_wrote(c, me)), None)

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
        """Where a new item goes: the Super Epic, or the child epic that continues it. Room is made by planned
        actions (`with_room`), never here: a link is one write."""
        node = self._tree(epic)[-1]
        if len(self._children(*node)) < SUB_ISSUE_CAP:
            return node
        raise ServiceError(f"GitHub {node[0]}#{node[1]} holds {SUB_ISSUE_CAP} sub-issues (GitHub's cap, closed ones "
                           "included) and none of them is closed, so no room can be made: move one out by hand, and "
                           "the next run links the item")

    # -- making room: planned, one write per action --------------------------------------------------

    def with_room(self, actions: list[Action]) -> list[Action]:
        """The plan with the writes that make room for its links inserted before the first link to each Super
        Epic that needs them (GitHub sub-issues): open a child epic; when the epic is already full, move its
        oldest closed sub-issue under the child; link the child in its place. Each is its own action, so the
        dry run lists every write `--apply` makes; the links wait for them."""
        if self.backend != "github":
            return actions
        first: dict[str, int] = {}
        needed: dict[str, int] = {}
        for index, action in enumerate(actions):
            if action.kind in LINK_KINDS:
                key = str(action.params["epic"])
                first.setdefault(key, index)
                needed[key] = needed.get(key, 0) + 1
        out = list(actions)
        for key, position in sorted(first.items(), key=lambda item: -item[1]):
            room = self.room_actions(self.config.epic(key), needed[key], start=position)
            if not room:
                continue
            out = insert(out, position, room)
            ready = Ref(position + len(room) - 1, "room")
            out = [with_params(a, room=ready) if a.kind in LINK_KINDS and a.params["epic"] == key else a for a in out]
        return out

    def room_actions(self, epic: SuperEpic, needed: int, *, start: int) -> list[Action]:
        """What makes room for `needed` new sub-issues, as actions numbered from `start`: none while the epic (or
        the child epic continuing it) keeps a place free for a child after them."""
        tree = self._tree(epic)
        node = tree[-1]
        children = self._children(*node)
        if len(children) + needed <= SUB_ISSUE_CAP - 1:
            return []
        moved = None
        if len(children) >= SUB_ISSUE_CAP:
            moved = oldest_closed(children, github_identity(self.services))
            if moved is None:
                return []  # all open: nothing can move; the link fails saying so, and the doctor says it first
        title = self._child_title(epic, len(tree))
        where = f"{node[0]}#{node[1]}"
        made = (f"\n\nRoom was made on {self.at:%Y-%m-%d}: {where} was full, so its oldest closed sub-issue, "
                f"{moved.repo}#{moved.number}, moved here." if moved else "")
        body = (f"Continues {epic.issue}: GitHub allows {SUB_ISSUE_CAP} sub-issues per issue, so new items go here. "
                f"It is itself a sub-issue of {where}, so the work still rolls up.{made}\n\n"
                + CHILD_EPIC_MARKER.format(key=epic.key))
        try:
            labels = list(self.services.github.issue(epic.repo, epic.number).labels)
        except ServiceError as exc:
            self.warnings.append(f"no room made on {epic.issue}: {exc}")
            return []
        parent = {"epic": epic.key, "parent_repo": node[0], "parent_number": node[1]}
        actions = [Action("epic.open_child", epic.repo,
                          f"open the child epic “{title}”: {where} {'is full' if moved else 'is nearly full'}",
                          {**parent, "repo": epic.repo, "title": title, "body": body, "labels": labels})]
        if moved is not None:
            actions.append(Action("epic.make_room", where, f"move its oldest closed sub-issue, {moved.repo}#"
                                  f"{moved.number}, under the child epic (nothing is lost: it still rolls up)",
                                  {**parent, "repo": epic.repo, "number": Ref(start, "number"), "child_id": moved.id},
                                  after=start))
        actions.append(Action("epic.link_child", where, "link the child epic in its place",
                              {**parent, "number": Ref(start, "number"), "id": Ref(start, "id"), "title": title},
                              after=start + len(actions) - 1))
        return actions

    def _child_title(self, epic: SuperEpic, depth: int) -> str:
        quarter = (self.at.month - 1) // 3 + 1
        base = epic.title or f"{epic.key} Super Epic"
        return f"{base}, {self.at.year} Q{quarter}" + (f" ({depth})" if depth > 1 else "")

    def executors(self) -> dict[str, Executor]:
        return {"epic.open_child": self._open_child, "epic.make_room": self._make_room,
                "epic.link_child": self._link_child}

    def _open_child(self, action: Action) -> dict[str, Any]:
        p = action.params
        created = self.services.github.create_issue(p["repo"], title=p["title"], body=p["body"],
                                                    labels=list(p["labels"]), assignees=[])
        return {"number": int(str(created["number"])), "id": int(str(created["id"])),
                "html_url": str(created["html_url"])}

    def _make_room(self, action: Action) -> dict[str, Any]:
        p = action.params
        self.services.github.add_sub_issue(p["repo"], int(p["number"]), int(p["child_id"]), replace_parent=True)
        parent = self._children(p["parent_repo"], int(p["parent_number"]))
        moved = [c for c in parent if c.id == int(p["child_id"])]
        parent[:] = [c for c in parent if c.id != int(p["child_id"])]
        self._subs[(p["repo"], int(p["number"]))] = moved
        return {"moved": int(p["child_id"])}

    def _link_child(self, action: Action) -> dict[str, Any]:
        p = action.params
        epic = self.config.epic(p["epic"])
        self.services.github.add_sub_issue(p["parent_repo"], int(p["parent_number"]), int(p["id"]))
        child = IssueState(epic.repo, int(p["number"]), str(p["title"]), "open", (), (), "",
                           body=CHILD_EPIC_MARKER.format(key=epic.key), id=int(p["id"]),
                           author_id=github_identity(self.services).user_id)  # the product just opened it
        self._children(p["parent_repo"], int(p["parent_number"])).append(child)
        self._subs.setdefault((child.repo, child.number), [])
        return {"room": child.number}

    def continuation(self, epic: SuperEpic) -> IssueState | None:
        """The child epic new items go to, when the Super Epic is full (the deepest one)."""
        tree = self._tree(epic)
        if len(tree) == 1:
            return None
        parent = tree[-2]
        return next((c for c in self._children(*parent) if (c.repo, c.number) == tree[-1]), None)

    def full_of_open(self, epic: SuperEpic) -> bool:
        """Full, and nothing closed to move out: no room can be made."""
        children = self._children(*self._tree(epic)[-1])
        return len(children) >= SUB_ISSUE_CAP and oldest_closed(children) is None

    def room(self, epic: SuperEpic) -> int:
        """Places left before the Super Epic (or the child epic continuing it) is full (GitHub sub-issues)."""
        last = self._tree(epic)[-1]
        return SUB_ISSUE_CAP - len(self._children(*last))


def oldest_closed(children: list[IssueState], me: GitHubIdentity | None = None) -> IssueState | None:
    """The sub-issue closed longest ago (the first listed among equals): the one that can leave for a child epic
    with the least surprise. Never a child epic (the product's own issue with the marker; with `me` unknown, any
    issue carrying it)."""
    closed = [(c.closed_at or datetime.max.replace(tzinfo=UTC), i, c) for i, c in enumerate(children)
              if c.state == "closed" and not ("oncall-support:child-epic" in c.body
                                              and (me is None or github_wrote(c, me)))]
    return min(closed, key=lambda item: (item[0], item[1]))[2] if closed else None


def _issue_ref(api_url: str) -> str:
    """owner/repo#N from an API URL like https://api.github.com/repos/owner/repo/issues/N."""
    tail = api_url.split("/repos/", 1)[-1]
    repo, _, number = tail.rpartition("/issues/")
    return f"{repo}#{number}" if repo else api_url
