"""What the request watch adds to the places every duty shares (declared in its DUTY's `contributes`)."""

from __future__ import annotations

from datetime import datetime

from oncall_lib.business_time import BusinessHours
from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection
from oncall_lib.requests.classify import Request
from oncall_lib.requests.waiting import format_waiting, scan_requests
from oncall_lib.untrusted import github_quote, github_text


def handoff_section(config: Config, ctx: HandoffContext) -> HandoffSection | None:
    """The requests nobody has acknowledged yet, from the one scan of the watched channels."""
    if not config.slack.watched:
        return None
    clock = config.requests.business_hours.clock(config.team.tz)
    scan = scan_requests(ctx.services, config, ctx.at)
    waiting = [r for r in scan.requests if not r.acknowledged]
    lines = format_waiting(waiting, ctx.at, clock, scan.me.team_url)
    count = sum(line.startswith("• ") for line in lines)
    return HandoffSection(
        "waiting",
        message=[f"Still waiting for an acknowledgement ({len(lines)}):", *lines] if lines else [],
        markdown=[f"### Requests still waiting for an acknowledgement ({len(waiting)})", "",
                  *([_waiting_md(r, ctx.at, clock, scan.me.team_url) for r in sorted(waiting, key=lambda r: r.asked_at)]
                    or ["None right now."])],
        heads_up=([f"Requests still waiting for an acknowledgement ({len(lines)}):", *lines] if lines
                  else ["No request is waiting right now."]),
        first=f"acknowledge the request{'s' if count != 1 else ''} still waiting (an :eyes: or a reply in the "
              "thread), then decide who handles each:",
        first_lines=lines, first_now=True)


def _waiting_md(request: Request, at: datetime, clock: BusinessHours, team_url: str) -> str:
    minutes = int(request.age(at, clock))
    age = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    quoted = github_quote(request.text, 160).removeprefix("> ").replace("\n", " ")
    return f"- [{github_text(request.channel, one_line=True)}]({request.permalink(team_url)}), {age}: “{quoted}”"
