"""What the handoff adds to the places every duty shares (declared in its DUTY's `contributes`): normal oncall
since the last handoff in its own message and issue, and the turn's handover issues and incidents in the report."""

from __future__ import annotations

from oncall_lib.authorship import github_identity, own
from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection, ReportContext, ReportPart
from oncall_lib.errors import ServiceError
from oncall_lib.handoff.handover_issue import turn_of
from oncall_lib.handoff.incidents import markdown, slack_lines, week_incidents
from oncall_lib.untrusted import github_text


def handoff_section(config: Config, ctx: HandoffContext) -> HandoffSection | None:
    """Normal oncall since the last handoff, for the team's message and the handover issue."""
    if ctx.since is None:
        return None
    try:
        incidents = week_incidents(ctx.services, config, ctx.since, ctx.at)
    except ServiceError as exc:
        return HandoffSection("incidents", warnings=[
            f"normal oncall's incidents are not in the handoff message: {exc} (the token needs read access to "
            "escalation policies and incidents)"])
    return HandoffSection(
        "incidents", message=slack_lines(incidents, config),
        markdown=[line.replace("### Normal oncall (PagerDuty incidents)", "### Normal oncall since the last handoff")
                  .replace("during the rotation", "since the last handoff")
                  for line in markdown(incidents, config)][:-1])


def report_part(config: Config, ctx: ReportContext) -> ReportPart:
    """The turn's handover issues ([handover]: where its notes and acknowledgements are), and normal oncall's
    incidents during it."""
    part = ReportPart("handoff")
    rules = config.support_issues
    if rules and config.handover:
        # Only the product's own handover issues carry a marker it trusts (authorship.py).
        listed = ctx.services.github.issues(rules.repo, labels=[config.handover.label], state="all", since=ctx.start)
        mine = own(listed, github_identity(ctx.services)) if listed else []
        handovers = sorted((i for i in mine if (turn := turn_of(i.body)) and ctx.start <= turn[1] < ctx.end),
                           key=lambda i: i.number)
        part.markdown += ["### Handover issues", ""]
        part.markdown += [f"- [#{i.number}]({i.html_url}) {github_text(i.title, 90, one_line=True)} ({i.state})"
                          for i in handovers] or ["None was opened for this rotation."]
        part.markdown.append("")
        part.figures["handover_issues"] = [i.html_url for i in handovers]
    try:
        incidents = week_incidents(ctx.services, config, ctx.start, ctx.end)
    except ServiceError as exc:
        part.warnings.append(f"normal oncall's incidents are not in the report: {exc}")
        part.figures["incidents"] = []
        return part
    part.markdown += markdown(incidents, config)
    part.figures["incidents"] = [{"number": i.number, "title": i.title, "service": i.service, "status": i.status,
                                  "urgency": i.urgency, "created_at": i.created_at.isoformat(), "url": i.url}
                                 for i in incidents]
    return part
