"""What the request watch adds to the places every duty shares (declared in its DUTY's `contributes`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from oncall_lib.business_time import BusinessHours
from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection, RequestsRead, RequestWindow
from oncall_lib.requests.classify import Request, classify, seen_by_from_sheet
from oncall_lib.requests.waiting import format_waiting, scan_requests, team_of
from oncall_lib.services import Services
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


def report_requests(services: Services, config: Config, window: RequestWindow) -> RequestsRead:
    """Every request of the weeks the report reads (one history read per watched channel), an acknowledgement by
    reaction timed by the watch's scan that first saw it (the sheet's support rows); for the turn reported, when
    multi-reply threads were first answered (at most `window.budget` thread reads)."""
    scan = scan_requests(services, config, window.newest, oldest=window.oldest)
    seen = {key: when for key, how in window.acknowledged_how.items() if (when := seen_by_from_sheet(how))}
    found = [r if r.acknowledged_at or r.key not in seen else replace(r, seen_by=seen[r.key]) for r in scan.requests]
    reported = [r for r in found if window.start <= r.asked_at < window.end]
    dated = dict(zip((r.key for r in reported), _date_requests(services, config, reported, scan.me, window.budget),
                     strict=True))
    return RequestsRead([dated.get(r.key, r) for r in found], scan.me.team_url)


def _date_requests(services: Services, config: Config, requests: list[Request], me: Any, budget: int) -> list[Request]:
    """Learn when multi-reply threads were first answered, reading at most `budget` threads; a reaction with a
    reply of the product's in its thread may be a ticket, whose "Tracked as" reply has a time."""
    dated = []
    channels = {c.id: c for c in config.slack.channels}
    for request in requests:
        worth_reading = request.via == "reply" or (request.via == "reaction" and request.own_reply)
        if request.acknowledged and request.acknowledged_at is None and worth_reading and budget > 0:
            budget -= 1
            thread = services.slack.replies(request.channel_id, request.ts)
            parent = next((m for m in thread if m.get("ts") == request.ts), None)
            if parent is not None:
                read = classify(parent, channels[request.channel_id], config.requests.ack_reactions, me,
                                thread=thread, team=team_of(config))
                read = replace(read, urgent=request.urgent, why=request.why)  # decided by the scan, from its words
                # The thread's own time when it has one; else the scan's upper bound stays.
                request = read if read.acknowledged_at else replace(read, seen_by=request.seen_by)
        dated.append(request)
    return dated

