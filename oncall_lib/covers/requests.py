"""`/oncall cover`, `/oncall swap`, `/oncall accept` and `/oncall decline` in a comment: the PagerDuty side.

observe: the schedule around now (one read: the support role's turns and every override), and the roster's
PagerDuty ids (one read of the users when the roster does not carry them).
plan: a request is one reply asking the person named (its marker says who covers what); an acceptance is
the overrides (one POST, one override per stretch of support time) and a reply saying what changed. Every
refusal is one line in the reply, and nothing reaches PagerDuty. The next handoff run moves the role by
the override rule it already has (rotation.min_override_hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_lib.config import GITHUB_LOGIN, Config
from oncall_lib.covers.windows import (
    DECLINED_MARKER,
    DONE_MARKER,
    CoverRequest,
    Refused,
    Window,
    check_cover,
    closed_requests,
    expired_requests,
    expires_at,
    parse_moments,
    parse_requests,
    plan_swap,
    span,
    when,
)
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor
from oncall_lib.rotation.on_support import LOOKBACK
from oncall_lib.rotation.schedule import (
    Shift,
    family_turns,
    override_runs,
    schedule_overrides,
    support_layers,
    support_time,
    support_view,
)
from oncall_lib.services import Services
from oncall_lib.services.github import Comment, IssueState
from oncall_lib.untrusted import github_text

VERBS = ("cover", "swap", "accept", "decline")


@dataclass
class Roster:
    """GitHub login (casefolded) -> PagerDuty user id, and PagerDuty id -> name, for the rotation's people."""

    ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class CoverState:
    schedule: dict[str, Any]
    family: list[dict[str, Any]]
    timeline: list[Shift]  # the support role's turns, each held until the next
    overrides: list[Shift]  # every override in the window, whole
    roster: Roster
    at: datetime


def roster_ids(services: Services, config: Config) -> Roster:
    """The roster's PagerDuty ids: from oncall.toml, else by email from PagerDuty's user list (one paged read)."""
    roster = Roster()
    emails: dict[str, str] | None = None
    for member in config.roster:
        if not member.github:
            continue
        user_id = member.pagerduty_id
        if user_id is None and member.pagerduty_email:
            if emails is None:
                emails = services.pagerduty.user_emails()
            user_id = emails.get(member.pagerduty_email)
        if user_id:
            roster.ids[member.github.casefold()] = user_id
            roster.names[user_id] = member.name
    return roster


def observe(services: Services, config: Config, at: datetime) -> CoverState:
    rotation = config.rotation
    if rotation.schedule_kind != "layers":
        raise Refused("covers need a classic (layered) PagerDuty schedule: overrides on a shift-based schedule "
                      "belong to its rotations")
    covers = config.covers
    ahead = timedelta(days=covers.lookahead_days if covers else 35)
    schedule = services.pagerduty.schedule(rotation.pagerduty_schedule, at - LOOKBACK, at + ahead)
    view = support_view(schedule, rotation.support_layer, at, min_override=timedelta(hours=rotation.min_override_hours))
    family = support_layers(schedule, rotation.support_layer, at)
    return CoverState(schedule, family, list(view.timeline), schedule_overrides(schedule), roster_ids(services, config),
                      at)


# -- plan (pure) -----------------------------------------------------------------------------


@dataclass
class CoverPlan:
    actions: list[Action] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _login(argument: str) -> tuple[str, str]:
    words = argument.split(None, 1)
    login = words[0].lstrip("@") if words else ""
    return login, words[1] if len(words) > 1 else ""


def _id_of(state: CoverState, login: str) -> str:
    found = state.roster.ids.get(login.casefold())
    if found is None:
        raise Refused(f"@{login} is not in the rotation's roster (with a PagerDuty user): only people on the "
                      "rotation can cover")
    return found


def _ask(issue: IssueState, request: CoverRequest, asker: str, config: Config) -> Action:
    tz = config.team.tz
    if request.kind == "cover":
        window = request.windows[0]
        text = (f"@{request.asked}: @{asker} asks you to cover oncall support {span(window, tz)}. Reply "
                "`/oncall accept` here to take it (PagerDuty gets the override), or `/oncall decline`.")
    else:
        theirs, mine = request.windows
        text = (f"@{request.asked}: @{asker} asks to swap turns: you take theirs ({span(theirs, tz)}) and they take "
                f"yours ({span(mine, tz)}). Reply `/oncall accept` here to make both overrides in PagerDuty, or "
                "`/oncall decline`.")
    return Action("github.comment", f"{issue.repo}#{issue.number}", f"ask @{request.asked} to {request.kind}",
                  {"repo": issue.repo, "number": issue.number, "body": f"{text}\n\n{request.marker()}"})


def plan_request(issue: IssueState, comment: Comment, verb: str, argument: str, comments: Sequence[Comment],
                 state: CoverState, config: Config, text: str = "") -> CoverPlan:
    """A cover or swap asked for: one reply to the person asked (once per comment), or a refusal. `comments`: the
    product's own; `text`: the digest of the asking comment's text, kept in the request's marker."""
    result = CoverPlan()
    if any(r.id == comment.id for r in parse_requests([c.body for c in comments])):
        return result  # already asked
    tz = config.team.tz
    try:
        login, rest = _login(argument)
        if not login:
            raise Refused(f"name who should {verb}, like `/oncall {verb} @grace-hopper`")
        if not GITHUB_LOGIN.match(login):
            raise Refused(f"`{github_text(login, 40, one_line=True)}` is not a GitHub login; name a roster member, "
                          f"like `/oncall {verb} @grace-hopper`")
        asked_id = _id_of(state, login)
        asker_id = _id_of(state, comment.author)
        if verb == "cover":
            start, end = parse_moments(rest, tz, state.at)
            window = Window(login, start, end)
            check_cover(window, asked_id, state.timeline, state.overrides, state.roster.names, state.at, tz)
            windows: tuple[Window, ...] = (window,)
        else:
            windows = plan_swap(comment.author, asker_id, login, asked_id, state.timeline, state.overrides,
                                state.roster.names, state.at, tz)
    except Refused as exc:
        result.problems.append(f"`/oncall {verb}`: {exc}")
        return result
    result.actions.append(_ask(issue, CoverRequest(comment.id, login, windows, text), comment.author, config))
    label = config.covers.asked_label if config.covers else None
    if label and label not in issue.labels:
        # While it waits for an answer: the hourly tick lists the issues so labelled to expire what nobody accepted.
        result.actions.append(Action("github.add_labels", f"{issue.repo}#{issue.number}", f"label {label}",
                                     {"repo": issue.repo, "number": issue.number, "labels": [label]}, after=0))
    return result


def asked(comments: Sequence[Comment]) -> list[tuple[CoverRequest, datetime | None]]:
    """The requests the product made in these comments, oldest first, each with when it was asked."""
    return [(request, c.created_at) for c in comments for request in parse_requests([c.body])]


def deadline(request: CoverRequest, asked_at: datetime | None, config: Config) -> datetime:
    hours = config.covers.expire_after_hours if config.covers else 0
    return expires_at(request, asked_at, timedelta(hours=hours) if hours else None)


def _pieces(state: CoverState, window: Window) -> list[tuple[datetime, datetime]]:
    return support_time(state.schedule, state.family, max(window.start, state.at), window.end)


def what_changes(state: CoverState, window: Window, user_id: str, config: Config) -> str:
    """Whether the handoff will move the role to the cover, by the override rule it applies to every override."""
    pieces = [Shift(user_id, window.login, a, b, override=True) for a, b in _pieces(state, window)]
    runs = override_runs(family_turns(state.family), pieces, timedelta(hours=config.rotation.min_override_hours))
    if runs and all(moves for _, _, moves in runs):
        return "the next handoff run gives them the role (Super Epics, topic, handoff message)"
    return (f"the turn stays where it is (under rotation.min_override_hours = {config.rotation.min_override_hours:g} "
            "h of support time), and the request watch escalates to them meanwhile")


def open_requests_for(login: str, comments: Sequence[Comment]) -> list[CoverRequest]:
    """The requests asking `login` that nobody accepted or declined yet, in the product's own `comments`."""
    bodies = [c.body for c in comments]
    closed = closed_requests(bodies)
    return [r for r in parse_requests(bodies) if r.asked.casefold() == login.casefold() and r.id not in closed]


def plan_accept(issue: IssueState, comment: Comment, verb: str, comments: Sequence[Comment], state: CoverState,
                config: Config, withdrawn: dict[int, str] | None = None) -> CoverPlan:
    """`/oncall accept` (or decline) by the person asked: the overrides and a reply, for each open request.
    `comments` are the product's own; `withdrawn`: request id -> why it no longer stands (its asking comment,
    read again by id at this moment, was deleted, edited, or is not by a roster member)."""
    result = CoverPlan()
    bodies = [c.body for c in comments]
    closed = closed_requests(bodies)
    if comment.id in closed.values():
        return result  # this comment's answer was already carried out
    expired = expired_requests(bodies)
    mine = [(r, t) for r, t in asked(comments)
            if r.asked.casefold() == comment.author.casefold() and r.id not in closed]
    if not mine:
        result.problems.append(f"`/oncall {verb}`: there is no open cover or swap request for @{comment.author} on "
                               "this issue")
        return result
    where, params = f"{issue.repo}#{issue.number}", {"repo": issue.repo, "number": issue.number}
    # When the answer was written (a run that carries it out late, or again, still honours it), else now.
    answered_at = min(comment.created_at, state.at) if comment.created_at else state.at
    for request, asked_at in mine:
        why = (withdrawn or {}).get(request.id)
        if why is not None and verb != "decline":
            result.problems.append(f"`/oncall accept`: the request in comment {request.id} no longer stands: {why}")
            continue
        ends = deadline(request, asked_at, config)
        if request.id in expired or answered_at >= ends:
            # Too late: what was asked no longer holds (the turn began without them), so nothing is made.
            result.problems.append(f"`/oncall {verb}`: the {request.kind} asked in comment {request.id} expired "
                                   f"{when(ends, config.team.tz)}, unaccepted, so PagerDuty is unchanged: ask again "
                                   "if it is still needed")
            continue
        if verb == "decline":
            result.actions.append(Action("github.comment", where, f"note that @{comment.author} declined",
                                         {**params, "body": f"@{comment.author} declined; PagerDuty is unchanged.\n\n"
                                          + DECLINED_MARKER.format(id=request.id, by=comment.id)}))
            continue
        try:
            overrides, lines = _accepted(request, state, config)
        except Refused as exc:
            result.problems.append(f"`/oncall accept`: {exc}")
            continue
        after = None
        if overrides:
            after = len(result.actions)
            result.actions.append(Action("pagerduty.create_overrides", config.rotation.pagerduty_schedule,
                                         f"{len(overrides)} override(s) for the {request.kind} asked in comment "
                                         f"{request.id}", {"schedule": config.rotation.pagerduty_schedule,
                                                           "overrides": overrides}))
        body = "\n".join(["Done in PagerDuty:", *lines, "", DONE_MARKER.format(id=request.id, by=comment.id)])
        result.actions.append(Action("github.comment", where, "say what changed", {**params, "body": body},
                                     after=after))
    return result


def _accepted(request: CoverRequest, state: CoverState, config: Config) -> tuple[list[dict[str, str]], list[str]]:
    """The overrides an accepted request still needs (an earlier run may have made them), and the reply's lines."""
    tz = config.team.tz
    needed: list[dict[str, str]] = []
    lines = []
    for window in request.windows:
        user_id = _id_of(state, window.login)
        if window.end <= state.at:
            raise Refused(f"the {request.kind} ended already ({span(window, tz)}): ask again")
        pieces = _pieces(state, window)
        if not pieces:
            raise Refused(f"the support layer has nobody to replace {span(window, tz)}")
        # An earlier run's overrides (its reply lost): the same person over each stretch, perhaps begun already.
        mine = [o for o in state.overrides if o.user_id == user_id]
        made = [(a, b) for a, b in pieces if any(o.start <= a and b <= o.end for o in mine)]
        others = [o for o in state.overrides if o not in mine and o.start < window.end
                  and o.end > max(window.start, state.at)]
        if others and not made:
            who = state.roster.names.get(others[0].user_id) or github_text(others[0].user_name, 60, one_line=True)
            other = Window(who, others[0].start, others[0].end)
            raise Refused(f"{who} got an override in that time since it was asked ({span(other, tz)}): ask again")
        needed += [{"start": a.isoformat(), "end": b.isoformat(), "user": user_id, "time_zone": config.team.time_zone}
                   for a, b in pieces if (a, b) not in made]
        name = state.roster.names.get(user_id, window.login)
        lines.append(f"- {name} (@{window.login}) is on oncall support {span(window, tz)}: "
                     f"{what_changes(state, window, user_id, config)}.")
    return needed, lines


def executors(services: Services) -> dict[str, Executor]:
    def create(action: Action) -> dict[str, object]:
        answers = services.pagerduty.create_overrides(action.params["schedule"], list(action.params["overrides"]))
        refused = [a for a in answers if int(a.get("status") or 0) != 201]
        if refused or len(answers) != len(action.params["overrides"]):
            said = "; ".join("; ".join(str(e) for e in a.get("errors") or []) for a in refused)
            raise ServiceError(f"PagerDuty refused {len(refused)} of {len(action.params['overrides'])} override(s): "
                               f"{said or 'no reason given'}")
        return {"overrides": [str((a.get("override") or {}).get("id", "")) for a in answers]}

    return {"pagerduty.create_overrides": create}
