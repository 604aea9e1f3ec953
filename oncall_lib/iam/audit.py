"""The IAM inactivity audit (ATO: no IAM user inactive past 90 days).

observe: the credential report (boto3, or an exported CSV), the rule in
`oncall_lib.iam.inactivity`, each finding's owner (roster AWS username, `[iam.owners]`, or
an `owner` tag in the Terraform file), and whether today's message and its
thread were already posted in the operations channel.
plan: when there are findings, one message a day with a thread listing each
user, days inactive and the owner's mention (the CC the process asks for);
when there are none, nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from oncall_lib.config import Config, IamConfig
from oncall_lib.errors import InputError, ServiceError
from oncall_lib.iam import terraform
from oncall_lib.iam.inactivity import Finding, audit, parse_credential_report
from oncall_lib.iam.schedule import unreachable, workflow_schedule
from oncall_lib.plan import Action, Executor, Ref, apply
from oncall_lib.recorder import AUTOMATIC, TaskRow, with_person
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.recorder import record as tracking_actions
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.slack import Marker
from oncall_lib.timeutil import not_at_hour
from oncall_lib.untrusted import slack_text

JOB = "iam-audit"
AUDIT_EVENT = "oncall_support_iam_audit"
DETAIL_EVENT = "oncall_support_iam_audit_detail"


def settings(config: Config) -> IamConfig:
    return config.required(config.iam, "iam", "add one to use the IAM jobs")


def owner_label(user: str, config: Config, tagged: dict[str, str]) -> str:
    """Who owns an IAM user, as a Slack mention where the roster knows them."""
    for member in config.roster:
        if member.aws_username and member.aws_username.casefold() == user.casefold():
            return f"<@{member.slack}>" if member.slack else member.name
    named = settings(config).owners.get(user) or tagged.get(user)
    if not named:
        return "owner unknown"
    for member in config.roster:
        identities = {member.name, member.github or "", member.slack or ""}
        if named.casefold() in {i.casefold() for i in identities}:
            return f"<@{member.slack}>" if member.slack else member.name
    # An owner tag in iam_users.tf is anyone's text: shown, never markup.
    return slack_text(named)


@dataclass
class AuditState:
    at: datetime
    findings: list[Finding]
    owners: dict[str, str] = field(default_factory=dict)
    parent_ts: str | None = None
    detail_posted: bool = False
    warnings: list[str] = field(default_factory=list)


def read_report(services: Services, config: Config, report_file: Path | None) -> str:
    if report_file is None:
        return services.iam(settings(config).region).credential_report()
    try:
        return report_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{report_file}: cannot read the credential report: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{report_file}: not UTF-8 text (byte {exc.start}): export the credential report "
                         "again as CSV") from None


def terraform_owners(services: Services, config: Config, warnings: list[str]) -> dict[str, str]:
    rules = settings(config)
    try:
        found = services.github.file(rules.repo, rules.file, rules.base_branch)
    except ServiceError as exc:
        warnings.append(f"owner tags not read from {rules.file}: {exc}")
        return {}
    if found is None:
        warnings.append(f"{rules.repo} has no {rules.file} on {rules.base_branch}: owner tags not read")
        return {}
    try:
        return terraform.owners(found[0], path=rules.file)
    except InputError as exc:
        warnings.append(f"owner tags not read: {exc}")
        return {}


def day_key(at: datetime, config: Config) -> str:
    return f"iam-audit/{at.astimezone(config.team.tz).date().isoformat()}"


def observe(services: Services, config: Config, at: datetime, report_file: Path | None) -> AuditState:
    rules = settings(config)
    source = str(report_file) if report_file else "the IAM credential report"
    rows = parse_credential_report(read_report(services, config, report_file), source=source)
    state = AuditState(at, audit(rows, at, limit_days=rules.limit_days, warning_days=rules.warning_days))
    if not state.findings:
        return state
    if not rules.post_audit:
        return state  # the team's own audit posts: nothing to look up for a message
    unowned = [f.user for f in state.findings if owner_label(f.user, config, {}) == "owner unknown"]
    tagged = terraform_owners(services, config, state.warnings) if unowned else {}
    state.owners = {f.user: owner_label(f.user, config, tagged) for f in state.findings}
    ops = config.slack.operations
    if ops is None:
        state.warnings.append("no operations_channel in oncall.toml: findings are reported here only")
        return state
    midnight = at.astimezone(config.team.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    parent = services.slack.find_marked(ops.id, Marker(AUDIT_EVENT, day_key(at, config)), oldest=midnight.timestamp())
    if parent:
        state.parent_ts = str(parent["ts"])
        thread = services.slack.replies(ops.id, state.parent_ts)
        state.detail_posted = any((m.get("metadata") or {}).get("event_type") == DETAIL_EVENT for m in thread)
    return state


def _summary(state: AuditState, rules: IamConfig) -> str:
    over = sum(f.status == "over_limit" for f in state.findings)
    warn = len(state.findings) - over
    parts = [f"{over} past {rules.limit_days} days"] if over else []
    parts += [f"{warn} within {rules.limit_days - rules.warning_days} days of it"] if warn else []
    # The process document's words to owners who keep an account: it may be disabled at the limit.
    return (f":warning: *IAM users near the {rules.limit_days}-day inactivity limit* ({', '.join(parts)}). "
            "Owners: reply here if the account is still needed. An account you keep could be disabled if its "
            f"activity is not reset before the {rules.limit_days}-day mark: sign in or use its access key before "
            "then. Accounts nobody needs get a Terraform PR that removes them.")


def _detail(state: AuditState) -> str:
    lines = []
    for finding in state.findings:
        flag = ":red_circle:" if finding.status == "over_limit" else ":large_yellow_circle:"
        lines.append(f"{flag} `{slack_text(finding.user)}`: {finding.days_inactive} days inactive "
                     f"(last: {finding.basis}, "
                     f"{finding.last_activity.date().isoformat()}), owner {state.owners.get(finding.user, '?')}")
    return "\n".join(lines)


def plan(state: AuditState, config: Config) -> list[Action]:
    rules, ops = settings(config), config.slack.operations
    if not state.findings or ops is None or not rules.post_audit:
        return []
    key = day_key(state.at, config)
    detail = {"channel": ops.id, "text": _detail(state), "marker": Marker(DETAIL_EVENT, key)}
    if state.parent_ts is None:
        return [
            Action("slack.post", ops.label, f"today's IAM audit: {len(state.findings)} user(s)",
                   {"channel": ops.id, "text": _summary(state, rules), "marker": Marker(AUDIT_EVENT, key)}),
            Action("slack.post", f"{ops.label} thread", "each user, days inactive and owner",
                   {**detail, "thread_ts": Ref(0, "ts")}, after=0),
        ]
    if not state.detail_posted:
        return [Action("slack.post", f"{ops.label} thread", "each user, days inactive and owner",
                       {**detail, "thread_ts": state.parent_ts})]
    return []


def executors(services: Services) -> dict[str, Executor]:
    def post(action: Action) -> dict[str, Any]:
        p = action.params
        ts = services.slack.post(p["channel"], p["text"], marker=p.get("marker"), thread_ts=p.get("thread_ts"))
        return {"ts": ts}

    return {"slack.post": post}


def _posted_by(message: dict[str, Any], poster: str) -> bool:
    wanted = poster.casefold()
    profile = message.get("bot_profile") or {}
    return wanted in {str(v).casefold() for v in (message.get("bot_id"), message.get("app_id"), message.get("user"),
                                                   message.get("username"), profile.get("name")) if v}


_NAME_TOKEN = re.compile(r"[\w+=,.@-]+")


def team_audit_names(services: Services, config: Config, at: datetime) -> tuple[set[str], str | None]:
    """The words of today's post by the team's own audit (`[iam] audit_poster`) in the operations channel and of
    its own replies in that thread (a Lambda may list the users there), casefolded; and the post's ts (None when
    it has not posted today)."""
    rules, ops = settings(config), config.slack.operations
    if not rules.audit_poster or ops is None:
        return set(), None
    midnight = at.astimezone(config.team.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    posts = [m for m in services.slack.history(ops.id, oldest=midnight.timestamp(), latest=at.timestamp())
             if _posted_by(m, rules.audit_poster) and m.get("thread_ts") in (None, m.get("ts"))]
    if not posts:
        return set(), None
    post = max(posts, key=lambda m: float(m["ts"]))
    thread = services.slack.replies(ops.id, str(post["ts"])) if post.get("reply_count") else [post]
    words: set[str] = set()
    for message in thread:
        if _posted_by(message, rules.audit_poster):
            words |= {w.strip(".,:;").casefold() for w in _NAME_TOKEN.findall(str(message.get("text", "")))}
    return words, str(post["ts"])


def findings_for(services: Services, config: Config, at: datetime, report_file: Path | None) -> list[Finding]:
    """The findings alone (for the cleanup PR's table)."""
    rules = settings(config)
    rows = parse_credential_report(read_report(services, config, report_file),
                                   source=str(report_file) if report_file else "the IAM credential report")
    return audit(rows, at, limit_days=rules.limit_days, warning_days=rules.warning_days)


def when_scheduled(config: Config, at: datetime, schedule: Sequence[str]) -> tuple[str | None, str | None]:
    """(why this scheduled run does nothing, why the schedule can never audit at `audit_hour`)."""
    rules, tz = settings(config), config.team.tz
    problem = unreachable(schedule, rules.audit_hour, tz, at)
    if problem:
        return None, problem
    local = at.astimezone(tz)
    if local.weekday() >= 5:
        return f"it is {local:%A} in {tz.key}: the audit runs on weekdays", None
    return not_at_hour(at, tz, rules.audit_hour), None


def run(services: Services, config: Config, at: datetime, *, dry_run: bool, report_file: Path | None = None,
        only_at_hour: int | None = None, at_audit_hour: bool = False,
        schedule: Sequence[str] | None = None) -> Report:
    """`at_audit_hour`: a scheduled run, acting only at `[iam] audit_hour` on a weekday (team time), and failing
    when `schedule` (iam-audit.yml's cron lines by default) can never start a run then."""
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    skipped = not_at_hour(at, config.team.tz, only_at_hour)
    if at_audit_hour:
        skipped, problem = when_scheduled(config, at, workflow_schedule() if schedule is None else schedule)
        if problem:
            report.errors.append(problem)
            return report
    if skipped:
        report.facts = {"skipped": skipped}
        return report
    try:
        state = observe(services, config, at, report_file)
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {
        "users_over_limit": sum(f.status == "over_limit" for f in state.findings),
        "users_in_warning": sum(f.status == "warning" for f in state.findings),
        "limit_days": rules.limit_days,
        "warning_days": rules.warning_days,
    }
    report.extra["findings"] = [{**f.as_dict(), "owner": state.owners.get(f.user)} for f in state.findings]
    report.warnings = state.warnings
    if not rules.post_audit:
        report.facts["posted"] = "nothing: post_audit = false (the team's own audit posts)"
    actions = plan(state, config)
    rows = [TaskRow(key=day_key(at, config), day=at.astimezone(config.team.tz).date(), person="", kind="iam",
                    by=AUTOMATIC, summary=f"IAM audit: {len(state.findings)} user(s) near or past "
                                          f"{rules.limit_days} days inactive: "
                                          + ", ".join(f.user for f in state.findings))] if state.findings else []
    actions += tracking_actions(services, config, rows, report.warnings, start=len(actions),
                                complete=with_person(services, config, at, report.warnings))
    report.outcomes = apply(actions, {**executors(services), **tracking_executors(services)}, dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
