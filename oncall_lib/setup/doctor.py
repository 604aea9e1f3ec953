"""The doctor: with the real environment, check everything a first real run needs. Read-only.

A checklist: first one line per missing credential (naming the duties that
need it and how to get it), then every step the configuration silently leaves
out (a warning naming the step and the setting), then each enabled duty's own
checks (declared in `oncall_lib.duties`), one line each: ok, a warning, skipped
(with why), or what is wrong and how to fix it. It looks ahead: every channel a
duty reads or posts to, and every person the support layer will hand the role
to in the coming weeks, so what would fail tomorrow fails here today. A duty
that is off is not checked, and a check that would only repeat a missing
credential is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from oncall_lib.config import SLACK_USER_ID, WEEKDAYS, Config, SuperEpic, product_repo
from oncall_lib.duties import CREDENTIALS, duty, enabled, permissions, systems_needed
from oncall_lib.duty import Check
from oncall_lib.errors import MissingSecret, OncallError
from oncall_lib.github_permissions import configured_needs, missing_permissions
from oncall_lib.report import Report
from oncall_lib.rotation.on_support import member_for_shift, read_schedule, roster_match
from oncall_lib.rotation.schedule import (
    ScheduleProblem,
    family_turns,
    is_active,
    override_runs,
    role_timeline,
    select_layer,
    support_layers,
    support_overrides,
)
from oncall_lib.services import Services
from oncall_lib.services.epics import ROOM_MADE, SUB_ISSUE_CAP, EpicLinks
from oncall_lib.services.github import InstallationInfo, WorkflowState
from oncall_lib.setup.coverage import channel_uses, heartbeat_channel_key, steps_left_out

JOB = "doctor"


def _run(checks: list[Check], name: str, probe: Callable[[], str]) -> None:
    """Run one probe; an API error is a failed check, not a crash."""
    try:
        checks.append(Check(name, True, probe()))
    except MissingSecret:
        pass  # already one line in the credentials checklist
    except CheckWarned as exc:
        checks.append(Check.warning(name, str(exc)))
    except CheckSkipped as exc:
        checks.append(Check.skipped(name, str(exc)))
    except CheckFailed as exc:
        checks.append(Check(name, False, str(exc)))
    except (OncallError, ScheduleProblem) as exc:
        checks.append(Check(name, False, str(exc)))


class CheckFailed(Exception):
    pass


class CheckWarned(Exception):
    """It works, but something will be left out or go wrong later: a warning, not a failure."""


class CheckSkipped(Exception):
    """It could not be checked (and says why): never shown as ok."""


def slack_scopes(config: Config) -> dict[str, str]:
    """The bot scopes the enabled duties use, with what for (the manifest lists every duty's)."""
    return {scope: needs[0][1].why for scope, needs in permissions("slack", config).items()}


def _environment(services: Services) -> Mapping[str, str]:
    endpoints = services.endpoints
    return endpoints.required_env if endpoints.required_env is not None else endpoints.env


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
        checks.append(Check.skipped("workflows", "not checked: set [automation] repo (or run in Actions) to check "
                                                 "that GitHub runs each workflow"))
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


def product_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    """The product itself: which GitHub credentials, what the App's installations cover, its workflows' states."""
    checks: list[Check] = []

    def github_credentials() -> str:
        if services.github.uses_app:
            return "the GitHub App's id and key: the product mints and renews its installation tokens"
        return ("a token (ONCALL_GITHUB_TOKEN); the GitHub App is recommended: its tokens are minted per run and "
                "belong to no person (docs/credentials.md)")

    _run(checks, "github credentials", github_credentials)
    if any(c.name == "github credentials" and c.ok for c in checks) and services.github.uses_app:
        _github_app_checks(services, config, checks)
    if any(c.name == "github credentials" for c in checks):
        _workflow_checks(services, config, checks)
    return checks


def credential_checks(services: Services, config: Config) -> list[Check]:
    """One line per system the enabled duties need: its credentials present, or which duties miss them."""
    checks = []
    env = dict(_environment(services))
    for system, duties in systems_needed(config).items():
        credential = CREDENTIALS[system]
        if not credential.options:
            continue  # found by the SDK itself (AWS): the duty's own check says whether it works
        who = ", ".join(d.name for d in duties)
        if credential.satisfied(env):
            checks.append(Check(f"{credential.name} credentials", True, f"set (for {who})"))
        else:
            checks.append(Check(f"{credential.name} credentials", False,
                                f"{credential.variables()} not set; needed by {who}; to get it: {credential.how}"))
    return checks


def _repository(checks: list[Check], services: Services, repo: str, use: str) -> None:
    def probe() -> str:
        found = services.github.repo_permissions(repo)
        if found is None:
            raise CheckFailed(f"the token cannot see {repo} ({use}): give the GitHub App or token access to it")
        if found and not (found.get("push") or found.get("admin") or found.get("maintain")):
            raise CheckFailed(f"the token can read {repo} but not write there ({use}): grant Issues, Contents "
                              "and Pull requests write")
        return f"reachable with write access ({use})"
    _run(checks, f"github {repo}", probe)


def _channel(checks: list[Check], services: Services, config: Config, key: str) -> None:
    """The app's membership of a channel, naming everything the enabled duties do there: reading history and
    replying answer not_in_channel otherwise, and a post there would be the first thing to fail."""
    channel = config.slack.channel(key)
    uses = "; ".join(channel_uses(config).get(key, []))
    why = f" ({uses})" if uses else ""

    def membership() -> str:
        # Several duties use one channel: one read, however many of them ask.
        info = services.once(("doctor channel", channel.id), lambda: services.slack.channel(channel.id))
        if not info.is_member:
            raise CheckFailed(f"the app is not a member of {channel.label}{why}: /invite it there, or each of "
                              "those fails with not_in_channel")
        if info.is_private and any("read" in use for use in channel_uses(config).get(key, [])):
            # The app's scopes are the public channels' (channels:history): a private one answers missing_scope.
            granted = services.once(("doctor scopes",), services.slack.granted_scopes)
            if granted is not None and "groups:history" not in granted:
                raise CheckFailed(f"{channel.label} is private, and reading it needs the groups:history scope, which "
                                  "the app is not granted: make the channel public, or add the scope and reinstall")
        return f"the app is a member of {channel.label}{why}"
    _run(checks, f"slack channel {key}", membership)


def _channels(checks: list[Check], services: Services, config: Config, keys: Sequence[str | None]) -> None:
    for key in keys:
        if key:
            _channel(checks, services, config, key)


def left_out_checks(config: Config) -> list[Check]:
    """One warning per step the configuration silently turns off (no API call)."""
    return [Check.warning(f"setting: {item.what}", f"{duty(item.duty).name}: {item.step}: {item.fix}")
            for item in steps_left_out(config)]


def handoff_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    """The Slack app, the support channel, the schedule and its layer, the roster, the Super Epics."""
    checks: list[Check] = []

    def slack_token() -> str:
        identity = services.slack.identity()
        return f"the bot token works ({identity['url']}, bot user {identity['user_id']})"

    def scopes() -> str:
        wanted = slack_scopes(config)
        granted = services.slack.granted_scopes()
        if granted is None:
            raise CheckSkipped("not checked: Slack did not list the token's scopes; compare them with "
                               "slack-app-manifest.yml by hand")
        missing = sorted(set(wanted) - granted)
        if missing:
            raise CheckFailed("missing scope(s) " + ", ".join(f"{m} ({wanted[m]})" for m in missing)
                              + ": add them under OAuth & Permissions (or from the manifest) and reinstall the app")
        return f"all {len(wanted)} scopes the enabled duties use are granted"

    _run(checks, "slack token", slack_token)
    _run(checks, "slack scopes", scopes)
    # The support channel, and the channels the handoff's two messages go to ([rotation] announce_channel;
    # team_channel, else operations).
    _channels(checks, services, config, [config.slack.support_channel, config.rotation.announce_channel,
                                         config.rotation.team_channel or config.slack.operations_channel])
    if config.rotation.slack_user_group:
        def usergroup(handle: str = config.rotation.slack_user_group) -> str:
            found = services.slack.usergroup(handle)  # plan_upgrade_required on free plans, named by the error
            if found is None:
                raise CheckFailed(f"no user group {handle!r} in the workspace: create it (Slack's paid plans only)")
            return f"the user group {handle} exists ({len(found[1])} member(s)); the handoff keeps it in sync"
        _run(checks, "slack user group", usergroup)

    def pagerduty() -> str:
        # Each read goes the way `schedule_kind` says: PagerDuty keeps /schedules readers out of shift-based ones.
        found = read_schedule(services, config, at, at)
        schedule, _overrides = found.layered(config.rotation.support_layer)
        layer = select_layer(schedule, config.rotation.support_layer, at)
        if found.kind == "shifts":
            return (f"shift-based schedule {found.raw.get('name')!r} and support rotation {layer.get('name')!r} "
                    f"({layer.get('id')}) found")
        return f"schedule {schedule.get('name')!r} and support layer {layer.get('name')!r} ({layer.get('id')}) found"

    _run(checks, "pagerduty schedule", pagerduty)

    def layer_shape() -> str:
        rotation = config.rotation
        found = read_schedule(services, config, at, at + timedelta(days=14))
        schedule, shift_overrides = found.layered(rotation.support_layer)
        family = support_layers(schedule, rotation.support_layer, at)
        restricted = [r for layer in family if is_active(layer, at) for r in layer.get("restrictions") or []]
        length = max(int(layer.get("rotation_turn_length_seconds") or 0) for layer in family if is_active(layer, at))
        pieces = shift_overrides if shift_overrides is not None else support_overrides(schedule, family)
        runs = override_runs(family_turns(family), pieces, timedelta(hours=rotation.min_override_hours))
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
        schedule, _overrides = read_schedule(services, config, at - timedelta(days=21), at).layered(
            rotation.support_layer)
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
    for repo in sorted({epic.repo for epic in config.super_epics}):
        _repository(checks, services, repo, "Super Epics")
    for member in config.roster:
        def person(member_name: str = member.name) -> str:
            found = next(m for m in config.roster if m.name == member_name)
            problems = []
            held_by = services.github.user_id(found.github) if found.github else None
            if found.github and held_by is None and not found.github_id:
                problems.append(f"no GitHub user {found.github!r}")
            if found.github and found.github_id and held_by != found.github_id:
                problems.append(_account_moved(found.github, found.github_id, held_by,
                                               services.github.login_of(found.github_id)))
            if found.slack and not services.slack.user_exists(found.slack):
                problems.append(f"no active Slack user {found.slack}")
            if emails and found.rotation and found.pagerduty_email and found.pagerduty_email not in emails:
                problems.append(f"no PagerDuty user with email {found.pagerduty_email}")
            if found.pagerduty_id and emails and found.pagerduty_id not in emails.values():
                problems.append(f"no PagerDuty user {found.pagerduty_id}")
            if problems:
                raise CheckFailed("; ".join(problems) + ": fix the roster in oncall.toml")
            if found.github and held_by and not found.github_id:
                raise CheckWarned(f"GitHub login {found.github!r} but no github_id: add `github_id = {held_by}` "
                                  "to their [[roster]] entry, so only this account acts as them (/oncall commands, "
                                  "covers) even after a rename, and nobody who later claims the login does")
            return "resolves in " + ", ".join(n for n, v in (("GitHub", found.github), ("Slack", found.slack),
                                                            ("PagerDuty", found.pagerduty_email)) if v)
        _run(checks, f"roster {member.name}", person)
    _run(checks, "support layer people", lambda: _layer_people(services, config, at, emails))
    _review_people(checks, services, config)
    # The channels every duty shares: the dead man's switch (each tick) wherever it posts.
    if config.automation.heartbeat_hours:
        _channels(checks, services, config, [heartbeat_channel_key(config)])
    return checks


def _account_moved(login: str, pinned: int, held_by: int | None, now_named: str | None) -> str:
    """Why a roster member's login no longer names the account the roster pins, and what to change."""
    if now_named:
        said = f"their account (github_id {pinned}) was renamed to {now_named!r}"
        said += (f", and {login!r} now belongs to another account (id {held_by}), which acts as nobody" if held_by
                 else f", and nobody holds {login!r} now")
        return said + f": set github = \"{now_named}\" (the handoff assigns the Super Epics by login)"
    if held_by:
        return (f"{login!r} now belongs to another account (id {held_by}) and no account has github_id {pinned}: "
                "the login was re-claimed after their account was deleted, and it acts as nobody; find their new "
                "account and set github and github_id to it (or, if that account really is theirs, "
                f"github_id = {held_by})")
    return (f"no GitHub user {login!r} and no account with github_id {pinned}: their account was deleted; set github "
            "and github_id to their new account, or remove both")


# How far ahead the doctor reads the support layer for the people it will hand the role to.
LAYER_LOOKAHEAD = timedelta(weeks=6)


def _layer_people(services: Services, config: Config, at: datetime, emails: dict[str, str]) -> str:
    """Everyone the support layer (and the overrides that move the role) hands the role to in the coming weeks
    is on the roster, in the rotation, with a GitHub login: otherwise the handoff cannot assign them the Super
    Epics (nor unassign them afterwards) and names them in Slack by PagerDuty's name only."""
    rotation = config.rotation
    found = read_schedule(services, config, at, at + LAYER_LOOKAHEAD)
    schedule, overrides = found.layered(rotation.support_layer)
    timeline = role_timeline(schedule, rotation.support_layer, at,
                             min_override=timedelta(hours=rotation.min_override_hours), overrides=overrides)
    by_id = {user_id: email for email, user_id in emails.items()}
    tz = config.team.tz
    problems: list[str] = []
    people: set[str] = set()
    for shift in timeline:
        if shift.end <= at or shift.user_id in people:
            continue
        people.add(shift.user_id)
        member = member_for_shift(config, shift) or roster_match(config, email=by_id.get(shift.user_id, ""))
        start = shift.start.astimezone(tz)
        who = f"{shift.user_name or shift.user_id} ({shift.user_id}), on support from {start:%a %d %b}"
        if member is None:
            problems.append(f"{who}, is not on the roster: the handoff cannot assign or unassign them (add a "
                            "[[roster]] entry with their pagerduty_email)")
        elif not member.rotation:
            problems.append(f"{who}, has rotation = false in the roster: they would never be unassigned from the "
                            "Super Epics (set rotation = true, or take them off the layer)")
        elif not member.github:
            problems.append(f"{who}, has no GitHub login in the roster: the Super Epics cannot be assigned to them")
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"all {len(people)} people who hold the role in the next {LAYER_LOOKAHEAD.days // 7} weeks are on the "
            "roster")


def _review_people(checks: list[Check], services: Services, config: Config) -> None:
    """[review]'s PM and tech lead: a roster member, else a GitHub login or Slack id that exists (the report
    mentions them; a typo would mention a stranger, or nobody)."""
    if not duty("tracking").is_on(config):
        return
    for role in ("pm", "tech_lead"):
        value = getattr(config.review, role)
        if not value or _roster_person(config, value):
            continue

        def exists(value: str = value, role: str = role) -> str:
            found = value.strip().lstrip("@")
            if SLACK_USER_ID.match(found):
                if not services.slack.user_exists(found):
                    raise CheckFailed(f"review.{role} = {value!r}: no active Slack user {found}")
                raise CheckWarned(f"review.{role}: Slack user {found}, not on the roster: the report mentions them "
                                  "in Slack only (a [[roster]] entry with rotation = false reaches them on GitHub too)")
            if not services.github.user_exists(found):
                raise CheckFailed(f"review.{role} = {value!r}: no GitHub user {found!r}: the report would mention "
                                  "nobody (or a stranger who takes the name): add them to [[roster]]")
            raise CheckWarned(f"review.{role}: GitHub user @{found}, not on the roster: the report mentions them on "
                              "GitHub only (a [[roster]] entry with rotation = false reaches them in Slack too)")
        _run(checks, f"review {role.replace('_', ' ')}", exists)


def _roster_person(config: Config, value: str) -> bool:
    wanted = value.strip().lstrip("@").casefold()
    return any(wanted in {m.name.casefold(), (m.github or "").casefold(), (m.slack or "").casefold()}
               for m in config.roster)


def channel_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    """The request watch: the app is in every watched channel and in the operations channel it escalates to."""
    checks: list[Check] = []
    _channels(checks, services, config, [c.key for c in config.slack.watched] + [config.slack.operations_channel])
    if config.answers:
        _channels(checks, services, config, list(config.answers.channels))
    return checks


def epic_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    """Room on the Super Epics (GitHub sub-issues) or ZenHub seeing them: what linking issues needs."""
    checks: list[Check] = []
    if config.epics.link_with == "github":
        links = EpicLinks(services, config, at)
        for epic in config.super_epics:
            def room(found: SuperEpic = epic) -> str:
                left, child = links.room(found), links.continuation(found)
                where = f"{child.repo}#{child.number}" if child else found.issue
                if links.full_of_open(found):
                    raise CheckFailed(f"{where} is full ({SUB_ISSUE_CAP} sub-issues, none closed): no room can be "
                                      "made for new items; move one out by hand")
                if child is not None:
                    made = ROOM_MADE.search(child.body)
                    note = f" (room made on {made['day']}: {made['moved']} moved there)" if made else ""
                    text = (f"{found.issue} is full and continues in its child epic #{child.number}{note}, which has "
                            f"room for {left} more sub-issue(s)")
                    if left <= 10:
                        raise CheckFailed(f"{text}: the product opens another child epic when it is full")
                    return text
                if left <= 10:
                    raise CheckFailed(f"{found.issue} has room for {left} more sub-issue(s) (GitHub allows "
                                      f"{SUB_ISSUE_CAP}, closed ones included): the product continues in a child "
                                      "epic when it is full, moving its oldest closed sub-issue there if need be")
                return f"{found.issue} has room for {left} more sub-issue(s)"
            _run(checks, f"epic {epic.key}", room)
    else:
        for epic in config.super_epics:
            def zenhub(epic_key: str = epic.key) -> str:
                found = config.epic(epic_key)
                if services.zenhub.issue(services.github.repo_id(found.repo), found.number, attempts=1) is None:
                    raise CheckFailed(f"ZenHub does not see {found.issue}: connect the repository to the workspace")
                return f"ZenHub sees {found.issue}"
            _run(checks, f"zenhub {epic.key}", zenhub)
    return checks


def support_issue_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    checks: list[Check] = []
    rules = config.support_issues
    if rules:
        _repository(checks, services, rules.repo, "support issues")
        for repo in rules.pr_repos:
            _repository(checks, services, repo, "support PRs")
        _channels(checks, services, config, [c.key for c in config.slack.watched])
    return checks + epic_checks(services, config, at)


def postmortem_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    checks: list[Check] = []
    if config.postmortems and config.postmortems.documents_repo:
        _repository(checks, services, config.postmortems.documents_repo, "postmortem documents")
    # The epics are checked once, with the support issues, when those are on too.
    return checks + ([] if config.support_issues else epic_checks(services, config, at))


def iam_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    checks: list[Check] = []
    iam = config.iam
    if iam is None:
        return checks
    _repository(checks, services, iam.repo, "IAM cleanup PRs")

    def credential_report() -> str:
        try:
            services.iam(iam.region).can_generate_report()
        except OncallError as exc:
            if "IAM_AUDIT_ROLE_ARN" in str(exc):  # no credentials at all: the error already says where to set them
                raise CheckFailed(str(exc)) from None
            raise CheckFailed(f"{exc}; in Actions, set the IAM_AUDIT_ROLE_ARN variable to a role GitHub's OIDC "
                              "provider may assume; by hand, AWS credentials in the environment or "
                              "iam_audit.py --credential-report FILE") from None
        return f"the credential report may be generated in {iam.region}"
    _run(checks, "aws iam", credential_report)
    _channels(checks, services, config, [config.slack.operations_channel])

    def audit_schedule() -> str:
        from oncall_lib.iam.schedule import unreachable, workflow_schedule

        problem = unreachable(workflow_schedule(), iam.audit_hour, config.team.tz, at)
        if problem:
            raise CheckFailed(problem)
        return f"iam-audit.yml starts a run at {iam.audit_hour:02d}:00 {config.team.tz.key} on every weekday"
    _run(checks, "iam schedule", audit_schedule)
    return checks


def review_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    checks: list[Check] = []
    for review_repo in config.reviews.repos if config.reviews else []:
        _repository(checks, services, review_repo, "review digest")

        def digest_query(repo: str = review_repo) -> str:
            pulls = services.github.pulls_for_review(repo)  # the digest's own query
            if "statusCheckRollup" in services.github.forbidden_fields:
                raise CheckFailed(f"the review digest's query on {repo} is refused the PRs' checks: give the "
                                  "token Checks: read and Commit statuses: read")
            return f"the review digest's query reads {len(pulls)} open PR(s) in {repo}, checks included"
        _run(checks, f"github review digest {review_repo}", digest_query)
    if config.reviews:
        _channels(checks, services, config, [config.slack.operations_channel])
    return checks


def deploy_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    checks: list[Check] = []
    if config.deploys:
        for repo in sorted({w.repo for w in config.deploys.workflows}):
            _repository(checks, services, repo, "deploy triage")
        _channels(checks, services, config, [config.deploys.channel])
    return checks


def covers_checks(services: Services, config: Config, at: datetime) -> list[Check]:
    """Covers and swaps make PagerDuty overrides: the key must be allowed to write them."""
    checks: list[Check] = []

    def pagerduty_writes() -> str:
        if not services.pagerduty.can_write_overrides(config.rotation.pagerduty_schedule):
            raise CheckFailed("PAGERDUTY_API_TOKEN is read-only, so an accepted cover or swap cannot become an "
                              "override: use a full-access key, or leave [covers] out")
        return ("the token may create overrides (checked with one that ends when it starts, which PagerDuty "
                "refuses without creating anything)")
    _run(checks, "pagerduty overrides", pagerduty_writes)
    return checks


def examine(services: Services, config: Config, at: datetime) -> list[Check]:
    on = enabled(config)
    checks = [Check("configuration", True, f"{config.source} is valid; duties on: "
                    + ", ".join(d.name for d in on))]
    checks += credential_checks(services, config)
    checks += left_out_checks(config)
    checks += product_checks(services, config, at)
    seen: set[str] = set()
    # Every channel an enabled duty reads or posts to, whichever duty's own checks name it (one read each).
    channels: list[Check] = []
    _channels(channels, services, config, list(channel_uses(config)))
    for check in [c for each in on for c in each.doctor_checks(services, config, at)] + channels:
        if check.name not in seen:  # a repository or channel two duties use is checked once
            seen.add(check.name)
            checks.append(check)
    return checks


MARKDOWN_MARKS = {"ok": "✅", "warn": "⚠️", "skip": "⏭️", "fail": "❌"}


def summary(checks: list[Check]) -> str:
    """The doctor's last line: how many of each."""
    counts = {state: sum(c.state == state for c in checks) for state in ("ok", "warn", "skip", "fail")}
    parts = [f"{counts['ok']} ok", f"{counts['warn']} warning(s)"] if counts["warn"] else [f"{counts['ok']} ok"]
    if counts["skip"]:
        parts.append(f"{counts['skip']} not checked")
    return ", ".join([*parts, f"{counts['fail']} to fix"])


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    report = Report(JOB, dry_run=True, at=at)
    checks = examine(services, config, at)
    failed = [c for c in checks if not c.ok]
    report.facts = {"checks": len(checks), "failed": len(failed)}
    report.facts["warnings"] = sum(c.state == "warn" for c in checks)
    report.facts["skipped"] = sum(c.state == "skip" for c in checks)
    report.extra = {"checks": [c.record() for c in checks]}
    report.errors = [f"{c.name}: {c.detail}" for c in failed]
    report.warnings = [f"{c.name}: {c.detail}" for c in checks if c.state == "warn"]
    report.markdown = "\n".join(f"- {MARKDOWN_MARKS[c.state]} **{c.name}**: {c.detail}" for c in checks)
    report.api_calls = services.calls.snapshot()
    return report
