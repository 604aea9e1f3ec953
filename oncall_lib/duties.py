"""The rotation's duties, each declared once: what turns it on, what it needs, when it runs.

Everything that must know every duty reads this list instead: config checks
(`check_config.py`), the doctor, the tick, the generated docs tables
(docs/duties.md) and the Slack and GitHub App manifests. Add a duty here and
they all follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from oncall_lib.duty import SYSTEM_NAMES, Duty, Need, Runs, System

if TYPE_CHECKING:
    from oncall_lib.config import Config


def _zenhub(config: Config) -> bool:
    return config.epics.link_with == "zenhub"


def _user_group(config: Config) -> bool:
    return bool(config.rotation.slack_user_group)


def _watched(config: Config) -> bool:
    return bool(config.slack.watched)


def _watch_needs(config: Config) -> list[str]:
    if config.slack.watched:
        return []
    return ["a [[slack.channels]] entry with watch = true (the channels whose requests are watched)"]


_ZENHUB = dict(when=_zenhub, when_text='with [epics] link_with = "zenhub"')
# What every duty that asks "who is on support?" needs: the schedule, and Slack's lookup of that person.
_WHO_IS_ON_SUPPORT = (
    Need("pagerduty", "read", "the schedule and its users: who is on support"),
    Need("slack", "users:read.email", "find the person on support by their PagerDuty email"),
    Need("slack", "users:read", "read people's names"),
)
_EPIC_LINKS = (
    Need("github", "issues: write", "link issues to the Super Epics (sub-issues)"),
    Need("zenhub", "GraphQL API key", "link issues to the Super Epics' ZenHub epics", **_ZENHUB),  # type: ignore[arg-type]
)

HANDOFF = Duty(
    key="handoff",
    title="The weekly handoff",
    summary="The person on support, from PagerDuty, assigned to both Super Epics, named in the support channel's "
            "topic, and handed over with a message and DMs.",
    table=None,
    needs=(
        *_WHO_IS_ON_SUPPORT,
        Need("github", "issues: write", "assign and unassign the Super Epics"),
        Need("slack", "channels:read", "read the support channel's topic"),
        Need("slack", "channels:manage", "set the support channel's topic"),
        Need("slack", "channels:history", "find the product's own handoff message"),
        Need("slack", "chat:write", "post the handoff message and the DMs"),
        Need("slack", "im:write", "open the DM with the incoming and the next person"),
        Need("slack", "im:history", "find the product's own DMs"),
        Need("slack", "usergroups:read", "find the support user group", when=_user_group,
             when_text="with [rotation] slack_user_group"),
        Need("slack", "usergroups:write", "keep the support user group to the person on support", when=_user_group,
             when_text="with [rotation] slack_user_group"),
    ),
    runs=Runs(tick="hourly", tick_entry="oncall_lib.jobs.rotate:run", buttons=("rotate-assignees.yml",)),
    checks="oncall_lib.jobs.doctor:handoff_checks",
    scripts=("rotate_assignees.py",),
    docs="docs/duties/handoff.md",
)

REQUESTS = Duty(
    key="requests",
    title="Watching the request channels",
    summary="Nothing waits more than an hour unacknowledged: requests in the watched channels are timed, and the "
            "person on support is nudged before the limit and the team after it.",
    table="requests",
    also_on=_watched,
    still_needs=_watch_needs,
    needs=(
        *_WHO_IS_ON_SUPPORT,
        Need("slack", "channels:history", "read the watched channels and their threads"),
        Need("slack", "chat:write", "nudge the person on support and escalate"),
        Need("slack", "im:write", "DM the person on support"),
    ),
    runs=Runs(tick="every", tick_entry="oncall_lib.jobs.watch:run", buttons=("watch-requests.yml",)),
    checks="oncall_lib.jobs.doctor:channel_checks",
    scripts=("watch_requests.py",),
    docs="docs/duties/requests.md",
)

SUPPORT_ISSUES = Duty(
    key="support_issues",
    title="Support issues",
    summary="A request over 30 minutes becomes a GitHub issue linked to a Super Epic, assigned to the person on "
            "support, followed up (the two-hour rule, a closing summary) and logged.",
    table="support_issues",
    needs=(
        *_WHO_IS_ON_SUPPORT,
        Need("github", "issues: write", "open, label, assign and comment on support issues"),
        Need("github", "pull_requests: read", "find support PRs to link to the epics"),
        *_EPIC_LINKS,
        Need("slack", "channels:history", "read the request's thread and ticket reactions"),
        Need("slack", "chat:write", "reply in the thread with the issue's link"),
        Need("slack", "im:write", "DM the person on support about the two-hour rule"),
    ),
    runs=Runs(tick="every", tick_entry="oncall_lib.jobs.support_issues:scan",
              events=("support-issue-form.yml", "support-issue-commands.yml"),
              buttons=("support-issue-from-thread.yml", "support-issue-scan.yml")),
    checks="oncall_lib.jobs.doctor:support_issue_checks",
    scripts=("support_issue.py",),
    docs="docs/duties/support-issues.md",
)

POSTMORTEMS = Duty(
    key="postmortems",
    title="Postmortem action items",
    summary="Items from postmortems labelled, linked to the incident-response epic and offered to the person on "
            "support when there is no active support work.",
    table="postmortems",
    requires=(("support_issues", "postmortem items live in the support repository"),),
    needs=(
        Need("github", "issues: write", "label postmortem items and open issues for them"),
        Need("github", "contents: write", "draft the PR that links the postmortem documents to their issues"),
        Need("github", "pull_requests: write", "open that PR"),
        *_EPIC_LINKS,
    ),
    runs=Runs(schedules=("postmortem-documents.yml",), events=("postmortem-item.yml",),
              buttons=("postmortem-pickup.yml",)),
    checks="oncall_lib.jobs.doctor:postmortem_checks",
    scripts=("postmortems.py",),
    docs="docs/duties/postmortems.md",
)

IAM = Duty(
    key="iam",
    title="The IAM inactivity audit",
    summary="IAM users near 90 days of inactivity posted in the operations channel with their owners, and a "
            "draft Terraform PR that removes users from iam_users.tf.",
    table="iam",
    needs=(
        Need("aws", "iam:GenerateCredentialReport", "ask AWS for a fresh credential report"),
        Need("aws", "iam:GetCredentialReport", "read the credential report"),
        Need("github", "contents: write", "push the branch that edits iam_users.tf"),
        Need("github", "pull_requests: write", "open the draft PR"),
        Need("slack", "channels:history", "find the product's own audit post"),
        Need("slack", "chat:write", "post the audit in the operations channel"),
    ),
    runs=Runs(schedules=("iam-audit.yml",), buttons=("iam-cleanup.yml",)),
    checks="oncall_lib.jobs.doctor:iam_checks",
    scripts=("iam_audit.py", "iam_cleanup.py"),
    docs="docs/duties/iam.md",
)

ACCESS = Duty(
    key="access",
    title="Access grants",
    summary="Approved access requests granted: GitHub team memberships added, a checklist for the other tools.",
    table="access",
    requires=(("support_issues", "access requests are filed in the support repository"),),
    needs=(
        Need("github", "issues: write", "read the request forms and answer on them"),
        Need("github", "members: write", "add an approved person to the tool's GitHub team"),
    ),
    runs=Runs(events=("access.yml",)),
    scripts=("access.py",),
    docs="docs/duties/access.md",
)

OFFBOARDING = Duty(
    key="offboarding",
    title="Offboarding",
    summary="An offboarding request turned into one PR that removes the person's IAM user and SOCKS key.",
    table="offboarding",
    requires=(("support_issues", "offboarding requests are filed in the support repository"),
              ("iam", "the PR is drafted in the devops repository named there")),
    needs=(
        Need("github", "issues: write", "read the request forms and answer on them"),
        Need("github", "contents: write", "push the offboarding branch"),
        Need("github", "pull_requests: write", "open the offboarding PR"),
    ),
    runs=Runs(events=("offboarding.yml",)),
    scripts=("offboard.py",),
    docs="docs/duties/offboarding.md",
)

TRACKING = Duty(
    key="tracking",
    title="Tracking and the rotation review",
    summary="Every task logged in the Support Incidents Spreadsheet, and the end-of-rotation report for the PM, "
            "the tech lead and the outgoing and next person.",
    table="tracking",
    needs=(
        Need("google", "spreadsheets (edit)", "append rows and read them back for the report"),
        Need("pagerduty", "read", "the turns of the period"),
        Need("github", "issues: write", "open the report issue and assign it"),
        Need("slack", "channels:history", "read the week's requests for the figures"),
        Need("slack", "chat:write", "post the report's summary"),
    ),
    runs=Runs(schedules=("rotation-report.yml",), buttons=("log-task.yml",)),
    checks="oncall_lib.jobs.doctor:tracking_checks",
    scripts=("log_task.py", "rotation_report.py"),
    docs="docs/duties/tracking.md",
)

REVIEWS = Duty(
    key="reviews",
    title="Pull requests awaiting review",
    summary="A daily digest of the DevOps PRs waiting for review, in the operations channel.",
    table="reviews",
    needs=(
        Need("github", "pull_requests: write", "read PRs and ask the person on support to review"),
        Need("github", "checks: read", "show each PR's checks"),
        Need("github", "statuses: read", "show each PR's commit statuses"),
        Need("slack", "channels:history", "find the product's own digest"),
        Need("slack", "chat:write", "post and update the digest"),
    ),
    runs=Runs(schedules=("review-digest.yml",)),
    checks="oncall_lib.jobs.doctor:review_checks",
    scripts=("review_digest.py",),
    docs="docs/duties/reviews.md",
)

DEPLOYS = Duty(
    key="deploys",
    title="Failed deploys",
    summary="A failed deploy with no owner gets a thread under its announcement with the failing step and the "
            "commits since the last good run.",
    table="deploys",
    needs=(
        Need("github", "actions: read", "read the deploy workflows' runs, jobs and logs"),
        Need("github", "contents: read", "compare the commits since the last good deploy"),
        Need("slack", "channels:history", "find the deploy's announcement"),
        Need("slack", "chat:write", "start the thread under it"),
    ),
    runs=Runs(tick="every", tick_entry="oncall_lib.jobs.deploy_watch:run", buttons=("deploy-watch.yml",)),
    checks="oncall_lib.jobs.doctor:deploy_checks",
    scripts=("deploy_watch.py",),
    docs="docs/duties/deploys.md",
)

DUTIES: tuple[Duty, ...] = (HANDOFF, REQUESTS, SUPPORT_ISSUES, POSTMORTEMS, IAM, ACCESS, OFFBOARDING, TRACKING,
                             REVIEWS, DEPLOYS)


def duty(key: str) -> Duty:
    return next(d for d in DUTIES if d.key == key)


def enabled(config: Config) -> list[Duty]:
    return [d for d in DUTIES if d.is_on(config)]


@dataclass(frozen=True)
class Credential:
    """How a system's credentials reach a run: one of `options` (each a set of variables), and how to get one."""

    system: System
    options: tuple[tuple[str, ...], ...]
    how: str

    @property
    def name(self) -> str:
        return SYSTEM_NAMES[self.system]

    def satisfied(self, env: dict[str, str]) -> bool:
        return any(all(env.get(v, "").strip() for v in option) for option in self.options)

    def variables(self) -> str:
        return " or ".join(" and ".join(option) for option in self.options)


CREDENTIALS: dict[System, Credential] = {c.system: c for c in (
    Credential("github", (("ONCALL_GITHUB_TOKEN",),),
               "a fine-grained token with the permissions listed in docs/credentials.md"),
    Credential("slack", (("SLACK_BOT_TOKEN",),),
               "install the app from slack-app-manifest.yml and copy its Bot User OAuth Token (xoxb-...)"),
    Credential("pagerduty", (("PAGERDUTY_API_TOKEN",),),
               "PagerDuty > Integrations > API Access Keys: a read-only key"),
    Credential("zenhub", (("ZENHUB_API_TOKEN",),), "ZenHub > API > generate a GraphQL personal API key"),
    Credential("google", (("GOOGLE_SERVICE_ACCOUNT_JSON",),),
               "a service account's JSON key, with the sheet shared to its email (docs/credentials.md)"),
    # No variables to look for: boto3 finds AWS credentials itself (OIDC in Actions, a profile, the environment).
    Credential("aws", (),
               "in Actions, set the IAM_AUDIT_ROLE_ARN variable (GitHub's OIDC provider assumes it); by hand, "
               "AWS credentials in the environment, or --credential-report FILE"),
)}


def systems_needed(config: Config) -> dict[System, list[Duty]]:
    """Each system the enabled duties need, with the duties that need it (in declaration order)."""
    found: dict[System, list[Duty]] = {}
    for each in enabled(config):
        for system in each.systems(config):
            found.setdefault(system, []).append(each)
    return found


def permissions(system: System, config: Config | None = None) -> dict[str, list[tuple[Duty, Need]]]:
    """Each permission on `system` any duty needs (every duty and condition when `config` is None)."""
    found: dict[str, list[tuple[Duty, Need]]] = {}
    for each in DUTIES if config is None else enabled(config):
        for need in each.needs:
            if need.system == system and (config is None or need.applies(config)):
                found.setdefault(need.permission, []).append((each, need))
    return found


def describe(config: Config) -> tuple[list[str], list[str]]:
    """check_config's listing: which duties are on and what they need; and the problems (one line each)."""
    lines, problems = [], []
    on = enabled(config)
    lines.append(f"duties on ({len(on)} of {len(DUTIES)}):")
    for each in on:
        systems = ", ".join(SYSTEM_NAMES[s] for s in each.systems(config))
        lines.append(f"  {each.title}: needs {systems} credentials")
        problems += [f"{config.source}: {each.name} is on but still needs {m}" for m in each.missing(config)]
    off = [each for each in DUTIES if not each.is_on(config)]
    if off:
        lines.append("duties off (add the table to turn one on):")
        lines += [f"  {each.title}: [{each.table}]" for each in off]
    return lines, problems
