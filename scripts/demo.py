#!/usr/bin/env python3
"""A rotation week in the sandbox, narrated: every job runs with --apply through the real SDKs
against the bundled fake world (a fresh copy in .oncall-sandbox/demo.json each time)."""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.config import ConfigError, load_config  # noqa: E402
from oncall_lib.jobs import rotate  # noqa: E402
from oncall_lib.report import Report  # noqa: E402
from oncall_lib.sandbox import sandbox_services  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD, load_world  # noqa: E402

MARKS = {"applied": "+", "planned": "~", "skipped": "-", "failed": "!"}


def narrate(title: str, report: Report) -> None:
    print(f"\n== {title}")
    for key in ("on_support", "since", "until", "outgoing", "next", "next_takes_over"):
        if report.facts.get(key) is not None:
            print(f"   {key.replace('_', ' ')}: {report.facts[key]}")
    if not report.outcomes:
        print("   nothing to change: the world already matches the schedule")
    for outcome in report.outcomes:
        error = f" ({outcome.error})" if outcome.error else ""
        print(f"   {MARKS[outcome.status.value]} {outcome.action.kind} {outcome.action.target}: "
              f"{outcome.action.detail}{error}")
    for warning in report.warnings:
        print(f"   warning: {warning}")
    for error in report.errors:
        print(f"   error: {error}")
    calls = report.api_calls
    print(f"   API calls: {report.total_calls('reads')} reads, {report.total_calls('writes')} writes "
          "(" + ", ".join(f"{s} {c['reads'] + c['writes']}" for s, c in calls.items()) + ")")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=Path("oncall.toml"))
    parser.add_argument("--world", type=Path, default=Path(".oncall-sandbox/demo.json"),
                        help="where the demo keeps its world (reset from the bundled example each time)")
    args = parser.parse_args()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print("\n".join(f"error: {p}" for p in exc.problems), file=sys.stderr)
        return 2
    args.world.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE_WORLD, args.world)

    def job(at: datetime, title: str) -> Report:
        with sandbox_services(args.world, save=True, clock=lambda: at) as services:
            report = rotate.run(services, config, at, dry_run=False)
        narrate(f"{title} ({at.astimezone(config.team.tz):%a %d %b %H:%M %Z})", report)
        return report

    print("A rotation week in the sandbox. Every write goes through PyGithub, slack_sdk and pagerduty")
    print(f"to the fake world served on 127.0.0.1; the world is kept in {args.world}.")
    now = datetime.now(UTC).replace(microsecond=0)
    first = job(now, "This week's handoff: the hourly job finds who is on the support layer")
    following = first.facts.get("next_takes_over")
    if not isinstance(following, str):
        print("\nThe schedule shows nobody next; the demo stops here.")
        return 1
    next_week = datetime.fromisoformat(following) + timedelta(minutes=10)
    job(next_week, "Next week's handoff, ten minutes after the turn changes")
    last = job(next_week + timedelta(hours=1), "An hour later the job runs again")

    world = load_world(args.world)
    support = next(c for c in world["slack"]["channels"] if c["id"] == config.slack.support.id)
    print(f"\nThe support channel's topic now reads: {support['topic']}")
    epics = {i["number"]: i for r in world["github"]["repos"] for i in r.get("issues", [])}
    for epic in config.super_epics:
        assignees = ", ".join(epics[epic.number]["assignees"]) if epic.number in epics else "?"
        print(f"{epic.title or epic.key} ({epic.issue}) is assigned to: {assignees}")
    return 0 if last.exit_code == 0 and not last.outcomes else 1


if __name__ == "__main__":
    sys.exit(main())
