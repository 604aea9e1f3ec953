"""One draft PR per change: a fixed branch, the edited files committed there, a draft PR, labels, a reviewer.

Shared by every job that proposes a change for a person to merge (IAM cleanup,
postmortem issue numbers, offboarding). Planning compares the branch and the PR
with what they should hold, so a re-run writes nothing, and a branch left by a
failed run is completed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from oncall_lib.plan import Action, Executor, Ref
from oncall_lib.services import Services
from oncall_lib.services.github import DO_NOT_MERGE, PullInfo


@dataclass
class DraftPr:
    repo: str
    branch: str
    base_branch: str
    title: str
    body: str
    files: dict[str, str]  # path -> the text it should have on the branch
    base_blobs: dict[str, str]  # path -> blob sha on the base branch (to commit on a fresh branch)
    base_sha: str | None = None
    branch_head: str | None = None
    branch_files: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    pull: PullInfo | None = None
    labels: list[str] = field(default_factory=list)
    reviewer: str | None = None


def observe_branch(services: Services, draft: DraftPr) -> DraftPr:
    """Fill in what GitHub holds: the base commit, the branch, its files, the open PR from it."""
    draft.base_sha = services.github.branch_head(draft.repo, draft.base_branch)
    draft.branch_head = services.github.branch_head(draft.repo, draft.branch)
    if draft.branch_head:
        draft.branch_files = {path: services.github.file(draft.repo, path, draft.branch) for path in draft.files}
        draft.pull = services.github.open_pull(draft.repo, draft.branch)
    return draft


REVIEWERS_MARKER = re.compile(r"<!-- oncall-support:review-requested ([^>]*) -->")


def asked_before(body: str) -> list[str]:
    """Who the product already asked to review this PR (GitHub forgets a request once the review is in)."""
    found = REVIEWERS_MARKER.search(body or "")
    return [login for login in (found.group(1).split(",") if found else []) if login]


def with_reviewers(body: str, logins: list[str]) -> str:
    body = REVIEWERS_MARKER.sub("", body).rstrip()
    return body + (f"\n\n<!-- oncall-support:review-requested {','.join(logins)} -->" if logins else "")


def plan_draft_pr(draft: DraftPr, start: int = 0) -> list[Action]:
    """`start` is where these actions will sit in the run's whole plan (for Refs and `after`)."""
    repo, where = draft.repo, f"{draft.repo}@{draft.branch}"
    asked = asked_before(draft.pull.body) if draft.pull else []
    pending = list(draft.pull.reviewers) if draft.pull else []
    ask = bool(draft.reviewer) and draft.reviewer not in asked and draft.reviewer not in pending
    # Remembered in the body: who was asked. A body without the memory (edited by hand) takes the requests still
    # pending, so that GitHub dropping them after the review does not make the product ask again.
    reviewers = list(dict.fromkeys([*(asked or pending), *([draft.reviewer] if ask and draft.reviewer else [])]))
    draft.body = with_reviewers(draft.body, reviewers)
    actions: list[Action] = []
    branch_made = None
    if draft.branch_head is None:
        if draft.base_sha is None:
            return []
        branch_made = start
        actions.append(Action("github.create_branch", where, f"branch from {draft.base_branch}",
                              {"repo": repo, "branch": draft.branch, "sha": draft.base_sha}))
    for path, text in sorted(draft.files.items()):
        on_branch = draft.branch_files.get(path)
        if on_branch is not None and on_branch[0] == text:
            continue
        sha = on_branch[1] if on_branch else draft.base_blobs[path]
        actions.append(Action("github.commit_file", where, f"commit {path}",
                              {"repo": repo, "path": path, "branch": draft.branch, "text": text, "sha": sha,
                               "message": draft.title}, after=branch_made))
    if draft.pull is None:
        opened = start + len(actions)
        actions.append(Action("github.create_pull", repo, f"open a draft PR: {draft.title}",
                              {"repo": repo, "title": draft.title, "body": draft.body, "head": draft.branch,
                               "base": draft.base_branch}, after=opened - 1 if actions else None))
        if draft.labels:
            actions.append(Action("github.add_labels", repo, f"label {', '.join(draft.labels)}",
                                  {"repo": repo, "number": Ref(opened, "number"), "labels": list(draft.labels)},
                                  after=opened))
        if ask:
            actions.append(Action("github.request_review", repo, f"ask @{draft.reviewer} (on support) to review",
                                  {"repo": repo, "number": Ref(opened, "number"), "logins": [draft.reviewer]},
                                  after=opened))
        return actions
    pull = draft.pull
    target = f"{repo}#{pull.number}"
    title = draft.title if pull.draft else DO_NOT_MERGE + draft.title  # a normal PR keeps its warning
    if (pull.title, pull.body.strip()) != (title, draft.body.strip()):
        actions.append(Action("github.edit_pull", target, "bring the title and description up to date",
                              {"repo": repo, "number": pull.number, "title": title, "body": draft.body}))
    missing = [label for label in draft.labels if label not in pull.labels]
    if missing:
        actions.append(Action("github.add_labels", target, f"label {', '.join(missing)}",
                              {"repo": repo, "number": pull.number, "labels": missing}))
    if ask:
        # Asked once per PR: the marker in the body remembers it after GitHub drops the request for a review.
        actions.append(Action("github.request_review", target, f"ask @{draft.reviewer} (on support) to review",
                              {"repo": repo, "number": pull.number, "logins": [draft.reviewer]}))
    return actions


def executors(services: Services) -> dict[str, Executor]:
    github = services.github
    return {
        "github.create_branch": lambda a: github.create_branch(a.params["repo"], a.params["branch"], a.params["sha"]),
        "github.commit_file": lambda a: github.update_file(a.params["repo"], a.params["path"],
                                                           branch=a.params["branch"], text=a.params["text"],
                                                           sha=a.params["sha"], message=a.params["message"]),
        "github.create_pull": lambda a: github.create_pull(a.params["repo"], title=a.params["title"],
                                                           body=a.params["body"], head=a.params["head"],
                                                           base=a.params["base"]),
        "github.edit_pull": lambda a: github.edit_pull(a.params["repo"], a.params["number"], title=a.params["title"],
                                                       body=a.params["body"]),
        "github.add_labels": lambda a: github.add_labels(a.params["repo"], int(a.params["number"]),
                                                         list(a.params["labels"])),
        "github.request_review": lambda a: github.request_reviewers(a.params["repo"], int(a.params["number"]),
                                                                    list(a.params["logins"])),
    }
