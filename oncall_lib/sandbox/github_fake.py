"""GitHub REST v3, the parts the jobs use, with absolute URLs on the sandbox host.

Assigning follows GitHub: logins that cannot be assigned in the repository
(not a known user, or not a collaborator when the repo lists collaborators)
are silently ignored, as the real API does.
"""

from __future__ import annotations

import zlib
from datetime import UTC
from typing import TYPE_CHECKING, Any

from oncall_lib.sandbox.http import FakeRequest, FakeResponse, Routes, bearer_token

if TYPE_CHECKING:
    from oncall_lib.sandbox.server import SandboxServer

REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"


def stable_id(*parts: object) -> int:
    """An id that is the same in every run (Python's hash() is salted per process)."""
    return zlib.crc32("/".join(map(str, parts)).encode()) % 1_000_000_000 + 1


class GitHubFake:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.routes = Routes()
        self.routes.add("GET", r"/user", self.get_authenticated_user)
        self.routes.add("GET", r"/users/(?P<login>[^/]+)", self.get_user)
        self.routes.add("GET", REPO, self.get_repo)
        self.routes.add("GET", REPO + r"/issues/(?P<number>\d+)", self.get_issue)
        self.routes.add("POST", REPO + r"/issues/(?P<number>\d+)/assignees", self.add_assignees)
        self.routes.add("DELETE", REPO + r"/issues/(?P<number>\d+)/assignees", self.remove_assignees)

    @property
    def data(self) -> dict[str, Any]:
        return self.server.world["github"]

    def is_write(self, request: FakeRequest) -> bool:
        return request.method not in ("GET", "HEAD")

    def rate_limited(self, retry_after: int) -> FakeResponse:
        return FakeResponse(429, {"message": "API rate limit exceeded"}, {"Retry-After": str(retry_after)})

    def server_error(self) -> FakeResponse:
        return FakeResponse(502, {"message": "Server Error"})

    def handle(self, request: FakeRequest) -> FakeResponse:
        token = bearer_token(request)
        if token is None or token in self.data.get("revoked_tokens", []):
            return FakeResponse(401, {"message": "Bad credentials"})
        found = self.routes.find(request.method, request.path)
        if not found:
            return self._not_found()
        handler, params = found
        return handler(request, **params)

    @staticmethod
    def _not_found() -> FakeResponse:
        return FakeResponse(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

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

    # -- shapes -----------------------------------------------------------------------------

    def user_out(self, request: FakeRequest, login: str) -> dict[str, Any]:
        user = self._user(login) or {"login": login}
        uid = user.get("id", stable_id("user", user["login"].lower()))
        return {
            "login": user["login"], "id": uid, "node_id": f"U_{uid}", "type": user.get("type", "User"),
            "site_admin": False, "name": user.get("name"),
            "url": f"{request.origin}/users/{user['login']}",
            "html_url": f"https://github.sandbox/{user['login']}",
            "avatar_url": "https://github.sandbox/avatar.png",
        }

    def repo_out(self, request: FakeRequest, repo: dict[str, Any]) -> dict[str, Any]:
        owner, name = repo["full_name"].split("/")
        rid = repo.get("id", stable_id("repo", repo["full_name"]))
        return {
            "id": rid, "node_id": f"R_{rid}", "name": name, "full_name": repo["full_name"],
            "owner": self.user_out(request, owner), "private": repo.get("private", False),
            "url": f"{request.origin}/repos/{repo['full_name']}",
            "html_url": f"https://github.sandbox/{repo['full_name']}",
            "default_branch": repo.get("default_branch", "main"),
            "permissions": repo.get("permissions", {"admin": False, "push": True, "pull": True}),
        }

    def issue_out(self, request: FakeRequest, repo: dict[str, Any], issue: dict[str, Any]) -> dict[str, Any]:
        base = f"{request.origin}/repos/{repo['full_name']}"
        iid = issue.setdefault("id", stable_id("issue", repo["full_name"], issue["number"]))
        assignees = [self.user_out(request, a) for a in issue.get("assignees", [])]
        return {
            "id": iid, "node_id": f"I_{iid}", "number": issue["number"], "title": issue.get("title", ""),
            "body": issue.get("body", ""), "state": issue.get("state", "open"),
            "state_reason": issue.get("state_reason"), "locked": False,
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
        }

    def label_out(self, request: FakeRequest, repo: dict[str, Any], name: str) -> dict[str, Any]:
        known = next((lb for lb in repo.get("labels", []) if lb["name"] == name), {"name": name})
        return {"name": name, "color": known.get("color", "ededed"), "description": known.get("description", ""),
                "url": f"{request.origin}/repos/{repo['full_name']}/labels/{name}"}

    # -- routes -----------------------------------------------------------------------------

    def get_authenticated_user(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse(200, self.user_out(request, self.data.get("bot_login", "oncall-bot")))

    def get_user(self, request: FakeRequest, login: str) -> FakeResponse:
        if self._user(login) is None:
            return self._not_found()
        return FakeResponse(200, self.user_out(request, login))

    def get_repo(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self._repo(owner, name)
        return FakeResponse(200, self.repo_out(request, repo)) if repo else self._not_found()

    def get_issue(self, request: FakeRequest, owner: str, name: str, number: str) -> FakeResponse:
        repo = self._repo(owner, name)
        issue = self._issue(repo, number) if repo else None
        if repo is None or issue is None:
            return self._not_found()
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
