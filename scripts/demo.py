#!/usr/bin/env python3
"""A rotation week in the sandbox, narrated: every job runs with --apply through the real SDKs
against the bundled fake world (a fresh copy in .oncall-sandbox/demo.json each time)."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("demo.py")

from oncall_lib.cli import add_config_flag  # noqa: E402
from oncall_lib.config import AnswersConfig, Config, ConfigError, CoversConfig, HandoverConfig, load_config  # noqa: E402
from oncall_lib.deploys import watch as deploy_watch  # noqa: E402
from oncall_lib.handoff import rotate  # noqa: E402
from oncall_lib.iam import audit as iam_audit  # noqa: E402
from oncall_lib.iam import cleanup as iam_cleanup  # noqa: E402
from oncall_lib.offboarding import requests as offboarding  # noqa: E402
from oncall_lib.postmortems import items as postmortems  # noqa: E402
from oncall_lib.preview import preview_of, slack_readable, text_lines  # noqa: E402
from oncall_lib.report import Report  # noqa: E402
from oncall_lib.requests import watch  # noqa: E402
from oncall_lib.reviews import digest as review_digest  # noqa: E402
from oncall_lib.sandbox import sandbox_services  # noqa: E402
from oncall_lib.sandbox.world import EXAMPLE_WORLD, load_world, save_world, world_clock  # noqa: E402
from oncall_lib.services import Services  # noqa: E402
from oncall_lib.setup import labels  # noqa: E402
from oncall_lib.support_issues import commands as issue_commands  # noqa: E402
from oncall_lib.support_issues import issues as support_issues  # noqa: E402
from oncall_lib.tracking import log as tracking  # noqa: E402
from oncall_lib.tracking import report as rotation_report  # noqa: E402

# The commands the demo ends on: tests/test_demo.py runs each of them.
DOCTOR_HINT = "python3 dev.py run doctor.py --config oncall.toml"
DRY_RUN_HINT = "python3 dev.py run rotate_assignees.py --config oncall.toml --dry-run"
MARKS = {"applied": "+", "planned": "~", "pending": "…", "skipped": "-", "failed": "!"}
# Shown whole even in the short demo (what they post in Slack), the first time each writes: the handoff, the request
# watch's nudges, and the rotation report's summary.
WHOLE = ("rotate-assignees", "watch-requests", "rotation-report")
# A fact that is a moment, as the reports carry them: 2026-12-21T09:00:00-05:00.
ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)")
Job = Callable[[Services, Config, datetime, bool], Report]


def slack_names(config: Config) -> dict[str, str]:
    """Slack ids as people read them in Slack: members by name, channels by name."""
    return {**{c.id: c.name for c in config.slack.channels if c.name},
            **{m.slack: m.name for m in config.roster if m.slack}}


def narrate(title: str, report: Report, names: dict[str, str], *, slack_only: bool = False,
            tz: tzinfo = UTC) -> None:
    """A run whole: its facts, every action with what it wrote as its reader sees it (with `slack_only`, only what
    it posted in Slack), warnings, API calls."""
    print(f"\n== {title}")
    for key, value in report.facts.items():
        if value is not None and isinstance(value, str | int | float) and not isinstance(value, bool):
            print(f"   {key.replace('_', ' ')}: {readable_fact(value, tz)}")
    if not report.outcomes:
        print("   nothing to change")
    for outcome in report.outcomes:
        error = f" ({outcome.error})" if outcome.error else ""
        print(f"   {MARKS[outcome.status.value]} {outcome.action.kind} {outcome.action.target}: "
              f"{outcome.action.detail}{error}")
        # Every message, comment, issue and PR whole, as its reader sees it (Slack links as their label and URL).
        preview = preview_of(outcome.action)
        if preview is not None and (preview.to == "slack" or not slack_only):
            for line in text_lines(preview, names):
                print(f"       | {line}".rstrip())
    for warning in report.warnings:
        print(f"   warning: {warning}")
    for error in report.errors:
        print(f"   error: {error}")
    calls = report.api_calls
    print(f"   API calls: {report.total_calls('reads')} reads, {report.total_calls('writes')} writes "
          "(" + ", ".join(f"{s} {c['reads'] + c['writes']}" for s, c in calls.items()) + ")")


def readable_fact(value: str | int | float, tz: tzinfo) -> str:
    """A fact as a newcomer reads it: a moment (the facts carry ISO times for --json) as 'Mon 21 Dec 09:00 EST'."""
    if isinstance(value, str) and ISO_MOMENT.fullmatch(value):
        return f"{datetime.fromisoformat(value).astimezone(tz):%a %d %b %H:%M %Z}"
    return str(value)


def in_one_line(when: str, title: str, report: Report) -> None:
    """A run as one line: when, what ran, and what it changed, counted by kind of change."""
    done = Counter(o.action.kind.split(".", 1)[1].replace("_", " ") for o in report.outcomes
                   if o.status.value == "applied")
    changes = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in done.items()) or "nothing to change"
    trouble = f"; {len(report.errors)} error(s)" if report.errors else ""
    print(f"   {when}  {title}: {changes}{trouble}")


class Demo:
    def __init__(self, config: Config, world: Path) -> None:
        self.config, self.world = config, world
        self.runs: list[tuple[str, Report]] = []
        self.clock: datetime | None = None
        # Short by default: the first handoff and the first watch that writes are shown whole, every other run in
        # one line. --full shows every run whole.
        self.full = False
        self.shown: set[str] = set()
        self.after_whole = False

    def run(self, job: Job, at: datetime, title: str) -> Report:
        # The story's clock only moves forward: a step out of order is the demo's bug, not a feature to show.
        assert self.clock is None or at >= self.clock, f"the demo's clock went back to {at} for {title!r}"
        self.clock = at
        with sandbox_services(self.world, save=True, clock=lambda: at) as services:
            report = job(services, self.config, at, False)
        when = f"{at.astimezone(self.config.team.tz):%a %d %b %H:%M}"
        whole = report.job in WHOLE and report.job not in self.shown and report.outcomes
        if self.full or whole:
            self.shown.add(report.job)
            narrate(f"{title} ({when} {at.astimezone(self.config.team.tz):%Z})", report, slack_names(self.config),
                    slack_only=not self.full, tz=self.config.team.tz)
            self.after_whole = True
        else:
            if self.after_whole:
                print()
            self.after_whole = False
            in_one_line(when, title, report)
        self.runs.append((title, report))
        return report

    def say(self, text: str) -> None:
        """A step of the story (someone posts, comments, presses a button)."""
        print(f"\n== {text}" if self.full else f"   {'':16}» {text}")

    def detail(self, text: str) -> None:
        if self.full:
            print(f"   {text}")

    def post(self, channel_key: str, when: datetime, text: str, user: str | None = "U0REQ1",
             **fields: Any) -> str:
        world = load_world(self.world)
        channel_id = self.config.slack.channel(channel_key).id
        channel = next(c for c in world["slack"]["channels"] if c["id"] == channel_id)
        message = {"type": "message", "ts": f"{when.timestamp():.6f}", "text": text, **fields}
        if user:
            message["user"] = user
        channel["messages"].append(message)
        save_world(world, self.world)
        return str(message["ts"])


def recap(runs: list[tuple[str, Report]], full: bool) -> None:
    """What each job did, in one table (the short demo has said it line by line), and where to go next."""
    if full:
        print("\n== Recap: what each job did")
        for title, report in runs:
            applied = sum(o.status.value == "applied" for o in report.outcomes)
            print(f"   {report.job:<18} {applied:>2} change(s), {report.total_calls('reads'):>3} reads  "
                  f"{title[:70]}")
    print("\nTry it against a real workspace: every token, scope and id is checked with read-only calls by")
    print(f"    {DOCTOR_HINT}")
    print("then every job runs as a dry run first (the default outside Actions), showing each message whole:")
    print(f"    {DRY_RUN_HINT}")
    print("The README's 'From fork to first real run' walks through it.")


def react(self: Demo, channel_key: str, ts: str, name: str, user: str) -> None:
    world = load_world(self.world)
    channel_id = self.config.slack.channel(channel_key).id
    channel = next(c for c in world["slack"]["channels"] if c["id"] == channel_id)
    message = next(m for m in channel["messages"] if m["ts"] == ts)
    message.setdefault("reactions", []).append({"name": name, "users": [user], "count": 1})
    save_world(world, self.world)


def open_form_issue(self: Demo, body: str, at: datetime, *, title: str = "[Support] Sentry access",
                    label: str | None = "support-request", user: str = "vfs-dev") -> int:
    """Someone opens an issue from one of the forms (as GitHub renders it), with the form's own label."""
    world = load_world(self.world)
    assert self.config.support_issues
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == self.config.support_issues.repo)
    number = max((i["number"] for i in repo["issues"]), default=0) + 1
    repo["issues"].append({"number": number, "title": title, "body": body, "state": "open", "user": user,
                           "labels": [label] if label else [], "assignees": [],
                           "created_at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
    save_world(world, self.world)
    return number


def add_label(self: Demo, number: int, label: str, actor: str, at: datetime) -> None:
    """Someone adds a label to an issue: GitHub records who (the `labeled` event the access job reads)."""
    world = load_world(self.world)
    assert self.config.support_issues
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == self.config.support_issues.repo)
    issue = next(i for i in repo["issues"] if i["number"] == number)
    if label not in issue.setdefault("labels", []):
        issue["labels"].append(label)
    issue.setdefault("events", []).append({"event": "labeled", "label": label, "actor": actor,
                                           "created_at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
    save_world(world, self.world)


def comment_on(self: Demo, number: int, author: str, body: str, at: datetime) -> int:
    """Someone comments on an issue (on GitHub, or from the Slack preview's Comment button)."""
    world = load_world(self.world)
    assert self.config.support_issues
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == self.config.support_issues.repo)
    issue = next(i for i in repo["issues"] if i["number"] == number)
    comment_id = 990000 + len(issue.setdefault("comments", []))
    issue["comments"].append({"id": comment_id, "user": author, "body": body,
                              "created_at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
    save_world(world, self.world)
    return comment_id


def edit_form_issue(self: Demo, number: int, body: str) -> None:
    world = load_world(self.world)
    assert self.config.support_issues
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == self.config.support_issues.repo)
    next(i for i in repo["issues"] if i["number"] == number)["body"] = body
    save_world(world, self.world)


def form_body(answers: dict[str, str]) -> str:
    return "\n\n".join(f"### {label}\n\n{answers.get(label) or '_No response_'}"
                        for label in support_issues.FORM_LABELS)


def handoff(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotate.run(services, config, at, dry_run=dry_run)


def scanning(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return support_issues.scan(services, config, at, dry_run=dry_run)


def watching(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return watch.run(services, config, at, dry_run=dry_run)


def a_morning_of_requests(demo: Demo, start: datetime, on_support: str) -> dict[str, str]:
    """Requests from the first hour of the turn: acknowledged, answered only by their requester, a bot, waiting."""
    demo.say("A morning of requests arrives")
    demo.post("support", start + timedelta(minutes=10), "Is staging down? The review instances 502.",
              reactions=[{"name": "eyes", "users": [on_support], "count": 1}])
    demo.detail("#vfs-platform-support: 'Is staging down?' (gets :eyes: from the person on support)")
    asked = demo.post("support", start + timedelta(minutes=15), "Need access to Grafana for my new teammate")
    demo.post("support", start + timedelta(minutes=35), "anyone?", thread_ts=asked)
    demo.detail("#vfs-platform-support: 'Need access to Grafana' (only its requester replies: still waiting)")
    answered = demo.post("support", start + timedelta(minutes=20), "My deploy is stuck", user="U0DOT")
    demo.post("support", start + timedelta(minutes=28), "Looking now", user="U0GRACE", thread_ts=answered)
    demo.detail("#vfs-platform-support: 'My deploy is stuck' (answered in its thread after 8 minutes)")
    demo.post("support", start + timedelta(minutes=25), "Deploy of vets-api finished", user=None,
              bot_id="B0DEPLOY01", bot_profile={"name": "deploy-bot"})
    demo.detail("#vfs-platform-support: a deploy bot's notice (not a request)")
    demo.post("alerts", start + timedelta(minutes=40), "CPU above 90% on api-prod", user=None,
              bot_id="B0ALERTS01", bot_profile={"name": "grafana-alerts"})
    demo.detail("#devops-alerts: an alert from grafana-alerts (a request, in an urgent channel)")
    if demo.config.answers:
        demo.post("support", start + timedelta(minutes=50), "hi team, how do I get access to the AWS console?")
        demo.detail("#vfs-platform-support: 'how do I get access to the AWS console?' (answers.toml answers it)")
    return {"access": asked, "deploy": answered}


def the_week(demo: Demo, turn: datetime, on_support: str) -> None:
    """The handover issue acknowledged with /oncall ack, then a cover asked for and accepted on it."""
    config = demo.config
    if not (config.handover and config.support_issues):
        return
    world = load_world(demo.world)
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == config.support_issues.repo)
    issue = next((i for i in repo["issues"] if config.handover.label in i.get("labels", [])
                  and on_support in i.get("assignees", [])), None)
    if issue is None:
        return
    demo.say(f"This turn's handover issue, #{issue['number']} “{issue['title']}”, as the handoff opened it:")
    for line in str(issue["body"]).splitlines()[:14]:
        demo.detail(f"| {line}")
    ack = comment_on(demo, issue["number"], on_support, "/oncall ack", turn + timedelta(minutes=106))
    demo.say(f"@{on_support} acknowledges it: '/oncall ack'")
    demo.run(lambda s, c, at, d: issue_commands.run(s, c, at, number=issue["number"], comment_id=ack, dry_run=d),
             turn + timedelta(minutes=107), "The comment workflow ticks the handover issue's box")
    if not config.covers:
        return
    helper = next((m.github for m in config.roster if m.rotation and m.github and m.github != on_support), None)
    if helper is None:
        return
    tomorrow = (turn + timedelta(days=1)).astimezone(config.team.tz)
    span = f"{tomorrow:%Y-%m-%d} 13:00 {tomorrow:%Y-%m-%d} 16:00"
    ask = comment_on(demo, issue["number"], on_support, f"Dentist tomorrow afternoon.\n/oncall cover @{helper} {span}",
                     turn + timedelta(minutes=108))
    demo.say(f"@{on_support} asks on the handover issue: '/oncall cover @{helper} {span}'")
    demo.run(lambda s, c, at, d: issue_commands.run(s, c, at, number=issue["number"], comment_id=ask, dry_run=d),
             turn + timedelta(minutes=109), "The comment workflow asks them (nothing in PagerDuty yet)")
    accept = comment_on(demo, issue["number"], helper, "/oncall accept", turn + timedelta(minutes=110))
    demo.say(f"@{helper} answers '/oncall accept'")
    demo.run(lambda s, c, at, d: issue_commands.run(s, c, at, number=issue["number"], comment_id=accept,
                                                    dry_run=d),
             turn + timedelta(minutes=111), "The comment workflow makes the PagerDuty override and says what changed")


def week(demo: Demo, now: datetime) -> Report | None:
    """The story: a week of the rotation, each job run as its workflow would. The later-that-day handoff's
    report is returned (it should find nothing to do); None when the schedule shows nobody next."""
    config = demo.config
    first = demo.run(handoff, now, "This week's handoff: the hourly job finds who is on the support layer")
    demo.run(watching, now + timedelta(minutes=1), "The request watch (every 15 minutes): what waits already")
    if config.postmortems:
        demo.run(lambda s, c, at, d: labels.run(s, c, at, dry_run=d), now + timedelta(minutes=2),
                 "Labels as code: .github/labels.yml in every repository the product writes to")
        demo.run(lambda s, c, at, d: postmortems.scan_documents(s, c, at, dry_run=d), now + timedelta(minutes=3),
                 "The postmortem documents scan (weekdays, early)")
    following = first.facts.get("next_takes_over")
    if not isinstance(following, str):
        print("\nThe schedule shows nobody next; the demo stops here.")
        return None
    turn = datetime.fromisoformat(following)
    second = demo.run(handoff, turn + timedelta(minutes=10), "Next week's handoff, ten minutes after the turn changes")
    person = next((m for m in config.roster if m.name == second.facts.get("on_support")), None)
    threads = a_morning_of_requests(demo, turn, person.slack if person and person.slack else "U0GRACE")
    if config.reviews:
        demo.run(lambda s, c, at, d: review_digest.run(s, c, at, dry_run=d), turn + timedelta(minutes=45),
                 "The PR review digest (weekday mornings)")
    for minutes in (60, 75, 90):
        demo.run(watching, turn + timedelta(minutes=minutes), "The request watch runs (every 15 minutes)")

    if config.support_issues:
        team_member = person.slack if person and person.slack else "U0GRACE"
        react(demo, "support", threads["access"], config.support_issues.ticket_reaction, team_member)
        demo.say("The access request will take a while: the person on support adds :ticket: to it")
        demo.run(scanning, turn + timedelta(minutes=93), "The support-issue scan runs (every 15 minutes)")
        link = f"https://sandbox.slack.com/archives/{config.slack.support.id}/p{threads['deploy'].replace('.', '')}"
        demo.say(f"Someone presses 'Open support issue from a Slack thread' with {link}")
        demo.run(lambda s, c, at, d: support_issues.from_thread(s, c, at, link=link, epic_key="incident-response",
                                                                dry_run=d),
                 turn + timedelta(minutes=95), "The button's run")
        incomplete = {"Requester": "Sam Requester", "Super Epic": "Global Customer Support"}
        number = open_form_issue(demo, form_body(incomplete), turn + timedelta(minutes=96))
        demo.say(f"A requester opens issue #{number} from the support form, forgetting what they need")
        demo.run(lambda s, c, at, d: support_issues.from_issue(s, c, at, number=number, dry_run=d),
                 turn + timedelta(minutes=97), "The issue-event workflow runs")
        edit_form_issue(demo, number, form_body({"Requester": "Sam Requester", "Super Epic": "Global Customer Support",
                                                 "What is needed": "Sentry access for two new teammates"}))
        demo.say(f"They edit #{number} to say what they need")
        demo.run(lambda s, c, at, d: support_issues.from_issue(s, c, at, number=number, dry_run=d),
                 turn + timedelta(minutes=99), "The issue-event workflow runs again")
        vpn = demo.post("support", turn + timedelta(minutes=100), "The VPN drops every ten minutes since 9:00",
                        user="U0DOT")
        app = open_form_issue(demo, "The VPN drops every ten minutes since 9:00\n\n<sub>Created from a [Slack "
                              f"message](https://sandbox.slack.com/archives/{config.slack.support.id}/p"
                              f"{vpn.replace('.', '')}) with GitHub for Slack</sub>", turn + timedelta(minutes=101),
                              title="VPN drops every ten minutes", label=None)
        demo.say(f"From Slack: a requester uses GitHub for Slack's 'Create an issue' on their message: #{app}, "
              "no label, no epic")
        demo.run(lambda s, c, at, d: support_issues.from_issue(s, c, at, number=app, dry_run=d),
                 turn + timedelta(minutes=102), "The issue-event workflow recognises the app's issue")
        who = person.github if person and person.github else "katherine-johnson"
        comment = comment_on(demo, app, who, "Grace owns the VPN.\n/oncall assign @grace-hopper",
                             turn + timedelta(minutes=104))
        demo.say(f"@{who} comments '/oncall assign @grace-hopper' from the Slack preview's Comment button")
        demo.run(lambda s, c, at, d: issue_commands.run(s, c, at, number=app, comment_id=comment, dry_run=d),
                 turn + timedelta(minutes=105), "The comment workflow runs the command (roster members only)")
        the_week(demo, turn, person.github if person and person.github else "alan-turing")
    if config.postmortems and config.support_issues:
        item = open_form_issue(demo, "\n\n".join(f"### {label}\n\n{value}" for label, value in (
            ("Postmortem", "postmortems/2026-11-03-api-outage.md"), ("Action item", "Add a synthetic check for the "
                                                                    "login page"), ("Type", "Detect"),
            ("Owner", "_No response_"))), turn + timedelta(minutes=112),
            title="[Postmortem] Add a synthetic check for the login page", label=None)
        demo.say(f"After the incident review, someone files #{item}: '[Postmortem] Add a synthetic check...'")
        demo.run(lambda s, c, at, d: postmortems.label_item(s, c, at, number=item, dry_run=d),
                 turn + timedelta(minutes=113), "The postmortem-item workflow labels it and puts it on its epic")
    if config.iam:
        eleven = turn.astimezone(config.team.tz).replace(hour=config.iam.audit_hour, minute=7)
        demo.run(lambda s, c, at, d: iam_audit.run(s, c, at, dry_run=d), eleven,
                 "The IAM inactivity audit (weekdays at 11:00)")
        demo.run(lambda s, c, at, d: iam_cleanup.run(s, c, at, dry_run=d, users=[], from_audit=True),
                 eleven + timedelta(minutes=20), "Someone presses 'Draft IAM cleanup PR' with from_audit")
        demo.run(lambda s, c, at, d: iam_cleanup.run(s, c, at, dry_run=d, users=[], from_audit=True),
                 eleven + timedelta(minutes=25), "...and presses it again")
    if config.deploys:
        demo.say("A deploy fails; the deploy bot announces it in #devops-deploys")
        demo.post(config.deploys.channel, turn + timedelta(hours=2, minutes=50),
                  "Deploy #412 of devops failed: https://github.sandbox/department-of-veterans-affairs/devops/"
                  "actions/runs/7002", user=None, bot_id="B0DEPLOY01", bot_profile={"name": "deploy-bot"})
        demo.run(lambda s, c, at, d: deploy_watch.run(s, c, at, dry_run=d), turn + timedelta(hours=2, minutes=56),
                 "The deploy watch (every 15 minutes)")
    if config.offboarding and config.access:
        body = "\n\n".join(f"### {label}\n\n{value}" for label, value in (
            ("Name", "Bob Smith"), ("Team", "VFS Team Orange"), ("Expected last day", "2026-12-18"),
            ("GitHub username", "bob-smith-vfs"),
            ("Tier 2 steps", f"- [ ] {offboarding.IAM_STEP}\n- [ ] {offboarding.SOCKS_STEP}\n"
                             "- [ ] Remove from PagerDuty")))
        # Filed by a roster member: only people the config names may ask for an offboarding.
        number = open_form_issue(demo, body, turn + timedelta(hours=3, minutes=5), title="Offboarding: Bob Smith",
                                 label="offboarding", user=next(m.github for m in config.roster if m.github))
        demo.say(f"An offboarding request for Bob Smith is filed as #{number} (the offboarding form)")
        demo.run(lambda s, c, at, d: offboarding.offboard(s, c, at, number=number, dry_run=d),
                 turn + timedelta(hours=3, minutes=10), "The offboarding workflow runs")
        access = open_form_issue(demo, "\n\n".join(f"### {label}\n\n{value}" for label, value in (
            ("Person", "New Teammate"), ("GitHub username", "new-teammate"),
            ("Tool", "GitHub: devops repository (read)"), ("Reason", "Joining VFS"), ("Approver", "ada-lovelace"))),
            turn + timedelta(hours=3, minutes=15), title="Access: New Teammate", label="access-request")
        demo.say(f"Access request #{access} (the access form): someone outside the approvers adds access-approved")
        add_label(demo, access, "access-approved", "vfs-contractor", turn + timedelta(hours=3, minutes=19))
        demo.run(lambda s, c, at, d: offboarding.grant(s, c, at, number=access, sender="vfs-contractor",
                                                       label="access-approved", dry_run=d),
                 turn + timedelta(hours=3, minutes=20), "The access workflow runs")
        demo.say("Then Ada, an approver, adds the label")
        add_label(demo, access, "access-approved", "ada-lovelace", turn + timedelta(hours=3, minutes=24))
        demo.run(lambda s, c, at, d: offboarding.grant(s, c, at, number=access, sender="ada-lovelace",
                                                       label="access-approved", dry_run=d),
                 turn + timedelta(hours=3, minutes=25), "The access workflow runs again")
    last = demo.run(handoff, turn + timedelta(hours=4), "Later that day the hourly handoff job runs again")
    if config.tracking:
        demo.run(lambda s, c, at, d: tracking.log_task(s, c, at, dry_run=d, kind="access", minutes=15,
                                                       summary="Granted Grafana access to Sam's new teammate"),
                 turn + timedelta(hours=5), "The person on support presses 'Log a task'")
    turn_end = datetime.fromisoformat(str(second.facts["until"]))
    clock = config.requests.business_hours.clock(config.team.tz)
    day_before = clock.previous_workday(turn_end.astimezone(config.team.tz).date())
    heads_up = datetime.combine(day_before, turn_end.astimezone(config.team.tz).timetz()).replace(minute=5)
    demo.run(handoff, heads_up, "The working day before the next turn, the hourly handoff job gives the next "
             "person a heads-up")
    # The report is published as an issue: its preview above is the report, whole, as people read it on GitHub.
    demo.run(lambda s, c, at, d: rotation_report.run(s, c, at, dry_run=d), turn_end - timedelta(minutes=30),
             "The end-of-rotation report, before the next handoff")
    return last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_config_flag(parser)
    parser.add_argument("--world", type=Path, default=Path(".oncall-sandbox/demo.json"),
                        help="where the demo keeps its world (reset from the bundled example each time)")
    parser.add_argument("--full", action="store_true",
                        help="show every run whole: each message, comment, issue and PR as its reader sees it, the "
                             "API calls, and a recap (the default shows the handoff and the watch whole, every other "
                             "run in one line)")
    args = parser.parse_args()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print("\n".join(f"error: {p}" for p in exc.problems), file=sys.stderr)
        return 2
    args.world.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE_WORLD, args.world)
    # The week's optional features (docs/week.md) are off in the example oncall.toml; the demo turns them on.
    turned_on = [name for name in ("handover", "covers", "answers") if getattr(config, name) is None]
    config = config.model_copy(update={"handover": config.handover or HandoverConfig(),
                                       "covers": config.covers or CoversConfig(),
                                       "answers": config.answers or AnswersConfig()})
    demo = Demo(config, args.world)
    demo.full = args.full

    print("A rotation week in the sandbox. Every call goes through the real clients (PyGithub, slack_sdk,")
    print("pagerduty, gspread, boto3, httpx for ZenHub) to a fake world served on 127.0.0.1,")
    print(f"kept in {args.world}, at the world's own moment. '+' marks a write that was applied; --full shows "
          "every run whole.")
    if turned_on:
        print(f"The demo turns on {', '.join(f'[{name}]' for name in turned_on)} (docs/week.md), which oncall.toml "
              "leaves off.")
    last = week(demo, world_clock(args.world) or datetime.now(UTC).replace(microsecond=0))
    if last is None:
        return 1
    recap(demo.runs, demo.full)

    world = load_world(args.world)
    support = next(c for c in world["slack"]["channels"] if c["id"] == config.slack.support.id)
    print(f"\nThe support channel's topic now reads: {slack_readable(support['topic'], slack_names(config))}")
    epics = {i["number"]: i for r in world["github"]["repos"] for i in r.get("issues", [])}
    for epic in config.super_epics:
        assignees = ", ".join(epics[epic.number]["assignees"]) if epic.number in epics else "?"
        print(f"{epic.title or epic.key} ({epic.issue}) is assigned to: {assignees}")
    return 0 if last.exit_code == 0 and not last.outcomes else 1


if __name__ == "__main__":
    sys.exit(main())
