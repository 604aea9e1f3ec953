"""Which pull requests await review: pure functions over one GraphQL answer per repository.

A PR awaits review when it is open and not a draft, and either has no approval
since its last push, or had changes requested and was pushed to since. A PR
whose changes were requested and not updated waits on its author instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oncall_lib.untrusted import slack_link, slack_text


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass(frozen=True)
class PendingReview:
    repo: str
    number: int
    title: str
    url: str
    author: str
    external: bool
    opened: datetime
    checks: str  # SUCCESS, FAILURE, ERROR, PENDING, EXPECTED, or "none"
    code_owner_requested: bool
    approvals: int
    reason: str
    requested: tuple[str, ...]

    def age_days(self, at: datetime) -> int:
        return max(0, (at - self.opened).days)


def pending_review(repo: str, node: dict[str, Any], team: set[str]) -> PendingReview | None:
    if node.get("isDraft"):
        return None
    commits = ((node.get("commits") or {}).get("nodes") or [{}])
    last = (commits[-1] or {}).get("commit") or {}
    pushed = _time(last.get("committedDate")) or _time(node.get("createdAt"))
    latest: dict[str, tuple[str, datetime]] = {}
    for review in (node.get("reviews") or {}).get("nodes") or []:
        login = ((review.get("author") or {}).get("login")) or ""
        when = _time(review.get("submittedAt"))
        if not login or when is None or review.get("state") in ("COMMENTED", "PENDING", "DISMISSED"):
            continue
        if login not in latest or when >= latest[login][1]:
            latest[login] = (str(review["state"]), when)
    approvals = [when for state, when in latest.values() if state == "APPROVED"]
    requested_changes = [when for state, when in latest.values() if state == "CHANGES_REQUESTED"]
    if requested_changes:
        if pushed is None or pushed <= max(requested_changes):
            return None  # waiting on its author
        reason = "updated since changes were requested"
    elif approvals and pushed is not None and max(approvals) >= pushed:
        return None  # approved since its last push
    else:
        reason = "approval predates the last push" if approvals else "no approval yet"
    requests = (node.get("reviewRequests") or {}).get("nodes") or []
    requested = tuple(str((r.get("requestedReviewer") or {}).get("login") or (r.get("requestedReviewer") or {})
                          .get("slug") or "?") for r in requests)
    author = ((node.get("author") or {}).get("login")) or "ghost"
    rollup = last.get("statusCheckRollup") or {}
    return PendingReview(
        repo=repo, number=int(node["number"]), title=str(node.get("title", "")), url=str(node.get("url", "")),
        author=author, external=author.casefold() not in team, opened=_time(node.get("createdAt")) or datetime.min,
        checks=str(rollup.get("state") or "none"), code_owner_requested=any(r.get("asCodeOwner") for r in requests),
        approvals=sum(1 for state, _ in latest.values() if state == "APPROVED"), reason=reason, requested=requested)


CHECKS = {"SUCCESS": ":white_check_mark: checks pass", "FAILURE": ":x: checks fail", "ERROR": ":x: checks error",
          "PENDING": ":hourglass: checks running", "EXPECTED": ":hourglass: checks expected", "none": "no checks",
          "UNKNOWN": ":grey_question: checks unknown"}


def digest_text(pending: list[PendingReview], at: datetime) -> str:
    if not pending:
        return ":tada: *No pull request awaits review.*"
    lines = [f"*{len(pending)} pull request(s) await review* (oldest first; external authors marked):"]
    for pr in sorted(pending, key=lambda p: p.opened):
        flags = [f"{pr.age_days(at)} days", CHECKS.get(pr.checks, pr.checks.lower()),
                 f"{pr.approvals} approval{'s' if pr.approvals != 1 else ''}", pr.reason]
        if pr.code_owner_requested:
            flags.append("code owner requested")
        if not pr.requested:
            flags.append("nobody requested")
        who = slack_text(pr.author) + (" (external)" if pr.external else "")
        lines.append(f"• {slack_link(pr.url, f'{pr.repo}#{pr.number}')} {slack_text(pr.title, limit=120)} "
                     f"by {who}: {', '.join(flags)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class TeamReview:
    repo: str
    number: int
    title: str
    url: str
    reviewer: str
    state: str
    submitted: datetime

    @property
    def key(self) -> str:
        return f"pr-review/{self.repo}#{self.number}/{self.reviewer}/{self.submitted.isoformat()}"


def team_reviews(repo: str, node: dict[str, Any], team: set[str]) -> list[TeamReview]:
    """Reviews the team submitted on a PR (approvals, change requests, comments), for the tracking sheet."""
    found = []
    for review in (node.get("reviews") or {}).get("nodes") or []:
        login = ((review.get("author") or {}).get("login")) or ""
        when = _time(review.get("submittedAt"))
        if login.casefold() in team and when is not None and review.get("state") != "PENDING":
            found.append(TeamReview(repo, int(node["number"]), str(node.get("title", "")), str(node.get("url", "")),
                                    login, str(review.get("state")), when))
    return found
