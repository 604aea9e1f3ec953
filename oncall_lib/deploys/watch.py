"""Failed-deploy triage: every new failed run of a deploy workflow, explained once in the deploys channel.

observe: each configured workflow's runs in the lookback window; for a failed
run not yet posted, the failed job and step, the log around the error, the
commits since the last successful run and the files they touch, and the
repository's CODEOWNERS.
plan: one post per run id (in the thread of the deploy bot's message for that
run when there is one), naming the likely owners (the commits' authors and the
code owners of the changed paths), or saying that no owner was found and
inviting the person on support to look (never that anyone is looking: nobody
chose to yet); and a row in the tracking sheet, written first: the post's marker says whether it landed, so
while a failure explained earlier stays in the window, later runs read the sheet only if its row may be missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_lib.config import Config, DeploysConfig
from oncall_lib.deploys.triage import codeowners, log_excerpt, owners_of
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor, Ref, apply
from oncall_lib.recorder import AUTOMATIC, TaskRow, record_plan, with_person
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.github import JobInfo, RunInfo
from oncall_lib.services.slack import Marker
from oncall_lib.untrusted import slack_link, slack_text

JOB = "deploy-watch"
TRIAGE_EVENT = "oncall_support_deploy_triage"
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def settings(config: Config) -> DeploysConfig:
    return config.required(config.deploys, "deploys", "add the deploy workflows to watch")


@dataclass
class Failure:
    repo: str
    workflow: str
    run: RunInfo
    last_success: RunInfo | None = None
    job: JobInfo | None = None
    excerpt: str = ""
    commits: list[tuple[str, str, str]] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    thread_ts: str | None = None

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.run.id}"


@dataclass
class DeployState:
    failures: list[Failure] = field(default_factory=list)
    already_posted: set[str] = field(default_factory=set)
    # Posted failures whose marker says their row reached the tracking sheet.
    logged: set[str] = field(default_factory=set)
    # Failures in the window explained by an earlier run: still logged if that run's sheet write was lost.
    explained: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _codeowners(services: Services, repo: str, ref: str) -> list[tuple[str, list[str]]]:
    for path in CODEOWNERS_PATHS:
        found = services.github.file(repo, path, ref)
        if found is not None:
            return codeowners(found[0])
    return []


def observe(services: Services, config: Config, at: datetime) -> DeployState:
    rules = settings(config)
    channel = config.slack.channel(rules.channel)
    since = at - timedelta(hours=rules.lookback_hours)
    state = DeployState()
    # Up to the run's moment, so a tick answers it from the request watch's read of the same channel.
    messages = services.slack.history(channel.id, oldest=since.timestamp(), latest=at.timestamp())
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == TRIAGE_EVENT:
            _posted(state, metadata)
    bots = {b.casefold() for b in rules.bots}
    owners_cache: dict[str, list[tuple[str, list[str]]]] = {}
    for workflow in rules.workflows:
        runs = services.github.workflow_runs(workflow.repo, workflow.workflow, since - timedelta(days=7))
        for run in runs:
            failure = Failure(workflow.repo, workflow.workflow, run)
            if run.conclusion != "failure" or run.created_at < since:
                continue
            if failure.key in state.already_posted:
                state.explained.append(failure)
                continue
            earlier = [r for r in runs if r.conclusion == "success" and r.created_at < run.created_at]
            failure.last_success = earlier[0] if earlier else None
            failed = [j for j in services.github.run_jobs(workflow.repo, run.id) if j.conclusion == "failure"]
            failure.job = failed[0] if failed else None
            if failure.job:
                failure.excerpt = log_excerpt(services.github.job_log(workflow.repo, failure.job.id))
            paths: list[str] = []
            if failure.last_success and failure.last_success.sha != run.sha:
                failure.commits, paths = services.github.compare(workflow.repo, failure.last_success.sha, run.sha)
            if workflow.repo not in owners_cache:
                owners_cache[workflow.repo] = _codeowners(services, workflow.repo, run.branch or "master")
            authors = [author for _, author, _ in failure.commits if author]
            failure.owners = list(dict.fromkeys([*authors, *owners_of(paths, owners_cache[workflow.repo])]))
            failure.thread_ts = next((str(m["ts"]) for m in messages if _is_bot(m, bots) and
                                      (run.html_url in str(m.get("text", "")) or f"/runs/{run.id}" in str(m))), None)
            if failure.thread_ts and int(next((m.get("reply_count") or 0 for m in messages
                                               if str(m["ts"]) == failure.thread_ts), 0)):
                # An answer in the bot's thread is not in the channel's history: look in the thread.
                thread = services.slack.replies(channel.id, failure.thread_ts)
                ours = [m.get("metadata") or {} for m in thread]
                ours = [d for d in ours if d.get("event_type") == TRIAGE_EVENT
                        and (d.get("event_payload") or {}).get("key") == failure.key]
                if ours:
                    _posted(state, ours[0])
                    state.explained.append(failure)
                    continue
            state.failures.append(failure)
    return state


def _posted(state: DeployState, metadata: dict[str, Any]) -> None:
    payload = metadata.get("event_payload") or {}
    state.already_posted.add(str(payload.get("key")))
    if payload.get("logged"):
        state.logged.add(str(payload.get("key")))


def _is_bot(message: dict[str, Any], bots: set[str]) -> bool:
    profile = message.get("bot_profile") or {}
    names = {str(n).casefold() for n in (profile.get("name"), message.get("username"), message.get("bot_id")) if n}
    return bool(message.get("bot_id")) and bool(names & bots or not bots)


def triage_text(failure: Failure, config: Config) -> str:
    run = failure.run
    slack_ids = {m.github.casefold(): m.slack for m in config.roster if m.github and m.slack}
    # Owners outside the roster are GitHub logins as text (Slack does not turn @login into a mention).
    owners = [f"<@{slack_ids[o.casefold()]}>" if o.casefold() in slack_ids else f"@{slack_text(o)}"
              for o in failure.owners]
    job = failure.job
    title = f"{failure.repo} {failure.workflow} #{run.number}"
    lines = [f":rotating_light: *Deploy failed*: {slack_link(run.html_url, title)} "
             f"on `{slack_text(run.sha[:7])}` ({slack_text(run.branch)})"]
    if job:
        lines.append(f"Failed job: {slack_link(job.html_url, job.name)}"
                     + (f", step “{slack_text(job.failed_step)}”" if job.failed_step else ""))
    if failure.excerpt:
        lines.append("```\n" + slack_text(failure.excerpt.replace("```", "'''"), keep_lines=True) + "\n```")
    if failure.last_success is None:
        lines.append("No successful run in the window before it, so no list of changes.")
    elif failure.commits:
        lines.append(f"{len(failure.commits)} commit(s) since the last success "
                     f"(<{failure.last_success.html_url}|#{failure.last_success.number}>):")
        lines += [f"• `{sha[:7]}` {slack_text(message, limit=80)} ({slack_text(author)})"
                  for sha, author, message in failure.commits[:10]]
    else:
        lines.append("Same commit as the last success: a flaky step or the environment, not a change.")
    # Nobody is said to be looking unless they said so: the process asks whoever looks to say it in the thread.
    lines.append(f"Likely owners: {', '.join(owners)}" if owners else
                 "*No owner found* in the commits or CODEOWNERS. Person on support: if you look into it, say so in "
                 "this thread so others know; anyone who knows the cause, reply here.")
    return "\n".join(lines)


def plan(state: DeployState, config: Config) -> list[Action]:
    channel = config.slack.channel(settings(config).channel)
    return [Action("slack.post", channel.label + (" thread" if f.thread_ts else ""),
                   f"explain {f.repo} {f.workflow} #{f.run.number}",
                   {"channel": channel.id, "text": triage_text(f, config), "thread_ts": f.thread_ts,
                    "marker": Marker(TRIAGE_EVENT, f.key, {"run": f.run.id})})
            for f in state.failures]


def executors(services: Services) -> dict[str, Executor]:
    def post(action: Action) -> None:
        p = action.params
        marker = p["marker"]
        if "logged" in p:  # whether the row went in first (a Ref to its append, resolved now)
            marker = Marker(marker.event_type, marker.key, {**marker.payload, "logged": bool(p["logged"])})
        services.slack.post(p["channel"], p["text"], marker=marker, thread_ts=p.get("thread_ts"))

    return {"slack.post": post}


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        state = observe(services, config, at)
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {"new_failures": len(state.failures), "already_explained": len(state.already_posted)}
    report.extra = {"failures": [{"run": f.run.html_url, "job": f.job.name if f.job else None,
                                  "step": f.job.failed_step if f.job else None, "owners": f.owners,
                                  "commits": [sha for sha, _, _ in f.commits]} for f in state.failures]}
    actions = plan(state, config)
    channel = config.slack.channel(rules.channel)
    rows = [TaskRow(key=f"deploy/{f.key}", day=f.run.created_at.astimezone(config.team.tz).date(), person="",
                    kind="deploy", summary=f"Failed deploy {f.repo} {f.workflow} #{f.run.number}: "
                    + (f"{f.job.name} / {f.job.failed_step}" if f.job else
                       "explained in the channel" if f in state.explained else "no failed job found"),
                    link=f.run.html_url, channel=channel.label, by=AUTOMATIC)
            for f in [*state.failures, *state.explained] if f.key not in state.logged]
    logging, sheet_read = record_plan(services, config, rows, report.warnings,
                                      complete=with_person(services, config, at, report.warnings))
    # Whether the rows went in: the append's answer (a row only filled in, or no append, counts as not yet).
    appended = next((i for i, a in reversed(list(enumerate(logging))) if a.kind == "sheet.append"), None)
    logged: Any = (Ref(appended, "appended", fallback=False) if appended is not None
                   else sheet_read and not logging)
    # The rows first (planned from 0), then the posts, which carry whether the rows went in.
    actions = logging + [Action(a.kind, a.target, a.detail, {**a.params, "logged": logged}) for a in actions]
    report.warnings += state.warnings
    report.outcomes = apply(actions, {**executors(services), **tracking_executors(services)}, dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
