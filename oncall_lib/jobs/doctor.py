"""The doctor: with the real environment, check everything a first real run needs. Read-only.

One line per check: ok, or what is wrong and how to fix it. The checks follow
the configuration: an integration that is not configured is not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall_lib.config import WEEKDAYS, Config, SuperEpic, product_repo
from oncall_lib.errors import OncallError
from oncall_lib.github_permissions import configured_needs, missing_permissions
from oncall_lib.report import Report
from oncall_lib.schedule import (
    ScheduleProblem,
    family_turns,
    is_active,
    override_runs,
    select_layer,
    support_layers,
    support_overrides,
)
from oncall_lib.services import Services
from oncall_lib.services.epics import SUB_ISSUE_CAP, EpicLinks
from oncall_lib.services.github import InstallationInfo, WorkflowState

JOB = "doctor"
# The bot scopes the jobs use (the Slack app manifest asks for exactly these).
SLACK_SCOPES = {
    "channels:read": "read channel topics and membership",
    "channels:history": "read requests and the product's own markers",
    "channels:manage": "set the support channel's topic",
    "chat:write": "post and update messages",
    "im:write": "open the DM with the person on support",
    "im:history": "find the product's own DMs",
    "users:read": "read requesters' names",
    "users:read.email": "find people by their PagerDuty email",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def _run(checks: list[Check], name: str, probe: Callable[[], str]) -> None:
    """Run one probe; an API error is a failed check, not a crash."""
    try:
        checks.append(Check(name, True, probe()))
    except CheckFailed as exc:
        checks.append(Check(name, False, str(exc)))
    except (OncallError, ScheduleProblem) as exc:
        checks.append(Check(name, False, str(exc)))


class CheckFailed(Exception):
    pass


def _repos(config: Config) -> dict[str, str]:
    """Every repository the product writes to, with what it uses it for."""
    repos: dict[str, str] = {}
    for epic in config.super_epics:
        repos.setdefault(epic.repo, "Super Epics")
    if config.support_issues:
        repos.setdefault(config.support_issues.repo, "support issues")
        for repo in config.support_issues.pr_repos:
            repos.setdefault(repo, "support PRs")
    if config.iam:
        repos.setdefault(config.iam.repo, "IAM cleanup PRs")
    if config.postmortems and config.postmortems.documents_repo:
        repos.setdefault(config.postmortems.documents_repo, "postmortem documents")
    for repo in config.reviews.repos if config.reviews else []:
        repos.setdefault(repo, "review digest")
    for workflow in config.deploys.workflows if config.deploys else []:
        repos.setdefault(workflow.repo, "deploy triage")
    return repos


# What to do about a workflow GitHub is not running, by its state (GET /repos/{o}/{r}/actions/workflows).
WORKFLOW_REMEDIES = {
    "disabled_inactivity": "GitHub turned it off after 60 days without activity in a public repository: enable it "
                           "(Actions tab > the workflow > Enable workflow, or `gh workflow enable {file}`); a commit "
                           "now and then keeps it on",
    "disabled_manually": "someone turned it off: enable it (Actions tab > the workflow > Enable workflow, or "
                         "`gh workflow enable {file}`)",
    "disabled_fork": "workflows are off in a fork until enabled: Actions tab > \"I understand my workflows, go ahead "
                     "and enable them\"",
}


def _github_app_checks(services: Services, config: Config, checks: list[Check]) -> None:
    """Which installation covers which repository, what none covers, and what each was not granted."""
    repos = _repos(config)
    own = product_repo(config)
    if own:
        repos.setdefault(own, "the product's own workflows")
    covered: dict[int, list[str]] = {}
    installations: dict[int, InstallationInfo] = {}
    missing: list[str] = []

    def coverage() -> str:
        for repo, use in sorted(repos.items()):
            owner, name = repo.split("/", 1)
            found = services.github.installation(owner, name)
            if found is None:
                missing.append(f"{repo} ({use})")
                continue
            installations[found.id] = found
            covered.setdefault(found.id, []).append(repo)
        teams = {t.split("/", 1)[0] for t in ([config.access.approvers_team] if config.access else [])
                 + [tool.github_team for tool in (config.access.tools if config.access else []) if tool.github_team]}
        for org in sorted(teams):
            found = services.github.installation(org)
            if found is None:
                missing.append(f"the {org} organisation (the access teams)")
            else:
                installations.setdefault(found.id, found)
                covered.setdefault(found.id, [])
        if missing:
            raise CheckFailed("no installation covers " + "; ".join(missing) + ": install the App there, or add "
                              "the repository to the installation's selected repositories (its settings > "
                              "Repository access)")
        return f"every repository and organisation the product touches is covered ({len(installations)} "\
               f"installation(s))"

    _run(checks, "github app coverage", coverage)
    needs = configured_needs(config)
    for installation_id, found in sorted(installations.items()):
        def installation(found: InstallationInfo = found, repos_here: list[str] = covered[installation_id]) -> str:
            selection = "all repositories" if found.repository_selection == "all" else "selected repositories"
            names = ", ".join(r.split("/", 1)[1] for r in repos_here)
            what = f"on {found.account}, {selection}" + (f": covers {names}" if names else "")
            lacking = missing_permissions(found.permissions, needs)
            if lacking:
                raise CheckFailed(f"{what}; not granted " + ", ".join(f"{p}: {level}" for p, level in lacking.items())
                                  + f": accept the App's permissions on the installation ({found.html_url})")
            return what
        _run(checks, f"github app installation {installation_id}", installation)


def _workflow_checks(services: Services, config: Config, checks: list[Check]) -> None:
    repo = product_repo(config)
    if not repo:
        checks.append(Check("workflows", True, "not checked: set [automation] repo (or run in Actions) to check that "
                                               "GitHub runs each workflow"))
        return
    states: list[WorkflowState] = []

    def listing() -> str:
        states.extend(services.github.workflow_states(repo))
        off = [w for w in states if w.state != "active"]
        if off:
            raise CheckFailed(f"{len(off)} of {len(states)} workflow(s) in {repo} are not running: "
                              + ", ".join(f"{w.path.rsplit('/', 1)[-1]} ({w.state})" for w in off))
        return f"all {len(states)} workflows in {repo} are active"

    _run(checks, "workflows", listing)
    for workflow in states:
        if workflow.state == "active":
            continue

        def remedy(found: WorkflowState = workflow) -> str:
            file = found.path.rsplit("/", 1)[-1]
            advice = WORKFLOW_REMEDIES.get(found.state, "enable it in the Actions tab").format(file=file)
            last = services.github.last_commit_to(repo, found.path)
            who = ""
            if last:
                when = f", {last[2]:%Y-%m-%d}" if last[2] else ""
                who = (f"; its file was last changed by {last[0]} ({last[1]}{when}): GitHub also stops a schedule "
                       "when the person who last committed its cron line leaves the organisation, and a commit to "
                       "the file by a current member starts it again")
            raise CheckFailed(f"{found.name} is {found.state}: {advice}{who}")
        _run(checks, f"workflow {workflow.path.rsplit('/', 1)[-1]}", remedy)


def examine(services: Services, config: Config, at: datetime) -> list[Check]:
    checks: list[Check] = [Check("configuration", True, "oncall.toml is valid")]

    def slack_token() -> str:
        identity = services.slack.identity()
        return f"the bot token works ({identity['url']}, bot user {identity['user_id']})"

    def slack_scopes() -> str:
        granted = services.slack.granted_scopes()
        if granted is None:
            return "Slack did not list the token's scopes; compare them with slack-app-manifest.yml by hand"
        missing = sorted(set(SLACK_SCOPES) - granted)
        if missing:
            raise CheckFailed("missing scope(s) " + ", ".join(f"{m} ({SLACK_SCOPES[m]})" for m in missing)
                              + ": add them under OAuth & Permissions (or from the manifest) and reinstall the app")
        return f"all {len(SLACK_SCOPES)} scopes the jobs use are granted"

    _run(checks, "slack token", slack_token)
    _run(checks, "slack scopes", slack_scopes)
    for channel in config.slack.channels:
        def membership(channel_id: str = channel.id, label: str = channel.label) -> str:
            info = services.slack.channel(channel_id)
            if not info.is_member:
                raise CheckFailed(f"the app is not a member of {label}: /invite it there")
            return f"the app is a member of {label}"
        _run(checks, f"slack channel {channel.key}", membership)
    if config.rotation.slack_user_group:
        def usergroup(handle: str = config.rotation.slack_user_group) -> str:
            found = services.slack.usergroup(handle)  # plan_upgrade_required on free plans, named by the error
            if found is None:
                raise CheckFailed(f"no user group {handle!r} in the workspace: create it (Slack's paid plans only)")
            return f"the user group {handle} exists ({len(found[1])} member(s)); the handoff keeps it in sync"
        _run(checks, "slack user group", usergroup)

    def pagerduty() -> str:
        schedule = services.pagerduty.schedule(config.rotation.pagerduty_schedule, at, at)
        layer = select_layer(schedule, config.rotation.support_layer, at)
        return f"schedule {schedule.get('name')!r} and support layer {layer.get('name')!r} ({layer.get('id')}) found"

    _run(checks, "pagerduty schedule", pagerduty)

    def layer_shape() -> str:
        rotation = config.rotation
        schedule = services.pagerduty.schedule(rotation.pagerduty_schedule, at, at + timedelta(days=14))
        family = support_layers(schedule, rotation.support_layer, at)
        restricted = [r for layer in family if is_active(layer, at) for r in layer.get("restrictions") or []]
        length = max(int(layer.get("rotation_turn_length_seconds") or 0) for layer in family if is_active(layer, at))
        runs = override_runs(family_turns(family), support_overrides(schedule, family),
                             timedelta(hours=rotation.min_override_hours))
        moving = [f"{run.user_name or run.user_id} from {run.start.astimezone(config.team.tz):%a %d %b %H:%M}"
                  for run, _, moves in runs if moves]
        short = sum(1 for _, _, moves in runs if not moves)
        shape = (f"restricted ({len(restricted)} window rule(s): the role is held between windows too)"
                 if restricted else "not restricted")
        turn = f"{length / 86400:g}-day turns" if length >= 86400 else f"{length / 3600:g}-hour turns"
        overrides = (f"overrides in the next two weeks move the handoff: {', '.join(moving)}" if moving else
                     "no override in the next two weeks moves the handoff")
        return f"support layer {shape}, {turn}; {overrides}" + (
            f" ({short} shorter cover(s) only redirect escalations)" if short else "")

    _run(checks, "support layer shape", layer_shape)

    def handoff_time() -> str:
        rotation = config.rotation
        schedule = services.pagerduty.schedule(rotation.pagerduty_schedule, at - timedelta(days=21), at)
        starts = [s.start.astimezone(config.team.tz)
                  for s in family_turns(support_layers(schedule, rotation.support_layer, at))]
        expected = (WEEKDAYS.index(rotation.handoff_weekday), rotation.handoff_hour)
        odd = [s for s in starts[1:] if (s.weekday(), s.hour) != expected]
        if odd:
            raise CheckFailed(f"PagerDuty hands over on {odd[-1]:%A at %H:%M}, but oncall.toml says "
                              f"{rotation.handoff_weekday} at {rotation.handoff_hour:02d}:00: the report's "
                              "schedule relies on the latter; fix handoff_weekday and handoff_hour")
        return f"turns change on {rotation.handoff_weekday} at {rotation.handoff_hour:02d}:00, as configured"

    _run(checks, "rotation handoff time", handoff_time)
    emails: dict[str, str] = {}

    def pagerduty_users() -> str:
        emails.update(services.pagerduty.user_emails())
        return f"{len(emails)} users readable"

    _run(checks, "pagerduty users", pagerduty_users)

    def github_credentials() -> str:
        if services.github.uses_app:
            return "the GitHub App's id and key: the product mints and renews its installation tokens"
        return ("a token (ONCALL_GITHUB_TOKEN); the GitHub App is recommended: its tokens are minted per run and "
                "belong to no person (docs/credentials.md)")

    _run(checks, "github credentials", github_credentials)
    if any(c.name == "github credentials" and c.ok for c in checks) and services.github.uses_app:
        _github_app_checks(services, config, checks)
    _workflow_checks(services, config, checks)
    for repo, use in sorted(_repos(config).items()):
        def repository(repo: str = repo, use: str = use) -> str:
            permissions = services.github.repo_permissions(repo)
            if permissions is None:
                raise CheckFailed(f"the token cannot see {repo} ({use}): give the GitHub App or token access to it")
            if permissions and not (permissions.get("push") or permissions.get("admin") or permissions.get("maintain")):
                raise CheckFailed(f"the token can read {repo} but not write there ({use}): grant Issues, Contents "
                                  "and Pull requests write")
            return f"reachable with write access ({use})"
        _run(checks, f"github {repo}", repository)
    for member in config.roster:
        def person(member_name: str = member.name) -> str:
            found = next(m for m in config.roster if m.name == member_name)
            problems = []
            if found.github and not services.github.user_exists(found.github):
                problems.append(f"no GitHub user {found.github!r}")
            if found.slack and not services.slack.user_exists(found.slack):
                problems.append(f"no active Slack user {found.slack}")
            if emails and found.rotation and found.pagerduty_email and found.pagerduty_email not in emails:
                problems.append(f"no PagerDuty user with email {found.pagerduty_email}")
            if found.pagerduty_id and emails and found.pagerduty_id not in emails.values():
                problems.append(f"no PagerDuty user {found.pagerduty_id}")
            if problems:
                raise CheckFailed("; ".join(problems) + ": fix the roster in oncall.toml")
            return "resolves in " + ", ".join(n for n, v in (("GitHub", found.github), ("Slack", found.slack),
                                                            ("PagerDuty", found.pagerduty_email)) if v)
        _run(checks, f"roster {member.name}", person)
    if config.reviews:
        for review_repo in config.reviews.repos:
            def digest_query(repo: str = review_repo) -> str:
                pulls = services.github.pulls_for_review(repo)  # the digest's own query
                if "statusCheckRollup" in services.github.forbidden_fields:
                    raise CheckFailed(f"the review digest's query on {repo} is refused the PRs' checks: give the "
                                      "token Checks: read and Commit statuses: read")
                return f"the review digest's query reads {len(pulls)} open PR(s) in {repo}, checks included"
            _run(checks, f"github review digest {review_repo}", digest_query)
    if config.epics.link_with == "github":
        links = EpicLinks(services, config, at)
        for epic in config.super_epics:
            def room(found: SuperEpic = epic) -> str:
                left = links.room(found)
                if left <= 10:
                    raise CheckFailed(f"{found.issue} has room for {left} more sub-issue(s) (GitHub allows "
                                      f"{SUB_ISSUE_CAP}, closed ones included): the product continues in a child "
                                      "epic when it is full, or move closed ones out now")
                return f"{found.issue} has room for {left} more sub-issue(s)"
            _run(checks, f"epic {epic.key}", room)
    if config.epics.link_with == "zenhub":
        for epic in config.super_epics:
            def zenhub(epic_key: str = epic.key) -> str:
                found = config.epic(epic_key)
                if services.zenhub.issue(services.github.repo_id(found.repo), found.number, attempts=1) is None:
                    raise CheckFailed(f"ZenHub does not see {found.issue}: connect the repository to the workspace")
                return f"ZenHub sees {found.issue}"
            _run(checks, f"zenhub {epic.key}", zenhub)
    if config.tracking:
        tracking = config.tracking

        def sheet() -> str:
            snapshot = services.sheets.snapshot(tracking.spreadsheet_id, [])
            missing = sorted(set(tracking.sections.values()) - snapshot.titles)
            note = f"; {len(missing)} worksheet(s) will be created on first use" if missing else ""
            return (f"the spreadsheet is reachable ({len(snapshot.titles)} worksheets) with "
                    f"{services.sheets.credentials_kind}{note}")
        _run(checks, "google sheet", sheet)
    if config.iam:
        iam = config.iam

        def credential_report() -> str:
            services.iam(iam.region).can_generate_report()
            return f"the credential report may be generated in {iam.region}"
        _run(checks, "aws iam", credential_report)
    return checks


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    report = Report(JOB, dry_run=True, at=at)
    checks = examine(services, config, at)
    failed = [c for c in checks if not c.ok]
    report.facts = {"checks": len(checks), "failed": len(failed)}
    report.extra = {"checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in checks]}
    report.errors = [f"{c.name}: {c.detail}" for c in failed]
    report.markdown = "\n".join(f"- {'✅' if c.ok else '❌'} **{c.name}**: {c.detail}" for c in checks)
    report.api_calls = services.calls.snapshot()
    return report
