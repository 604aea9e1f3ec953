"""Normal oncall in view: the PagerDuty incidents of the week on the services the schedule is paged for.

Read-only. The schedule names its escalation policies, each policy its
services, and /incidents lists what those services triggered in the window:
one schedule read, one read per policy, and the incident pages (a handful a
week). The handoff message and the rotation report show them, so the person
on support sees what normal oncall dealt with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oncall_lib.config import Config
from oncall_lib.errors import ServiceError
from oncall_lib.rotation.on_support import read_schedule
from oncall_lib.rotation.schedule import ScheduleProblem
from oncall_lib.services import Services
from oncall_lib.untrusted import github_text, slack_link, slack_text

MAX_LISTED = 10


@dataclass(frozen=True)
class Incident:
    number: int
    title: str
    service: str
    status: str
    urgency: str
    created_at: datetime
    url: str


def week_incidents(services: Services, config: Config, since: datetime, until: datetime) -> list[Incident]:
    """Raises ServiceError (a schedule of the wrong kind included: nothing else is lost for it)."""
    try:
        # Read as the config says: PagerDuty refuses /schedules/{id} for a shift-based schedule.
        schedule = read_schedule(services, config, since, until).raw
    except ScheduleProblem as exc:
        raise ServiceError(f"PagerDuty schedule: {exc}") from None
    found = services.pagerduty.incidents(services.pagerduty.schedule_services(schedule), since, until)
    return [_incident(i) for i in found]


def _incident(raw: dict[str, Any]) -> Incident:
    service = raw.get("service") or {}
    return Incident(int(raw.get("incident_number") or 0), str(raw.get("title") or ""),
                    str(service.get("summary") or service.get("id") or ""), str(raw.get("status") or ""),
                    str(raw.get("urgency") or ""), datetime.fromisoformat(str(raw["created_at"])),
                    str(raw.get("html_url") or ""))


def _summary(incidents: list[Incident]) -> str:
    resolved = sum(i.status == "resolved" for i in incidents)
    high = sum(i.urgency == "high" for i in incidents)
    return f"{len(incidents)} incident(s), {high} high urgency, {resolved} resolved"


def slack_lines(incidents: list[Incident], config: Config) -> list[str]:
    """For the handoff message; incident titles come from monitoring and people, so they are escaped."""
    if not incidents:
        return []
    lines = [f"Normal oncall since the last handoff: {_summary(incidents)}:"]
    for incident in incidents[:MAX_LISTED]:
        when = incident.created_at.astimezone(config.team.tz).strftime("%a %H:%M")
        lines.append(f"• {slack_link(incident.url, f'#{incident.number} {incident.title}', limit=90)} "
                     f"({slack_text(incident.service)}, {incident.status}, {when})")
    if len(incidents) > MAX_LISTED:
        lines.append(f"…and {len(incidents) - MAX_LISTED} more")
    return lines


def markdown(incidents: list[Incident], config: Config) -> list[str]:
    """For the rotation report."""
    lines = ["### Normal oncall (PagerDuty incidents)", ""]
    if not incidents:
        return [*lines, "No incident on the schedule's services during the rotation.", ""]
    lines += [f"{_summary(incidents)}.", "", "| Incident | Service | Urgency | Status | Triggered |",
              "|---|---|---|---|---|"]
    for incident in incidents:
        when = incident.created_at.astimezone(config.team.tz).strftime("%a %d %b %H:%M")
        title = github_text(incident.title, 90, one_line=True).replace("|", "\\|")
        service = github_text(incident.service, 60, one_line=True).replace("|", "\\|")
        lines.append(f"| [#{incident.number}]({incident.url}) {title} | {service} | {incident.urgency} | "
                     f"{incident.status} | {when} |")
    return [*lines, ""]

