"""What waits for the person taking over: read once, shown in the handoff message, the heads-up DM and the
handover issue.

Requests nobody has acknowledged (a scan of the watched channels), open support issues by age, postmortem
items to pick up, normal oncall's incidents since the last handoff, open cleanup and offboarding PRs, and
access requests not yet approved. Each part is read only when something is about to show it, and each
failure costs only its own part (a warning), never the handoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from oncall_lib.business_time import BusinessHours
from oncall_lib.config import Config
from oncall_lib.errors import ServiceError
from oncall_lib.handoff.incidents import Incident, week_incidents
from oncall_lib.handoff.incidents import markdown as incident_markdown
from oncall_lib.handoff.incidents import slack_lines as incident_lines
from oncall_lib.iam.removals import OpenRemoval, open_removals
from oncall_lib.postmortems.pickup import pickup_order
from oncall_lib.requests.classify import Request
from oncall_lib.requests.waiting import format_waiting, scan_requests
from oncall_lib.services import Services
from oncall_lib.services.github import IssueState
from oncall_lib.untrusted import github_quote, github_text, slack_link

# The access form's label (.github/ISSUE_TEMPLATE/access-request.yml).
ACCESS_FORM_LABEL = "access-request"
PICKUP_LISTED = 5
ISSUES_LISTED = 10


@dataclass
class Backlog:
    at: datetime
    clock: BusinessHours
    team_url: str = "https://slack.com/"
    waiting: list[Request] = field(default_factory=list)
    pickup: list[IssueState] = field(default_factory=list)
    incidents: list[Incident] | None = None  # None: not read (or not readable)
    open_issues: list[IssueState] | None = None
    removals: list[OpenRemoval] | None = None
    access: list[IssueState] | None = None
    warnings: list[str] = field(default_factory=list)

    # -- Slack (the handoff message and the heads-up DM) --

    def waiting_lines(self) -> list[str]:
        return format_waiting(self.waiting, self.at, self.clock, self.team_url)

    def pickup_lines(self) -> list[str]:
        return [f"• {slack_link(i.html_url, i.title, limit=90)}" + ("" if i.assignees else " (unassigned)")
                for i in self.pickup[:PICKUP_LISTED]]

    def open_issue_lines(self) -> list[str]:
        issues = self.open_issues or []
        return [f"• {slack_link(i.html_url, i.title, limit=90)}"
                + (f" (@{', @'.join(i.assignees)})" if i.assignees else " (unassigned)")
                for i in issues[:ISSUES_LISTED]] + (
                    [f"…and {len(issues) - ISSUES_LISTED} more"] if len(issues) > ISSUES_LISTED else [])

    def incident_lines(self, config: Config) -> list[str]:
        return incident_lines(self.incidents or [], config)

    # -- GitHub (the handover issue) --

    def markdown(self, config: Config) -> list[str]:
        lines = [f"### Requests still waiting for an acknowledgement ({len(self.waiting)})", ""]
        lines += [_waiting_md(r, self.at, self.clock, self.team_url) for r in
                  sorted(self.waiting, key=lambda r: r.asked_at)] or ["None right now."]
        if self.open_issues is not None:
            oldest = sorted(self.open_issues, key=lambda i: i.created_at or self.at)
            lines += ["", f"### Open support issues, oldest first ({len(oldest)})", ""]
            lines += [f"- {_issue_md(i)}, open {_age(i, self.at)}"
                      + (f" ({', '.join('@' + a for a in i.assignees)})" if i.assignees else " (unassigned)")
                      for i in oldest] or ["None."]
        lines += ["", "### Postmortem action items to pick up when it is quiet", ""]
        lines += [f"- {_issue_md(i)}" + ("" if i.assignees else " (unassigned)")
                  for i in self.pickup[:PICKUP_LISTED]] or ["None open."]
        if self.incidents is not None:
            lines += [""] + [line.replace("### Normal oncall (PagerDuty incidents)", "### Normal oncall since the last "
                                          "handoff").replace("during the rotation", "since the last handoff")
                             for line in incident_markdown(self.incidents, config)][:-1]
        if self.removals is not None:
            lines += ["", f"### Open cleanup and offboarding PRs ({len(self.removals)})", ""]
            lines += [f"- [{github_text(r.pull.title, 90, one_line=True)}]({r.pull.html_url}) ({r.why}: "
                      f"{github_text(', '.join(r.users), 120, one_line=True)})" for r in self.removals] or ["None."]
        if self.access is not None:
            lines += ["", f"### Access requests waiting for an approver ({len(self.access)})", ""]
            lines += [f"- {_issue_md(i)}, open {_age(i, self.at)}" for i in self.access] or ["None."]
        return lines


def _issue_md(issue: IssueState) -> str:
    return f"[{github_text(issue.title, 90, one_line=True)}]({issue.html_url})"


def _age(issue: IssueState, at: datetime) -> str:
    if issue.created_at is None:
        return "for a while"
    days = (at - issue.created_at).days
    return "since today" if days < 1 else f"{days} day{'s' if days != 1 else ''}"


def _waiting_md(request: Request, at: datetime, clock: BusinessHours, team_url: str) -> str:
    minutes = int(request.age(at, clock))
    age = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    quoted = github_quote(request.text, 160).removeprefix("> ").replace("\n", " ")
    return f"- [{github_text(request.channel, one_line=True)}]({request.permalink(team_url)}), {age}: “{quoted}”"


def read_backlog(services: Services, config: Config, at: datetime, since: datetime | None = None, *,
                 everything: bool = False) -> Backlog:
    """The parts the handoff message shows (waiting requests, items to pick up, and with `since` normal oncall's
    incidents since then), and with `everything` those only the handover issue shows (open support issues,
    removal PRs, access requests)."""
    clock = config.requests.business_hours.clock(config.team.tz)
    backlog = Backlog(at, clock)
    if config.slack.watched:
        scan = scan_requests(services, config, at)
        backlog.team_url = scan.me.team_url
        backlog.waiting = [r for r in scan.requests if not r.acknowledged]
    if config.postmortems and config.support_issues:
        backlog.pickup = pickup_order(services.github.issues(config.support_issues.repo,
                                                             labels=[config.postmortems.label], state="open"))
    try:
        backlog.incidents = None if since is None else week_incidents(services, config, since, at)
    except ServiceError as exc:
        backlog.warnings.append(f"normal oncall's incidents are not in the handoff message: {exc} (the token "
                                "needs read access to escalation policies and incidents)")
    if not everything:
        return backlog
    backlog.open_issues = read_open_issues(services, config)
    if config.iam:
        try:
            backlog.removals = open_removals(services, config.iam.repo)
        except ServiceError as exc:
            backlog.warnings.append(f"the handover issue leaves out the open cleanup and offboarding PRs: {exc}")
    if config.access and config.support_issues:
        approved = config.access.approved_label
        requests = services.github.issues(config.support_issues.repo, labels=[ACCESS_FORM_LABEL], state="open")
        backlog.access = [i for i in requests if approved not in i.labels]
    return backlog


def read_open_issues(services: Services, config: Config) -> list[IssueState] | None:
    if not config.support_issues:
        return None
    rules = config.support_issues
    return services.github.issues(rules.repo, labels=[rules.labels[0]], state="open")
