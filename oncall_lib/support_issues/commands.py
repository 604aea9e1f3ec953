"""`/oncall` commands in a comment on a support issue: reassign, move to another Super Epic, close.

A comment (typed on GitHub, or from the Slack preview's Comment button) holds
one command per line:

    /oncall assign @login     the issue is now theirs (the other assignees are removed)
    /oncall epic KEY          move the issue to that Super Epic
    /oncall done              close it, asking for the summary if none is written
    /oncall spent 1h30m       a time entry: changes nothing, the rotation report adds it up (two-hour rule)
    /oncall cover @login FROM TO, /oncall swap @login, /oncall accept, /oncall decline
                              covers and swaps, made as PagerDuty overrides (oncall_lib/covers/requests.py)

Only roster members may run them, and who wrote the comment is read from
GitHub's API by the comment's id, never from anything typed. Anyone else gets
one reply saying why, and nothing changes. Each command is planned against
what GitHub holds now, so a re-run of the same comment writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from oncall_lib.config import GITHUB_LOGIN, Config
from oncall_lib.covers import requests as covers
from oncall_lib.covers.windows import Refused
from oncall_lib.errors import ServiceError
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
COMMAND = re.compile(r"^[ \t]*/oncall[ \t]+(?P<verb>\S+)[ \t]*(?P<argument>[^\r\n]*?)[ \t]*\r?$",
                     re.IGNORECASE | re.MULTILINE)
REPLY_MARKER = "<!-- oncall-support:command-reply {comment} -->"
USAGE = ("`/oncall assign @login`, `/oncall epic KEY`, `/oncall done`, `/oncall spent 1h30m`, "
         "`/oncall cover @login FROM TO`, `/oncall swap @login`, `/oncall accept`, `/oncall decline` or `/oncall ack`")


@dataclass(frozen=True)
class Command:
    verb: str  # assign, epic, done, spent
    argument: str


def parse_commands(body: str) -> tuple[list[Command], list[str]]:
    """The commands in a comment, in order, and a line for each one that cannot be understood."""
    commands, problems = [], []
    for match in COMMAND.finditer(body):
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


def reply_once(issue: IssueState, comment_id: int, comments: list[Comment], text: str) -> list[Action]:
    marker = REPLY_MARKER.format(comment=comment_id)
    if any(marker in c.body for c in comments):
        return []
    return [Action("github.comment", f"{issue.repo}#{issue.number}", "reply to the command",
                   {"repo": issue.repo, "number": issue.number, "body": f"{text}\n\n{marker}"})]


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


def plan_ack(issue: IssueState, comment: Comment, commands: list[Command], config: Config) -> tuple[list[Action],
                                                                                                   list[str]]:
    """`/oncall ack` on a handover issue, by the person it is assigned to: the box in its body is ticked."""
    if not any(c.verb == "ack" for c in commands):
        return [], []
    if config.handover is None or handover.turn_of(issue.body) is None:
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


def plan_covers(services: Services, config: Config, at: datetime, issue: IssueState, comment: Comment,
                commands: list[Command], comments: list[Comment]) -> tuple[list[Action], list[str]]:
    """Covers and swaps: read PagerDuty only when the comment holds one of their commands."""
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
    for command in wanted:
        if command.verb in ("cover", "swap"):
            found = covers.plan_request(issue, comment, command.verb, command.argument, comments, state, config)
        else:
            found = covers.plan_accept(issue, comment, command.verb, comments, state, config)
        start = len(actions)
        actions += [Action(a.kind, a.target, a.detail, a.params, None if a.after is None else a.after + start)
                    for a in found.actions]
        problems += found.problems
    return actions, problems


def run(services: Services, config: Config, at: datetime, *, number: int, comment_id: int,
        dry_run: bool) -> Report:
    rules = config.required(config.support_issues, "support_issues", "the repository of the support issues")
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config, at)
    try:
        comment = services.github.read_comment(rules.repo, comment_id)
        issue = services.github.issue(rules.repo, number)
        commands, problems = parse_commands(comment.body)
        report.facts = {"issue": issue.html_url, "by": comment.author, "commands": len(commands)}
        if not commands and not problems:
            report.facts["commands"] = "none: the comment holds no /oncall line"
            report.api_calls = services.calls.snapshot()
            return report
        comments = services.github.comments(rules.repo, number)
        team = {m.github.casefold() for m in config.roster if m.github}
        if comment.author.casefold() not in team:
            # Who wrote it is GitHub's word (the API, by the comment's id), never the comment's own text.
            actions = reply_once(issue, comment_id, comments,
                                 f"{github_text(comment.author, 40, one_line=True)}: `/oncall` commands are for the "
                                 "team on the support rotation, so this comment changed nothing. Ask the person on "
                                 "support (the channel topic names them).")
            report.warnings.append(f"{comment.author} is not in the roster: the commands were refused")
        else:
            basic = [c for c in commands if c.verb in ("assign", "epic", "done")]
            epic = links.epic_of(issue) if basic else None
            actions, cannot = plan_commands(issue, basic, comments, config, epic.key if epic else None)
            problems += cannot
            ack_actions, ack_problems = plan_ack(issue, comment, commands, config)
            actions += ack_actions
            problems += ack_problems
            cover_actions, cover_problems = plan_covers(services, config, at, issue, comment, commands, comments)
            start = len(actions)
            actions += [Action(a.kind, a.target, a.detail, a.params, None if a.after is None else a.after + start)
                        for a in cover_actions]
            problems += cover_problems
            if problems:
                actions += reply_once(issue, comment_id, comments, "Some of that could not be done:\n"
                                      + "\n".join(f"- {p}" for p in problems))
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
