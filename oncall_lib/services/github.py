"""GitHub through PyGithub.

Retries only GET and HEAD: a POST retried after a 5xx can create the same
issue twice, so writes are check-then-create in the jobs instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from github import Auth, Github, GithubException, GithubRetry
from github.Repository import Repository

from oncall_lib.errors import ServiceError
from oncall_lib.services.calls import ApiCalls, count_github_calls


@dataclass(frozen=True)
class IssueState:
    repo: str
    number: int
    title: str
    state: str
    assignees: tuple[str, ...]
    labels: tuple[str, ...]
    html_url: str


class _ReadRetry(GithubRetry):
    """Retries reads; a write only when GitHub said 429 with Retry-After, which means it did nothing."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and has_retry_after:
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)


class GitHubService:
    def __init__(
        self,
        token: str,
        calls: ApiCalls,
        *,
        base_url: str = "https://api.github.com",
        retry_backoff: float = 0.5,
        throttle: bool = True,
    ) -> None:
        count_github_calls(calls)
        retry = _ReadRetry(
            total=4,
            backoff_factor=retry_backoff,
            allowed_methods=frozenset({"GET", "HEAD"}),
            status_forcelist=[429, 500, 502, 503, 504],
        )
        kwargs: dict[str, object] = {}
        if not throttle:
            # PyGithub waits between requests by default; the sandbox has no abuse limits.
            kwargs.update(seconds_between_requests=None, seconds_between_writes=None)
        # lazy: objects cost no request until an attribute that was not in a response is read.
        self._gh = Github(auth=Auth.Token(token), base_url=base_url, retry=retry, per_page=100, lazy=True,
                          **kwargs)  # type: ignore[arg-type]
        self._repos: dict[str, Repository] = {}

    def _repo(self, full_name: str) -> Repository:
        if full_name not in self._repos:
            self._repos[full_name] = self._gh.get_repo(full_name)
        return self._repos[full_name]

    def issue(self, repo: str, number: int) -> IssueState:
        with github_errors(f"read {repo}#{number}"):
            issue = self._repo(repo).get_issue(number)
            # The repository is lazy, so its issue is too: reading the title fetches it (one GET).
            return IssueState(
                repo=repo,
                number=number,
                title=issue.title,
                state=issue.state,
                assignees=tuple(a.login for a in issue.assignees),
                labels=tuple(label.name for label in issue.labels),
                html_url=issue.html_url,
            )

    def add_assignees(self, repo: str, number: int, logins: list[str]) -> None:
        with github_errors(f"assign {', '.join(logins)} on {repo}#{number}"):
            self._repo(repo).get_issue(number).add_to_assignees(*logins)

    def remove_assignees(self, repo: str, number: int, logins: list[str]) -> None:
        with github_errors(f"unassign {', '.join(logins)} on {repo}#{number}"):
            self._repo(repo).get_issue(number).remove_from_assignees(*logins)


@contextmanager
def github_errors(what: str) -> Iterator[None]:
    try:
        yield
    except GithubException as exc:
        message = exc.data.get("message", "") if isinstance(exc.data, dict) else ""
        raise ServiceError(f"GitHub {what}: HTTP {exc.status} {message}".rstrip()) from None
    except OSError as exc:
        raise ServiceError(f"GitHub {what}: network error: {exc}") from None
