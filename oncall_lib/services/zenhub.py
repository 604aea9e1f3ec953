"""ZenHub's GraphQL API over httpx: find an issue, add it to an epic.

ZenHub may not see a new GitHub issue for up to a minute, so the lookup is
tried a few times within a bound; if it still cannot see it, the link is
reported as pending and the next run tries again.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from oncall_lib.errors import ServiceError
from oncall_lib.services.calls import ApiCalls

ISSUE_BY_INFO = """query IssueByInfo($repositoryGhId: Int!, $issueNumber: Int!) {
  issueByInfo(repositoryGhId: $repositoryGhId, issueNumber: $issueNumber) {
    id number parentZenhubEpics { nodes { id } }
  }
}"""

ADD_TO_EPICS = """mutation AddIssuesToZenhubEpics($issueIds: [ID!]!, $zenhubEpicIds: [ID!]!) {
  addIssuesToZenhubEpics(input: {issueIds: $issueIds, zenhubEpicIds: $zenhubEpicIds}) {
    zenhubEpics { id }
  }
}"""


REMOVE_FROM_EPICS = """mutation RemoveIssuesFromZenhubEpics($issueIds: [ID!]!, $zenhubEpicIds: [ID!]!) {
  removeIssuesFromZenhubEpics(input: {issueIds: $issueIds, zenhubEpicIds: $zenhubEpicIds}) {
    zenhubEpics { id }
  }
}"""


class ZenHubService:
    def __init__(self, token: str, calls: ApiCalls, *, url: str = "https://api.zenhub.com/public/graphql",
                 lookup_attempts: int = 4, lookup_wait: float = 15.0, retry_pause: float = 2.0) -> None:
        self._calls = calls
        self._url = url
        self._lookup_attempts, self._lookup_wait, self._retry_pause = lookup_attempts, lookup_wait, retry_pause
        # Connection errors are retried by the transport; HTTP 429/5xx below, both operations being
        # safe to repeat (a lookup, and adding an issue to an epic it may already be in).
        self._client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                    transport=httpx.HTTPTransport(retries=2))

    def _graphql(self, query: str, variables: dict[str, Any], *, write: bool) -> dict[str, Any]:
        operation = query.split("(", 1)[0].split()[-1]
        for attempt in range(4):
            self._calls.record("zenhub", write=write, retry=attempt > 0)
            try:
                response = self._client.post(self._url, json={"query": query, "variables": variables})
            except httpx.HTTPError as exc:
                raise ServiceError(f"ZenHub {operation}: network error: {exc}") from None
            if response.status_code in (429, 500, 502, 503, 504) and attempt < 3:
                time.sleep(float(response.headers.get("Retry-After") or self._retry_pause * (attempt + 1)))
                continue
            if response.status_code == 401:
                raise ServiceError(f"ZenHub {operation}: HTTP 401 (check ZENHUB_API_TOKEN)")
            if response.status_code != 200:
                raise ServiceError(f"ZenHub {operation}: HTTP {response.status_code}")
            return dict(response.json())
        raise ServiceError(f"ZenHub {operation}: still failing after retries")

    def issue(self, repo_gh_id: int, number: int, *, attempts: int | None = None) -> dict[str, Any] | None:
        """The issue's ZenHub id and epic ids, or None if ZenHub does not see it (yet), after a few tries."""
        attempts = attempts or self._lookup_attempts
        for attempt in range(attempts):
            body = self._graphql(ISSUE_BY_INFO, {"repositoryGhId": repo_gh_id, "issueNumber": number}, write=False)
            found = (body.get("data") or {}).get("issueByInfo")
            errors = body.get("errors") or []
            if not found and errors and not _not_found(errors):
                # A bad key, no access to the repository, a schema change: not "ZenHub has not seen it yet".
                first: dict[str, Any] = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
                code = (first.get("extensions") or {}).get("code")
                hint = {"FORBIDDEN": " (connect the repository to the ZenHub workspace, or use a key that sees it)",
                        "UNAUTHENTICATED": " (check ZENHUB_API_TOKEN)"}.get(str(code), "")
                raise ServiceError(f"ZenHub issueByInfo: {first.get('message')}{f' [{code}]' if code else ''}{hint}")
            if found:
                epics = [n["id"] for n in (found.get("parentZenhubEpics") or {}).get("nodes", [])]
                return {"id": found["id"], "epics": epics}
            if attempt + 1 < attempts:
                time.sleep(self._lookup_wait)
        return None

    def add_to_epic(self, issue_id: str, epic_id: str) -> None:
        body = self._graphql(ADD_TO_EPICS, {"issueIds": [issue_id], "zenhubEpicIds": [epic_id]}, write=True)
        if body.get("errors"):
            raise ServiceError(f"ZenHub addIssuesToZenhubEpics: {body['errors'][0].get('message')}")

    def remove_from_epics(self, issue_id: str, epic_ids: list[str]) -> None:
        body = self._graphql(REMOVE_FROM_EPICS, {"issueIds": [issue_id], "zenhubEpicIds": epic_ids}, write=True)
        if body.get("errors"):
            raise ServiceError(f"ZenHub removeIssuesFromZenhubEpics: {body['errors'][0].get('message')}")


def _not_found(errors: list[Any]) -> bool:
    """ZenHub's way of saying it does not know the issue (yet): an error, since issueByInfo cannot be null."""
    for error in errors:
        if not isinstance(error, dict):
            return False
        code = str((error.get("extensions") or {}).get("code") or "")
        if code != "NOT_FOUND" and "not found" not in str(error.get("message", "")).lower():
            return False
    return True
