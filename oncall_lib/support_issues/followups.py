"""What a support issue's life asks of people: scope it when it runs long, summarise it when it closes.

Pure planning. Each follow-up happens once per issue, and its label is the
memory (visible to people, and free to read: the issue list already carries
labels): `consider-scoping` with the comment that says the issue has been open
longer than the scoping limit (and what the two-hour rule asks if it took more
than two hours of work); `summary-requested` with the comment that asks the assignee,
on an issue closed with no summary, what was tried and what solved it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from oncall_lib.plan import Action
from oncall_lib.services.github import Comment, IssueState
from oncall_lib.services.slack import Marker
from oncall_lib.untrusted import slack_link

SCOPING_LABEL = "consider-scoping"
SUMMARY_LABEL = "summary-requested"
SCOPING_DM_EVENT = "oncall_support_scoping"
# A comment summarises the issue when one of its lines starts with "Summary" (a heading or "Summary:").
SUMMARY_LINE = re.compile(r"^\s*(#+\s*)?\**summary\b", re.IGNORECASE | re.MULTILINE)


def has_summary(comments: Sequence[Comment]) -> bool:
    return any(SUMMARY_LINE.search(c.body) for c in comments)


def _owners(issue: IssueState) -> str:
    return ", ".join(f"@{a}" for a in issue.assignees) or "whoever worked on this"


def scoping_comment(issue: IssueState, business_days: float, limit_days: float) -> str:
    # Open is not time spent: the two-hour rule is about work, which only the issue's records say (the report
    # adds them up); a long-open issue is worth asking about either way.
    return (f"{_owners(issue)}: this support issue has been open {business_days:.1f} business days (longer than "
            f"the {limit_days:g} this team allows before scoping). If it has taken more than two hours of work, the "
            "two-hour rule says to bring it to the team: scope it as a project (and move it to the team's backlog), "
            "hand it to the team that owns it, or close it with a summary. Record time spent with a comment line "
            "`/oncall spent 1h30m`.")


def summary_comment(issue: IssueState) -> str:
    return (f"{_owners(issue)}: this issue was closed without a summary. So that the next person can find it, "
            "please add a comment that starts with **Summary:** and says what was tried, what did not work, and "
            "what solved it.")


def newly_past(issues: Sequence[tuple[IssueState, float]]) -> list[tuple[IssueState, float]]:
    return [(i, days) for i, days in issues if SCOPING_LABEL not in i.labels and i.state == "open"]


def plan_scoping(issues: Sequence[tuple[IssueState, float]], limit_days: float, dm_channel: str | None,
                 person_name: str, stamp: str, start: int = 0) -> list[Action]:
    """One comment and the label on each issue newly past the rule; one DM listing them. `start` is where these
    actions sit in the run's whole plan."""
    fresh = newly_past(issues)
    actions: list[Action] = []
    for issue, days in fresh:
        where = f"{issue.repo}#{issue.number}"
        actions.append(Action("github.comment", where, f"say it is open longer than {limit_days:g} business days",
                              {"repo": issue.repo, "number": issue.number,
                               "body": scoping_comment(issue, days, limit_days)}))
        actions.append(Action("github.add_labels", where, f"label {SCOPING_LABEL}",
                              {"repo": issue.repo, "number": issue.number, "labels": [SCOPING_LABEL]},
                              after=start + len(actions) - 1))
    if fresh and dm_channel:
        lines = [f"• {slack_link(i.html_url, f'{i.repo}#{i.number} {i.title}', limit=90)}: open {days:.1f} "
                 "business days" for i, days in fresh]
        text = "\n".join([f"*Open longer than {limit_days:g} business days*: any that took more than two hours of "
                          "work go to the team (the two-hour rule), to scope as projects, hand over, or close:",
                          *lines])
        actions.append(Action("slack.post", f"DM {person_name}", f"{len(fresh)} issue(s) open longer than "
                              f"{limit_days:g} business days",
                              {"channel": dm_channel, "text": text,
                               "marker": Marker(SCOPING_DM_EVENT, f"scoping/{stamp}",
                                                {"issues": [f"{i.repo}#{i.number}" for i, _ in fresh]})}))
    return actions


def plan_summary_asks(closed: Sequence[tuple[IssueState, Sequence[Comment]]], start: int = 0) -> list[Action]:
    """On each closed issue with no summary comment (and not asked yet): one comment and the label."""
    actions: list[Action] = []
    for issue, comments in closed:
        if SUMMARY_LABEL in issue.labels or has_summary(comments):
            continue
        where = f"{issue.repo}#{issue.number}"
        actions.append(Action("github.comment", where, "ask for a summary of what was tried and what solved it",
                              {"repo": issue.repo, "number": issue.number, "body": summary_comment(issue)}))
        actions.append(Action("github.add_labels", where, f"label {SUMMARY_LABEL}",
                              {"repo": issue.repo, "number": issue.number, "labels": [SUMMARY_LABEL]},
                              after=start + len(actions) - 1))
    return actions

