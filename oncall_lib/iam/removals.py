"""One removal per IAM user: the cleanup and offboarding jobs see each other's open PRs.

Both draft PRs that cut users out of the same Terraform file; two open PRs
removing one user conflict as soon as one is merged. Each PR says in a marker
whom it removes, so either job can find, with one list of the repository's
open PRs, which PR already removes a user, and leave that user to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oncall_lib.authorship import github_identity, github_wrote
from oncall_lib.services import Services
from oncall_lib.services.github import GitHubIdentity, PullInfo

CLEANUP_BRANCHES = "oncall/remove-iam-users/"
OFFBOARD_BRANCHES = "oncall/offboard/"
_CLEANUP = re.compile(r"<!-- oncall-support:iam-cleanup ([^>]*?) -->")
_OFFBOARD = re.compile(r"<!-- oncall-support:offboard (\S+) -->")
OFFBOARD_MARKER = "<!-- oncall-support:offboard {user} -->"


@dataclass(frozen=True)
class OpenRemoval:
    branch: str
    pull: PullInfo
    users: tuple[str, ...]
    why: str  # "IAM cleanup" or "offboarding"

    def names(self, user: str) -> bool:
        return user.casefold() in {u.casefold() for u in self.users}


def removals_in(pulls: list[tuple[str, PullInfo]], me: GitHubIdentity) -> list[OpenRemoval]:
    """The removals the product's own PRs make: a marker in anyone else's PR (a fork's branch can be named like
    ours) is just text, and leaves no user to it."""
    found = []
    for branch, pull in pulls:
        if not github_wrote(pull, me):
            continue
        cleanup, offboard = _CLEANUP.search(pull.body), _OFFBOARD.search(pull.body)
        if branch.startswith(CLEANUP_BRANCHES) and cleanup:
            found.append(OpenRemoval(branch, pull, tuple(cleanup.group(1).split()), "IAM cleanup"))
        elif branch.startswith(OFFBOARD_BRANCHES) and offboard:
            found.append(OpenRemoval(branch, pull, (offboard.group(1),), "offboarding"))
    return found


def open_removals(services: Services, repo: str) -> list[OpenRemoval]:
    """Every open cleanup or offboarding PR in the repository, with whom it removes (one paged list)."""
    pulls = services.github.open_pulls(repo, "oncall/")
    return removals_in(pulls, github_identity(services)) if pulls else []


def removing(removals: list[OpenRemoval], user: str, *, other_than: str) -> OpenRemoval | None:
    """The open PR on another branch than `other_than` that already removes `user`."""
    return next((r for r in removals if r.branch != other_than and r.names(user)), None)
