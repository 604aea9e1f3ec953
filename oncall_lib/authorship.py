"""Which records the product itself wrote: the one place that decides it.

The product keeps its memory in hidden markers (`<!-- oncall-support:... -->`) in GitHub comments and bodies,
and in Slack message metadata. Anyone can type the same text or attach the same metadata, so a marker counts
only when its author is the product's own identity, compared by numeric id, never by login (logins change and
are re-claimed) and never by what the text says. Every reader of a marker goes through this module; anyone
else's text carrying a marker is just text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from oncall_lib.config import Config, RosterMember
from oncall_lib.services import Services
from oncall_lib.services.github import Comment, GitHubIdentity, IssueState, PullInfo

# -- GitHub ------------------------------------------------------------------------------------------------------
# The product's GitHub identity is the App's bot user (`<slug>[bot]`) or, with a token, the token's user; the
# service reads it once a run (GitHubService.identity). Issue bodies the product wrote itself (an issue it
# opened, a PR it drafted) count; bodies a person wrote (forms) hold no trusted markers.


class Authored(Protocol):
    @property
    def author_id(self) -> int: ...


A = TypeVar("A", bound=Authored)


def github_identity(services: Services) -> GitHubIdentity:
    """The product's own GitHub account (read once a run, then remembered by the service)."""
    return services.github.identity()


def github_wrote(item: Authored, me: GitHubIdentity) -> bool:
    """Whether the product wrote this comment, issue or PR: its author's id is the product's."""
    return bool(item.author_id) and item.author_id == me.user_id


def own(items: Iterable[A], me: GitHubIdentity) -> list[A]:
    """Those of `items` (comments, issues, PRs) the product wrote."""
    return [item for item in items if github_wrote(item, me)]


def own_bodies(items: Iterable[Authored | Comment | IssueState | PullInfo], me: GitHubIdentity) -> list[str]:
    """The texts of those the product wrote: where markers are read."""
    return [str(getattr(item, "body", "")) for item in items if github_wrote(item, me)]


def own_body(item: Comment | IssueState | PullInfo, me: GitHubIdentity) -> str:
    """The item's text if the product wrote it, else "" (a person's text holds no marker the product trusts)."""
    return item.body if github_wrote(item, me) else ""


def own_comments(services: Services, repo: str, number: int) -> list[Comment]:
    """The product's own comments on an issue or PR (one read of the comments, the identity once a run)."""
    return own(services.github.comments(repo, number), github_identity(services))


def marked(comments: Sequence[Comment], marker: str, me: GitHubIdentity) -> Comment | None:
    """The first of the product's own comments that carries `marker`."""
    return next((c for c in comments if github_wrote(c, me) and marker in c.body), None)


def roster_member(config: Config, login: str, user_id: int) -> RosterMember | None:
    """The roster member a GitHub account is. Where the roster pins the account's id (`github_id`), the id decides
    and the login is only a name: a renamed member still counts, and whoever claims their old login does not.
    Where it does not, the login decides (GitHub's current word for the account, never anything typed)."""
    by_id = next((m for m in config.roster if m.github_id and user_id and m.github_id == user_id), None)
    if by_id is not None:
        return by_id
    by_login = next((m for m in config.roster if m.github and m.github.casefold() == login.casefold()), None)
    if by_login is None or by_login.github_id:  # a pinned member's login, held by another account
        return None
    return by_login


def impostor_of(config: Config, login: str, user_id: int) -> RosterMember | None:
    """The roster member whose login this account holds though the roster pins another account's id."""
    return next((m for m in config.roster if m.github and m.github.casefold() == login.casefold()
                 and m.github_id and m.github_id != user_id), None)
