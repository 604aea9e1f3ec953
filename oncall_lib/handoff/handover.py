"""The handover issue, as the hourly handoff run keeps it (with [handover]).

observe: the open handover issues (one list read a run); while this turn's issue is not acknowledged, its
comments (for a `/oncall ack` the event run missed) and, past the deadline, whether the reminder was sent; at
the handoff, the outgoing person's notes on their own turn's issue; the working day before a turn, whether
the outgoing person was asked for their notes; and the rotation report to link when an older issue closes.
plan: open this turn's issue once (assigned to the incoming person, prefilled with what waits), tick the box
for an ack made by comment, one reminder DM past `ack_business_hours`, one DM asking the outgoing person for
notes, and close each older turn's issue with a link to its report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_lib.authorship import github_identity, own
from oncall_lib.config import Config
from oncall_lib.handoff import handover_issue as handover
from oncall_lib.handoff.backlog import Backlog
from oncall_lib.plan import Action, Executor
from oncall_lib.report_issue import REPORT_LABEL, REPORT_MARKER
from oncall_lib.rotation.on_support import Person
from oncall_lib.rotation.schedule import Handoff, Shift
from oncall_lib.services import Services
from oncall_lib.services.github import Comment, IssueState
from oncall_lib.services.slack import Marker
from oncall_lib.untrusted import github_quote, github_text, slack_link, slack_text

REMINDER_EVENT = "oncall_support_handover_reminder"
NOTES_EVENT = "oncall_support_handover_notes"
# The handoff message's placeholder for the new issue's link: `<` cannot survive slack_text, so only ours exists.
# Filled by the plan with the new issue's URL (a Ref: the issue is opened by an earlier action of the same run).
LINK_PLACEHOLDER = "<{url}|open it>"
# An older turn's issue waits this long after the handoff for its report (the report runs the hour before).
REPORT_GRACE = timedelta(days=1)


@dataclass
class HandoverState:
    key: str
    current: IssueState | None = None
    acknowledged: bool = False
    ack_by_comment: bool = False  # a `/oncall ack` comment, while the box is still empty
    remind: bool = False  # past the deadline and not reminded yet
    notes: Comment | None = None  # the outgoing person's notes, for the new issue and the handoff message
    notes_from: str = ""
    ask_notes: bool = False  # the working day before the next turn, not asked yet
    to_close: list[tuple[IssueState, str | None]] = field(default_factory=list)


def _same_turn(found: tuple[str, datetime] | None, shift: Shift) -> bool:
    return found is not None and found[0] == shift.user_id and found[1] == shift.start


def observe(services: Services, config: Config, at: datetime, handoff: Handoff, person: Person,
            dm_channel: str | None, rotation_key: str, notes_due: bool) -> HandoverState:
    assert config.handover and config.support_issues and handoff.current
    rules, repo = config.handover, config.support_issues.repo
    current = handoff.current
    state = HandoverState(rotation_key)
    me = github_identity(services)
    # Only the product's own handover issues carry a marker it trusts (authorship.py).
    open_issues = own(services.github.issues(repo, labels=[rules.label], state="open"), me)
    state.current = next((i for i in open_issues if _same_turn(handover.turn_of(i.body), current)), None)
    if state.current is not None:
        issue = state.current
        state.acknowledged = handover.acknowledged(issue.body)
        if not state.acknowledged:
            logins = [*issue.assignees, *([person.github] if person.github else [])]
            state.ack_by_comment = any(handover.is_ack(c, logins) for c in services.github.comments(repo, issue.number))
            clock = config.requests.business_hours.clock(config.team.tz)
            since = max(current.start, issue.created_at or current.start)
            late = clock.minutes_between(since, at) >= rules.ack_business_hours * 60
            if late and not state.ack_by_comment and dm_channel:
                found = services.slack.find_marked(dm_channel, Marker(REMINDER_EVENT, rotation_key),
                                                   oldest=current.start.timestamp())
                state.remind = found is None
        if notes_due and dm_channel:
            found = services.slack.find_marked(dm_channel, Marker(NOTES_EVENT, rotation_key),
                                               oldest=(current.start - timedelta(days=1)).timestamp())
            state.ask_notes = found is None
    older = [i for i in open_issues if i is not state.current and (turn := handover.turn_of(i.body))
             and turn[1] < current.start]
    if state.current is None and handoff.previous:
        previous = next((i for i in older if _same_turn(handover.turn_of(i.body), handoff.previous)), None)
        if previous is not None:
            state.notes_from = previous.assignees[0] if previous.assignees else ""
            state.notes = handover.notes(services.github.comments(repo, previous.number), state.notes_from)
    if older:
        reports = own(services.github.issues(repo, labels=[REPORT_LABEL], state="all",
                                             since=min(t[1] for i in older if (t := handover.turn_of(i.body)))), me)
        for issue in older:
            turn = handover.turn_of(issue.body)
            report = next((r for r in reports if (m := REPORT_MARKER.search(r.body)) and turn
                           and m["user"] == turn[0] and _instant(m["start"]) == turn[1]), None)
            if report is not None or at >= current.start + REPORT_GRACE:
                state.to_close.append((issue, report.html_url if report else None))
    return state


def _instant(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# -- plan (pure) -----------------------------------------------------------------------------


def body(person: Person, handoff: Handoff, backlog: Backlog, notes: Comment | None, config: Config,
         key: str) -> str:
    current = handoff.current
    assert current
    tz = config.team.tz
    lines = [f"@{person.github} is on oncall support from {current.start.astimezone(tz):%a %d %b %H:%M %Z} until "
             f"{current.end.astimezone(tz):%a %d %b %H:%M %Z}"
             + (f", taking over from {_who(handoff.previous, config)}." if handoff.previous else "."), "",
             handover.ACK_BOX, "",
             "Comment here during the turn; the day before it ends, add your notes for the next person as a "
             "comment: the latest one is quoted in the next handoff. `/oncall cover @login FROM TO` and `/oncall "
             "swap @login` ask someone to take over for a while.", ""]
    if notes is not None:
        lines += [f"### Notes from {_who(handoff.previous, config)}", "", github_quote(notes.body, 3000), ""]
    lines += backlog.markdown()
    lines += ["", handover.marker(key)]
    return "\n".join(lines)


def _who(shift: Shift | None, config: Config) -> str:
    if shift is None:
        return "nobody"
    member = next((m for m in config.roster if m.pagerduty_id == shift.user_id
                   or m.name.casefold() == shift.user_name.casefold()), None)
    return f"@{member.github}" if member and member.github else github_text(shift.user_name, 60, one_line=True)


def plan(state: HandoverState, person: Person, handoff: Handoff, backlog: Backlog | None, config: Config,
         dm_channel: str | None) -> list[Action]:
    assert config.handover and config.support_issues and handoff.current
    repo, tz = config.support_issues.repo, config.team.tz
    actions: list[Action] = []
    if state.current is None and backlog is not None:
        title = handover.title(github_text(person.name, 60, one_line=True), handoff.current.start,
                               handoff.current.end, tz)
        actions.append(Action("github.create_issue", repo, f"open “{title}”",
                              {"repo": repo, "title": title, "labels": [config.handover.label],
                               "body": body(person, handoff, backlog, state.notes, config, state.key),
                               "assignees": [person.github] if person.github else []}))
    issue = state.current
    if issue is not None and state.ack_by_comment:
        actions.append(Action("github.edit_issue", f"{repo}#{issue.number}", "tick the acknowledgement (by comment)",
                              {"repo": repo, "number": issue.number, "body": handover.ticked(issue.body)}))
    if issue is not None and state.remind and dm_channel:
        hours = config.handover.ack_business_hours
        actions.append(Action("slack.post", f"DM {person.name}", "remind them to acknowledge the handover issue",
                              {"channel": dm_channel, "marker": Marker(REMINDER_EVENT, state.key),
                               "text": f"You are on oncall support: the handover issue "
                                       f"{slack_link(issue.html_url, issue.title)} is not acknowledged after "
                                       f"{hours:g} business hour(s). Tick its box or comment `/oncall ack` there."}))
    if issue is not None and state.ask_notes and dm_channel and handoff.next:
        actions.append(Action("slack.post", f"DM {person.name}", "ask for handover notes for the next person",
                              {"channel": dm_channel, "marker": Marker(NOTES_EVENT, state.key),
                               "text": f"Your turn ends {handoff.current.end.astimezone(tz):%a %d %b %H:%M %Z} and "
                                       f"{slack_text(handoff.next.user_name)} takes over. Add your notes for them "
                                       f"as a comment on {slack_link(issue.html_url, issue.title)}: the latest "
                                       "one is quoted in the handoff message and their handover issue."}))
    for old, report in state.to_close:
        said = (f"The turn is over: its [rotation report]({report}) has the figures, and the next turn has its own "
                "handover issue." if report else
                "The turn is over; no rotation report was published for it. The next turn has its own handover "
                "issue.")
        actions.append(Action("github.close_with_comment", f"{repo}#{old.number}", "close the last turn's handover "
                              "issue" + (" with a link to its report" if report else ""),
                              {"repo": repo, "number": old.number, "body": said}))
    return actions


def message_lines(state: HandoverState | None, backlog: Backlog | None, config: Config) -> list[str]:
    """What the handoff message adds: the link to the new issue and the outgoing person's notes."""
    if state is None:
        return []
    lines = []
    if state.current is not None:
        lines.append(f"Handover issue: {slack_link(state.current.html_url, state.current.title)}")
    elif backlog is not None:
        lines.append(f"Handover issue (acknowledge it there): {LINK_PLACEHOLDER}")
    if state.notes is not None:
        lines.append(f"Notes from @{slack_text(state.notes_from)}:")
        lines += [f"> {slack_text(line, 300)}" for line in state.notes.body.strip().splitlines()[:12] if line.strip()]
    return lines


def executors(services: Services) -> dict[str, Executor]:
    def create(action: Action) -> dict[str, Any]:
        p = action.params
        return services.github.create_issue(p["repo"], title=p["title"], body=p["body"], labels=list(p["labels"]),
                                            assignees=list(p["assignees"]))

    def close(action: Action) -> None:
        p = action.params
        services.github.comment(p["repo"], p["number"], p["body"])
        services.github.close_issue(p["repo"], p["number"])

    return {"github.create_issue": create, "github.close_with_comment": close,
            "github.edit_issue": lambda a: services.github.edit_body(a.params["repo"], a.params["number"],
                                                                     a.params["body"])}
