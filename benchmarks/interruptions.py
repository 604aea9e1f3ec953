#!/usr/bin/env python3
"""Interruptions in a week of six channels: a week of traffic (benchmarks/weeks/week1.json) is put into the sandbox
world as its moments pass, and the tick runs as Actions runs it (hourly at :07 with the handoff, and at :22, :37,
:52 from 13:00 to 21:59 UTC on weekdays). It reports who the product's messages reached and when, false
escalations, missed requests, acknowledgements credited to the wrong people and posts in the requester-facing
channel.

    python3 dev.py run benchmarks/interruptions.py [--week benchmarks/weeks/week1.json] [--code DIR] [--json]

--code runs another checkout's oncall_lib (say main's, for the "before") on the same week and world.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
NY = ZoneInfo("America/New_York")
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EVENTS = ("oncall_support_waiting", "oncall_support_overdue", "oncall_support_digest")
LIMIT_MINUTES = 60


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", type=Path, default=HERE / "weeks" / "week1.json")
    parser.add_argument("--code", type=Path, default=HERE.parent, help="the checkout whose oncall_lib runs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--list", action="store_true", help="also list every message the product sent")
    return parser.parse_args()


ARGS = parse_args()
sys.path.insert(0, str(ARGS.code.resolve()))

from oncall_lib import tick  # noqa: E402
from oncall_lib.config import load_config  # noqa: E402
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD  # noqa: E402
from oncall_lib.services import Services  # noqa: E402


def moment(week_of: date, text: str) -> datetime:
    day, clock = text.split()
    hour, minute = (int(p) for p in clock.split(":"))
    when = datetime.combine(week_of + timedelta(days=DAYS.index(day)), datetime.min.time(), tzinfo=NY)
    return when.replace(hour=hour, minute=minute)


def ticks(start: datetime, end: datetime) -> list[tuple[datetime, bool]]:
    """The tick's schedule in Actions: '7 * * * *' (hourly) and '22,37,52 13-21 * * 1-5' (UTC)."""
    found = []
    at = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while at < end:
        for minute in (7, 22, 37, 52):
            when = at.replace(minute=minute)
            hourly = minute == 7
            if hourly or (13 <= when.hour <= 21 and when.weekday() < 5):
                found.append((when.astimezone(NY), hourly))
        at += timedelta(hours=1)
    return [t for t in found if start <= t[0] < end]


class Week:
    def __init__(self, path: Path) -> None:
        self.data = json.loads(path.read_text())
        self.week_of = date.fromisoformat(self.data["week_of"])
        self.people: dict[str, str] = self.data["people"]
        self.bots: dict[str, dict[str, str]] = self.data["bots"]
        self.events: list[tuple[datetime, str, dict[str, Any]]] = []
        for index, message in enumerate(self.data["messages"]):
            message["id"] = index
            self.events.append((moment(self.week_of, message["at"]), "post", message))
            for reply in message.get("replies", []):
                self.events.append((moment(self.week_of, reply[0]), "reply", {"of": message, "by": reply[1],
                                                                              "text": reply[2]}))
            for react in message.get("reacts", []):
                self.events.append((moment(self.week_of, react[0]), "react", {"of": message, "by": react[1],
                                                                              "name": react[2]}))
        self.events.sort(key=lambda e: e[0])


def build_world(week: Week) -> dict[str, Any]:
    world = json.loads(EXAMPLE_WORLD.read_text())
    known = {u["id"] for u in world["slack"]["users"]}
    for user_id, name in week.data["names"].items():
        if user_id not in known:
            world["slack"]["users"].append({"id": user_id, "name": name.lower().replace(" ", "-"),
                                            "real_name": name, "email": f"{name.split()[0].lower()}@vfs.example"})
    for channel in world["slack"]["channels"]:
        channel["messages"] = [m for m in channel["messages"]]  # the example world's own history stays
    return world


def put(world: dict[str, Any], ids: dict[str, str], week: Week, when: datetime, kind: str, event: dict[str, Any],
        posted: dict[int, tuple[str, str]]) -> None:
    channels = {c["id"]: c for c in world["slack"]["channels"]}
    if kind == "post":
        channel = channels[ids[event["ch"]]]
        ts = f"{when.timestamp():.6f}"
        while any(m["ts"] == ts for m in channel["messages"]):
            ts = f"{float(ts) + 0.000001:.6f}"
        message: dict[str, Any] = {"type": "message", "ts": ts, "text": event["text"]}
        if event["by"] in week.bots:
            bot = week.bots[event["by"]]
            message.update(bot_id=bot["bot_id"], bot_profile={"id": bot["bot_id"], "name": bot["name"]},
                           subtype="bot_message", username=bot["name"])
        else:
            message["user"] = week.people[event["by"]]
        channel["messages"].append(message)
        posted[event["id"]] = (channel["id"], ts)
    else:
        channel_id, parent_ts = posted[event["of"]["id"]]
        channel = channels[channel_id]
        parent = next(m for m in channel["messages"] if m["ts"] == parent_ts)
        if kind == "reply":
            ts = f"{when.timestamp():.6f}"
            channel["messages"].append({"type": "message", "ts": ts, "thread_ts": parent_ts,
                                        "user": week.people[event["by"]], "text": event["text"]})
        else:
            reactions = parent.setdefault("reactions", [])
            found = next((r for r in reactions if r["name"] == event["name"]), None)
            if found is None:
                reactions.append({"name": event["name"], "users": [week.people[event["by"]]], "count": 1})
            else:
                found["users"].append(week.people[event["by"]])
                found["count"] += 1


def main() -> None:
    week = Week(ARGS.week)
    config = load_config(ARGS.code / "oncall.toml")
    # The support form posts as a Workflow Builder bot: the team says its posts are requests (both versions read
    # request_bots), so the week is the same for the code before and after.
    channels = [c.model_copy(update={"request_bots": [*c.request_bots, "Support request form"]})
                if c.key == config.slack.support_channel else c for c in config.slack.channels]
    config = config.model_copy(update={"slack": config.slack.model_copy(update={"channels": channels})})
    ids = {c.key: c.id for c in config.slack.channels}
    clock = config.requests.business_hours.clock(config.team.tz)
    roster = {m.slack: m.name for m in config.roster if m.slack}
    bot_id = None
    world = build_world(week)
    start = datetime.combine(week.week_of, datetime.min.time(), tzinfo=NY)
    end = start + timedelta(days=7)
    seen: set[tuple[str, str]] = {(c["id"], m["ts"]) for c in world["slack"]["channels"] for m in c["messages"]}
    sent: list[dict[str, Any]] = []
    records: dict[str, dict[str, Any]] = {}
    posted: dict[int, tuple[str, str]] = {}
    pending = list(week.events)
    # Settle the example world first (last week's handoff, what its history already holds), uncounted.
    settle = start - timedelta(minutes=53)
    with SandboxServer(world, clock=lambda: settle) as server:
        tick.run(Services(sandbox_endpoints(server)), config, settle, dry_run=False, hourly=True)
    seen = {(c["id"], m["ts"]) for c in world["slack"]["channels"] for m in c["messages"]}
    for at, hourly in ticks(start, end):
        while pending and pending[0][0] <= at:
            when, kind, event = pending.pop(0)
            put(world, ids, week, when, kind, event, posted)
        with SandboxServer(world, clock=lambda at=at: at) as server:
            report = tick.run(Services(sandbox_endpoints(server)), config, at, dry_run=False, hourly=hourly)
        bot_id = bot_id or world["slack"]["bot"]["bot_id"]
        for _title, part in report.parts:
            if part.job == "watch-requests":
                for record in part.facts.get("records", []) or []:
                    records[record["key"]] = record
        for channel in world["slack"]["channels"]:
            for message in channel["messages"]:
                if (channel["id"], message["ts"]) in seen:
                    continue
                seen.add((channel["id"], message["ts"]))
                if message.get("bot_id") == bot_id:
                    sent.append({"at": at, "channel": channel, "message": message})
    print_figures(week, config, clock, roster, ids, sent, records, posted)


def reached(entry: dict[str, Any], roster: dict[str, str], requesters: set[str]) -> set[str]:
    channel, message = entry["channel"], entry["message"]
    if channel.get("is_im"):
        return {channel["user"]}
    if message.get("thread_ts") and message.get("thread_ts") != message["ts"]:
        parent = next((m for m in channel["messages"] if m["ts"] == message["thread_ts"]), {})
        return {parent.get("user", "")} & (set(roster) | requesters)
    return set(channel.get("members", [])) & (set(roster) | requesters)


def bucket(at: datetime, clock: Any) -> str:
    if clock.is_open(at):
        return "business hours"
    return "after hours" if clock.is_workday(at.astimezone(clock.tz).date()) else "weekend or holiday"


def print_figures(week: Week, config: Any, clock: Any, roster: dict[str, str], ids: dict[str, str],
                  sent: list[dict[str, Any]], records: dict[str, dict[str, Any]],
                  posted: dict[int, tuple[str, str]]) -> None:
    truth = {f"{posted[m['id']][0]}/{posted[m['id']][1]}": m for m in week.data["messages"] if m["id"] in posted}
    team_ids = set(roster)
    requesters = {v for v in week.people.values() if v not in team_ids}
    per_person: dict[str, dict[str, int]] = {}
    listed: dict[str, list[tuple[datetime, str]]] = {}
    false_escalations: set[str] = set()
    non_urgent_team, non_urgent_out_of_hours, support_posts, team_posts, dms_on_support, dms_others = 0, 0, 0, 0, 0, 0
    on_support = week.people[week.data["on_support"]]
    ops = config.slack.operations.id if config.slack.operations else None
    for entry in sent:
        at, message, channel = entry["at"], entry["message"], entry["channel"]
        when = bucket(at, clock)
        for person in reached(entry, roster, requesters):
            counts = per_person.setdefault(person, {"business hours": 0, "after hours": 0, "weekend or holiday": 0})
            counts[when] += 1
        if channel["id"] == ids[config.slack.support_channel]:
            support_posts += 1
        team_posts += channel["id"] == ops
        dms_on_support += bool(channel.get("is_im") and channel.get("user") == on_support)
        dms_others += bool(channel.get("is_im") and channel.get("user") != on_support)
        metadata = message.get("metadata") or {}
        keys = [str(k) for k in (metadata.get("event_payload") or {}).get("requests", [])]
        if metadata.get("event_type") in EVENTS:
            for key in keys:
                listed.setdefault(key, []).append((at, metadata["event_type"]))
                if key in truth and truth[key]["truth"] == "not":
                    false_escalations.add(key)
            urgent = any(truth.get(k, {}).get("truth") == "urgent" for k in keys)
            if metadata["event_type"] == "oncall_support_overdue" and not all(
                    truth.get(k, {}).get("truth") == "urgent" for k in keys):
                non_urgent_team += 1
            if when != "business hours" and not urgent:
                non_urgent_out_of_hours += 1
    missed = []
    for key, message in truth.items():
        if message["truth"] == "not":
            continue
        asked = datetime.fromtimestamp(float(key.split("/")[1]), tz=NY)
        acks = [moment(week.week_of, r[0]) for r in message.get("replies", []) if week.people[r[1]] in team_ids]
        acks += [moment(week.week_of, r[0]) for r in message.get("reacts", []) if week.people[r[1]] in team_ids]
        if message.get("resolved"):  # an alert that resolved by itself needs nobody
            acks.append(moment(week.week_of, message["resolved"]))
        acked = min(acks) if acks else None
        due = (asked + timedelta(minutes=LIMIT_MINUTES) if message["truth"] == "urgent"
               else clock.add_minutes(asked, LIMIT_MINUTES))
        if due > datetime.combine(week.week_of + timedelta(days=7), datetime.min.time(), tzinfo=NY):
            continue  # its hour is not over within the week
        if acked is not None and acked <= due:
            continue
        told = [at for at, kind in listed.get(key, []) if kind == "oncall_support_waiting" and
                (acked is None or at <= acked)]
        if not told:
            missed.append(f"{message['at']} {message['ch']}: {message['text'][:50]}")
    wrong = [k for k, r in records.items() if r.get("acknowledged_by") and r.get("via") in ("reply", "reaction")
             and r["acknowledged_by"] not in team_ids]
    requests = sum(m["truth"] != "not" for m in truth.values())
    urgent = sum(m["truth"] == "urgent" for m in truth.values())
    business_days = sum(clock.is_workday(week.week_of + timedelta(days=d)) for d in range(7))
    by_hand = urgent + business_days
    figures = {
        "messages": len(truth) + sum(len(m.get("replies", [])) for m in truth.values()),
        "reactions": sum(len(m.get("reacts", [])) for m in truth.values()),
        "requests": requests, "urgent": urgent,
        "product messages": len(sent),
        "posts to the whole team (operations channel)": team_posts,
        "by hand (one team post per urgent request, one standup mention per business day)": by_hand,
        "DMs to the person on support": dms_on_support,
        "DMs to anyone else": dms_others,
        "false escalations (non-requests listed)": len(false_escalations),
        "team posts listing a non-urgent request": non_urgent_team,
        "non-urgent messages outside business hours": non_urgent_out_of_hours,
        "missed requests (unacknowledged past the hour, person on support not told)": len(missed),
        "acknowledgements credited to someone off the team": len(wrong),
        "posts in the requester-facing channel": support_posts,
    }
    names = {**roster, **week.data["names"], "U0REQ1": "Sam Requester", "U0DOT": "Dorothy Vaughan"}
    people = {names.get(p, p): c for p, c in sorted(per_person.items(), key=lambda i: names.get(i[0], i[0]))}
    if ARGS.json:
        print(json.dumps({"figures": figures, "per_person": people, "missed": missed,
                          "false": sorted(truth[k]["text"][:50] for k in false_escalations)}, indent=1))
        return
    for name, value in figures.items():
        print(f"{name}: {value}")
    print("\nper person (business hours / after hours / weekend or holiday):")
    for name, counts in people.items():
        print(f"  {name}: {counts['business hours']} / {counts['after hours']} / {counts['weekend or holiday']}")
    for line in missed:
        print(f"missed: {line}")
    if ARGS.list:
        for entry in sent:
            where = "DM " + entry["channel"]["user"] if entry["channel"].get("is_im") else entry["channel"]["name"]
            kind = (entry["message"].get("metadata") or {}).get("event_type", "")
            first = entry["message"]["text"].splitlines()[0][:100] if entry["message"]["text"] else ""
            print(f"sent {entry['at']:%a %H:%M} {where} {kind}: {first}")
    for key in sorted(false_escalations):
        print(f"false escalation: {truth[key]['at']} {truth[key]['text'][:60]}")


if __name__ == "__main__":
    main()
