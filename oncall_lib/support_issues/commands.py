"""`/oncall` commands in a comment on a support issue: reassign, move to another Super Epic, close.

A comment (typed on GitHub, or from the Slack preview's Comment button) holds
one command per line:

    /oncall assign @login     the issue is now theirs (the other assignees are removed)
    /oncall epic KEY          move the issue to that Super Epic
    /oncall done              close it, asking for the summary if none is written
    /oncall spent 1h30m       a time entry: changes nothing, the rotation report adds it up (two-hour rule)
    /oncall cover @login FROM TO, /oncall swap @login, /oncall accept, /oncall decline
                              covers and swaps, made as PagerDuty overrides (oncall_lib/covers/requests.py)

Only roster members may run them, identified by their GitHub account's id
where the roster pins it (`github_id`: a renamed member still counts, whoever
claims their old login does not), else by login; who wrote the comment is read
from GitHub's API by the comment's id, never from anything typed. Commands
count only on lines outside code blocks, quotes and HTML comments; only on
open issues (but `/oncall spent`, a record); and only as the author wrote them:
a comment someone else edited (GitHub's edit history, read through GraphQL)
runs nothing. Every refusal is one reply saying why, and nothing changes.

The product's own records are its comments only (authorship.py): a marker in
anyone else's text is just text.

A comment counts once. Once its commands are carried out, one reply says what
was done and carries a marker with the comment's id: a re-run, an edit of the
comment, or the tick finding it later, all see the marker and do nothing. A
comment whose every command is mistyped gets one reply saying so, keyed by the
comment's id and its text: an edit that fixes it is carried out, an unchanged
re-run says nothing again. The marker is what the tick reads (in its one
listing of the repository's recent comments) to find commands no run answered.
A comment of `/oncall spent` entries only is a record, and needs no answer.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from oncall_lib.authorship import github_identity, github_wrote, impostor_of, own, roster_member
from oncall_lib.config import GITHUB_LOGIN, Config
from oncall_lib.covers import requests as covers
from oncall_lib.covers.windows import Refused
from oncall_lib.errors import Gone, ServiceError
from oncall_lib.handoff import handover_issue as handover
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.epics import EpicLinks
from oncall_lib.services.github import Comment, IssueState
from oncall_lib.support_issues.followups import SUMMARY_LABEL, has_summary, summary_comment
from oncall_lib.tracking.time_spent import parse_duration
from oncall_lib.untrusted import github_text

JOB = "support-commands"
# One command per line: the pattern never reaches past the end of its line.
COMMAND = re.compile(r"^ {0,3}/oncall[ \t]+(?P<verb>\S+)[ \t]*(?P<argument>[^\r\n]*?)[ \t]*\r?$",
                     re.IGNORECASE | re.MULTILINE)
REPLY_MARKER = "<!-- oncall-support:command-reply {comment} -->"  # refused, or what could not be made
DONE_MARKER = "<!-- oncall-support:command-done {comment} -->"  # carried out: never again
MISTYPED_MARKER = "<!-- oncall-support:command-reply {comment} {digest} -->"  # nothing runnable in this text
USAGE = ("`/oncall assign @login`, `/oncall epic KEY`, `/oncall done`, `/oncall spent 1h30m`, "
         "`/oncall cover @login FROM TO`, `/oncall swap @login`, `/oncall accept`, `/oncall decline` or `/oncall ack`")


_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_QUOTE = re.compile(r"^ {0,3}>")
_INDENTED = re.compile(r"^(?: {4,}|\t)")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


def command_text(body: str) -> str:
    """The lines of a comment a command may be on: outside fenced and indented code blocks, `>` quotes (with
    their lazy continuation lines, which Markdown renders inside the quote) and HTML comments. Lines elsewhere
    are blanked, so a quoted or pasted `/oncall` line is text, not a command."""
    body = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), (body or "").replace("\r\n", "\n"))
    kept: list[str] = []
    fence: str | None = None
    quoting = False
    for line in body.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            stripped = line.strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = None
            kept.append("")
            continue
        if opened:
            fence, quoting = opened["fence"], False
            kept.append("")
            continue
        if not line.strip():
            quoting = False
            kept.append(line)
            continue
        if _QUOTE.match(line) or quoting:
            quoting = True
            kept.append("")
            continue
        kept.append("" if _INDENTED.match(line) else line)
    return "\n".join(kept)


@dataclass(frozen=True)
class Command:
    verb: str  # assign, epic, done, spent
    argument: str


def parse_commands(body: str) -> tuple[list[Command], list[str]]:
    """The commands in a comment, in order, and a line for each one that cannot be understood."""
    commands, problems = [], []
    for match in COMMAND.finditer(command_text(body)):
        verb, argument = match.group("verb").lower(), match.group("argument")
        shown = github_text(match.group(0).strip(), 80, one_line=True)
        if verb == "assign":
            login = argument.lstrip("@").split()[0] if argument.strip() else ""
            if not GITHUB_LOGIN.match(login):
                problems.append(f"`{shown}`: name one GitHub login, like `/oncall assign @grace-hopper`")
                continue
            commands.append(Command("assign", login))
        elif verb == "epic":
            key = argument.split()[0] if argument.strip() else ""
            commands.append(Command("epic", key)) if key else problems.append(f"`{shown}`: name a Super Epic key")
        elif verb == "done":
            commands.append(Command("done", ""))
        elif verb == "spent":
            # A record the report reads from the comment itself; nothing to do here unless it is unreadable.
            if parse_duration(argument) is None:
                problems.append(f"`{shown}`: give the time like `/oncall spent 45m` or `/oncall spent 1h30m`")
            else:
                commands.append(Command("spent", argument))
        elif verb in (*covers.VERBS, "ack"):
            commands.append(Command(verb, argument.strip()))
        else:
            problems.append(f"`{shown}`: not a command; use {USAGE}")
    return commands, problems


def plan_commands(issue: IssueState, commands: list[Command], comments: list[Comment], config: Config,
                  linked_to: str | None) -> tuple[list[Action], list[str]]:
    """The writes that make the issue what the commands say, and what cannot be done (said in one reply)."""
    where, params = f"{issue.repo}#{issue.number}", {"repo": issue.repo, "number": issue.number}
    actions: list[Action] = []
    problems: list[str] = []
    for command in commands:
        if command.verb == "assign":
            login = command.argument
            if login.casefold() not in {a.casefold() for a in issue.assignees}:
                actions.append(Action("github.assign", where, f"assign @{login}", {**params, "logins": [login]}))
            others = [a for a in issue.assignees if a.casefold() != login.casefold()]
            if others:
                actions.append(Action("github.unassign", where, f"unassign {', '.join('@' + a for a in others)}",
                                      {**params, "logins": others}))
        elif command.verb == "epic":
            epic = next((e for e in config.super_epics if e.key == command.argument.casefold()), None)
            if epic is None:
                keys = ", ".join(f"`{e.key}`" for e in config.super_epics)
                problems.append(f"`{github_text(command.argument, 40, one_line=True)}` is not a Super Epic; the "
                                f"keys are {keys}")
            elif linked_to != epic.key:
                actions.append(Action("epic.move", epic.issue, f"move {where} to the {epic.key} Super Epic",
                                      {"epic": epic.key, **params, "id": issue.id}))
        elif command.verb == "done":
            if issue.state == "open":
                actions.append(Action("github.close", where, "close it (completed)", params))
            if not has_summary(comments) and SUMMARY_LABEL not in issue.labels:
                actions.append(Action("github.comment", where, "ask for the summary of what was tried and what "
                                      "solved it", {**params, "body": summary_comment(issue)}))
                actions.append(Action("github.add_labels", where, f"label {SUMMARY_LABEL}",
                                      {**params, "labels": [SUMMARY_LABEL]}))
    return actions, problems


def text_digest(body: str) -> str:
    return hashlib.sha1(body.replace("\r\n", "\n").strip().encode()).hexdigest()[:10]  # noqa: S324 - a marker


# Commands answered by a reply of their own: the basic ones by the "done" reply, covers and swaps by the cover
# request's, acceptance's or refusal's (each marked with the comment's id). `spent` is a record the report reads,
# and `ack` ticks the handover issue's box: their effect is their answer.
ANSWERED_BY_A_REPLY = frozenset({"assign", "epic", "done", *covers.VERBS})


# What a closed issue still takes: a record of time spent changes nothing on the issue.
FOR_CLOSED_ISSUES = frozenset({"spent"})


def answered(comment: Comment, comments: list[Comment]) -> bool:
    """Whether a run already answered this comment as it reads now: carried out, refused, told it is mistyped, or
    (a cover or swap) asked, accepted or declined. `comments`: the product's own (authorship.py)."""
    markers = (DONE_MARKER.format(comment=comment.id), REPLY_MARKER.format(comment=comment.id),
               MISTYPED_MARKER.format(comment=comment.id, digest=text_digest(comment.body)),
               f"oncall-support:cover-request {comment.id} ", f" by={comment.id} -->")
    return any(marker in c.body for c in comments for marker in markers)


def needs_answer(body: str) -> bool:
    """Whether a comment holds a command a reply answers (or a mistyped one): the tick looks for that reply."""
    commands, problems = parse_commands(body or "")
    return bool(problems) or any(c.verb in ANSWERED_BY_A_REPLY for c in commands)


def has_commands(body: str) -> bool:
    return COMMAND.search(command_text(body)) is not None


def reply_once(issue: IssueState, marker: str | int, comments: list[Comment], text: str,
               after: int | None = None) -> list[Action]:
    """One reply carrying `marker` (a comment id: the refusal's), unless one of the product's own `comments`
    already carries it."""
    marker = REPLY_MARKER.format(comment=marker) if isinstance(marker, int) else marker
    if any(marker in c.body for c in comments):
        return []
    return [Action("github.comment", f"{issue.repo}#{issue.number}", "reply to the command",
                   {"repo": issue.repo, "number": issue.number, "body": f"{text}\n\n{marker}"}, after=after)]


def done_text(actions: list[Action], problems: list[str]) -> str:
    done = "\n".join(f"- {a.detail}" for a in actions) or "- nothing to change: the issue is already as asked"
    text = f"Done:\n{done}"
    if problems:
        text += ("\n\nNot done:\n" + "\n".join(f"- {p}" for p in problems)
                 + "\n\nThis comment has been carried out: editing it runs nothing again; write a new comment.")
    return text


def executors(services: Services, links: EpicLinks) -> dict[str, Executor]:
    github = services.github
    return {
        "github.assign": lambda a: github.add_assignees(a.params["repo"], a.params["number"], list(a.params["logins"])),
        "github.unassign": lambda a: github.remove_assignees(a.params["repo"], a.params["number"],
                                                             list(a.params["logins"])),
        "github.close": lambda a: github.close_issue(a.params["repo"], a.params["number"]),
        "github.comment": lambda a: github.comment(a.params["repo"], a.params["number"], a.params["body"]),
        "github.add_labels": lambda a: github.add_labels(a.params["repo"], a.params["number"],
                                                         list(a.params["labels"])),
        "epic.move": lambda a: links.link(a.params["epic"], a.params["repo"], int(a.params["number"]),
                                          int(a.params["id"]), move=True),
        **links.executors(),
        "github.edit_issue": lambda a: github.edit_body(a.params["repo"], a.params["number"], a.params["body"]),
        **covers.executors(services),
    }


def plan_ack(issue: IssueState, comment: Comment, commands: list[Command], config: Config,
             issue_is_own: bool = True) -> tuple[list[Action], list[str]]:
    """`/oncall ack` on a handover issue (one the product opened), by the person it is assigned to: the box in its
    body is ticked."""
    if not any(c.verb == "ack" for c in commands):
        return [], []
    if config.handover is None or not issue_is_own or handover.turn_of(issue.body) is None:
        return [], ["`/oncall ack` acknowledges a handover issue (with [handover] in oncall.toml); this is not one"]
    if comment.author.casefold() not in {a.casefold() for a in issue.assignees}:
        who = ", ".join(f"@{a}" for a in issue.assignees) or "the incoming person"
        return [], [f"only the person taking over ({who}) acknowledges the handover"]
    if handover.acknowledged(issue.body):
        return [], []
    return [Action("github.edit_issue", f"{issue.repo}#{issue.number}",
                   f"tick the acknowledgement for @{comment.author}",
                   {"repo": issue.repo, "number": issue.number, "body": handover.ticked(issue.body)})], []


def unmade(error: str) -> str:
    """The one line for an override PagerDuty did not make. A refusal (4xx: a read-only key, say) changed
    nothing; a lost answer (5xx, a dropped connection) may have made it, so the person is asked to accept again,
    which checks the schedule first and never makes it twice."""
    if re.search(r"HTTP 4\d\d", error) or "refused" in error:
        return f"PagerDuty refused the override, so nothing changed: {error}"
    return (f"PagerDuty did not answer clearly ({error}): the override may or may not have been made. Comment "
            "`/oncall accept` again: it checks PagerDuty first and finishes without making it twice.")


def withdrawn_requests(services: Services, config: Config, issue: IssueState, comment: Comment,
                       mine: list[Comment]) -> dict[int, str]:
    """The requests open for this comment's author that no longer stand, read again by id at this moment: the
    asking comment deleted, changed since it was asked, edited by someone else, or not by a roster member."""
    found: dict[int, str] = {}
    for request in covers.open_requests_for(comment.author, mine):
        try:
            asking = services.github.read_comment(issue.repo, request.id)
        except Gone:
            found[request.id] = "the comment that asked was deleted"
            continue
        if roster_member(config, asking.author, asking.author_id) is None:
            found[request.id] = f"@{github_text(asking.author, 40, one_line=True)} is not on the roster"
        elif request.text and request.text != text_digest(asking.body):
            found[request.id] = "the comment that asked was edited since: ask again"
        else:
            history = services.github.edit_history(issue.repo, asking.node_id) if asking.node_id else None
            if history and history.edited_by_others():
                found[request.id] = "someone else edited the comment that asked"
            elif history and not request.text and history.last_edited_at:
                found[request.id] = "the comment that asked was edited since: ask again"
    return found


def plan_covers(services: Services, config: Config, at: datetime, issue: IssueState, comment: Comment,
                commands: list[Command], comments: list[Comment]) -> tuple[list[Action], list[str]]:
    """Covers and swaps: read PagerDuty only when the comment holds one of their commands. `comments`: the
    product's own."""
    wanted = [c for c in commands if c.verb in covers.VERBS]
    if not wanted:
        return [], []
    if config.covers is None:
        return [], ["covers and swaps are not turned on here (oncall.toml has no [covers] table)"]
    try:
        state = covers.observe(services, config, at)
    except Refused as exc:
        return [], [str(exc)]
    actions: list[Action] = []
    problems: list[str] = []
    withdrawn = (withdrawn_requests(services, config, issue, comment, comments)
                 if any(c.verb == "accept" for c in wanted) else {})
    for command in wanted:
        if command.verb in ("cover", "swap"):
            found = covers.plan_request(issue, comment, command.verb, command.argument, comments, state, config,
                                        text=text_digest(comment.body))
        else:
            found = covers.plan_accept(issue, comment, command.verb, comments, state, config, withdrawn)
        start = len(actions)
        actions += [Action(a.kind, a.target, a.detail, a.params, None if a.after is None else a.after + start)
                    for a in found.actions]
        problems += found.problems
    return actions, problems


def refused_because(services: Services, config: Config, issue: IssueState, comment: Comment,
                    commands: list[Command]) -> str | None:
    """Why this comment's commands must not run (the reply's text), or None: who wrote it is GitHub's word (the API, by
    the comment's id), never the comment's own text; an edit by anyone but the author runs nothing."""
    who = f"@{github_text(comment.author, 40, one_line=True)}"
    if roster_member(config, comment.author, comment.author_id) is None:
        if impostor_of(config, comment.author, comment.author_id) is not None:
            return (f"{who} is not the roster's account of that name (the roster names another GitHub account by "
                    "its id: a login that changed hands does not act for the team), so this comment changed nothing.")
        return (f"{who}: `/oncall` commands are for the team on the support rotation, so this comment changed "
                "nothing. Ask the person on support (the channel topic names them).")
    # Written while it was open counts (the tick may carry out an earlier command after a later one closed it).
    closed_first = issue.closed_at is None or comment.created_at is None or comment.created_at > issue.closed_at
    if issue.state != "open" and closed_first and any(c.verb not in FOR_CLOSED_ISSUES for c in commands):
        return "This issue is closed, so this comment changed nothing: reopen it first, then write the command again."
    history = services.github.edit_history(issue.repo, comment.node_id) if comment.node_id else None
    edited = history.edited_by_others() if history else []
    if edited:
        return (f"This comment was edited by @{github_text(edited[-1].editor or 'someone', 40, one_line=True)}, not "
                "by its author, so it changed nothing: commands run only as their author wrote them; write a new "
                "comment.")
    return None


def run(services: Services, config: Config, at: datetime, *, number: int, comment_id: int,
        dry_run: bool) -> Report:
    rules = config.required(config.support_issues, "support_issues", "the repository of the support issues")
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config, at)
    try:
        # The issue first: a comment that is gone while its issue reads fine was deleted before this run.
        issue = services.github.issue(rules.repo, number)
        comment = services.github.read_comment(rules.repo, comment_id)
        commands, problems = parse_commands(comment.body)
        report.facts = {"issue": issue.html_url, "by": comment.author, "commands": len(commands)}
        if not commands and not problems:
            report.facts["commands"] = "none: the comment holds no /oncall line"
            report.api_calls = services.calls.snapshot()
            return report
        me = github_identity(services)
        if github_wrote(comment, me):
            report.facts["commands"] = "none: the product's own comment"
            report.api_calls = services.calls.snapshot()
            return report
        everyone = services.github.comments(rules.repo, number)
        comments = own(everyone, me)  # where its markers are read: the product's own comments, nobody else's
        if answered(comment, comments):
            report.facts["commands"] = f"{len(commands)}: already answered (a reply to comment {comment_id} says so)"
            report.api_calls = services.calls.snapshot()
            return report
        refusal = refused_because(services, config, issue, comment, commands)
        if refusal is not None:
            actions = reply_once(issue, comment_id, comments, refusal)
            report.warnings.append(f"comment {comment_id} by {comment.author}: refused: {refusal}")
        else:
            basic = [c for c in commands if c.verb in ("assign", "epic", "done")]
            epic = links.epic_of(issue) if basic else None
            actions, cannot = plan_commands(issue, basic, everyone, config, epic.key if epic else None)
            problems += cannot
            ack_actions, ack_problems = plan_ack(issue, comment, commands, config, github_wrote(issue, me))
            actions += ack_actions
            problems += ack_problems
            cover_actions, cover_problems = plan_covers(services, config, at, issue, comment, commands, comments)
            start = len(actions)
            actions += [Action(a.kind, a.target, a.detail, a.params, None if a.after is None else a.after + start)
                        for a in cover_actions]
            problems += cover_problems
            if basic and (actions or not problems):
                # Each write waits for the one before, and the reply for them all: what fails is left with no
                # "done" marker, so the next run (or tick) does it again.
                actions = [Action(a.kind, a.target, a.detail, a.params,
                                  a.after if a.after is not None else (i - 1 if i else None))
                           for i, a in enumerate(actions)]
                actions += reply_once(issue, DONE_MARKER.format(comment=comment_id), comments,
                                      done_text(actions, problems), after=len(actions) - 1 if actions else None)
            elif problems and not actions:
                # Keyed by the text too: the edit that fixes it is carried out.
                mistyped = MISTYPED_MARKER.format(comment=comment_id, digest=text_digest(comment.body))
                actions = reply_once(issue, mistyped, comments, "Nothing was done:\n"
                                     + "\n".join(f"- {p}" for p in problems)
                                     + "\n\nEdit this comment to fix it, or write a new one.")
            elif problems:
                actions += reply_once(issue, comment_id, comments, "Some of that could not be done:\n"
                                      + "\n".join(f"- {p}" for p in problems))
    except Gone as exc:
        return report.gone(exc, services.calls.snapshot())
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.outcomes = apply(links.with_room(actions), executors(services, links), dry_run=dry_run)
    refused = [o for o in report.outcomes if o.action.kind == "pagerduty.create_overrides" and o.error]
    if refused and not any(a.kind == "github.comment" and REPLY_MARKER.format(comment=comment_id) in a.params["body"]
                           for a in actions):
        report.outcomes += apply(reply_once(issue, comment_id, comments, unmade(refused[0].error)),
                                 executors(services, links), dry_run=dry_run)
    report.warnings += [w for w in links.warnings if w not in report.warnings]
    report.api_calls = services.calls.snapshot()
    return report
