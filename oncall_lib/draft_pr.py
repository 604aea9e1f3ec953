"""One draft PR per change: a fixed branch, the edited files committed there, a draft PR, labels, a reviewer.

Shared by every job that proposes a change for a person to merge (IAM cleanup,
postmortem issue numbers, offboarding). Planning compares the branch and the PR
with what they should hold, so a re-run writes nothing, and a branch left by a
failed run is completed.

The description is the person's as much as the product's: the product owns
only its marked section (oncall_lib.owned_section) and the title while it is
still the one it wrote. Who it asked to review is remembered in a hidden
marker; when a person's edit drops it, GitHub's own record (the reviews
submitted and the requests pending) stands in, so nobody is asked twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from oncall_lib.authorship import github_identity, github_wrote
from oncall_lib.owned_section import merge, remember_title, section
from oncall_lib.plan import Action, Executor, Ref
from oncall_lib.preview import github_visible
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
    # Who has reviewed the open PR, read only when its description no longer remembers who was asked.
    reviewed: tuple[str, ...] = ()
    # What planning left alone and a person should know (an edited description, say): the job's warnings.
    notes: list[str] = field(default_factory=list)


def observe_branch(services: Services, draft: DraftPr) -> DraftPr:
    """Fill in what GitHub holds: the base commit, the branch, its files, the open PR from it."""
    draft.base_sha = services.github.branch_head(draft.repo, draft.base_branch)
    draft.branch_head = services.github.branch_head(draft.repo, draft.branch)
    if draft.branch_head:
        draft.branch_files = {path: services.github.file(draft.repo, path, draft.branch) for path in draft.files}
        draft.pull = services.github.open_pull(draft.repo, draft.branch)
        if draft.pull is not None and not github_wrote(draft.pull, github_identity(services)):
            # Someone else's PR from the product's branch: its text holds no record of the product's.
            draft.pull = replace(draft.pull, body=REVIEWERS_MARKER.sub("", draft.pull.body))
    if draft.pull is not None and not REVIEWERS_MARKER.search(draft.pull.body):
        draft.reviewed = tuple(sorted(services.github.reviewed_by(draft.repo, draft.pull.number)))
    return draft


REVIEWERS_MARKER = re.compile(r"<!-- oncall-support:review-requested ([^>]*) -->")


def asked_before(body: str) -> list[str]:
    """Who the product already asked to review this PR (GitHub forgets a request once the review is in)."""
    found = REVIEWERS_MARKER.search(body or "")
    return [login for login in (found.group(1).split(",") if found else []) if login]


def with_reviewers(body: str, logins: list[str]) -> str:
    """The body remembering `logins`: the marker rewritten where it stands, or added at the end."""
    if not logins:
        return body
    marker = f"<!-- oncall-support:review-requested {','.join(logins)} -->"
    if REVIEWERS_MARKER.search(body):
        return REVIEWERS_MARKER.sub(lambda _: marker, body, count=1)
    return body.rstrip("\n") + "\n\n" + marker


def _same(logins: list[str], login: str) -> bool:
    return login.casefold() in {name.casefold() for name in logins}


def plan_draft_pr(draft: DraftPr, start: int = 0) -> list[Action]:
    """`start` is where these actions will sit in the run's whole plan (for Refs and `after`)."""
    repo, where = draft.repo, f"{draft.repo}@{draft.branch}"
    pull = draft.pull
    # Who was asked: the body's memory; without it (a person's edit dropped it), whoever GitHub says has
    # reviewed or is still asked, so that GitHub dropping a request once the review is in asks nobody again.
    asked = asked_before(pull.body) if pull else []
    involved = list(dict.fromkeys([*asked, *(pull.reviewers if pull else ()), *draft.reviewed]))
    ask = bool(draft.reviewer) and not _same(involved, str(draft.reviewer))
    reviewers = involved + ([str(draft.reviewer)] if ask else [])
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
    if pull is None:
        opened = start + len(actions)
        body = with_reviewers(section(draft.body, draft.title), reviewers)
        actions.append(Action("github.create_pull", repo, f"open a draft PR: {draft.title}",
                              {"repo": repo, "title": draft.title, "body": body, "head": draft.branch,
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
    target = f"{repo}#{pull.number}"
    wanted = draft.title if pull.draft else DO_NOT_MERGE + draft.title  # a normal PR keeps its warning
    # The title is remembered without the do-not-merge warning GitHub's refusal of a draft may have added.
    merged = merge(pull.body, draft.body, pull.title.removeprefix(DO_NOT_MERGE))
    # Only the product's own section and title change; a person's text, or their edit of either, stays.
    title = wanted if merged.title_is_ours else pull.title
    body = with_reviewers(remember_title(merged.body, draft.title) if merged.title_is_ours else merged.body,
                          reviewers)
    if not merged.section_found:
        draft.notes.append(f"{target}: its description has no automated section any more (a person's edit "
                           "removed it), so it is left as they wrote it")
    elif merged.edited_by_hand:
        draft.notes.append(f"{target}: the automated section of its description was edited by hand, so it is "
                           "left as edited")
    if (pull.title, pull.body.strip()) != (title, body.strip()):
        changed = [what for what, differs in (("title", pull.title != title),
                                              ("description", github_visible(pull.body) != github_visible(body)))
                   if differs]
        detail = f"bring its {' and '.join(changed)} up to date" if changed else "remember who was asked to review"
        actions.append(Action("github.edit_pull", target, detail,
                              {"repo": repo, "number": pull.number, "title": title, "body": body}))
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
