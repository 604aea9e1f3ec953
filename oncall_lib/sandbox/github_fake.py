"""GitHub REST v3, the parts the jobs use, with absolute URLs on the sandbox host.

Assigning follows GitHub: logins that cannot be assigned in the repository
(not a known user, or not a collaborator when the repo lists collaborators)
are silently ignored, as the real API does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from oncall_lib.sandbox import github_shapes as shapes
from oncall_lib.sandbox.http import GITHUB_SCHEMES, FakeRequest, FakeResponse, Host, Routes, bearer_token


@cache
def sandbox_app_key() -> tuple[str, str]:
    """(private, public) PEM of the sandbox App's key, made once per process: the fake verifies the JWT the
    product signs with it, unless the world names another public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
# Where a GitHub App authenticates as itself, with its JWT; everywhere else it uses an installation's token.
APP_PATHS = (r"/app", r"/app/installations", r"/app/installations/(?P<installation_id>\d+)/access_tokens",
             REPO + r"/installation", r"/orgs/(?P<org>[^/]+)/installation")
INSTALLATION_TOKEN_LIFETIME = timedelta(hours=1)
JWT_LONGEST = 600  # seconds: GitHub refuses a JWT that expires further ahead


def stable_id(*parts: object) -> int:
    """An id that is the same in every run (Python's hash() is salted per process)."""
    return zlib.crc32("/".join(map(str, parts)).encode()) % 1_000_000_000 + 1


class GitHubFake:
    def __init__(self, server: Host) -> None:
        self.server = server
        # Installation tokens this server minted: token -> (installation, when it expires on the sandbox clock).
        self.installation_tokens: dict[str, tuple[dict[str, Any], datetime]] = {}
        # The permissions each minted token was asked for, in order (what a run's tokens may do).
        self.minted_permissions: list[dict[str, str]] = []
        self.app_routes = Routes()
        self.app_routes.add("GET", APP_PATHS[0], self.get_app)
        self.app_routes.add("GET", APP_PATHS[1], self.list_installations)
        self.app_routes.add("POST", APP_PATHS[2], self.create_installation_token)
        self.app_routes.add("GET", APP_PATHS[3], self.get_repo_installation)
        self.app_routes.add("GET", APP_PATHS[4], self.get_org_installation)
        self.routes = Routes()
        self.routes.add("GET", r"/user", self.get_authenticated_user)
        self.routes.add("POST", r"/graphql", self.graphql)
        self.routes.add("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/memberships/(?P<login>[^/]+)",
                        self.get_membership)
        self.routes.add("PUT", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/memberships/(?P<login>[^/]+)",
                        self.put_membership)
        self.routes.add("GET", REPO + r"/actions/workflows", self.list_workflows)
        self.routes.add("GET", REPO + r"/commits", self.list_commits)
        self.routes.add("GET", REPO + r"/actions/workflows/(?P<workflow>[^/]+)", self.get_workflow)
        self.routes.add("GET", REPO + r"/actions/workflows/(?P<workflow>[^/]+)/runs", self.list_runs)
        self.routes.add("GET", REPO + r"/actions/runs/(?P<run_id>\d+)", self.get_run)
        self.routes.add("GET", REPO + r"/actions/runs/(?P<run_id>\d+)/jobs", self.list_jobs)
        self.routes.add("GET", REPO + r"/actions/jobs/(?P<job_id>\d+)/logs", self.job_logs)
        self.routes.add("GET", r"/_logs" + REPO.removeprefix("/repos") + r"/(?P<job_id>\d+)", self.log_blob)
        self.routes.add("GET", REPO + r"/compare/(?P<basehead>[^/]+)", self.compare)
        self.routes.add("GET", r"/users/(?P<login>[^/]+)", self.get_user)
        self.routes.add("GET", r"/user/(?P<account_id>\d+)", self.get_user_by_id)
        self.routes.add("GET", REPO, self.get_repo)
        self.routes.add("GET", REPO + r"/issues/(?P<number>\d+)", self.get_issue)
        self.routes.add("GET", REPO + r"/issues/comments", self.list_repo_comments)
        self.routes.add("GET", REPO + r"/issues/(?P<number>\d+)/events", self.list_issue_events)
        self.routes.add("POST", REPO + r"/issues/(?P<number>\d+)/assignees", self.add_assignees)
        self.routes.add("DELETE", REPO + r"/issues/(?P<number>\d+)/assignees", self.remove_assignees)
        self.routes.add("GET", REPO + r"/issues", self.list_issues)
        self.routes.add("POST", REPO + r"/issues", self.create_issue)
        self.routes.add("PATCH", REPO + r"/issues/(?P<number>\d+)", self.edit_issue)
        self.routes.add("POST", REPO + r"/issues/(?P<number>\d+)/labels", self.add_labels)
        self.routes.add("DELETE", REPO + r"/issues/(?P<number>\d+)/labels/(?P<label>[^/]+)", self.remove_label)
        self.routes.add("GET", REPO + r"/issues/(?P<number>\d+)/comments", self.list_comments)
        self.routes.add("POST", REPO + r"/issues/(?P<number>\d+)/comments", self.create_comment)
        self.routes.add("PATCH", REPO + r"/issues/comments/(?P<comment_id>\d+)", self.edit_comment)
        self.routes.add("GET", REPO + r"/issues/comments/(?P<comment_id>\d+)", self.get_comment)
        self.routes.add("GET", REPO + r"/issues/(?P<number>\d+)/sub_issues", self.list_sub_issues)
        self.routes.add("POST", REPO + r"/issues/(?P<number>\d+)/sub_issues", self.add_sub_issue)
        self.routes.add("GET", REPO + r"/labels", self.list_labels)
        self.routes.add("POST", REPO + r"/labels", self.create_label)
        self.routes.add("PATCH", REPO + r"/labels/(?P<label>[^/]+)", self.edit_label)
        self.routes.add("GET", REPO + r"/pulls", self.list_pulls)
        self.routes.add("POST", REPO + r"/pulls", self.create_pull)
        self.routes.add("GET", REPO + r"/pulls/(?P<number>\d+)", self.get_pull)
        self.routes.add("PATCH", REPO + r"/pulls/(?P<number>\d+)", self.edit_pull)
        self.routes.add("POST", REPO + r"/pulls/(?P<number>\d+)/requested_reviewers", self.request_reviewers)
        self.routes.add("GET", REPO + r"/pulls/(?P<number>\d+)/reviews", self.list_reviews)
        self.routes.add("GET", REPO + r"/contents/(?P<path>.+)", self.get_contents)
        self.routes.add("PUT", REPO + r"/contents/(?P<path>.+)", self.put_contents)
        self.routes.add("GET", REPO + r"/git/ref/(?P<ref>.+)", self.get_ref)
        self.routes.add("POST", REPO + r"/git/refs", self.create_ref)
        self.routes.add("DELETE", REPO + r"/git/refs/(?P<ref>.+)", self.delete_ref)

    @property
    def data(self) -> dict[str, Any]:
        return self.server.world["github"]

    def is_write(self, request: FakeRequest) -> bool:
        if request.path == "/graphql":  # a GraphQL query reads; only a mutation writes
            return str(request.json().get("query", "")).lstrip().startswith("mutation")
        if self.app_routes.find(request.method, request.path):  # minting a token changes nothing anyone sees
            return False
        return request.method not in ("GET", "HEAD")

    def rate_limited(self, retry_after: int) -> FakeResponse:
        return FakeResponse(429, {"message": "API rate limit exceeded"}, {"Retry-After": str(retry_after)})

    def rate_limited_403(self, retry_after: int) -> FakeResponse:
        """GitHub's other way of saying it: 403, the primary limit spent (reset now), nothing done."""
        reset = int(self.server.now().timestamp()) - 1 + retry_after
        return FakeResponse(403, {"message": "API rate limit exceeded for installation ID 1.",
                                  "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                            {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                             "X-RateLimit-Reset": str(reset), "X-RateLimit-Resource": "core"})

    def server_error(self) -> FakeResponse:
        return FakeResponse(502, {"message": "Server Error"})

    def handle(self, request: FakeRequest) -> FakeResponse:
        token = bearer_token(request, GITHUB_SCHEMES)
        signed = request.path.startswith("/_logs/")  # like GitHub's signed log URLs: no token needed
        if not signed and (token is None or token in self.data.get("revoked_tokens", [])):
            return FakeResponse(401, {"message": "Bad credentials"})
        app_route = self.app_routes.find(request.method, request.path)
        if token is not None and (app_route is not None or _looks_like_jwt(token)):
            refused = self._app_refuses(token)
            if refused is not None:
                return refused
            if app_route is None:  # a JWT opens only the App's own endpoints
                return FakeResponse(401, {"message": "A JSON web token could not be decoded"})
            handler, params = app_route
            return handler(request, **params)
        minted = self.installation_tokens.get(token or "")
        if minted is not None:
            refused = self._installation_refuses(request, *minted)
            if refused is not None:
                return refused
        found = self.routes.find(request.method, request.path)
        if not found:
            return self._not_found()
        handler, params = found
        return handler(request, **params)

    @staticmethod
    def _not_found() -> FakeResponse:
        return FakeResponse(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

    @staticmethod
    def _gone() -> FakeResponse:
        """A deleted issue, to a token that can read its repository (GitHub: "410 Gone"; 404 without access)."""
        return FakeResponse(410, {"message": "This issue was deleted",
                                  "documentation_url": "https://docs.github.com/rest/issues/issues#get-an-issue",
                                  "status": "410"})

    # -- the GitHub App: its JWT, its installations, their tokens ---------------------------------------
    # World: "app": {"id", "slug", "public_key" (PEM; default: the sandbox's key), "permissions",
    #                "installations": [{"id", "account", "repositories": "all" or [names], "permissions"}]}

    @property
    def app(self) -> dict[str, Any] | None:
        return self.data.get("app")

    def _app_refuses(self, token: str) -> FakeResponse | None:
        """GitHub's checks of an App's JWT: RS256 signed with the App's key, `iss` the App's id, not expired and
        expiring at most ten minutes ahead, issued in the past. None when it passes."""
        import jwt


        def refused(message: str) -> FakeResponse:
            return FakeResponse(401, {"message": message, "documentation_url": "https://docs.github.com/rest"})

        if self.app is None or not _looks_like_jwt(token):
            return refused("A JSON web token could not be decoded")
        try:
            claims = jwt.decode(token, self.app.get("public_key") or sandbox_app_key()[1], algorithms=["RS256"],
                                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                         "require": ["iat", "exp", "iss"]})
        except (jwt.PyJWTError, ValueError):  # a bad signature, or a world's public_key that is not a key
            return refused("A JSON web token could not be decoded")
        now = self.server.now().timestamp()
        if str(claims["iss"]) != str(self.app.get("id")):
            return refused("'Issuer' claim ('iss') must be an Integer")
        if not isinstance(claims["exp"], int) or claims["exp"] <= now:
            return refused("'Expiration time' claim ('exp') must be a numeric value representing the future time "
                           "at which the assertion expires")
        if claims["exp"] - now > JWT_LONGEST:
            return refused("'Expiration time' claim ('exp') is too far in the future")
        if not isinstance(claims["iat"], int) or claims["iat"] > now + 60:
            return refused("'Issued at' claim ('iat') must be an Integer representing a time in the past")
        return None

    def _installation_refuses(self, request: FakeRequest, installation: dict[str, Any],
                              expires: datetime) -> FakeResponse | None:
        """An installation token works for an hour, on its own account's repositories (all, or those selected)."""
        if self.server.now() >= expires:
            return FakeResponse(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        parts = request.path.strip("/").split("/")
        account = str(installation["account"]).lower()
        if parts[0] == "repos" and len(parts) >= 3:
            if parts[1].lower() != account or not self._selects(installation, parts[2]):
                return self._not_found()  # as GitHub: a repository the token may not see does not exist
        elif parts[0] == "orgs" and len(parts) >= 2 and parts[1].lower() != account:
            return FakeResponse(403, {"message": "Resource not accessible by integration",
                                      "documentation_url": "https://docs.github.com/rest"})
        elif request.path == "/graphql":
            variables = request.json().get("variables") or {}
            owner, name = str(variables.get("owner", account)), str(variables.get("name", ""))
            if owner.lower() != account or (name and not self._selects(installation, name)):
                return FakeResponse(200, {"data": {"repository": None}, "errors": [{
                    "type": "NOT_FOUND", "path": ["repository"], "locations": [{"line": 2, "column": 3}],
                    "message": f"Could not resolve to a Repository with the name '{owner}/{name}'."}]})
        return None

    @staticmethod
    def _selects(installation: dict[str, Any], repo_name: str) -> bool:
        chosen = installation.get("repositories", "all")
        return chosen == "all" or repo_name.lower() in {str(r).lower() for r in chosen}

    def _installation(self, *, account: str, repo_name: str | None = None) -> dict[str, Any] | None:
        for installation in (self.app or {}).get("installations", []):
            if str(installation["account"]).lower() == account.lower() and (
                    repo_name is None or self._selects(installation, repo_name)):
                return installation
        return None

    def installation_out(self, request: FakeRequest, installation: dict[str, Any]) -> dict[str, Any]:
        from oncall_lib.github_permissions import app_permissions

        app = self.app or {}
        login = str(installation["account"])
        kind = "Organization" if installation.get("type", "Organization") == "Organization" else "User"
        account = self.user_out(request, login)
        account["type"] = kind
        permissions = installation.get("permissions") or app.get("permissions") or app_permissions()
        selection = "all" if installation.get("repositories", "all") == "all" else "selected"
        return shapes.installation(request.origin, {"id": installation["id"], "repository_selection": selection,
                                                    "target_type": kind},
                                   account=account, app_id=int(app.get("id", 0)),
                                   app_slug=str(app.get("slug", "oncall-support")), permissions=permissions)

    def list_installations(self, request: FakeRequest) -> FakeResponse:
        items = [self.installation_out(request, i) for i in (self.app or {}).get("installations", [])]
        return self._page(request, items)

    def get_repo_installation(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        found = self._installation(account=owner, repo_name=name) if self._repo(owner, name) else None
        return FakeResponse(200, self.installation_out(request, found)) if found else self._not_found()

    def get_org_installation(self, request: FakeRequest, org: str) -> FakeResponse:
        found = self._installation(account=org)
        return FakeResponse(200, self.installation_out(request, found)) if found else self._not_found()

    def create_installation_token(self, request: FakeRequest, installation_id: str) -> FakeResponse:
        installation = next((i for i in (self.app or {}).get("installations", [])
                             if str(i["id"]) == installation_id), None)
        if installation is None:
            return self._not_found()
        out = self.installation_out(request, installation)
        body = request.json() if request.body else {}
        asked = (body.get("permissions") if isinstance(body, dict) else None) or {}
        levels = ("read", "write", "admin")
        granted = out["permissions"]
        if any(granted.get(p) not in levels or level not in levels or levels.index(level) > levels.index(granted[p])
               for p, level in asked.items()):
            # As GitHub: a token cannot be asked for more than the installation holds.
            return FakeResponse(422, {"message": "The permissions requested are not granted to this installation.",
                                      "documentation_url": "https://docs.github.com/rest/apps/apps"})
        token = "ghs_" + secrets.token_hex(18)
        expires = self.server.now().astimezone(UTC).replace(microsecond=0) + INSTALLATION_TOKEN_LIFETIME
        self.installation_tokens[token] = (installation, expires)
        self.minted_permissions.append(dict(asked or granted))
        return FakeResponse(201, {"token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                  "permissions": dict(asked or granted),
                                  "repository_selection": out["repository_selection"]})

    # -- lookups ----------------------------------------------------------------------------

    def _repo(self, owner: str, name: str) -> dict[str, Any] | None:
        full = f"{owner}/{name}".lower()
        return next((r for r in self.data["repos"] if r["full_name"].lower() == full), None)

    def _user(self, login: str) -> dict[str, Any] | None:
        return next((u for u in self.data["users"] if u["login"].lower() == login.lower()), None)

    def _issue(self, repo: dict[str, Any], number: str) -> dict[str, Any] | None:
        return next((i for i in repo.setdefault("issues", []) if i["number"] == int(number)), None)

    def _now(self) -> str:
        return self.server.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- who the product is -----------------------------------------------------------------
    # World: "bot_login" names the product's account as the world's own records name it (default "oncall-bot"),
    # "bot_id" its numeric id (default: derived from bot_login). With the App, GitHub names the same account
    # `<slug>[bot]` (type Bot): what the App writes carries that login, and both logins are the one account (one
    # id), so a world's records stay the product's whichever credentials a run uses.

    def _bot_login(self) -> str:
        return str(self.data.get("bot_login", "oncall-bot"))

    def _app_bot_login(self) -> str | None:
        return f"{(self.app or {}).get('slug', 'oncall-support')}[bot]" if self.app is not None else None

    def _bot_id(self) -> int:
        return int(self.data.get("bot_id") or stable_id("user", self._bot_login().lower()))

    def _is_product(self, login: str) -> bool:
        return login.lower() in {self._bot_login().lower(), (self._app_bot_login() or "").lower()}

    def writer(self, request: FakeRequest) -> str:
        """Who a write is by: the App's bot user for its installation tokens, else the product's account."""
        token = bearer_token(request, GITHUB_SCHEMES) or ""
        app_bot = self._app_bot_login()
        return app_bot if app_bot and token in self.installation_tokens else self._bot_login()

    def user_id(self, login: str) -> int:
        user = self._user(login)
        if user is not None and "id" in user:
            return int(user["id"])
        if self._is_product(login):
            return self._bot_id()
        return stable_id("user", login.lower())

    def _record_edit(self, item: dict[str, Any], request: FakeRequest, before: str) -> None:
        """An edit of a body through the API: GitHub keeps the revision and who made it (userContentEdits)."""
        if item.get("body", "") != before:
            item.setdefault("edits", []).append({"editor": self.writer(request), "edited_at": self._now()})

    # -- shapes -----------------------------------------------------------------------------

    def _kind(self, login: str, user: dict[str, Any]) -> str:
        if "type" in user:
            return str(user["type"])
        return "Bot" if login.lower().endswith("[bot]") else "User"

    def user_out(self, request: FakeRequest, login: str) -> dict[str, Any]:
        user = self._user(login) or {"login": login}
        return shapes.user(request.origin, user["login"], self.user_id(login), kind=self._kind(user["login"], user))

    def profile_out(self, request: FakeRequest, login: str) -> dict[str, Any]:
        user = self._user(login) or {"login": login}
        return shapes.public_user(request.origin, user["login"], self.user_id(login), name=user.get("name"),
                                  kind=self._kind(user["login"], user))

    def repo_out(self, request: FakeRequest, repo: dict[str, Any]) -> dict[str, Any]:
        owner = repo["full_name"].split("/")[0]
        rid = repo.get("id", stable_id("repo", repo["full_name"]))
        open_issues = sum(1 for i in repo.get("issues", []) if i.get("state", "open") == "open")
        return shapes.full_repository(
            request.origin, repo["full_name"], rid, self.user_out(request, owner), private=repo.get("private", False),
            default_branch=repo.get("default_branch", "main"), open_issues=open_issues,
            permissions=repo.get("permissions", {"admin": False, "maintain": False, "push": True, "triage": True,
                                                 "pull": True}))

    def minimal_repo_out(self, request: FakeRequest, repo: dict[str, Any]) -> dict[str, Any]:
        rid = repo.get("id", stable_id("repo", repo["full_name"]))
        owner = self.user_out(request, repo["full_name"].split("/")[0])
        return shapes.minimal_repository(request.origin, repo["full_name"], rid, owner,
                                         private=repo.get("private", False))

    def issue_out(self, request: FakeRequest, repo: dict[str, Any], issue: dict[str, Any]) -> dict[str, Any]:
        base = f"{request.origin}/repos/{repo['full_name']}"
        iid = issue.setdefault("id", stable_id("issue", repo["full_name"], issue["number"]))
        assignees = [self.user_out(request, a) for a in issue.get("assignees", [])]
        children = issue.get("sub_issues", [])
        return shapes.issue(request.origin, repo["full_name"], {
            "id": iid, "node_id": f"I_{iid}", "number": issue["number"], "title": issue.get("title", ""),
            "body": issue.get("body", ""), "state": issue.get("state", "open"),
            "state_reason": issue.get("state_reason"), "locked": bool(issue.get("locked")),
            "active_lock_reason": issue.get("active_lock_reason") if issue.get("locked") else None,
            "user": self.user_out(request, issue.get("user", "ghost")),
            "assignee": assignees[0] if assignees else None, "assignees": assignees,
            "labels": [self.label_out(request, repo, name) for name in issue.get("labels", [])],
            "comments": len(issue.get("comments", [])),
            "created_at": issue.get("created_at", "2026-01-05T14:00:00Z"),
            "updated_at": issue.get("updated_at", issue.get("created_at", "2026-01-05T14:00:00Z")),
            "closed_at": issue.get("closed_at"),
            "url": f"{base}/issues/{issue['number']}",
            "repository_url": base,
            "comments_url": f"{base}/issues/{issue['number']}/comments",
            "html_url": f"https://github.sandbox/{repo['full_name']}/issues/{issue['number']}",
            "sub_issues_summary": {"total": len(children), "completed": 0, "percent_completed": 0},
            "parent_issue_url": self._parent_url(request, iid),
        })

    def _parent_url(self, request: FakeRequest, child_id: int) -> str | None:
        for repo in self.data["repos"]:
            for issue in repo.get("issues", []):
                if child_id in issue.get("sub_issues", []):
                    return f"{request.origin}/repos/{repo['full_name']}/issues/{issue['number']}"
        return None

    def label_out(self, request: FakeRequest, repo: dict[str, Any], name: str) -> dict[str, Any]:
        known: dict[str, Any] = next((lb for lb in repo.get("labels", []) if lb["name"] == name), {"name": name})
        lid = int(known.get("id") or stable_id("label", repo["full_name"], name))
        return shapes.label(request.origin, repo["full_name"], name, lid, color=known.get("color", "ededed"),
                            description=known.get("description") or "")

    # -- routes -----------------------------------------------------------------------------

    def get_authenticated_user(self, request: FakeRequest) -> FakeResponse:
        token = bearer_token(request, GITHUB_SCHEMES) or ""
        if token in self.installation_tokens:  # as GitHub: an installation is no user
            return FakeResponse(403, {"message": "Resource not accessible by integration",
                                      "documentation_url": "https://docs.github.com/rest/users/users"})
        return FakeResponse(200, self.profile_out(request, self._bot_login()))

    def get_app(self, request: FakeRequest) -> FakeResponse:
        """GET /app with the App's JWT: the App itself (its id and slug; its bot user is `<slug>[bot]`)."""
        app = self.app or {}
        slug = str(app.get("slug", "oncall-support"))
        return FakeResponse(200, {"id": int(app.get("id", 0)), "slug": slug, "node_id": f"A_{app.get('id', 0)}",
                                  "client_id": f"Iv1.sandbox{app.get('id', 0)}", "name": app.get("name", slug),
                                  "description": "", "external_url": shapes.WEB,
                                  "html_url": f"{shapes.WEB}/apps/{slug}",
                                  "owner": self.user_out(request, str(app.get("owner", "sandbox"))),
                                  "created_at": shapes.EPOCH, "updated_at": shapes.EPOCH,
                                  "permissions": app.get("permissions") or {}, "events": []})

    def get_user(self, request: FakeRequest, login: str) -> FakeResponse:
        login = urllib.parse.unquote(login)
        if self._user(login) is None and not self._is_product(login):
            return self._not_found()
        return FakeResponse(200, self.profile_out(request, login))

    def get_user_by_id(self, request: FakeRequest, account_id: str) -> FakeResponse:
        """GET /user/{account_id}: the account's profile under its current login (a rename keeps the id)."""
        logins = [u["login"] for u in self.data["users"]] + [self._bot_login()]
        found = next((login for login in logins if self.user_id(login) == int(account_id)), None)
        return FakeResponse(200, self.profile_out(request, found)) if found else self._not_found()

    def get_repo(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        return FakeResponse(200, self.repo_out(request, repo)) if repo else self._not_found()

    def get_issue(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        repo = self._repo(owner, name)
        issue = self._issue(repo, number) if repo else None
        if repo is None or issue is None:
            return self._not_found()
        if issue.get("deleted"):
            return self._gone()
        return FakeResponse(200, self.issue_out(request, repo, issue))

    def _assignable(self, repo: dict[str, Any], login: str) -> bool:
        if self._user(login) is None:
            return False
        collaborators = repo.get("collaborators")
        return collaborators is None or login.lower() in {c.lower() for c in collaborators}

    def add_assignees(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        repo = self._repo(owner, name)
        issue = self._issue(repo, number) if repo else None
        if repo is None or issue is None:
            return self._not_found()
        current = issue.setdefault("assignees", [])
        for login in request.json().get("assignees", []):
            if self._assignable(repo, login) and login.lower() not in {a.lower() for a in current}:
                current.append(self._user(login)["login"])  # type: ignore[index]
        current[:] = current[:10]  # GitHub allows at most ten assignees
        issue["updated_at"] = self._now()
        return FakeResponse(201, self.issue_out(request, repo, issue))

    def remove_assignees(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        repo = self._repo(owner, name)
        issue = self._issue(repo, number) if repo else None
        if repo is None or issue is None:
            return self._not_found()
        removing = {login.lower() for login in request.json().get("assignees", [])}
        issue["assignees"] = [a for a in issue.get("assignees", []) if a.lower() not in removing]
        issue["updated_at"] = self._now()
        return FakeResponse(200, self.issue_out(request, repo, issue))

    # -- lists, issues, comments, labels, sub-issues, pulls ------------------------------------

    def _page(self, request: FakeRequest, items: list[dict[str, Any]], *, default_per_page: int = 30,
              max_per_page: int = 100) -> FakeResponse:
        """GitHub's pagination: page/per_page, and a Link header with absolute next/last URLs."""
        per_page = max(1, min(int(request.arg("per_page") or default_per_page), max_per_page))
        page = max(1, int(request.arg("page", "1") or 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        last = max(1, -(-len(items) // per_page))
        if page < last:
            query = {k: v[-1] for k, v in request.query.items()}
            links = []
            for rel, number in (("next", page + 1), ("last", last)):
                query["page"] = str(number)
                links.append(f'<{request.origin}{request.path}?{urllib.parse.urlencode(query)}>; rel="{rel}"')
            headers["Link"] = ", ".join(links)
        return FakeResponse(200, chunk, headers)

    def _known_issue(self, owner: str, name: str, number: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        repo = self._repo(owner, name)
        issue = self._issue(repo, number) if repo else None
        return (repo, issue) if repo is not None and issue is not None else None

    def list_issues(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        state = request.arg("state", "open")
        wanted = {label for label in (request.arg("labels") or "").split(",") if label}
        since = request.arg("since")
        issues = []
        for issue in repo.setdefault("issues", []):
            if issue.get("deleted") or (state != "all" and issue.get("state", "open") != state):
                continue
            if wanted and not wanted <= set(issue.get("labels", [])):
                continue
            if since and issue.get("updated_at", issue.get("created_at", "")) < since:
                continue
            if request.arg("assignee") and request.arg("assignee") not in issue.get("assignees", []):
                continue
            issues.append(issue)
        key = "updated_at" if request.arg("sort") == "updated" else "created_at"
        issues.sort(key=lambda i: (i.get(key) or i.get("created_at", ""), i["number"]),
                    reverse=request.arg("direction", "desc") == "desc")
        items = [self.issue_out(request, repo, i) for i in issues]
        items += [self.pull_out(request, repo, p, as_issue=True) for p in repo.get("pulls", [])
                  if (state == "all" or p.get("state", "open") == state) and not wanted]
        return self._page(request, items)

    def create_issue(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        body = request.json()
        if not str(body.get("title", "")).strip():
            return FakeResponse(422, {"message": "Validation Failed",
                                      "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}]})
        numbers = [i["number"] for i in repo.get("issues", [])] + [p["number"] for p in repo.get("pulls", [])]
        now = self._now()
        issue = {
            "number": max(numbers, default=0) + 1, "title": body["title"], "body": body.get("body") or "",
            "state": "open", "user": self.writer(request),
            "labels": list(dict.fromkeys(body.get("labels") or [])),
            "assignees": [a for a in body.get("assignees") or [] if self._assignable(repo, a)],
            "comments": [], "created_at": now, "updated_at": now,
        }
        self._ensure_labels(repo, issue["labels"])
        labels, issue["labels"] = issue["labels"], []
        # GitHub records a `labeled` event for each label set at creation too.
        self._record_labeled(issue, labels, request)
        issue["labels"] = labels
        repo.setdefault("issues", []).append(issue)
        return FakeResponse(201, self.issue_out(request, repo, issue))

    def edit_issue(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_issue(owner, name, number)
        if found is None:
            return self._not_found()
        repo, issue = found
        body = request.json()
        before = issue.get("body", "")
        for field in ("title", "body", "state", "state_reason"):
            if field in body:
                issue[field] = body[field]
        self._record_edit(issue, request, before)
        if "labels" in body:
            self._record_labeled(issue, body["labels"], request)
            issue["labels"] = list(dict.fromkeys(body["labels"]))
            self._ensure_labels(repo, issue["labels"])
        if "assignees" in body:
            issue["assignees"] = [a for a in body["assignees"] if self._assignable(repo, a)]
        if body.get("state") == "closed":
            issue["closed_at"] = self._now()
        issue["updated_at"] = self._now()
        return FakeResponse(200, self.issue_out(request, repo, issue))

    def _ensure_labels(self, repo: dict[str, Any], names: list[str]) -> None:
        known = {label["name"] for label in repo.setdefault("labels", [])}
        for label_name in names:
            if label_name not in known:  # GitHub creates unknown labels on the fly, grey
                repo["labels"].append({"name": label_name, "color": "ededed", "description": ""})

    def add_labels(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_issue(owner, name, number) or self._known_pull(owner, name, number)
        if found is None:
            return self._not_found()
        repo, issue = found
        body = request.json()
        names = body.get("labels", []) if isinstance(body, dict) else body
        self._record_labeled(issue, names, request)
        issue["labels"] = list(dict.fromkeys([*issue.get("labels", []), *names]))
        self._ensure_labels(repo, issue["labels"])
        issue["updated_at"] = self._now()
        return FakeResponse(200, [self.label_out(request, repo, n) for n in issue["labels"]])

    def remove_label(self, request: FakeRequest, owner: str, name: str, number: str, label: str) -> FakeResponse:
        found = self._known_issue(owner, name, number)
        label = urllib.parse.unquote(label)
        if found is None or label not in found[1].get("labels", []):
            return self._not_found()
        repo, issue = found
        issue["labels"].remove(label)
        issue.setdefault("events", []).append({"event": "unlabeled", "label": label, "actor": self.writer(request),
                                               "created_at": self._now()})
        issue["updated_at"] = self._now()
        return FakeResponse(200, [self.label_out(request, repo, n) for n in issue["labels"]])

    def comment_out(self, request: FakeRequest, repo: dict[str, Any], number: int,
                    comment: dict[str, Any]) -> dict[str, Any]:
        base = f"{request.origin}/repos/{repo['full_name']}"
        kind = "pull" if any(p["number"] == number for p in repo.get("pulls", [])) else "issues"
        return shapes.issue_comment(request.origin, repo["full_name"], number, {
            "id": comment["id"], "node_id": f"IC_{comment['id']}", "body": comment.get("body", ""),
            "user": self.user_out(request, comment.get("user", "ghost")),
            "created_at": comment.get("created_at", "2026-01-05T14:00:00Z"),
            "updated_at": comment.get("updated_at", comment.get("created_at", "2026-01-05T14:00:00Z")),
            "url": f"{base}/issues/comments/{comment['id']}",
            "issue_url": f"{base}/issues/{number}",
            # As GitHub: a pull request's conversation comment links to the pull request's page.
            "html_url": f"https://github.sandbox/{repo['full_name']}/{kind}/{number}#issuecomment-{comment['id']}",
        })

    def list_comments(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_issue(owner, name, number) or self._known_pull(owner, name, number)
        if found is None:
            return self._not_found()
        repo, issue = found
        if issue.get("deleted"):
            return self._gone()
        comments = [self.comment_out(request, repo, issue["number"], c) for c in issue.setdefault("comments", [])]
        return self._page(request, comments)

    def list_repo_comments(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        """Every issue and PR comment of the repository (updated since `since`), by id, or by `sort` and
        `direction` (created or updated; ascending unless told)."""
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        since = request.arg("since")
        found = []
        for issue in [i for i in repo.get("issues", []) if not i.get("deleted")] + repo.get("pulls", []):
            for comment in issue.get("comments", []):
                updated = comment.get("updated_at", comment.get("created_at", "2026-01-05T14:00:00Z"))
                if not since or updated >= since:
                    found.append((issue["number"], comment))
        sort = request.arg("sort")
        if sort in ("created", "updated"):
            found.sort(key=lambda f: (f[1].get(f"{sort}_at") or f[1].get("created_at", ""), f[1]["id"]),
                       reverse=request.arg("direction", "asc") == "desc")
        else:
            found.sort(key=lambda f: int(f[1]["id"]))
        return self._page(request, [self.comment_out(request, repo, number, c) for number, c in found])

    def list_issue_events(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        """The issue's events, oldest first: those the world lists (`events`: each `event`, `actor`, `label`,
        `created_at`) and the `labeled` ones this fake recorded when labels were added through the API."""
        found = self._known_issue(owner, name, number)
        if found is None:
            return self._not_found()
        repo, issue = found
        if issue.get("deleted"):
            return self._gone()
        out = []
        for index, event in enumerate(issue.get("events", [])):
            eid = stable_id("event", repo["full_name"], issue["number"], index)
            item: dict[str, Any] = {
                "id": eid, "node_id": f"LE_{eid}", "url": f"{request.origin}/repos/{repo['full_name']}/issues/events/"
                                                          f"{eid}",
                "actor": self.user_out(request, event.get("actor", "ghost")), "event": event["event"],
                "commit_id": None, "commit_url": None, "created_at": event.get("created_at", "2026-01-05T14:00:00Z"),
                "performed_via_github_app": None}
            if event["event"] in ("labeled", "unlabeled"):
                known = self.label_out(request, repo, event["label"])
                item["label"] = {"name": known["name"], "color": known["color"]}
            out.append(item)
        return self._page(request, out)

    def _record_labeled(self, issue: dict[str, Any], names: list[str], request: FakeRequest) -> None:
        """Labels added through the API: as GitHub, a `labeled` event each, by the token's user."""
        before = set(issue.get("labels", []))
        for label_name in names:
            if label_name not in before:
                issue.setdefault("events", []).append({"event": "labeled", "label": label_name,
                                                       "actor": self.writer(request),
                                                       "created_at": self._now()})

    def create_comment(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_issue(owner, name, number) or self._known_pull(owner, name, number)
        if found is None:
            return self._not_found()
        repo, issue = found
        body = str(request.json().get("body", ""))
        if not body.strip():
            return FakeResponse(422, {"message": "Validation Failed"})
        comment = {"id": stable_id("comment", repo["full_name"], issue["number"], len(issue.get("comments", [])),
                                   body[:40]),
                   "body": body, "user": self.writer(request),
                   "created_at": self._now(), "updated_at": self._now()}
        issue.setdefault("comments", []).append(comment)
        issue["updated_at"] = self._now()
        return FakeResponse(201, self.comment_out(request, repo, issue["number"], comment))

    def get_comment(self, request: FakeRequest, owner: str, name: str, comment_id: str) -> FakeResponse:
        repo = self._repo(owner, name)
        for issue in (repo or {}).get("issues", []) + (repo or {}).get("pulls", []):
            for comment in issue.get("comments", []):
                if str(comment["id"]) == comment_id and repo is not None:
                    return FakeResponse(200, self.comment_out(request, repo, issue["number"], comment))
        return self._not_found()

    def edit_comment(self, request: FakeRequest, owner: str, name: str, comment_id: str) -> FakeResponse:
        repo = self._repo(owner, name)
        for issue in (repo or {}).get("issues", []) + (repo or {}).get("pulls", []):
            for comment in issue.get("comments", []):
                if str(comment["id"]) == comment_id and repo is not None:
                    before = comment.get("body", "")
                    comment["body"] = str(request.json().get("body", comment["body"]))
                    self._record_edit(comment, request, before)
                    comment["updated_at"] = self._now()
                    return FakeResponse(200, self.comment_out(request, repo, issue["number"], comment))
        return self._not_found()

    def list_sub_issues(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_issue(owner, name, number)
        if found is None:
            return self._not_found()
        repo, parent = found
        children = []
        for child_id in parent.get("sub_issues", []):
            for candidate_repo in self.data["repos"]:
                child = next((i for i in candidate_repo.get("issues", []) if i.get("id") == child_id), None)
                if child:
                    children.append(self.issue_out(request, candidate_repo, child))
        return self._page(request, children)

    def add_sub_issue(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_issue(owner, name, number)
        if found is None:
            return self._not_found()
        repo, parent = found
        child_id = request.json().get("sub_issue_id")
        child = None
        for candidate_repo in self.data["repos"]:
            for issue in candidate_repo.get("issues", []):
                self.issue_out(request, candidate_repo, issue)  # gives every issue its id
                if issue.get("id") == child_id:
                    child = issue
        if child is None:
            return self._invalid("sub_issue_id", "Sub issue not found")
        # GitHub's own words (a parent holds at most 100 sub-issues, closed ones included; a child has one parent).
        siblings = parent.setdefault("sub_issues", [])
        if child_id in siblings:
            return self._invalid("sub_issue_id", "Issue may not contain duplicate sub-issues and Sub issue may only "
                                                 "have one parent")
        holders = [i for r in self.data["repos"] for i in r.get("issues", []) if child_id in i.get("sub_issues", [])]
        if holders and not request.json().get("replace_parent"):
            return self._invalid("sub_issue_id", "Sub issue may only have one parent")
        if len(siblings) >= 100:
            return self._invalid("parent", "Parent issue cannot have more than 100 sub-issues")
        for holder in holders:
            holder["sub_issues"].remove(child_id)
        siblings.append(child_id)
        return FakeResponse(201, self.issue_out(request, repo, parent))

    @staticmethod
    def _invalid(field: str, message: str) -> FakeResponse:
        error = {"resource": "Issue", "code": "custom", "field": field, "message": message}
        return FakeResponse(422, {"message": "Validation Failed", "errors": [error],
                                  "documentation_url": "https://docs.github.com/rest/issues/sub-issues#add-sub-issue",
                                  "status": "422"})

    def list_labels(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        return self._page(request, [self.label_out(request, repo, lb["name"]) for lb in repo.get("labels", [])])

    def create_label(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        body = request.json()
        if any(lb["name"].lower() == str(body.get("name", "")).lower() for lb in repo.setdefault("labels", [])):
            return FakeResponse(422, {"message": "Validation Failed",
                                      "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}]})
        repo["labels"].append({"name": body["name"], "color": body.get("color", "ededed"),
                               "description": body.get("description", "")})
        return FakeResponse(201, self.label_out(request, repo, body["name"]))

    def edit_label(self, request: FakeRequest, owner: str, name: str, label: str) -> FakeResponse:
        repo = self._repo(owner, name)
        label = urllib.parse.unquote(label)
        known = next((lb for lb in (repo or {}).get("labels", []) if lb["name"] == label), None)
        if repo is None or known is None:
            return self._not_found()
        body = request.json()
        known.update({k: body[k] for k in ("color", "description") if k in body})
        if body.get("new_name"):
            known["name"] = body["new_name"]
        return FakeResponse(200, self.label_out(request, repo, known["name"]))

    def _known_pull(self, owner: str, name: str, number: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        repo = self._repo(owner, name)
        pull = next((p for p in (repo or {}).get("pulls", []) if p["number"] == int(number)), None)
        return (repo, pull) if repo is not None and pull is not None else None

    def pull_out(self, request: FakeRequest, repo: dict[str, Any], pull: dict[str, Any],
                 as_issue: bool = False) -> dict[str, Any]:
        base = f"{request.origin}/repos/{repo['full_name']}"
        pid = pull.setdefault("id", stable_id("pull", repo["full_name"], pull["number"]))
        reviewed = {str(v.get("user", "")).lower() for v in pull.get("reviews", [])}
        out = {
            "id": pid, "node_id": f"PR_{pid}", "number": pull["number"], "title": pull.get("title", ""),
            "body": pull.get("body", ""), "state": pull.get("state", "open"), "draft": pull.get("draft", False),
            "user": self.user_out(request, pull.get("user", "ghost")),
            "labels": [self.label_out(request, repo, n) for n in pull.get("labels", [])],
            "assignees": [self.user_out(request, a) for a in pull.get("assignees", [])],
            "created_at": pull.get("created_at", "2026-01-05T14:00:00Z"),
            "updated_at": pull.get("updated_at", pull.get("created_at", "2026-01-05T14:00:00Z")),
            "html_url": f"https://github.sandbox/{repo['full_name']}/pull/{pull['number']}",
            "comments": len(pull.get("comments", [])),
            # As GitHub: someone who has submitted a review is no longer a requested reviewer.
            "requested_reviewers": [self.user_out(request, r) for r in pull.get("requested_reviewers", [])
                                    if r.lower() not in reviewed],
        }
        if as_issue:
            html = f"https://github.sandbox/{repo['full_name']}/pull/{pull['number']}"
            out.update(url=f"{base}/issues/{pull['number']}", repository_url=base,
                       comments_url=f"{base}/issues/{pull['number']}/comments", locked=False,
                       assignee=(out["assignees"] or [None])[0], closed_at=pull.get("closed_at"),
                       pull_request={"url": f"{base}/pulls/{pull['number']}", "html_url": html,
                                     "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
                                     "merged_at": pull.get("merged_at")})
            return shapes.issue(request.origin, repo["full_name"], out)
        owner = self.user_out(request, repo["full_name"].split("/")[0])
        head_sha = pull.get("sha", "0" * 40)
        base_branch = pull.get("base", repo.get("default_branch", "main"))
        base_sha = (self._branch(repo, base_branch) or {}).get("sha", "0" * 40)
        side = {"repo": self.repo_out(request, repo), "user": owner}
        out.update(closed_at=pull.get("closed_at"), merged_at=pull.get("merged_at"), merged=pull.get("merged", False))
        return shapes.pull_request(request.origin, repo["full_name"], out,
                                   head={"ref": pull.get("head", f"branch-{pull['number']}"), "sha": head_sha, **side},
                                   base={"ref": base_branch, "sha": base_sha, **side})

    def list_pulls(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        state = request.arg("state", "open")
        head = request.arg("head")
        pulls = [p for p in repo.get("pulls", []) if state == "all" or p.get("state", "open") == state]
        if head:
            branch = head.split(":", 1)[-1]
            pulls = [p for p in pulls if p.get("head") == branch]
        key = "updated_at" if request.arg("sort") == "updated" else "created_at"
        pulls.sort(key=lambda p: (p.get(key) or p.get("created_at", ""), p["number"]),
                   reverse=request.arg("direction", "desc" if key == "updated_at" else "asc") == "desc")
        return self._page(request, [self.pull_out(request, repo, p) for p in pulls])

    def get_pull(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_pull(owner, name, number)
        return FakeResponse(200, self.pull_out(request, *found)) if found else self._not_found()

    # -- branches and files ---------------------------------------------------------------------

    @staticmethod
    def blob_sha(text: str) -> str:
        data = text.encode()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's own object id

    def _branch(self, repo: dict[str, Any], name: str) -> dict[str, Any] | None:
        return repo.setdefault("branches", {}).get(name)

    def get_contents(self, request: FakeRequest, owner: str, name: str, path: str) -> FakeResponse:
        repo = self._repo(owner, name)
        branch = self._branch(repo, request.arg("ref") or repo.get("default_branch", "main")) if repo else None
        path = urllib.parse.unquote(path).rstrip("/")
        text = (branch or {}).get("files", {}).get(path) if branch else None
        if repo is not None and branch is not None and text is None:
            prefix = path + "/"
            inside = sorted(p for p in branch.get("files", {}) if p.startswith(prefix) and "/" not in p[len(prefix):])
            if inside:
                return FakeResponse(200, [self._content_out(request, repo, p, branch["files"][p], with_content=False)
                                          for p in inside])
        if repo is None or text is None:
            return self._not_found()
        return FakeResponse(200, self._content_out(request, repo, path, text))

    def _content_out(self, request: FakeRequest, repo: dict[str, Any], path: str, text: str,
                     with_content: bool = True) -> dict[str, Any]:
        ref = request.arg("ref") or repo.get("default_branch", "main")
        out = shapes.content(request.origin, repo["full_name"], path, ref=ref, sha=self.blob_sha(text),
                             size=len(text.encode()))
        if with_content:
            out.update(encoding="base64", content=base64.b64encode(text.encode()).decode())
        return out

    def put_contents(self, request: FakeRequest, owner: str, name: str, path: str) -> FakeResponse:
        repo = self._repo(owner, name)
        body = request.json()
        branch_name = body.get("branch") or (repo or {}).get("default_branch", "main")
        branch = self._branch(repo, branch_name) if repo else None
        if repo is None or branch is None:
            return self._not_found()
        path = urllib.parse.unquote(path)
        current = branch.setdefault("files", {}).get(path)
        if current is not None and body.get("sha") != self.blob_sha(current):
            return FakeResponse(409, {"message": f"{path} does not match {body.get('sha')}"})
        text = base64.b64decode(body.get("content", "")).decode()
        branch["files"][path] = text
        branch["sha"] = hashlib.sha1(f"{branch.get('sha')}{path}{text}".encode()).hexdigest()  # noqa: S324
        branch.setdefault("commits", []).append({"sha": branch["sha"], "message": body.get("message", "")})
        content = shapes.content(request.origin, repo["full_name"], path, ref=branch_name, sha=self.blob_sha(text),
                                 size=len(text.encode()))
        commit = {"sha": branch["sha"], "message": body.get("message"),
                  "url": f"{request.origin}/repos/{repo['full_name']}/git/commits/{branch['sha']}"}
        return FakeResponse(201 if current is None else 200, {"content": content, "commit": commit})

    def get_ref(self, request: FakeRequest, owner: str, name: str, ref: str) -> FakeResponse:
        repo = self._repo(owner, name)
        branch_name = ref.removeprefix("heads/")
        branch = self._branch(repo, branch_name) if repo and ref.startswith("heads/") else None
        if repo is None or branch is None:
            return self._not_found()
        return FakeResponse(200, self._ref_out(request, repo, branch_name, branch))

    def _ref_out(self, request: FakeRequest, repo: dict[str, Any], name: str, branch: dict[str, Any]) -> dict[str, Any]:
        base = f"{request.origin}/repos/{repo['full_name']}"
        return {"ref": f"refs/heads/{name}", "node_id": f"REF_{name}", "url": f"{base}/git/refs/heads/{name}",
                "object": {"sha": branch.get("sha", "0" * 40), "type": "commit",
                           "url": f"{base}/git/commits/{branch.get('sha')}"}}

    def create_ref(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        body = request.json()
        ref, sha = str(body.get("ref", "")), body.get("sha")
        branch_name = ref.removeprefix("refs/heads/")
        branches = repo.setdefault("branches", {})
        if branch_name in branches:
            return FakeResponse(422, {"message": "Reference already exists"})
        source = next((b for b in branches.values() if b.get("sha") == sha), None)
        if source is None:
            return FakeResponse(422, {"message": "Object does not exist"})
        branches[branch_name] = {"sha": sha, "files": dict(source.get("files", {}))}
        return FakeResponse(201, self._ref_out(request, repo, branch_name, branches[branch_name]))

    def delete_ref(self, request: FakeRequest, owner: str, name: str, ref: str) -> FakeResponse:
        repo = self._repo(owner, name)
        branch_name = urllib.parse.unquote(ref).removeprefix("heads/")
        if repo is None:
            return self._not_found()
        if branch_name not in repo.get("branches", {}) or not ref.startswith("heads/"):
            return FakeResponse(422, {"message": "Reference does not exist",
                                      "documentation_url": "https://docs.github.com/rest/git/refs#delete-a-reference"})
        del repo["branches"][branch_name]
        return FakeResponse(204, None)

    def create_pull(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        body = request.json()
        head = str(body.get("head", "")).split(":", 1)[-1]
        if self._branch(repo, head) is None:
            return FakeResponse(422, {"message": "Validation Failed", "errors": [{"field": "head", "code": "invalid"}]})
        if any(p.get("head") == head and p.get("state", "open") == "open" for p in repo.setdefault("pulls", [])):
            return FakeResponse(422, {"message": "Validation Failed", "errors": [
                {"message": f"A pull request already exists for {owner}:{head}."}]})
        if body.get("draft") and repo.get("drafts") is False:
            # Plans without draft pull requests refuse them, and create nothing.
            return FakeResponse(422, {"message": "Draft pull requests are not supported in this repository.",
                                      "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"})
        numbers = [i["number"] for i in repo.get("issues", [])] + [p["number"] for p in repo["pulls"]]
        now = self._now()
        pull = {"number": max(numbers, default=0) + 1, "title": body.get("title", ""), "body": body.get("body") or "",
                "state": "open", "draft": bool(body.get("draft")), "user": self.writer(request),
                "labels": [], "head": head, "base": body.get("base", repo.get("default_branch", "main")),
                "created_at": now, "updated_at": now, "requested_reviewers": [], "comments": []}
        repo["pulls"].append(pull)
        return FakeResponse(201, self.pull_out(request, repo, pull))

    def edit_pull(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_pull(owner, name, number)
        if found is None:
            return self._not_found()
        repo, pull = found
        body = request.json()
        for field in ("title", "body", "state"):
            if field in body:
                pull[field] = body[field]
        pull["updated_at"] = self._now()
        return FakeResponse(200, self.pull_out(request, repo, pull))

    def list_reviews(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        """The reviews submitted, oldest first (a world's pull lists them as user, state, submitted_at)."""
        found = self._known_pull(owner, name, number)
        if found is None:
            return self._not_found()
        repo, pull = found
        html = f"https://github.sandbox/{repo['full_name']}/pull/{pull['number']}"
        api = f"{request.origin}/repos/{repo['full_name']}/pulls/{pull['number']}"
        reviews = []
        for n, review in enumerate(sorted(pull.get("reviews", []), key=lambda r: str(r.get("submitted_at", "")))):
            rid = stable_id("review", repo["full_name"], pull["number"], n)
            reviews.append({
                "id": rid, "node_id": f"PRR_{rid}", "user": self.user_out(request, str(review.get("user", "ghost"))),
                "body": str(review.get("body", "")), "state": str(review.get("state", "COMMENTED")),
                "html_url": f"{html}#pullrequestreview-{rid}", "pull_request_url": api,
                "_links": {"html": {"href": f"{html}#pullrequestreview-{rid}"}, "pull_request": {"href": api}},
                "submitted_at": review.get("submitted_at", "2026-01-05T14:00:00Z"),
                "commit_id": str(review.get("commit_id", "0" * 40)), "author_association": "MEMBER"})
        return self._page(request, reviews)

    def request_reviewers(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        found = self._known_pull(owner, name, number)
        if found is None:
            return self._not_found()
        repo, pull = found
        reviewers = pull.setdefault("requested_reviewers", [])
        wanted = list(request.json().get("reviewers", []))
        if pull.get("user") in wanted:
            return FakeResponse(422, {"message": "Review cannot be requested from pull request author."})
        if not all(self._assignable(repo, login) for login in wanted):
            return FakeResponse(422, {"message": "Reviews may only be requested from collaborators. One or more of "
                                                 "the users or teams you specified is not a collaborator of the "
                                                 f"{repo['full_name']} repository."})
        for login in wanted:
            if login not in reviewers:
                reviewers.append(login)
        return FakeResponse(201, self.pull_out(request, repo, pull))

    # -- GraphQL: the open pull requests query the review digest sends ------------------------

    def graphql(self, request: FakeRequest) -> FakeResponse:
        body = request.json()
        query, variables = str(body.get("query", "")), body.get("variables") or {}
        if "EditHistory" in query:
            return self.edit_history(str(variables.get("id", "")))
        if "OpenPullRequests" not in query:
            return FakeResponse(200, {"errors": [{"message": "the sandbox knows the OpenPullRequests and EditHistory "
                                                            "queries only"}]})
        repo = self._repo(str(variables.get("owner", "")), str(variables.get("name", "")))
        if repo is None:
            return FakeResponse(200, {"data": {"repository": None}, "errors": [
                {"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}]})
        pulls = sorted((p for p in repo.get("pulls", []) if p.get("state", "open") == "open"),
                       key=lambda p: (p.get("created_at", ""), p["number"]))
        start = int(variables.get("cursor") or 0)
        page = pulls[start: start + 50]
        nodes = []
        for pull in page:
            pushed = pull.get("pushed_at") or pull.get("updated_at") or pull.get("created_at")
            nodes.append({
                "number": pull["number"], "title": pull.get("title", ""), "isDraft": bool(pull.get("draft")),
                "url": f"https://github.sandbox/{repo['full_name']}/pull/{pull['number']}",
                "createdAt": pull.get("created_at"), "updatedAt": pull.get("updated_at"),
                "author": {"login": pull.get("user", "ghost")},
                "commits": {"nodes": [{"commit": {"committedDate": pushed,
                                                  "statusCheckRollup": {"state": pull["checks"]}
                                                  if pull.get("checks") else None}}]},
                "reviews": {"nodes": [{"state": r["state"], "submittedAt": r["submitted_at"],
                                       "author": {"login": r["user"]}} for r in pull.get("reviews", [])]},
                "reviewRequests": {"nodes": [
                    {"asCodeOwner": login in pull.get("code_owner_requests", []),
                     "requestedReviewer": {"login": login}} for login in pull.get("requested_reviewers", [])]},
            })
        more = start + 50 < len(pulls)
        data: dict[str, Any] = {"repository": {"pullRequests": {
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + 50) if more else None}, "nodes": nodes}}}
        if variables.get("withRecent"):  # the 30 last closed or merged, most recently updated first
            closed = sorted((p for p in repo.get("pulls", []) if p.get("state", "open") != "open"),
                            key=lambda p: (p.get("updated_at") or p.get("created_at", ""), p["number"]), reverse=True)
            data["repository"]["recent"] = {"nodes": [{
                "number": p["number"], "title": p.get("title", ""),
                "url": f"https://github.sandbox/{repo['full_name']}/pull/{p['number']}",
                "updatedAt": p.get("updated_at") or p.get("created_at"),
                "reviews": {"nodes": [{"state": r["state"], "submittedAt": r["submitted_at"],
                                       "author": {"login": r["user"]}} for r in p.get("reviews", [])]},
            } for p in closed[:30]]}
        if repo.get("checks_forbidden"):
            # A token without Checks/Commit statuses read: a partial answer, each rollup null with an error.
            errors = []
            for index, node in enumerate(nodes):
                node["commits"]["nodes"][0]["commit"]["statusCheckRollup"] = None
                errors.append({"type": "FORBIDDEN", "message": "Resource not accessible by integration",
                               "path": ["repository", "pullRequests", "nodes", index, "commits", "nodes", 0,
                                        "commit", "statusCheckRollup"], "locations": [{"line": 7, "column": 42}]})
            if errors:
                return FakeResponse(200, {"data": data, "errors": errors})
        return FakeResponse(200, {"data": data})

    def _actor(self, login: str) -> dict[str, Any]:
        return {"login": login, "databaseId": self.user_id(login)}

    def edit_history(self, node_id: str) -> FakeResponse:
        """An issue's or comment's author and edits (the Comment interface). World: each issue or comment may list
        `edits`: [{"editor": login, "edited_at": time}], oldest first; edits through the API are recorded there."""
        for repo in self.data["repos"]:
            for issue in repo.get("issues", []) + repo.get("pulls", []):
                iid = issue.get("id", stable_id("issue", repo["full_name"], issue["number"]))
                found = [issue] if node_id == f"I_{iid}" else [c for c in issue.get("comments", [])
                                                              if node_id == f"IC_{c['id']}"]
                if found:
                    item = found[0]
                    edits = item.get("edits", [])
                    nodes = [{"editedAt": e.get("edited_at") or self._now(), "editor": self._actor(str(e["editor"]))}
                             for e in edits]
                    if nodes:  # GitHub lists the created revision too, by the author, oldest first
                        nodes.insert(0, {"editedAt": item.get("created_at", shapes.EPOCH),
                                         "editor": self._actor(str(item.get("user", "ghost")))})
                    return FakeResponse(200, {"data": {"node": {
                        "author": self._actor(str(item.get("user", "ghost"))),
                        "lastEditedAt": edits[-1].get("edited_at") if edits else None,
                        "userContentEdits": {"nodes": nodes}}}})
        return FakeResponse(200, {"data": {"node": None}, "errors": [
            {"type": "NOT_FOUND", "path": ["node"], "message": f"Could not resolve to a node with the global id of "
                                                               f"'{node_id}'"}]})

    # -- GitHub Actions and commits -----------------------------------------------------------

    def _workflow(self, repo: dict[str, Any], workflow: str) -> dict[str, Any] | None:
        return next((w for w in repo.get("workflows", []) if w["file"] == workflow or str(w.get("id")) == workflow),
                    None)

    def list_workflows(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        """Every workflow with its state (world: workflows[].state, default active)."""
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        items = []
        for found in repo.get("workflows", []):
            wid = found.setdefault("id", stable_id("workflow", repo["full_name"], found["file"]))
            items.append(shapes.workflow(request.origin, repo["full_name"], found["file"], wid,
                                         found.get("name", found["file"]), found.get("state", "active")))
        page = self._page(request, items)
        return FakeResponse(200, {"total_count": len(items), "workflows": page.body}, page.headers)

    def list_commits(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        """The commits that touched `path` (world: commits[].files), newest first."""
        repo = self._repo(owner, name)
        if repo is None:
            return self._not_found()
        path = request.arg("path")
        chosen = [c for c in repo.get("commits", []) if path is None or path in c.get("files", [])]
        full = repo["full_name"]
        items = [shapes.commit(request.origin, full, c["sha"], message=c.get("message", ""),
                               author=self.user_out(request, c["author"]) if c.get("author") else None,
                               author_name=c.get("author", ""), date=c.get("date"))
                 for c in reversed(chosen)]
        return self._page(request, items)

    def get_workflow(self, request: FakeRequest, owner: str, name: str, workflow: str) -> FakeResponse:
        repo = self._repo(owner, name)
        found = self._workflow(repo, workflow) if repo else None
        if repo is None or found is None:
            return self._not_found()
        wid = found.setdefault("id", stable_id("workflow", repo["full_name"], found["file"]))
        return FakeResponse(200, shapes.workflow(request.origin, repo["full_name"], found["file"], wid,
                                                 found.get("name", found["file"])))

    def _run_time(self, run: dict[str, Any]) -> str:
        if "created_hours_ago" in run:
            when = self.server.now().astimezone(UTC) - timedelta(hours=float(run["created_hours_ago"]))
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
        return str(run.get("created_at", "2026-01-05T14:00:00Z"))

    def run_out(self, request: FakeRequest, repo: dict[str, Any], workflow: dict[str, Any],
                run: dict[str, Any]) -> dict[str, Any]:
        base = f"{request.origin}/repos/{repo['full_name']}/actions/runs/{run['id']}"
        created = self._run_time(run)
        workflow.setdefault("id", stable_id("workflow", repo["full_name"], workflow["file"]))
        fields = {"id": run["id"], "node_id": f"WR_{run['id']}", "name": workflow.get("name", workflow["file"]),
                "head_sha": run["head_sha"], "head_branch": run.get("head_branch", "master"),
                "run_number": run.get("run_number", run["id"] % 1000), "event": run.get("event", "push"),
                "status": run.get("status", "completed"), "conclusion": run.get("conclusion"),
                "created_at": created, "updated_at": created, "run_started_at": created, "url": base,
                "html_url": f"https://github.sandbox/{repo['full_name']}/actions/runs/{run['id']}",
                "jobs_url": f"{base}/jobs", "logs_url": f"{base}/logs",
                "workflow_id": workflow["id"], "actor": self.user_out(request, run.get("actor", "oncall-bot")),
                "triggering_actor": self.user_out(request, run.get("actor", "oncall-bot"))}
        return shapes.workflow_run(request.origin, repo["full_name"], fields,
                                   repository=self.minimal_repo_out(request, repo),
                                   workflow_path=f".github/workflows/{workflow['file']}",
                                   title=str(run.get("title", workflow.get("name", workflow["file"]))))

    def list_runs(self, request: FakeRequest, owner: str, name: str, workflow: str) -> FakeResponse:
        repo = self._repo(owner, name)
        found = self._workflow(repo, workflow) if repo else None
        if repo is None or found is None:
            return self._not_found()
        runs = sorted(found.get("runs", []), key=self._run_time, reverse=True)
        created = request.arg("created") or ""
        if created.startswith(">="):
            runs = [r for r in runs if self._run_time(r) >= created[2:]]
        status = request.arg("status")
        if status:
            runs = [r for r in runs if r.get("conclusion") == status or r.get("status") == status]
        page = self._page(request, [self.run_out(request, repo, found, r) for r in runs])
        return FakeResponse(200, {"total_count": len(runs), "workflow_runs": page.body}, page.headers)

    def _run(self, repo: dict[str, Any], run_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for workflow in repo.get("workflows", []):
            for run in workflow.get("runs", []):
                if str(run["id"]) == run_id:
                    return workflow, run
        return None

    def list_jobs(self, request: FakeRequest, owner: str, name: str, run_id: str) -> FakeResponse:
        repo = self._repo(owner, name)
        found = self._run(repo, run_id) if repo else None
        if repo is None or found is None:
            return self._not_found()
        run = found[1]
        jobs = []
        for job in run.get("jobs", []):
            url = f"{request.origin}/repos/{repo['full_name']}/actions/jobs/{job['id']}"
            jobs.append(shapes.job(request.origin, repo["full_name"], {
                         "id": job["id"], "run_id": run["id"], "name": job["name"], "status": "completed",
                         "conclusion": job.get("conclusion", "success"), "head_sha": run["head_sha"],
                         "started_at": self._run_time(run), "completed_at": self._run_time(run), "url": url,
                         "html_url": f"https://github.sandbox/{repo['full_name']}/actions/runs/{run['id']}/job/"
                                     f"{job['id']}",
                         "steps": [{"name": s["name"], "status": "completed", "conclusion": s.get("conclusion",
                                                                                                     "success"),
                                    "number": i + 1} for i, s in enumerate(job.get("steps", []))]},
                run_id=run["id"], workflow_name=found[0].get("name", found[0]["file"]),
                head_branch=run.get("head_branch", "master")))
        page = self._page(request, jobs)  # 30 a page unless per_page says otherwise, as GitHub
        return FakeResponse(200, {"total_count": len(jobs), "jobs": page.body}, page.headers)

    def get_run(self, request: FakeRequest, owner: str, name: str, run_id: str) -> FakeResponse:
        repo = self._repo(owner, name)
        found = self._run(repo, run_id) if repo else None
        if repo is None or found is None:
            return self._not_found()
        return FakeResponse(200, self.run_out(request, repo, *found))

    def _job(self, repo: dict[str, Any], job_id: str) -> dict[str, Any] | None:
        for workflow in repo.get("workflows", []):
            for run in workflow.get("runs", []):
                for job in run.get("jobs", []):
                    if str(job["id"]) == job_id:
                        return job
        return None

    def job_logs(self, request: FakeRequest, owner: str, name: str, job_id: str) -> FakeResponse:
        repo = self._repo(owner, name)
        if repo is None or self._job(repo, job_id) is None:
            return self._not_found()
        # GitHub answers with a short-lived redirect to the log blob.
        return FakeResponse(302, None, {"Location": f"{request.origin}/_logs/{repo['full_name']}/{job_id}"})

    def log_blob(self, request: FakeRequest, owner: str, name: str, job_id: str) -> FakeResponse:
        repo = self._repo(owner, name)
        job = self._job(repo, job_id) if repo else None
        if job is None:
            return self._not_found()
        return FakeResponse(200, None, raw=str(job.get("log", "")).encode(), content_type="text/plain")

    def compare(self, request: FakeRequest, owner: str, name: str, basehead: str) -> FakeResponse:
        repo = self._repo(owner, name)
        base, _, head = urllib.parse.unquote(basehead).partition("...")
        commits = repo.get("commits", []) if repo else []
        shas = [c["sha"] for c in commits]
        if repo is None or base not in shas or head not in shas:
            return self._not_found()
        between = commits[shas.index(base) + 1: shas.index(head) + 1]
        files = sorted({f for c in between for f in c.get("files", [])})
        full = repo["full_name"]

        def commit_out(c: dict[str, Any]) -> dict[str, Any]:
            author = self.user_out(request, c["author"]) if c.get("author") else None
            return shapes.commit(request.origin, full, c["sha"], message=c.get("message", ""), author=author,
                                 author_name=c.get("author", ""), date=c.get("date"))

        html = f"https://github.sandbox/{full}/compare/{basehead}"
        # As GitHub: commits come 250 a page unless per_page says otherwise, and files only on the first page,
        # at most 300 of them.
        first_page = int(request.arg("page", "1") or 1) == 1
        paged = self._page(request, between, default_per_page=250, max_per_page=1000)
        return FakeResponse(200, {
            "status": "ahead", "ahead_by": len(between), "behind_by": 0, "total_commits": len(between),
            "url": f"{request.origin}/repos/{full}/compare/{basehead}", "html_url": html,
            "permalink_url": f"https://github.sandbox/{full}/compare/{base}...{head}", "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch", "base_commit": commit_out(commits[shas.index(base)]),
            "merge_base_commit": commit_out(commits[shas.index(base)]),
            "commits": [commit_out(c) for c in paged.body],
            "files": [shapes.diff_entry(request.origin, full, f, head) for f in files[:300]] if first_page else []},
            paged.headers)

    # -- organisation teams ---------------------------------------------------------------------

    def _team(self, org: str, slug: str) -> dict[str, Any] | None:
        return next((t for t in self.data.get("teams", []) if t["org"].lower() == org.lower()
                     and t["slug"].lower() == slug.lower()), None)

    def _membership(self, request: FakeRequest, team: dict[str, Any], login: str, state: str) -> dict[str, Any]:
        return {"url": f"{request.origin}/orgs/{team['org']}/teams/{team['slug']}/memberships/{login}",
                "role": "member", "state": state}

    @staticmethod
    def _state(team: dict[str, Any], login: str) -> str | None:
        if login.lower() in {m.lower() for m in team.get("members", [])}:
            return "active"
        if login.lower() in {m.lower() for m in team.get("pending", [])}:
            return "pending"
        return None

    def get_membership(self, request: FakeRequest, org: str, slug: str, login: str) -> FakeResponse:
        team = self._team(org, slug)
        state = self._state(team, login) if team else None
        if team is None or state is None:
            return self._not_found()
        return FakeResponse(200, self._membership(request, team, login, state))

    def put_membership(self, request: FakeRequest, org: str, slug: str, login: str) -> FakeResponse:
        """As GitHub: someone outside the organisation (world `org_members`, when given) is invited, and their
        membership stays pending until they accept."""
        team = self._team(org, slug)
        if team is None or self._user(login) is None:
            return self._not_found()
        state = self._state(team, login)
        if state is None:
            outside = "org_members" in self.data and login.lower() not in {m.lower() for m in self.data["org_members"]}
            state = "pending" if outside else "active"
            team.setdefault("pending" if outside else "members", []).append(login)
        return FakeResponse(200, self._membership(request, team, login, state))


def _looks_like_jwt(token: str) -> bool:
    head = token.split(".")[0]
    if token.count(".") != 2 or not head.startswith("eyJ"):
        return False
    try:
        return isinstance(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))), dict)
    except ValueError:
        return False
