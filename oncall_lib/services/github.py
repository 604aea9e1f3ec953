"""GitHub through PyGithub.

Retries only GET and HEAD: a POST retried after a 5xx can create the same
issue twice, so writes are check-then-create in the jobs instead.

Credentials: a token (one client for everything), or the GitHub App's id and
private key. With the App, the service signs the App's JWT and mints an
installation token for each account (organisation or user) it touches, found
through the installation of the first repository it reads there, and mints a
new one shortly before the old one expires: a run of any length works.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self, TypeVar

import requests
from github import Auth, Github, GithubException, GithubIntegration, GithubRetry
from github.Installation import Installation
from github.Issue import Issue
from github.Repository import Repository
from urllib3.util.retry import Retry

from oncall_lib.errors import Gone, InputError, ServiceError
from oncall_lib.secrets import remember
from oncall_lib.services.calls import ApiCalls, count_github_calls

Clock = Callable[[], datetime]
# An installation token lives an hour; a new one is minted this long before the old one expires, so that a
# request never leaves with a token that dies on the way, even with a few minutes between our clock and GitHub's.
REFRESH_BEFORE_EXPIRY = timedelta(minutes=5)
# The longest the product waits for a rate limit to reset before it stops with one line instead: with at most four
# retries a run waits six minutes at most, inside every job's timeout (10 minutes; the tick's 15). GitHub's primary
# limit resets within the hour, which no job outlasts; the next run carries on where this one stopped.
RATE_LIMIT_WAIT_LIMIT = 90.0

OPEN_PULLS_QUERY = """query OpenPullRequests($owner: String!, $name: String!, $cursor: String, $withRecent: Boolean!) {
  repository(owner: $owner, name: $name) {
    recent: pullRequests(states: [MERGED, CLOSED], first: 30, orderBy: {field: UPDATED_AT, direction: DESC})
        @include(if: $withRecent) {
      nodes { number title url updatedAt reviews(last: 50) { nodes { state submittedAt author { login } } } }
    }
    pullRequests(states: OPEN, first: 50, after: $cursor, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number title url isDraft createdAt updatedAt
        author { login }
        commits(last: 1) { nodes { commit { committedDate statusCheckRollup { state } } } }
        reviews(last: 50) { nodes { state submittedAt author { login } } }
        reviewRequests(first: 20) {
          nodes { asCodeOwner requestedReviewer { ... on User { login } ... on Team { slug } } }
        }
      }
    }
  }
}"""


EDIT_HISTORY_QUERY = """query EditHistory($id: ID!) {
  node(id: $id) {
    ... on Comment {
      author { login ... on User { databaseId } ... on Bot { databaseId } }
      lastEditedAt
      userContentEdits(first: 100) {
        nodes { editedAt editor { login ... on User { databaseId } ... on Bot { databaseId } } }
      }
    }
  }
}"""


@dataclass(frozen=True)
class IssueState:
    repo: str
    number: int
    title: str
    state: str
    assignees: tuple[str, ...]
    labels: tuple[str, ...]
    html_url: str
    body: str = ""
    id: int = 0
    author: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    is_pull: bool = False
    closed_at: datetime | None = None
    # The API URL of the issue this one is a sub-issue of (GitHub's parent_issue_url), if any.
    parent_url: str | None = None
    # Who opened it, by GitHub's numeric user id (a login changes hands; the id does not): authorship.py reads it.
    author_id: int = 0
    node_id: str = ""  # GraphQL's id, for its edit history
    locked: bool = False


@dataclass(frozen=True)
class PullInfo:
    number: int
    title: str
    body: str
    labels: tuple[str, ...]
    reviewers: tuple[str, ...]
    html_url: str
    draft: bool = True
    author_id: int = 0  # who opened it, by user id


# A repository whose plan has no draft PRs gets a normal PR, marked in its title so nobody merges it unread.
DO_NOT_MERGE = "[Do not merge] "


@dataclass(frozen=True)
class RunInfo:
    id: int
    number: int
    sha: str
    branch: str
    conclusion: str | None
    created_at: datetime
    html_url: str


@dataclass(frozen=True)
class JobInfo:
    id: int
    name: str
    conclusion: str | None
    failed_step: str | None
    html_url: str


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str
    # The issue's number is filled by the repository-wide listing (recent_comments); the times by both listings.
    number: int = 0  # the issue's (or PR's) number
    created_at: datetime | None = None
    updated_at: datetime | None = None
    on_pull: bool = False
    author_is_bot: bool = False
    # Who wrote it, by GitHub's numeric user id: what authorship.py compares (never the login, never the text).
    author_id: int = 0
    node_id: str = ""  # GraphQL's id, for its edit history


@dataclass(frozen=True)
class GitHubIdentity:
    """The product's own account on GitHub: the App's bot user (`<slug>[bot]`), or the token's user."""

    user_id: int
    login: str


@dataclass(frozen=True)
class Edit:
    """One revision of an issue's or comment's text, and who made it (GraphQL's UserContentEdit)."""

    editor: str
    editor_id: int
    edited_at: datetime | None


@dataclass(frozen=True)
class EditHistory:
    """Who wrote a text and who has edited it since (GraphQL's Comment interface: author, editor, lastEditedAt,
    userContentEdits): the REST API says neither."""

    author: str
    author_id: int
    last_edited_at: datetime | None
    edits: tuple[Edit, ...] = ()

    def edited_by_others(self, product_id: int = 0) -> list[Edit]:
        """The edits made by someone other than the author (the created revision, by the author, is not one), or
        than the product itself (`product_id`: it ticks a request's checklist)."""
        return [e for e in self.edits if not e.editor_id
                or e.editor_id not in {self.author_id, product_id} - {0}]


@dataclass(frozen=True)
class LabelEvent:
    """A label added to an issue, and by whom (GitHub's word: the actor of the `labeled` event)."""

    label: str
    actor: str
    actor_is_bot: bool
    created_at: datetime | None
    actor_id: int = 0


@dataclass(frozen=True)
class WorkflowState:
    name: str
    path: str
    state: str  # active, disabled_inactivity, disabled_manually, disabled_fork, deleted
    html_url: str


@dataclass(frozen=True)
class AppCredentials:
    """The GitHub App's id and private key (PEM): the service mints its own installation tokens from them."""

    app_id: str
    private_key: str


@dataclass(frozen=True)
class InstallationInfo:
    """One installation of the App: the account it is on, which of its repositories it may use, what it may do."""

    id: int
    account: str
    repository_selection: str  # "all" or "selected"
    permissions: dict[str, str]
    html_url: str


class _AppJwt(Auth.AppAuth):
    """The App's JWT (RS256, `iss` = the App id, issued a minute back, valid five minutes), dated by `clock`:
    PyGithub's own reads the machine's clock, which the sandbox's does not follow."""

    def __init__(self, app_id: str, private_key: str, clock: Clock) -> None:
        import jwt

        try:
            key = _private_key(private_key)
        except (ValueError, TypeError) as exc:
            raise InputError(f"environment variable ONCALL_GITHUB_APP_PRIVATE_KEY is not a readable private key "
                             f"({str(exc).splitlines()[0][:120]}): generate a new one in the App's settings") from None
        super().__init__(app_id, sign_func=lambda payload: jwt.encode(payload, key, algorithm="RS256"))
        self._clock = clock

    def create_jwt(self, expiration: int | None = None) -> str:
        now = int(self._clock().timestamp())
        payload = {"iat": now + self._jwt_issued_at, "exp": now + (expiration or self._jwt_expiry),
                   "iss": self._app_id}
        assert self._sign_func is not None
        signed = self._sign_func(payload)
        return signed.decode("utf-8") if isinstance(signed, bytes) else signed


@functools.cache
def _private_key(pem: str) -> Any:
    """The App's key, read once a process: PyGithub's signer reads the PEM again for every JWT (some 70 ms)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem.encode(), password=None)


class _InstallationToken(Auth.Auth):
    """An installation's token, minted on first use and again REFRESH_BEFORE_EXPIRY before it expires.

    PyGithub's AppInstallationAuth does the same with the machine's clock and twenty seconds to spare; this one
    follows the service's clock (the sandbox's, in the sandbox) and leaves five minutes.
    """

    def __init__(self, integration: GithubIntegration, installation_id: int, clock: Clock,
                 on_mint: Callable[[str], None] = remember, permissions: dict[str, str] | None = None) -> None:
        self._integration = integration
        self._on_mint = on_mint
        # What the token may do: the permissions the run's duties need (None: all the installation was granted).
        self.permissions = permissions
        self.installation_id = installation_id
        self._clock = clock
        self._token: str | None = None
        self._expires_at = datetime.min.replace(tzinfo=UTC)
        self.minted = 0  # how many tokens this run minted for the installation

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        if self._token is None or self._clock() >= self._expires_at - REFRESH_BEFORE_EXPIRY:
            with github_errors(f"mint a token for the GitHub App's installation {self.installation_id}"):
                authorization = self._integration.get_access_token(self.installation_id,
                                                                   permissions=self.permissions)
            # A token is a secret too: scrubbed from everything printed (and, inside Actions, masked in the log).
            self._on_mint(authorization.token)
            self._token, self._expires_at = authorization.token, authorization.expires_at
            self.minted += 1
        return self._token

    @property
    def _masked_token(self) -> str:
        return "token (installation token removed)"


def _issue_state(repo: str, issue: Issue) -> IssueState:
    return IssueState(
        repo=repo,
        number=issue.number,
        title=issue.title,
        state=issue.state,
        assignees=tuple(a.login for a in issue.assignees),
        labels=tuple(label.name for label in issue.labels),
        html_url=issue.html_url,
        body=issue.body or "",
        id=issue.id,
        author=issue.user.login if issue.user else "",
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        # Not issue.pull_request: reading an attribute a listing left out makes PyGithub fetch the issue again.
        is_pull="/pull/" in issue.html_url,
        closed_at=issue.closed_at,
        # From the data the listing returned: reading the attribute would fetch each issue again when absent.
        parent_url=issue._rawData.get("parent_issue_url"),
        author_id=_user_id(issue._rawData.get("user")),
        node_id=str(issue._rawData.get("node_id") or ""),
        locked=bool(issue._rawData.get("locked")),
    )


def _user_id(user: object) -> int:
    """A user object's numeric id as the response holds it (0 when there is none: a deleted account, "ghost")."""
    value = user.get("id") if isinstance(user, dict) else None
    return int(value) if isinstance(value, int) else 0


class _ReadRetry(GithubRetry):
    """Retries reads; a write only when GitHub refused it for a rate limit, which means it did nothing: 429 with
    Retry-After, or 403 (GithubRetry then waits for the reset or Retry-After, and raises at once on a 403 that
    is not a rate limit)."""

    calls: ApiCalls | None = None

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if (status_code == 429 and has_retry_after) or status_code == 403:
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.calls = self.calls
        return retry

    def increment(self, method: str | None = None, url: str | None = None,  # type: ignore[override]
                  *args: Any, **kwargs: Any) -> Retry:
        """Called for each attempt that failed (an error status, a lost connection), which PyGithub's request log
        never sees: count it here, and count a retry when one follows."""
        if self.calls is not None:
            verb = (method or "GET").upper()
            self.calls.record("github", write=verb not in {"GET", "HEAD"} and not str(url).endswith("/graphql"))
        retry = super().increment(method, url, *args, **kwargs)
        if self.calls is not None:
            self.calls.retrying("github")
        return retry


class GitHubService:
    def __init__(
        self,
        credentials: str | AppCredentials,
        calls: ApiCalls,
        *,
        base_url: str = "https://api.github.com",
        retry_backoff: float = 0.5,
        throttle: bool = True,
        clock: Clock | None = None,
        on_mint: Callable[[str], None] = remember,
        token_permissions: dict[str, str] | None = None,
    ) -> None:
        count_github_calls(calls)
        self._on_mint = on_mint
        # The permissions the run's duties need: each installation token is minted with only those (and only
        # those the installation holds); None mints with everything the installation was granted.
        self._token_permissions = token_permissions
        self._calls = calls
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        retry = _ReadRetry(
            max_rate_limit_wait=RATE_LIMIT_WAIT_LIMIT,
            secondary_rate_wait=60,
            total=4,
            backoff_factor=retry_backoff,
            allowed_methods=frozenset({"GET", "HEAD"}),
            status_forcelist=[429, 500, 502, 503, 504],
        )
        retry.calls = calls
        kwargs: dict[str, Any] = {"base_url": base_url, "retry": retry, "per_page": 100,
                                  # lazy: objects cost no request until an attribute a response left out is read.
                                  "lazy": True}
        if not throttle:
            # PyGithub waits between requests by default; the sandbox has no abuse limits.
            kwargs.update(seconds_between_requests=None, seconds_between_writes=None)
        self._client_kwargs = kwargs
        self._integration: GithubIntegration | None = None
        self._token_client: Github | None = None
        if isinstance(credentials, AppCredentials):
            self._integration = GithubIntegration(auth=_AppJwt(credentials.app_id, credentials.private_key,
                                                               self._clock), **kwargs)
        else:
            self._token_client = Github(auth=Auth.Token(credentials), **kwargs)
        # With the App: the client for each repository and organisation (lower-cased), and for each installation.
        self._clients: dict[str, Github] = {}
        self._by_installation: dict[int, Github] = {}
        self._installations: dict[str, InstallationInfo | None] = {}
        self.installation_tokens: dict[str, _InstallationToken] = {}
        self._repos: dict[str, Repository] = {}
        # GraphQL fields GitHub refused this token (answered null with FORBIDDEN), for a warning.
        self.forbidden_fields: set[str] = set()
        self._identity: GitHubIdentity | None = None

    @property
    def uses_app(self) -> bool:
        return self._integration is not None

    def _client(self, owner: str, repo: str | None = None) -> Github:
        """The client for a repository (or, without one, an organisation); with the App, the client of the
        installation that covers it, looked up once per repository so that one left out of the installation's
        selected repositories is named, not answered with a bare 404."""
        if self._token_client is not None:
            return self._token_client
        key = f"{owner}/{repo}".lower() if repo else owner.lower()
        if key not in self._clients:
            if not repo and owner.lower() in self.installation_tokens:
                return self._open(owner, self.installation_tokens[owner.lower()].installation_id)
            found = self.installation(owner, repo)
            if found is None:
                where = f"{owner}/{repo}" if repo else owner
                raise ServiceError(f"GitHub: the App is not installed on {where}: install it on the {owner} account "
                                   "and give it access to the repository (the doctor lists what each installation "
                                   "covers)")
            self._clients[key] = self._open(found.account or owner, found.id, found.permissions)
        return self._clients[key]

    def _scope(self, granted: dict[str, str] | None) -> dict[str, str] | None:
        """The permissions to mint a token with: what the run needs, at most what the installation holds (GitHub
        refuses to mint a token asking for more, which would stop every call instead of the one that needs it)."""
        if self._token_permissions is None:
            return None
        levels = ("read", "write", "admin")
        scope = {}
        for permission, level in self._token_permissions.items():
            have = level if granted is None else granted.get(permission)
            if have in levels and level in levels:
                scope[permission] = levels[min(levels.index(level), levels.index(have))]
        return scope

    def _open(self, account: str, installation_id: int, granted: dict[str, str] | None = None) -> Github:
        """The client of an installation: one per installation, so one token per account however many
        repositories it covers."""
        assert self._integration is not None
        token = self.installation_tokens.get(account.lower())
        if token is None or token.installation_id != installation_id:
            token = _InstallationToken(self._integration, installation_id, self._clock, self._on_mint,
                                       self._scope(granted))
            self.installation_tokens[account.lower()] = token
            self._by_installation[installation_id] = Github(auth=token, **self._client_kwargs)
        client = self._by_installation[installation_id]
        self._clients.setdefault(account.lower(), client)
        return client

    def _repo_client(self, full_name: str) -> Github:
        owner, _, name = full_name.partition("/")
        return self._client(owner, name)

    def _any_client(self) -> Github:
        """For what belongs to no account (a user's profile): any installation will do."""
        if self._token_client is not None:
            return self._token_client
        if not self._by_installation:
            assert self._integration is not None
            with github_errors("list the GitHub App's installations"):
                first = next(iter(self._integration.get_installations()), None)
            if first is None:
                raise ServiceError("GitHub: the App is installed nowhere: install it on the organisation that holds "
                                   "the Super Epics")
            return self._open(str((first._rawData.get("account") or {}).get("login", "")), first.id)
        return next(iter(self._by_installation.values()))

    def installation(self, owner: str, repo: str | None = None) -> InstallationInfo | None:
        """The App's installation that covers `owner/repo` (or, without a repo, the account `owner`), or None when
        it is not installed there or not given that repository. Only with the App's credentials."""
        integration = self._integration
        assert integration is not None, "installations belong to the GitHub App's credentials"
        key = f"{owner}/{repo or ''}".lower()
        if key not in self._installations:  # asked once a run (the doctor asks, then reads the repository)
            with github_errors(f"find the GitHub App's installation on {owner}{'/' + repo if repo else ''}"):
                if repo:
                    found = _unless_missing(lambda: integration.get_repo_installation(owner, repo))
                else:
                    found = _unless_missing(lambda: integration.get_org_installation(owner))
            self._installations[key] = _installation_info(found) if found is not None else None
        return self._installations[key]

    def _repo(self, full_name: str) -> Repository:
        if full_name not in self._repos:
            self._repos[full_name] = self._repo_client(full_name).get_repo(full_name)
        return self._repos[full_name]

    def issue(self, repo: str, number: int) -> IssueState:
        with github_errors(f"read {repo}#{number}"):
            # The repository is lazy, so its issue is too: reading the title fetches it (one GET).
            return _issue_state(repo, self._repo(repo).get_issue(number))

    def repo_id(self, repo: str) -> int:
        with github_errors(f"read {repo}"):
            return int(self._repo(repo).id)

    def issues(self, repo: str, *, labels: list[str], state: str = "all",
               since: datetime | None = None) -> list[IssueState]:
        """Issues with all of `labels` (updated since `since`), from the list endpoint: it sees new
        issues at once, where search lags behind."""
        kwargs: dict[str, object] = {"state": state, "labels": labels, "sort": "created", "direction": "desc"}
        if since is not None:
            # PyGithub writes `since` with a literal Z and no conversion: give it UTC.
            kwargs["since"] = since.astimezone(UTC)
        with github_errors(f"list issues in {repo}"):
            listed = [_issue_state(repo, i) for i in self._repo(repo).get_issues(**kwargs)]  # type: ignore[arg-type]
            return [i for i in listed if not i.is_pull]

    def create_issue(self, repo: str, *, title: str, body: str, labels: list[str],
                     assignees: list[str]) -> dict[str, object]:
        with github_errors(f"create an issue in {repo}"):
            issue = self._repo(repo).create_issue(title=title, body=body, labels=labels, assignees=assignees)
        return {"number": issue.number, "id": issue.id, "html_url": issue.html_url, "created_at": issue.created_at}

    def edit_body(self, repo: str, number: int, body: str, title: str | None = None) -> None:
        with github_errors(f"edit {repo}#{number}"):
            if title is None:
                self._repo(repo).get_issue(number).edit(body=body)
            else:
                self._repo(repo).get_issue(number).edit(body=body, title=title)

    def close_as_duplicate(self, repo: str, number: int, comment: str) -> None:
        """Say why in a comment, then close the issue as not planned (GitHub's duplicate state)."""
        with github_errors(f"close {repo}#{number} as a duplicate"):
            issue = self._repo(repo).get_issue(number)
            issue.create_comment(comment)
            issue.edit(state="closed", state_reason="not_planned")

    def add_labels(self, repo: str, number: int, labels: list[str]) -> None:
        with github_errors(f"label {repo}#{number}"):
            self._repo(repo).get_issue(number).add_to_labels(*labels)

    def remove_label(self, repo: str, number: int, label: str) -> None:
        with github_errors(f"unlabel {repo}#{number}"):
            self._repo(repo).get_issue(number).remove_from_labels(label)

    def comments(self, repo: str, number: int) -> list[Comment]:
        with github_errors(f"read comments of {repo}#{number}"):
            return [_comment(c._rawData, number) for c in self._repo(repo).get_issue(number).get_comments()]

    def comment(self, repo: str, number: int, body: str) -> None:
        with github_errors(f"comment on {repo}#{number}"):
            self._repo(repo).get_issue(number).create_comment(body)

    def edit_comment(self, repo: str, number: int, comment_id: int, body: str) -> None:
        with github_errors(f"edit a comment on {repo}#{number}"):
            self._repo(repo).get_issue(number).get_comment(comment_id).edit(body)

    def sub_issue_ids(self, repo: str, number: int) -> set[int]:
        return {child.id for child in self.sub_issues(repo, number)}

    def sub_issues(self, repo: str, number: int) -> list[IssueState]:
        """An issue's sub-issues, closed ones included (they count towards GitHub's cap of 100)."""
        with github_errors(f"read sub-issues of {repo}#{number}"):
            found = []
            for child in self._repo(repo).get_issue(number).get_sub_issues():
                child_repo = str(child._rawData.get("repository_url", "")).split("/repos/")[-1] or repo
                found.append(_issue_state(child_repo, child))
            return found

    def add_sub_issue(self, repo: str, number: int, child_id: int, *, replace_parent: bool = False) -> None:
        with github_errors(f"add a sub-issue to {repo}#{number}"):
            if replace_parent:  # moved from the parent it has (GitHub's replace_parent)
                self._repo_client(repo).requester.requestJsonAndCheck(
                    "POST", f"/repos/{repo}/issues/{number}/sub_issues",
                                                       input={"sub_issue_id": child_id, "replace_parent": True})
            else:
                self._repo(repo).get_issue(number).add_sub_issue(child_id)

    def read_comment(self, repo: str, comment_id: int) -> Comment:
        """One issue comment by id: its author as GitHub knows them, and its text. A comment deleted since (404)
        raises Gone."""
        with github_errors(f"read comment {comment_id} in {repo}"):
            found = _unless_missing(lambda: self._repo_client(repo).requester.requestJsonAndCheck(
                "GET", f"/repos/{repo}/issues/comments/{comment_id}"))
        if found is None:
            raise Gone(f"GitHub comment {comment_id} in {repo}: HTTP 404 (deleted)")
        return _comment(found[1])

    def updated_issues(self, repo: str, since: datetime, state: str = "open") -> list[IssueState]:
        """Issues of every kind (open ones, or `state`) updated since `since`, most recently updated first: one
        listing (a page per 100) however many there are, for the tick's intake and the support scan."""
        with github_errors(f"list issues updated in {repo}"):
            listed = self._repo(repo).get_issues(state=state, sort="updated", direction="desc",
                                                 since=since.astimezone(UTC))
            return [i for i in (_issue_state(repo, issue) for issue in listed) if not i.is_pull]

    def recent_comments(self, repo: str, since: datetime) -> list[Comment]:
        """Every issue and PR comment in the repository created or edited since `since`: one listing."""
        found = []
        with github_errors(f"list comments in {repo}"):
            for c in self._repo(repo).get_issues_comments(sort="updated", direction="asc",
                                                          since=since.astimezone(UTC)):
                found.append(_comment(c._rawData))  # the listing's own data: no read per attribute
        return found

    def label_events(self, repo: str, number: int) -> list[LabelEvent]:
        """The labels added to an issue, oldest first, each with who added it."""
        with github_errors(f"read the events of {repo}#{number}"):
            found = []
            for event in self._repo(repo).get_issue(number).get_events():
                raw = event._rawData
                if raw.get("event") != "labeled":
                    continue
                actor = raw.get("actor") or {}
                found.append(LabelEvent(str((raw.get("label") or {}).get("name", "")), str(actor.get("login", "")),
                                        is_bot(str(actor.get("login", "")), str(actor.get("type", ""))),
                                        event.created_at, actor_id=_user_id(actor)))
            return found

    def identity(self) -> GitHubIdentity:
        """The product's own account, read once a run: with the App, its bot user `<slug>[bot]` (GET /app with the
        App's JWT gives the slug, GET /users/<slug>[bot] the id); with a token, the token's user (GET /user)."""
        if self._identity is None:
            with github_errors("read the product's own GitHub account"):
                if self._integration is not None:
                    slug = str(self._integration.get_app().slug)
                    client = self._any_client()
                    found = client.requester.requestJsonAndCheck("GET", f"/users/{urllib.parse.quote(slug)}%5Bbot%5D")
                else:
                    assert self._token_client is not None
                    found = self._token_client.requester.requestJsonAndCheck("GET", "/user")
            data = found[1] if isinstance(found[1], dict) else {}
            if not _user_id(data):
                raise ServiceError("GitHub: the product's own account has no id (GET /user or /users/<app>[bot])")
            self._identity = GitHubIdentity(_user_id(data), str(data.get("login", "")))
        return self._identity

    def edit_history(self, repo: str, node_id: str) -> EditHistory:
        """Who wrote an issue's or a comment's text and every edit since, by whom (one GraphQL read)."""
        with github_errors(f"read the edit history of {node_id} in {repo}"):
            _, data = self._repo_client(repo).requester.graphql_query(EDIT_HISTORY_QUERY, {"id": node_id})
        node = ((data or {}).get("data") or {}).get("node") or {}
        author = node.get("author") or {}
        edits = tuple(Edit(str((e.get("editor") or {}).get("login", "")), _graphql_id(e.get("editor")),
                           _timestamp(e.get("editedAt")))
                      for e in (node.get("userContentEdits") or {}).get("nodes") or [] if isinstance(e, dict))
        return EditHistory(str(author.get("login", "")), _graphql_id(author), _timestamp(node.get("lastEditedAt")),
                           edits)

    def close_issue(self, repo: str, number: int) -> None:
        with github_errors(f"close {repo}#{number}"):
            self._repo(repo).get_issue(number).edit(state="closed", state_reason="completed")

    def file(self, repo: str, path: str, ref: str) -> tuple[str, str] | None:
        """A file's text and blob sha on a branch, or None if it is not there."""
        with github_errors(f"read {path} in {repo}@{ref}"):
            content = _unless_missing(lambda: self._repo(repo).get_contents(path, ref=ref))
            if content is None:
                return None
            if isinstance(content, list):
                raise ServiceError(f"GitHub {repo}: {path} is a directory, not a file")
            try:
                return content.decoded_content.decode("utf-8"), content.sha
            except UnicodeDecodeError as exc:
                raise ServiceError(f"GitHub {repo}: {path} is not UTF-8 text (byte {exc.start})") from None

    def list_dir(self, repo: str, path: str, ref: str) -> list[str]:
        """Paths of the files directly in a folder (empty if there is no such folder)."""
        with github_errors(f"list {path} in {repo}@{ref}"):
            entries = _unless_missing(lambda: self._repo(repo).get_contents(path, ref=ref))
            if entries is None:
                return []
            entries = entries if isinstance(entries, list) else [entries]
            return sorted(e.path for e in entries if e.type == "file")

    def branch_head(self, repo: str, branch: str) -> str | None:
        """The commit a branch points at, or None if there is no such branch."""
        with github_errors(f"read branch {branch} of {repo}"):
            # The ref is lazy: reading its sha is the request, so it happens inside.
            return _unless_missing(lambda: str(self._repo(repo).get_git_ref(f"heads/{branch}").object.sha))

    def create_branch(self, repo: str, branch: str, sha: str) -> None:
        with github_errors(f"create branch {branch} in {repo}"):
            self._repo(repo).create_git_ref(ref=f"refs/heads/{branch}", sha=sha)

    def update_file(self, repo: str, path: str, *, branch: str, text: str, sha: str, message: str) -> None:
        with github_errors(f"commit {path} to {repo}@{branch}"):
            self._repo(repo).update_file(path, message, text, sha, branch=branch)

    def open_pull(self, repo: str, branch: str) -> PullInfo | None:
        """The open PR from `branch` (in the same repository), if any."""
        owner = repo.split("/", 1)[0]
        with github_errors(f"list pull requests from {branch} in {repo}"):
            for pull in self._repo(repo).get_pulls(state="open", head=f"{owner}:{branch}"):
                return PullInfo(pull.number, pull.title, pull.body or "", tuple(label.name for label in pull.labels),
                                tuple(r.login for r in pull.requested_reviewers), pull.html_url,
                                draft=bool(pull._rawData.get("draft", True)),
                                author_id=_user_id(pull._rawData.get("user")))
        return None

    def open_pulls(self, repo: str, branch_prefix: str) -> list[tuple[str, PullInfo]]:
        """(branch, PR) of every open PR whose branch starts with `branch_prefix`: one list, paged."""
        with github_errors(f"list open pull requests in {repo}"):
            return [(pull.head.ref, PullInfo(pull.number, pull.title, pull.body or "",
                                             tuple(label.name for label in pull.labels),
                                             tuple(r.login for r in pull.requested_reviewers), pull.html_url,
                                             draft=bool(pull._rawData.get("draft", True)),
                                             author_id=_user_id(pull._rawData.get("user"))))
                    for pull in self._repo(repo).get_pulls(state="open")
                    if pull.head.ref.startswith(branch_prefix)]

    def close_pull(self, repo: str, number: int, branch: str, comment: str) -> None:
        """Say why, close the PR, and delete its branch (as create-pull-request's delete-branch does)."""
        with github_errors(f"close {repo}#{number}"):
            self._repo(repo).get_issue(number).create_comment(comment)
            self._repo(repo).get_pull(number).edit(state="closed")
            # DELETE .../git/refs/{ref}, as GitHub documents it (PyGithub's lazy GitRef would use /git/ref/).
            self._repo_client(repo).requester.requestJsonAndCheck(
                "DELETE", f"/repos/{repo}/git/refs/heads/{urllib.parse.quote(branch, safe='/')}")

    def create_pull(self, repo: str, *, title: str, body: str, head: str, base: str) -> dict[str, object]:
        """A draft PR; where the repository's plan has no drafts (GitHub answers 422, creating nothing), a normal
        one whose title says not to merge it."""
        try:
            pull = self._repo(repo).create_pull(title=title, body=body, head=head, base=base, draft=True)
        except GithubException as exc:
            message = str(exc.data.get("message", "")) if isinstance(exc.data, dict) else ""
            if exc.status != 422 or "draft" not in message.lower():
                with github_errors(f"open a draft PR from {head} in {repo}"):
                    raise
            with github_errors(f"open a PR from {head} in {repo} (drafts are not available there)"):
                pull = self._repo(repo).create_pull(title=DO_NOT_MERGE + title, body=body, head=head, base=base)
        except OSError:
            with github_errors(f"open a draft PR from {head} in {repo}"):
                raise
        return {"number": pull.number, "html_url": pull.html_url}

    def edit_pull(self, repo: str, number: int, *, title: str, body: str) -> None:
        with github_errors(f"edit PR {repo}#{number}"):
            self._repo(repo).get_pull(number).edit(title=title, body=body)

    def reviewed_by(self, repo: str, number: int) -> set[str]:
        """Who has submitted a review of the PR (GitHub drops a review request once the review is in)."""
        with github_errors(f"list the reviews of {repo}#{number}"):
            return {review.user.login for review in self._repo(repo).get_pull(number).get_reviews() if review.user}

    def request_reviewers(self, repo: str, number: int, logins: list[str]) -> None:
        with github_errors(f"request a review from {', '.join('@' + login for login in logins)} on {repo}#{number} "
                           "(only the repository's collaborators can be asked)"):
            self._repo(repo).get_pull(number).create_review_request(reviewers=logins)

    def labels(self, repo: str) -> dict[str, tuple[str, str]]:
        """name -> (colour, description) of every label in the repository."""
        with github_errors(f"list labels of {repo}"):
            labels = self._repo(repo).get_labels()
            return {label.name: (label.color.lower(), label.description or "") for label in labels}

    def create_label(self, repo: str, name: str, color: str, description: str) -> None:
        with github_errors(f"create label {name!r} in {repo}"):
            self._repo(repo).create_label(name=name, color=color, description=description)

    def edit_label(self, repo: str, name: str, color: str, description: str) -> None:
        with github_errors(f"update label {name!r} in {repo}"):
            self._repo(repo).get_label(name).edit(name=name, color=color, description=description)

    def pulls_for_review(self, repo: str) -> list[dict[str, Any]]:
        """Open PRs with their last commit, checks, reviews and review requests: one GraphQL call per 50."""
        return self.pulls_and_recently_closed(repo)[0]

    def pulls_and_recently_closed(self, repo: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The open PRs (as pulls_for_review), and the 30 last closed or merged ones with their reviews, which the
        first page of the same query brings: reviews on a PR merged between two digests still count."""
        owner, name = repo.split("/", 1)
        nodes: list[dict[str, Any]] = []
        recent: list[dict[str, Any]] = []
        cursor = None
        with github_errors(f"GraphQL pull requests of {repo}"):
            while True:
                data = self._partial_graphql(repo, OPEN_PULLS_QUERY, {"owner": owner, "name": name, "cursor": cursor,
                                                                "withRecent": cursor is None})
                repository = (data.get("data") or {}).get("repository") or {}
                recent += (repository.get("recent") or {}).get("nodes") or []
                found = repository.get("pullRequests") or {}
                nodes += found.get("nodes") or []
                info = found.get("pageInfo") or {}
                if not info.get("hasNextPage"):
                    return nodes, recent
                cursor = info.get("endCursor")

    # Fields a token may be refused while the rest of the answer stands: GitHub sends them as null with a
    # FORBIDDEN error (statusCheckRollup needs Checks and Commit statuses read).
    OPTIONAL_FIELDS = frozenset({"statusCheckRollup"})

    def _partial_graphql(self, repo: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """A GraphQL answer; PyGithub raises on any `errors`, so a partial answer whose only errors are
        FORBIDDEN on optional fields is taken with those fields null, and the missing permission remembered."""
        try:
            _, data = self._repo_client(repo).requester.graphql_query(query, variables)
            return data
        except GithubException as exc:
            body = exc.data if isinstance(exc.data, dict) else {}
            errors = body.get("errors") or []
            optional = [e for e in errors if isinstance(e, dict) and e.get("type") == "FORBIDDEN"
                        and str((e.get("path") or [""])[-1]) in self.OPTIONAL_FIELDS]
            if not body.get("data") or not errors or len(optional) != len(errors):
                raise
            self.forbidden_fields |= {str(e["path"][-1]) for e in optional}
            return {"data": body["data"]}

    def workflow_runs(self, repo: str, workflow: str, since: datetime) -> list[RunInfo]:
        """Completed runs of a workflow created since `since`, newest first."""
        with github_errors(f"list runs of {workflow} in {repo}"):
            runs = self._repo(repo).get_workflow(workflow).get_runs(
                created=f">={since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}")
            return [RunInfo(r.id, r.run_number, r.head_sha, r.head_branch, r.conclusion, r.created_at, r.html_url)
                    for r in runs if r.status == "completed"]

    def run_jobs(self, repo: str, run_id: int) -> list[JobInfo]:
        with github_errors(f"list jobs of run {run_id} in {repo}"):
            jobs = []
            for job in self._repo(repo).get_workflow_run(run_id).jobs():
                failed = next((s.name for s in job.steps if s.conclusion == "failure"), None)
                jobs.append(JobInfo(job.id, job.name, job.conclusion, failed, job.html_url))
            return jobs

    def job_log(self, repo: str, job_id: int) -> str:
        """A job's log: GitHub answers with a short-lived redirect, which is downloaded without the token."""
        with github_errors(f"read the log of job {job_id} in {repo}"):
            headers, _ = self._repo_client(repo).requester.requestBlobAndCheck(
                "GET", f"/repos/{repo}/actions/jobs/{job_id}/logs")
        location = headers.get("location")
        if not location:
            raise ServiceError(f"GitHub log of job {job_id} in {repo}: no download link")
        self._calls.record("github", write=False)
        try:
            response = requests.get(location, timeout=30)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise ServiceError(f"GitHub log of job {job_id} in {repo}: {exc}") from None
        return response.text

    def compare(self, repo: str, base: str, head: str) -> tuple[list[tuple[str, str, str]], list[str]]:
        """(sha, author login, first line of the message) of the commits in base...head, and the files they touch."""
        with github_errors(f"compare {base[:7]}...{head[:7]} in {repo}"):
            comparison = self._repo(repo).compare(base, head)
            commits = [(c.sha, c.author.login if c.author else c.commit.author.name,
                        (c.commit.message or "").splitlines()[0] if c.commit.message else "")
                       for c in comparison.commits]
            return commits, [f.filename for f in comparison.files]

    def team_member(self, team: str, login: str) -> bool:
        """Whether `login` is an active member of `team` ("org/slug")."""
        return self.team_membership(team, login) == "active"

    def team_membership(self, team: str, login: str) -> str | None:
        """`active`, `pending` (invited to the organisation, not accepted yet), or None."""
        org, slug = team.split("/", 1)
        with github_errors(f"read {team}'s membership of {login}"):
            client = self._client(org)
            found = _unless_missing(lambda: client.requester.requestJsonAndCheck(
                "GET", f"/orgs/{org}/teams/{slug}/memberships/{login}"))
        data = found[1] if found else None
        return str(data.get("state")) if isinstance(data, dict) and data.get("state") else None

    def add_team_member(self, team: str, login: str) -> None:
        org, slug = team.split("/", 1)
        with github_errors(f"add {login} to {team}"):
            self._client(org).requester.requestJsonAndCheck(
                "PUT", f"/orgs/{org}/teams/{slug}/memberships/{login}", input={"role": "member"})

    def repo_permissions(self, repo: str) -> dict[str, bool] | None:
        """What the token may do in a repository (None when it cannot see the repository at all)."""
        with github_errors(f"read {repo}"):
            data = _unless_missing(lambda: self._repo(repo).raw_data)
        if data is None:
            return None
        return {k: bool(v) for k, v in (data.get("permissions") or {}).items()}

    def user_exists(self, login: str) -> bool:
        return self.user_id(login) is not None

    def user_id(self, login: str) -> int | None:
        """The numeric id of the account that holds `login` now (GET /users/{login}); None when nobody does."""
        with github_errors(f"read user {login}"):
            # Reading the id fetches the user.
            client = self._any_client()
            return _unless_missing(lambda: client.get_user(login).id)

    def login_of(self, user_id: int) -> str | None:
        """The login the account with this numeric id holds now (GET /user/{id}); None when no account has it."""
        with github_errors(f"read user {user_id}"):
            client = self._any_client()
            return _unless_missing(lambda: client.get_user_by_id(user_id).login)

    def recent_pulls(self, repo: str, since: datetime) -> list[IssueState]:
        """Pull requests updated since `since`, newest first; stops paging at the first older one."""
        found = []
        with github_errors(f"list pull requests in {repo}"):
            for pull in self._repo(repo).get_pulls(state="all", sort="updated", direction="desc"):
                if pull.updated_at and pull.updated_at < since:
                    break
                found.append(IssueState(repo=repo, number=pull.number, title=pull.title, state=pull.state,
                                        assignees=tuple(a.login for a in pull.assignees),
                                        labels=tuple(label.name for label in pull.labels), html_url=pull.html_url,
                                        body=pull.body or "", id=pull.id,
                                        author=pull.user.login if pull.user else "",
                                        created_at=pull.created_at, updated_at=pull.updated_at, is_pull=True,
                                        author_id=_user_id(pull._rawData.get("user"))))
        return found

    def add_assignees(self, repo: str, number: int, logins: list[str]) -> None:
        with github_errors(f"assign {', '.join(logins)} on {repo}#{number}"):
            self._repo(repo).get_issue(number).add_to_assignees(*logins)

    def remove_assignees(self, repo: str, number: int, logins: list[str]) -> None:
        with github_errors(f"unassign {', '.join(logins)} on {repo}#{number}"):
            self._repo(repo).get_issue(number).remove_from_assignees(*logins)


    def workflow_states(self, repo: str) -> list[WorkflowState]:
        """Every workflow of a repository and whether it runs (GitHub turns a schedule off after 60 days without
        activity in a public repository, and when the person who last committed its cron line leaves)."""
        with github_errors(f"list the workflows of {repo}"):
            return [WorkflowState(w.name, w.path, w.state, w.html_url) for w in self._repo(repo).get_workflows()]

    def last_commit_to(self, repo: str, path: str) -> tuple[str, str, datetime | None] | None:
        """(login or name, short sha, date) of the last commit that changed `path`, or None."""
        with github_errors(f"read the history of {path} in {repo}"):
            for commit in self._repo(repo).get_commits(path=path):
                who = commit.author.login if commit.author else commit.commit.author.name
                return who, commit.sha[:7], commit.commit.author.date
        return None


def _installation_info(found: Installation) -> InstallationInfo:
    data = found._rawData  # as answered: reading raw_data could fetch it again
    return InstallationInfo(int(data["id"]), str((data.get("account") or {}).get("login", "")),
                            str(data.get("repository_selection", "")),
                            {str(k): str(v) for k, v in (data.get("permissions") or {}).items()},
                            str(data.get("html_url", "")))


T = TypeVar("T")


def is_bot(login: str, kind: str) -> bool:
    """An app or bot account: GitHub's `type` says Bot, or the login is an app's (`name[bot]`)."""
    return kind.casefold() == "bot" or login.casefold().endswith("[bot]")


def _comment(raw: dict[str, Any], number: int = 0) -> Comment:
    """A comment from the response's own data (reading attributes it left out would cost a request each)."""
    user = raw.get("user") or {}
    found = str(raw.get("issue_url", "")).rstrip("/").rsplit("/", 1)[-1]
    return Comment(int(raw["id"]), str(raw.get("body") or ""), str(user.get("login", "")),
                   number=int(found) if found.isdigit() else number,
                   created_at=_timestamp(raw.get("created_at")), updated_at=_timestamp(raw.get("updated_at")),
                   on_pull="/pull/" in str(raw.get("html_url", "")),
                   author_is_bot=is_bot(str(user.get("login", "")), str(user.get("type", ""))),
                   author_id=_user_id(user), node_id=str(raw.get("node_id") or ""))


def _graphql_id(actor: object) -> int:
    value = actor.get("databaseId") if isinstance(actor, dict) else None
    return int(value) if isinstance(value, int) else 0


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _unless_missing(read: Callable[[], T]) -> T | None:
    """The read's result, or None when GitHub answers 404; every other failure goes on to github_errors."""
    try:
        return read()
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise


@contextmanager
def github_errors(what: str) -> Iterator[None]:
    try:
        yield
    except GithubException as exc:
        message = exc.data.get("message", "") if isinstance(exc.data, dict) else ""
        details = exc.data.get("errors") if isinstance(exc.data, dict) else None
        if isinstance(details, list) and details:
            first = details[0]
            message += ": " + str(first.get("message") or first.get("code") if isinstance(first, dict) else first)
        if exc.status == 410:  # a deleted issue, to a token that may read its repository
            raise Gone(f"GitHub {what}: HTTP 410 {message}".rstrip()) from None
        raise ServiceError(f"GitHub {what}: HTTP {exc.status} {message}".rstrip()) from None
    except OSError as exc:
        raise ServiceError(f"GitHub {what}: network error: {exc}") from None
