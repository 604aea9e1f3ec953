"""Cover and swap requests nobody accepted in time: expired once, the asker told once, nothing asked again.

observe: one listing of the support repository's issues carrying `[covers] asked_label` (the label a request
puts on its issue while it waits), and the comments of each (one read each; none when no request waits).
plan: each request neither accepted, declined nor marked expired whose moment has come (its window's start,
or `expire_after_hours` after it was asked when sooner) gets one comment: its expiry marker, and a line to
the asker (who asked is GitHub's word, read by the asking comment's id). An issue with no request left
waiting loses the label, so the listing stays short and a quiet tick reads nothing more.
Runs on the hourly tick: the refusal of a late `/oncall accept` does not wait for it (covers.requests).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from oncall_lib.authorship import own_comments
from oncall_lib.config import Config
from oncall_lib.covers.requests import asked, deadline
from oncall_lib.covers.windows import EXPIRED_MARKER, CoverRequest, closed_requests, expired_requests, span, when
from oncall_lib.errors import Gone, ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.github import Comment, IssueState
from oncall_lib.untrusted import github_text

JOB = "cover-expiry"


@dataclass
class Waiting:
    """An issue labelled as holding a request, with its comments."""

    issue: IssueState
    comments: list[Comment]
    # Asking comment id -> who asked (GitHub's word), for the requests that expire now.
    askers: dict[int, str] = field(default_factory=dict)


def due(waiting: Waiting, at: datetime, config: Config) -> tuple[list[tuple[CoverRequest, datetime]], bool]:
    """The requests on this issue that expire now (with their moment), and whether any other still waits."""
    bodies = [c.body for c in waiting.comments]
    done = set(closed_requests(bodies)) | expired_requests(bodies)
    expiring, still_open = [], False
    for request, asked_at in asked(waiting.comments):
        if request.id in done:
            continue
        ends = deadline(request, asked_at, config)
        if at >= ends:
            expiring.append((request, ends))
        else:
            still_open = True
    return expiring, still_open


def observe(services: Services, config: Config, at: datetime) -> list[Waiting]:
    repo = config.required(config.support_issues, "support_issues", "the repository of the support issues").repo
    assert config.covers
    found = []
    for issue in services.github.issues(repo, labels=[config.covers.asked_label], state="all"):
        # The product's own comments only: a request marker anyone else typed is no request (authorship.py).
        waiting = Waiting(issue, own_comments(services, issue.repo, issue.number))
        for request, _ in due(waiting, at, config)[0]:
            # A deleted asking comment (Gone): the request still expires, told to nobody by name.
            with suppress(Gone):
                waiting.askers[request.id] = services.github.read_comment(issue.repo, request.id).author
        found.append(waiting)
    return found


def expired_text(request: CoverRequest, asker: str | None, ends: datetime, config: Config) -> str:
    tz = config.team.tz
    who = f"@{github_text(asker, 40, one_line=True)}: " if asker else ""
    windows = " and ".join(span(w, tz) for w in request.windows)
    return (f"{who}nobody accepted the {request.kind} asked in comment {request.id} ({windows}) before it expired "
            f"{when(ends, tz)}, so PagerDuty is unchanged and @{request.asked} can no longer accept it. Ask again, "
            f"or ask someone else, if it is still needed.\n\n{EXPIRED_MARKER.format(id=request.id)}")


def plan(found: list[Waiting], at: datetime, config: Config) -> list[Action]:
    assert config.covers
    actions: list[Action] = []
    for waiting in found:
        issue = waiting.issue
        where, params = f"{issue.repo}#{issue.number}", {"repo": issue.repo, "number": issue.number}
        expiring, still_open = due(waiting, at, config)
        last = None
        for request, ends in expiring:
            last = len(actions)
            actions.append(Action("github.comment", where, f"mark the {request.kind} asked in comment {request.id} "
                                  "expired and tell who asked",
                                  {**params, "body": expired_text(request, waiting.askers.get(request.id), ends,
                                                                  config)}))
        if not still_open:
            actions.append(Action("github.remove_label", where, f"remove {config.covers.asked_label}: no request "
                                  "waits", {**params, "label": config.covers.asked_label}, after=last))
    return actions


def executors(services: Services) -> dict[str, Executor]:
    github = services.github
    return {
        "github.comment": lambda a: github.comment(a.params["repo"], a.params["number"], a.params["body"]),
        "github.remove_label": lambda a: github.remove_label(a.params["repo"], a.params["number"], a.params["label"]),
    }


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    config.required(config.covers, "covers", "the covers and swaps")
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        found = observe(services, config, at)
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    actions = plan(found, at, config)
    report.facts = {"issues_with_requests": len(found),
                    "expired": sum(1 for a in actions if a.kind == "github.comment")}
    report.outcomes = apply(actions, executors(services), dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
