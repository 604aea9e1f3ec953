"""The PR review digest: open, non-draft PRs awaiting review, once a weekday in the operations channel.

Nothing waits, nothing is posted: a digest saying so would only interrupt. A digest
already posted today that a re-run finds empty is edited to say nothing waits now.

One GraphQL read per repository (per 50 open PRs) gives every PR's last push,
checks, reviews and review requests, and on its first page the 30 PRs last
closed or merged with their reviews, so a PR reviewed and merged between two
digests still counts. Each review is logged with who was on support when it
was submitted. The day's message is posted once and edited in place when a
re-run finds something different.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from oncall_lib.config import Config, ReviewsConfig
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.recorder import TaskRow
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.recorder import record as tracking_actions
from oncall_lib.report import Report
from oncall_lib.reviews.awaiting import PendingReview, TeamReview, digest_text, pending_review, team_reviews
from oncall_lib.rotation.on_support import holder_name, on_support, support_person
from oncall_lib.rotation.schedule import ScheduleProblem
from oncall_lib.services import Services
from oncall_lib.services.slack import Marker

JOB = "review-digest"
DIGEST_EVENT = "oncall_support_review_digest"


def settings(config: Config) -> ReviewsConfig:
    return config.required(config.reviews, "reviews", "add the repositories to watch")


@dataclass
class DigestState:
    at: datetime
    pending: list[PendingReview] = field(default_factory=list)
    reviews: list[TeamReview] = field(default_factory=list)
    # Who was on support when each review was submitted (the sheet's "On support" column), by review key.
    on_support_then: dict[str, str] = field(default_factory=dict)
    message: dict[str, Any] | None = None
    reviewer: str | None = None
    warnings: list[str] = field(default_factory=list)


def day_key(at: datetime, config: Config) -> str:
    return f"review-digest/{at.astimezone(config.team.tz).date().isoformat()}"


def observe(services: Services, config: Config, at: datetime) -> DigestState:
    rules = settings(config)
    team = {m.github.casefold() for m in config.roster if m.github} | {t.casefold() for t in rules.team_logins}
    state = DigestState(at)
    for repo in rules.repos:
        open_pulls, recently_closed = services.github.pulls_and_recently_closed(repo)
        for node in open_pulls:
            found = pending_review(repo, node, team)
            if found:
                state.pending.append(found)
            state.reviews += team_reviews(repo, node, team)
        for node in recently_closed:  # reviewed, then merged or closed before this run: still the team's work
            state.reviews += team_reviews(repo, node, team)
    state.reviews = list({r.key: r for r in state.reviews}.values())
    if state.reviews:
        try:
            view = on_support(services, config, at).view
            timeline = view.timeline if view else ()
            state.on_support_then = {r.key: holder_name(config, timeline, r.submitted) for r in state.reviews}
        except ScheduleProblem as exc:
            state.warnings.append(f"the reviews are logged without who was on support: {exc}")
    if "statusCheckRollup" in services.github.forbidden_fields:
        # The digest still goes out; only the checks column is unknown.
        state.pending = [replace(pr, checks="UNKNOWN") for pr in state.pending]
        state.warnings.append("GitHub refused the PRs' check status to this token: give ONCALL_GITHUB_TOKEN "
                              "Checks: read and Commit statuses: read on the review repositories (checks shown as "
                              "unknown meanwhile)")
    ops = config.slack.operations
    if ops:
        midnight = at.astimezone(config.team.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        state.message = services.slack.find_marked(ops.id, Marker(DIGEST_EVENT, day_key(at, config)),
                                                   oldest=midnight.timestamp())
    else:
        state.warnings.append("no operations_channel in oncall.toml: the digest is in this report only")
    if rules.request_person_on_support and any(not p.requested for p in state.pending):
        person = support_person(services, config, at, state.warnings, "no reviewer requested")
        state.reviewer = person.github if person else None
    return state


def to_request(state: DigestState) -> list[PendingReview]:
    if not state.reviewer:
        return []
    reviewer = state.reviewer.casefold()
    return [pr for pr in state.pending if not pr.requested and pr.author.casefold() != reviewer]


def plan(state: DigestState, config: Config) -> list[Action]:
    actions: list[Action] = []
    ops = config.slack.operations
    asking = {(pr.repo, pr.number) for pr in to_request(state)}
    # The digest says how things stand once this run's review requests are made.
    shown = [replace(pr, requested=(state.reviewer or "",)) if (pr.repo, pr.number) in asking else pr
             for pr in state.pending]
    text = digest_text(shown, state.at)
    marker = Marker(DIGEST_EVENT, day_key(state.at, config))
    if ops and state.message is None and not state.pending:
        pass  # nothing waits: no post (a digest already posted today is brought up to date instead, below)
    elif ops and state.message is None:
        actions.append(Action("slack.post", ops.label, f"today's review digest ({len(state.pending)} PRs)",
                              {"channel": ops.id, "text": text, "marker": marker}))
    elif ops and state.message is not None and str(state.message.get("text", "")) != text:
        actions.append(Action("slack.update", ops.label, "bring today's digest up to date",
                              {"channel": ops.id, "ts": state.message["ts"], "text": text, "marker": marker}))
    for pr in to_request(state):
        actions.append(Action("github.request_review", f"{pr.repo}#{pr.number}",
                              f"ask @{state.reviewer} (on support) to review",
                              {"repo": pr.repo, "number": pr.number, "logins": [state.reviewer]}))
    return actions


def executors(services: Services) -> dict[str, Executor]:
    def post(action: Action) -> None:
        p = action.params
        services.slack.post(p["channel"], p["text"], marker=p["marker"])

    def update(action: Action) -> None:
        p = action.params
        services.slack.update(p["channel"], p["ts"], p["text"], marker=p["marker"])

    def review(action: Action) -> None:
        p = action.params
        services.github.request_reviewers(p["repo"], int(p["number"]), list(p["logins"]))

    return {"slack.post": post, "slack.update": update, "github.request_review": review}


def review_rows(state: DigestState, config: Config) -> list[TaskRow]:
    """The team's reviews of open PRs, for the sheet (the rotation report counts them)."""
    names = {m.github.casefold(): m.name for m in config.roster if m.github}
    return [TaskRow(key=r.key, day=r.submitted.astimezone(config.team.tz).date(),
                    person=state.on_support_then.get(r.key, ""), kind="pr_review",
                    summary=f"{names.get(r.reviewer.casefold(), r.reviewer)} reviewed {r.repo}#{r.number} {r.title} "
                            f"({r.state.lower().replace('_', ' ')})",
                    link=r.url, by=names.get(r.reviewer.casefold(), r.reviewer)) for r in state.reviews]


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        state = observe(services, config, at)
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {"awaiting_review": len(state.pending), "external": sum(p.external for p in state.pending),
                    "nobody_requested": sum(not p.requested for p in state.pending)}
    report.extra = {"pull_requests": [{"url": p.url, "author": p.author, "external": p.external,
                                       "age_days": p.age_days(at), "checks": p.checks, "approvals": p.approvals,
                                       "code_owner_requested": p.code_owner_requested, "reason": p.reason}
                                      for p in state.pending]}
    report.markdown = digest_text(state.pending, at)
    if not state.pending and state.message is None:
        report.facts["digest"] = "nothing waits for review: nothing posted"
    report.warnings = state.warnings
    actions = plan(state, config)
    actions += tracking_actions(services, config, review_rows(state, config), report.warnings, start=len(actions))
    report.outcomes = apply(actions, {**executors(services), **tracking_executors(services)}, dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
