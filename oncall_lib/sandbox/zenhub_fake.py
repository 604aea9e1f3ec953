"""ZenHub's GraphQL API, the two operations the product uses.

Only the operations' root fields are recognised (`issueByInfo`,
`addIssuesToZenhubEpics`), with their variables; this is a fake of a few
calls, not a GraphQL engine. Like ZenHub, it does not see a GitHub issue until
`visibility_delay_seconds` after the issue was created.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oncall_lib.sandbox.http import FakeRequest, FakeResponse, Host, bearer_token


def zenhub_issue_id(repo_gh_id: int, number: int) -> str:
    return f"Z2lkOi8vcmFwdG9yL0lzc3VlLz{repo_gh_id}x{number}"


class ZenHubFake:
    def __init__(self, server: Host) -> None:
        self.server = server

    @property
    def data(self) -> dict[str, Any]:
        return self.server.world.setdefault("zenhub", {"epics": []})

    def is_write(self, request: FakeRequest) -> bool:
        return "mutation" in str(request.json().get("query", "")).split("{", 1)[0]

    def rate_limited(self, retry_after: int) -> FakeResponse:
        return FakeResponse(429, {"errors": [{"message": "Too many requests"}]}, {"Retry-After": str(retry_after)})

    def server_error(self) -> FakeResponse:
        return FakeResponse(502, {"errors": [{"message": "Bad gateway"}]})

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.method != "POST" or request.path.rstrip("/") != "/public/graphql":
            return FakeResponse(404, {"errors": [{"message": "Not found"}]})
        if not bearer_token(request):
            return FakeResponse(401, {"errors": [{"message": "Unauthorized"}]})
        body = request.json()
        query, variables = str(body.get("query", "")), body.get("variables") or {}
        if "addIssuesToZenhubEpics" in query:
            return self._add(variables)
        if "removeIssuesFromZenhubEpics" in query:
            return self._remove(variables)
        if "issueByInfo" in query:
            return self._issue(variables)
        return FakeResponse(200, {"errors": [{"message": "The sandbox fake knows issueByInfo, addIssuesToZenhubEpics "
                                                         "and removeIssuesFromZenhubEpics only"}]})

    def _github_issue(self, repo_gh_id: int, number: int) -> dict[str, Any] | None:
        github = self.server.world.get("github", {})
        for repo in github.get("repos", []):
            rid = repo.get("id")
            if rid is None:
                from oncall_lib.sandbox.github_fake import stable_id

                rid = stable_id("repo", repo["full_name"])
            if rid != repo_gh_id:
                continue
            for item in repo.get("issues", []) + repo.get("pulls", []):
                if item["number"] == number:
                    return item
        return None

    def _visible(self, issue: dict[str, Any]) -> bool:
        delay = int(self.data.get("visibility_delay_seconds", 0))
        created = issue.get("created_at")
        if not delay or not created:
            return True
        when = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        return self.server.now() >= when + timedelta(seconds=delay)

    def _epics_of(self, issue_id: str) -> list[dict[str, str]]:
        return [{"id": e["id"]} for e in self.data.get("epics", []) if issue_id in e.get("issue_ids", [])]

    def _issue(self, variables: dict[str, Any]) -> FakeResponse:
        repo_gh_id, number = int(variables.get("repositoryGhId", 0)), int(variables.get("issueNumber", 0))
        # issueByInfo is non-null in ZenHub's schema, so every failure is `data: null` plus an error.
        if repo_gh_id in self.data.get("forbidden_repositories", []):
            return FakeResponse(200, {"data": None, "errors": [{
                "message": "You do not have access to this repository", "path": ["issueByInfo"],
                "extensions": {"code": "FORBIDDEN"}}]})
        issue = self._github_issue(repo_gh_id, number)
        if issue is None or not self._visible(issue):
            return FakeResponse(200, {"data": None, "errors": [{
                "message": "Issue not found", "path": ["issueByInfo"], "extensions": {"code": "NOT_FOUND"}}]})
        issue_id = zenhub_issue_id(repo_gh_id, number)
        return FakeResponse(200, {"data": {"issueByInfo": {
            "id": issue_id, "number": number, "parentZenhubEpics": {"nodes": self._epics_of(issue_id)}}}})

    def _remove(self, variables: dict[str, Any]) -> FakeResponse:
        issue_ids = list(variables.get("issueIds") or [])
        epic_ids = list(variables.get("zenhubEpicIds") or [])
        epics = {e["id"]: e for e in self.data.get("epics", [])}
        unknown = [e for e in epic_ids if e not in epics]
        if unknown or not issue_ids:
            return FakeResponse(200, {"data": None, "errors": [{"message": f"Unknown ZenHub epic(s): {unknown}"}]})
        for epic_id in epic_ids:
            epics[epic_id]["issue_ids"] = [i for i in epics[epic_id].get("issue_ids", []) if i not in issue_ids]
        return FakeResponse(200, {"data": {"removeIssuesFromZenhubEpics": {
            "zenhubEpics": [{"id": e} for e in epic_ids]}}})

    def _add(self, variables: dict[str, Any]) -> FakeResponse:
        issue_ids = list(variables.get("issueIds") or [])
        epic_ids = list(variables.get("zenhubEpicIds") or variables.get("epicIds") or [])
        epics = {e["id"]: e for e in self.data.get("epics", [])}
        unknown = [e for e in epic_ids if e not in epics]
        if unknown or not issue_ids:
            return FakeResponse(200, {"data": None, "errors": [{"message": f"Unknown ZenHub epic(s): {unknown}"}]})
        for epic_id in epic_ids:
            members = epics[epic_id].setdefault("issue_ids", [])
            members += [i for i in issue_ids if i not in members]
        return FakeResponse(200, {"data": {"addIssuesToZenhubEpics": {"zenhubEpics": [{"id": e} for e in epic_ids]}}})
