"""The weekly handoff: whoever is on PagerDuty's support layer owns the Super Epics and the topic.

observe: the support layer around `at` (one schedule read), the incoming
person's identities, both epics' assignees, the support channel's topic, and
whether this rotation's announcement, the team's message and the start-of-turn
DM were already posted.
plan: at the change of turn, unassign the outgoing person on support (only them:
a teammate who assigned herself stays) and assign the incoming person; set the
topic if it differs as people read it; post the announcement (for requesters:
who is on support), the team's message (what waits, incidents, postmortem
items) and the DM once per rotation.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from oncall_lib.config import Channel, Config, SuperEpic
from oncall_lib.errors import ServiceError
from oncall_lib.handoff import handover
from oncall_lib.handoff.backlog import Backlog, read_backlog
from oncall_lib.handoff.topic import compose_topic, same_topic
from oncall_lib.plan import Action, Executor, Ref, apply, filled
from oncall_lib.recorder import AUTOMATIC, TaskRow
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.recorder import record_plan as tracking_plan
from oncall_lib.report import Report
from oncall_lib.rotation.on_support import Person, member_for_shift, on_support, roster_match
from oncall_lib.rotation.schedule import Handoff, ScheduleProblem, Shift
from oncall_lib.services import Services
from oncall_lib.services.github import IssueState
from oncall_lib.services.slack import Marker
from oncall_lib.untrusted import slack_link, slack_text

JOB = "rotate-assignees"
HANDOFF_EVENT = "oncall_support_handoff"
TEAM_EVENT = "oncall_support_handoff_team"
CHECKLIST_EVENT = "oncall_support_checklist"
PRETURN_EVENT = "oncall_support_before_turn"


@dataclass
class BeforeTurn:
    """The DM the next person gets the working day before their turn: what is waiting for them."""

    name: str
    channel: str
    shift: Shift
    posted: bool = False
    # What waits for them: the sections of the duties that are on (read once, only when the DM is due).
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EpicState:
    epic: SuperEpic
    issue: IssueState


@dataclass
class Observed:
    at: datetime
    handoff: Handoff
    incoming: Person | None = None
    epics: list[EpicState] = field(default_factory=list)
    support_topic: str = ""
    # The announcement (who is on support, in the channel requesters read): whether it is posted; the message
    # found, and whether its marker says the rotation's row reached the sheet.
    handoff_posted: bool = False
    handoff_message: dict[str, Any] | None = None
    handoff_logged: bool = True
    # The team's message (what waits, incidents, postmortem items, the handover issue): whether it is posted.
    team_posted: bool = True
    dm_channel: str | None = None
    dm_posted: bool = False
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # How the person on support was decided (their turn, an override, a short cover), for the report.
    rule: str = ""
    before_turn: BeforeTurn | None = None
    # [rotation] slack_user_group: its id and members, when configured and found.
    usergroup: tuple[str, list[str]] | None = None
    # [handover]: this turn's handover issue and what it waits for; what waits, when something is about to show it.
    handover: handover.HandoverState | None = None
    # What waits (the duties' sections, normal oncall since the last handoff), read only when one of the messages
    # or the handover issue is about to be posted.
    backlog: Backlog | None = None


def rotation_key(shift: Shift) -> str:
    """Identifies one rotation: who, and the instant their turn started (in UTC, so a change of the schedule's
    time zone is not a new turn). Markers carry it."""
    return f"{shift.user_id}/{shift.start.astimezone(UTC).isoformat()}"


def legacy_rotation_key(shift: Shift) -> str:
    """The key as markers before December 2026 wrote it (the start with the schedule's own offset)."""
    return f"{shift.user_id}/{shift.start.isoformat()}"


def marker(event_type: str, shift: Shift, payload: dict[str, Any] | None = None) -> Marker:
    return Marker(event_type, rotation_key(shift), payload or {}, aliases=(legacy_rotation_key(shift),))


def announce_channel(config: Config) -> Channel:
    """Where requesters read who is on support ([rotation] announce_channel; default: the support channel)."""
    key = config.rotation.announce_channel
    return config.slack.channel(key) if key else config.slack.support


def team_channel(config: Config) -> Channel | None:
    """Where the team reads what waits ([rotation] team_channel; default: the operations channel; else none)."""
    key = config.rotation.team_channel
    return config.slack.channel(key) if key else config.slack.operations


# -- observe ---------------------------------------------------------------------------------


def observe(services: Services, config: Config, at: datetime) -> Observed:
    support_now = on_support(services, config, at)
    observed = Observed(at=at, handoff=support_now.handoff, incoming=support_now.person,
                        warnings=support_now.warnings, rule=support_now.rule)
    current = observed.handoff.current
    if current is None or observed.incoming is None:
        observed.errors.append(
            f"nobody is on support layer {support_now.layer} at {at.isoformat()}: fill the gap in PagerDuty"
        )
        return observed

    for epic in config.super_epics:
        try:
            observed.epics.append(EpicState(epic, services.github.issue(epic.repo, epic.number)))
        except ServiceError as exc:
            observed.errors.append(f"Super Epic {epic.key} ({epic.issue}): {exc}")

    support = config.slack.support
    channel = services.slack.channel(support.id)
    observed.support_topic = channel.topic
    if not channel.is_member:
        observed.warnings.append(f"the app is not a member of {support.label}: invite it (/invite @app)")
    oldest = current.start.timestamp()
    posted = services.slack.find_marked(announce_channel(config).id, marker(HANDOFF_EVENT, current), oldest=oldest,
                                        now=at.timestamp())
    observed.handoff_posted = posted is not None
    payload = ((posted or {}).get("metadata") or {}).get("event_payload") or {}
    if posted is not None:
        observed.handoff_message = posted
        # Messages from before the flag existed were logged with the message.
        observed.handoff_logged = bool(payload.get("logged", True))
    team = team_channel(config)
    # The announcement's marker says whether the team's message went out with it (one message, before the flag).
    if team is not None and not (posted is not None and payload.get("team", True)):
        found = services.slack.find_marked(team.id, marker(TEAM_EVENT, current), oldest=oldest, now=at.timestamp())
        observed.team_posted = found is not None
    if observed.incoming.slack:
        try:
            observed.dm_channel = services.slack.open_dm(observed.incoming.slack)
        except ServiceError as exc:
            # A Slack account that is gone (user_not_found) costs the DM, not the epics or the topic.
            observed.warnings.append(f"no start-of-turn DM for {observed.incoming.name}: {exc}; check their slack "
                                     "id in oncall.toml")
    if observed.dm_channel:
        found = services.slack.find_marked(observed.dm_channel, marker(CHECKLIST_EVENT, current), oldest=oldest)
        observed.dm_posted = found is not None
    if config.handover:
        next_turn = observed.handoff.next
        observed.handover = handover.observe(services, config, at, observed.handoff, observed.incoming,
                                             observed.dm_channel, rotation_key(current),
                                             next_turn is not None and before_turn_due(at, next_turn, config))
    issue_missing = observed.handover is not None and observed.handover.current is None
    if (not observed.handoff_posted or not observed.team_posted or issue_missing
            or (observed.dm_channel and not observed.dm_posted)):
        # One reading of what waits, for the team's message, the start-of-turn DM and the handover issue alike:
        # read only when one of them is about to be posted.
        since = observed.handoff.previous.start if observed.handoff.previous else current.start
        observed.backlog = read_backlog(services, config, at, since, issue=issue_missing)
        observed.warnings += observed.backlog.warnings
    observed.before_turn = observe_before_turn(services, config, observed)
    group = config.rotation.slack_user_group
    if group and observed.incoming.slack:
        try:
            observed.usergroup = services.slack.usergroup(group)
            if observed.usergroup is None:
                observed.warnings.append(f"no Slack user group {group!r}: create it (paid plans), or leave "
                                         "[rotation] slack_user_group out")
        except ServiceError as exc:
            observed.warnings.append(f"the user group @{group.lstrip('@')} is not kept in sync: {exc}")
    return observed


def before_turn_due(at: datetime, turn: Shift, config: Config) -> bool:
    """From the handoff hour of the working day before the turn starts, until it starts."""
    clock = config.requests.business_hours.clock(config.team.tz)
    local = at.astimezone(config.team.tz)
    the_day = clock.previous_workday(turn.start.astimezone(config.team.tz).date())
    return at < turn.start and (local.date() > the_day or (local.date() == the_day
                                                            and local.hour >= config.rotation.handoff_hour))


def observe_before_turn(services: Services, config: Config, observed: Observed) -> BeforeTurn | None:
    """Reads only on the day before a turn: the next person's DM, and (once) what waits for them."""
    turn = observed.handoff.next
    if turn is None or not before_turn_due(observed.at, turn, config):
        return None
    member = member_for_shift(config, turn)
    if member is None or not member.slack:
        observed.warnings.append(f"no before-the-turn DM for {turn.user_name}: no slack id in the roster")
        return None
    try:
        channel = services.slack.open_dm(member.slack)
    except ServiceError as exc:
        observed.warnings.append(f"no before-the-turn DM for {member.name}: {exc}")
        return None
    found = services.slack.find_marked(channel, marker(PRETURN_EVENT, turn),
                                       oldest=(turn.start - timedelta(days=7)).timestamp())
    before = BeforeTurn(member.name, channel, turn, posted=found is not None)
    if before.posted:
        return before
    backlog = read_backlog(services, config, observed.at, heads_up=True)
    observed.warnings += backlog.warnings
    before.lines = backlog.heads_up_lines()
    return before


def before_turn_text(before: BeforeTurn, config: Config) -> str:
    lines = [f":calendar: Heads-up: you are on oncall support from {_when(before.shift.start, config)} until "
             f"{_when(before.shift.end, config)}. Here is what waits for you."]
    return "\n".join(lines + before.lines)


# -- plan (pure) -----------------------------------------------------------------------------


def _when(value: datetime, config: Config) -> str:
    return value.astimezone(config.team.tz).strftime("%a %d %b %H:%M %Z")


def _person_label(shift: Shift | None, config: Config) -> str:
    if shift is None:
        return "nobody"
    member = roster_match(config, pagerduty_id=shift.user_id)
    if member and member.slack:
        return f"<@{member.slack}>"
    return slack_text(shift.user_name)


def handoff_text(observed: Observed, config: Config) -> str:
    """The announcement, in the channel requesters read: who is on support, from when until when, who is next.
    Nothing internal: what waits, incidents and postmortem items are the team's message."""
    handoff, person = observed.handoff, observed.incoming
    assert handoff.current and person
    lines = [
        f":wave: *Oncall support handoff*: {person.mention} is the first point of contact "
        f"from {_when(handoff.current.start, config)} until {_when(handoff.current.end, config)}",
    ]
    if handoff.previous:
        lines.append(f"Taking over from {_person_label(handoff.previous, config)}. Thank you!")
    if handoff.next:
        lines.append(f"Next up: {slack_text(handoff.next.user_name)} from {_when(handoff.next.start, config)}")
    return "\n".join(lines)


def team_lines(observed: Observed, config: Config) -> list[str]:
    """What the team reads at the handoff: the epics, the handover issue and notes, and each duty's section."""
    lines = []
    if observed.epics:
        lines.append("Super Epics: " + ", ".join(slack_link(e.issue.html_url, e.epic.title or e.issue.title)
                                                 for e in observed.epics))
    lines += handover.message_lines(observed.handover, observed.backlog, config)
    return lines + (observed.backlog.message_lines() if observed.backlog else [])


def team_text(observed: Observed, config: Config) -> str:
    """The team's message, in the team's channel."""
    handoff, person = observed.handoff, observed.incoming
    assert handoff.current and person
    head = (f":clipboard: *Oncall support handoff, for the team*: {slack_text(person.name)} is on support until "
            f"{_when(handoff.current.end, config)}"
            + (f", taking over from {slack_text(handoff.previous.user_name)}" if handoff.previous else ""))
    return "\n".join([head, *team_lines(observed, config)])


def _repo_url(observed: Observed, repo: str) -> str:
    """A repository's web address, as GitHub gave it for an epic in it (GitHub Enterprise, the sandbox)."""
    for state in observed.epics:
        if state.epic.repo.casefold() == repo.casefold() and "/issues/" in state.issue.html_url:
            return state.issue.html_url.split("/issues/", 1)[0]
    return f"https://github.com/{repo}"


def start_of_turn_text(observed: Observed, config: Config) -> str:
    """The DM the person on support reads as their turn starts: what to do first, then where everything is, each
    a link (the requests waiting, the epics, the channels, the open issues, the sheet)."""
    handoff = observed.handoff
    assert handoff.current
    support = config.slack.support
    lines = [f":wave: You are on oncall support from {_when(handoff.current.start, config)} until "
             f"{_when(handoff.current.end, config)}: the first point of contact, not the one who does everything."]
    backlog = observed.backlog or Backlog()
    now, quiet = backlog.first(now=True), backlog.first(now=False)
    if now is not None:
        lines += [f"*First:* {now.first}", *now.first_lines]
    elif quiet is not None:
        lines += [f"*First:* nothing is waiting. Skim <#{support.id}> for anything new, then, {quiet.first}",
                  *quiet.first_lines]
    else:
        lines.append(f"*First:* nothing is waiting. Skim <#{support.id}> for anything new.")
    if handoff.previous:
        lines.append(f"Ask {_person_label(handoff.previous, config)} about anything still in flight.")
    if observed.epics:
        lines.append("You are assigned to the Super Epics: " + ", ".join(
            slack_link(e.issue.html_url, e.epic.title or e.issue.title) for e in observed.epics) + ".")
    watched = [c for c in config.slack.watched if c.id != support.id]
    lines.append(f"Requests come in <#{support.id}>" + (": also watch " + ", ".join(f"<#{c.id}>" for c in watched)
                                                        if watched else "") + ".")
    rules = config.support_issues
    if rules:
        query = urllib.parse.quote(f'is:open label:"{rules.labels[0]}"', safe=":")
        lines.append(f"A request that takes more than 30 minutes becomes a "
                     f"{slack_link(f'{_repo_url(observed, rules.repo)}/issues?q={query}', 'support issue')} "
                     f"(react :{rules.ticket_reaction}: to it); past two hours of work, bring it to the team.")
    if config.tracking:
        sheet = f"https://docs.google.com/spreadsheets/d/{config.tracking.spreadsheet_id}/edit"
        lines.append(f"Log each task in the {slack_link(sheet, 'Support Incidents Spreadsheet')}.")
    lines += [f"• {item}" for item in config.rotation.handoff_checklist]
    if team_channel(config) is None:
        # No team channel: what the team's message would have said reaches the incoming person instead.
        lines += handover.message_lines(observed.handover, observed.backlog, config)
        lines += [line for section in backlog.sections if section is not (now or quiet) for line in section.message]
    return "\n".join(lines)


def plan(observed: Observed, config: Config) -> tuple[list[Action], list[str]]:
    """Actions that bring GitHub and Slack in line with who is on support; plus warnings."""
    current, person = observed.handoff.current, observed.incoming
    if current is None or person is None:
        return [], []
    actions: list[Action] = []
    warnings: list[str] = []
    if observed.handover is not None:
        actions += handover.plan(observed.handover, person, observed.handoff, observed.backlog, config,
                                 observed.dm_channel)
    created = next((i for i, a in enumerate(actions) if a.kind == "github.create_issue"), None)
    incoming = person.github.lower() if person.github else None
    outgoing = outgoing_login(observed, config)
    for state in observed.epics:
        epic, issue = state.epic, state.issue
        params = {"repo": epic.repo, "number": epic.number}
        assigned = {a.lower() for a in issue.assignees}
        # The change of turn on this epic: the incoming person not on it yet, or the turn's first run. Only then
        # does the outgoing person leave it (the product assigned them for their turn); a teammate who assigned
        # herself stays, and so does the outgoing person who comes back to help later in the turn.
        changing = incoming not in assigned or not observed.handoff_posted
        released = None
        stale = [a for a in issue.assignees if a.lower() == outgoing and a.lower() != incoming]
        if stale and changing:
            released = len(actions)
            actions.append(Action("github.unassign", epic.issue, f"unassign @{stale[0]}, the outgoing person "
                                  f"({epic.key})", {**params, "logins": stale}))
        if person.github and incoming not in assigned:
            # After the unassignment: should it fail, the next run sees the turn still changing and does both.
            actions.append(Action("github.assign", epic.issue, f"assign @{person.github} ({epic.key})",
                                  {**params, "logins": [person.github]}, after=released))

    support = config.slack.support
    values = {"name": person.name, "mention": person.mention, "github": person.github or person.name,
              "until": current.end.astimezone(config.team.tz).strftime("%a %d %b")}
    change = compose_topic(observed.support_topic, config.rotation.topic_template, values,
                           config.rotation.topic_separator)
    if change.dropped:
        warnings.append(f"the topic would exceed 250 characters; dropped: {' | '.join(change.dropped)}")
    if not same_topic(change.topic, observed.support_topic):
        actions.append(Action("slack.set_topic", support.label, "name the person on support in the topic",
                              {"channel": support.id, "topic": change.topic}))

    key = rotation_key(current)
    # Should the issue not open, the link still leads to the turns' issues.
    issues = (f"https://github.com/{config.support_issues.repo}/issues?q=label%3A{config.handover.label}"
              if config.support_issues and config.handover else "https://github.com")
    link = {} if created is None else {"url": Ref(created, "html_url", fallback=issues)}
    team = team_channel(config)
    team_post = None
    if team is not None and not observed.team_posted:
        team_post = len(actions)
        actions.append(Action("slack.post", team.label, f"the team's handoff message for {person.name}",
                              {"channel": team.id, "text": team_text(observed, config),
                               "marker": Marker(TEAM_EVENT, key, {"person": person.name}), **link}))
    if not observed.handoff_posted:
        announce = announce_channel(config)
        # Its marker says whether the team's message went out, so later runs need not look for it.
        posted_team: Any = True if team_post is None else Ref(team_post, "posted", fallback=False)
        actions.append(Action("slack.post", announce.label, f"handoff message for {person.name}",
                              {"channel": announce.id, "text": handoff_text(observed, config),
                               "marker": Marker(HANDOFF_EVENT, key, {"person": person.name}), "team": posted_team}))
    if observed.dm_channel and not observed.dm_posted:
        actions.append(Action("slack.post", f"DM {person.name}", "what to do first, with the links for the turn",
                              {"channel": observed.dm_channel, "text": start_of_turn_text(observed, config),
                               "marker": Marker(CHECKLIST_EVENT, key), **({} if team else link)}))
    if observed.usergroup and person.slack and observed.usergroup[1] != [person.slack]:
        group = str(config.rotation.slack_user_group).lstrip("@")
        actions.append(Action("slack.set_usergroup", f"@{group}", f"make {person.name} its only member",
                              {"usergroup": observed.usergroup[0], "users": [person.slack]}))
    before = observed.before_turn
    if before and not before.posted:
        actions.append(Action("slack.post", f"DM {before.name}", "what waits for them, the working day before "
                              "their turn", {"channel": before.channel, "text": before_turn_text(before, config),
                                             "marker": Marker(PRETURN_EVENT, rotation_key(before.shift))}))
    return actions, warnings


# -- apply -----------------------------------------------------------------------------------


def executors(services: Services) -> dict[str, Executor]:
    return {
        "github.assign": lambda a: services.github.add_assignees(a.params["repo"], a.params["number"],
                                                                 list(a.params["logins"])),
        "github.unassign": lambda a: services.github.remove_assignees(a.params["repo"], a.params["number"],
                                                                      list(a.params["logins"])),
        "slack.set_topic": lambda a: services.slack.set_topic(a.params["channel"], a.params["topic"]),
        "slack.set_usergroup": lambda a: services.slack.set_usergroup_users(a.params["usergroup"],
                                                                            list(a.params["users"])),
        "slack.post": lambda a: _post(services, a),
        **handover.executors(services),
        "slack.update": lambda a: services.slack.update(a.params["channel"], a.params["ts"], a.params["text"],
                                                        marker=a.params["marker"]),
    }


# Flags an action carries into its message's marker (filled when the plan runs: whether an earlier action landed).
MARKER_FLAGS = ("logged", "team")


def _post(services: Services, action: Action) -> dict[str, bool]:
    marker = action.params.get("marker")
    flags = {k: bool(action.params[k]) for k in MARKER_FLAGS if k in action.params}
    if marker is not None and flags:
        marker = Marker(marker.event_type, marker.key, {**marker.payload, **flags})
    services.slack.post(action.params["channel"], filled(action.params, "text"), marker=marker)
    return {"posted": True}  # for the announcement's marker: the team's message went out


def with_rotation_row(actions: list[Action], observed: Observed, sheet: list[Action], sheet_read: bool,
                      config: Config) -> list[Action]:
    """The rotation's row goes in first, and the handoff message's marker says whether it landed, so a lost
    sheet write is retried by a later run (and a later run that logs it marks the message)."""
    start = len(sheet)
    appended = next((i for i, a in enumerate(sheet) if a.kind == "sheet.append"), None)
    logged: Any = sheet_read if appended is None else Ref(appended, "appended", fallback=False)
    shifted = [Action(a.kind, a.target, a.detail,
                      {**_shift_refs(a.params, start), "logged": logged} if a.params.get("marker") and
                      a.params["marker"].event_type == HANDOFF_EVENT else _shift_refs(a.params, start),
                      None if a.after is None else a.after + start) for a in actions]
    message = observed.handoff_message
    if message is not None and not observed.handoff_logged and (appended is not None or sheet_read):
        payload = dict((message.get("metadata") or {}).get("event_payload") or {})
        found_key = str(payload.pop("key", ""))
        logged_marker = Marker(HANDOFF_EVENT, found_key, {**payload, "logged": True})
        shifted.append(Action("slack.update", config.slack.support.label, "note that the rotation is logged",
                              {"channel": config.slack.support.id, "ts": message["ts"],
                               "text": message.get("text", ""), "marker": logged_marker}, after=appended))
    return [*sheet, *shifted]


def _shift_refs(params: Any, start: int) -> dict[str, Any]:
    """Refs to earlier actions of the same plan, moved along with it behind the sheet's actions."""
    return {k: Ref(v.action + start, v.key, v.fallback) if isinstance(v, Ref) else v for k, v in params.items()}


def outgoing_login(observed: Observed, config: Config) -> str | None:
    """The GitHub login of the outgoing person on support: the one the product assigned for the last turn."""
    previous = observed.handoff.previous
    member = member_for_shift(config, previous) if previous else None
    if member is None or not member.github or not member.rotation:
        return None
    return member.github.lower()


def facts(observed: Observed, config: Config) -> dict[str, object]:
    handoff = observed.handoff
    out: dict[str, object] = {}
    if handoff.current and observed.incoming:
        out["on_support"] = observed.incoming.name
        out["since"] = handoff.current.start.astimezone(config.team.tz).isoformat()
        out["until"] = handoff.current.end.astimezone(config.team.tz).isoformat()
        out["override"] = handoff.current.override
    out["rule"] = observed.rule
    out["outgoing"] = handoff.previous.user_name if handoff.previous else None
    out["next"] = handoff.next.user_name if handoff.next else None
    out["next_takes_over"] = handoff.next.start.astimezone(config.team.tz).isoformat() if handoff.next else None
    if observed.handover is not None:
        issue = observed.handover.current
        out["handover_issue"] = issue.html_url if issue else None
        out["handover_acknowledged"] = observed.handover.acknowledged or observed.handover.ack_by_comment
    return out


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        observed = observe(services, config, at)
    except (ServiceError, ScheduleProblem) as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = facts(observed, config)
    actions, warnings = plan(observed, config)
    report.warnings = observed.warnings + warnings
    # Nobody on the layer, or an epic that cannot be read: the run still does what it can, but fails.
    report.errors = observed.errors
    sheet, sheet_read = tracking_plan(services, config, rotation_rows(observed, config), report.warnings)
    actions = with_rotation_row(actions, observed, sheet, sheet_read, config)
    report.outcomes = apply(actions, {**executors(services), **tracking_executors(services)}, dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report


def rotation_rows(observed: Observed, config: Config) -> list[TaskRow]:
    """One row per rotation, logged with the handoff message (so the steady hourly run reads no sheet)."""
    current, person = observed.handoff.current, observed.incoming
    if (observed.handoff_posted and observed.handoff_logged) or current is None or person is None:
        return []
    previous = f" from {observed.handoff.previous.user_name}" if observed.handoff.previous else ""
    return [TaskRow(key=f"rotation/{rotation_key(current)}", day=current.start.astimezone(config.team.tz).date(),
                    person=person.name, kind="rotation",
                    summary=f"Support handoff: {person.name} takes over{previous} until {_when(current.end, config)}",
                    channel=config.slack.support.label, by=AUTOMATIC)]
