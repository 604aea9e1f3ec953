"""Hostile text through every job that posts: it reaches Slack and GitHub as plain text, pinging nobody.

Every field a stranger can type is set to a Slack control sequence or a GitHub
team mention: PR titles, commit messages, job and step names, issue titles,
form answers, people's names in Slack and PagerDuty, requests in Slack. Then
each job runs for real in the sandbox, and everything the product wrote is read
back from the world.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from oncall_lib.config import Config
from oncall_lib.deploys import watch as deploy_watch
from oncall_lib.handoff import rotate
from oncall_lib.offboarding import requests as offboarding
from oncall_lib.postmortems import items as postmortems
from oncall_lib.requests import watch
from oncall_lib.reviews import digest as review_digest
from oncall_lib.support_issues import issues as si
from oncall_lib.support_issues.issues import FORM_LABELS
from tests.conftest import Sandbox

AT = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # Monday 10:30 in New York, a new rotation
REPO, DEVOPS = "department-of-veterans-affairs/va.gov-team", "department-of-veterans-affairs/devops"
SUPPORT = "C01SUPPORT"
PING = "x> <!channel> <!here|here> <!subteam^S0OPS|@ops> <@U0ADA> <#C01SUPPORT> @here cc @org/security-team"


def _form(answers: dict[str, str], labels: tuple[str, ...]) -> str:
    return "\n\n".join(f"### {label}\n\n{answers.get(label) or '_No response_'}" for label in labels)


def hostile_world(sandbox: Sandbox) -> dict[str, str]:
    world = sandbox.world
    devops = next(r for r in world["github"]["repos"] if r["full_name"] == DEVOPS)
    for pull in devops["pulls"]:
        pull["title"] = f"Bump {PING}"
    for commit in devops["commits"]:
        commit["message"] = f"Allow {PING}"
    for run in devops["workflows"][0]["runs"]:
        for job in run["jobs"]:
            job["name"] = f"deploy {PING}"
            for step in job["steps"]:
                step["name"] = f"apply {PING}"
            if job.get("log"):
                job["log"] += f"2026-11-30T14:01:07.0000000Z ##[error]{PING}\n"
    support = next(r for r in world["github"]["repos"] if r["full_name"] == REPO)
    item = next(i for i in support["issues"] if i["number"] == 1980)
    item["title"] = f"pm: {PING}"
    for user in world["slack"]["users"]:
        if user["id"] == "U0REQ1":
            user["real_name"] = f"Sam {PING}"
            user.setdefault("profile", {})["real_name"] = f"Sam {PING}"
    for user in world["pagerduty"]["users"]:
        user["name"] = f"{user['name']} {PING}"
    ts = sandbox.post(SUPPORT, AT - timedelta(hours=3), f"Please help {PING}")
    link = f"https://sandbox.slack.com/archives/{SUPPORT}/p{ts.replace('.', '')}"
    support["issues"] += [
        {"number": 7000, "title": f"[Support] {PING}", "state": "open", "user": "vfs-dev", "assignees": [],
         "labels": ["support-request"], "created_at": "2026-11-30T15:00:00Z",
         "body": _form({"Requester": PING, "What is needed": PING, "Super Epic": PING, "Slack thread": PING},
                       FORM_LABELS)},
        {"number": 7001, "title": "Offboarding", "state": "open", "user": "vfs-dev", "assignees": [],
         "labels": ["offboarding"], "created_at": "2026-11-30T15:00:00Z",
         "body": _form({"Name": f"Bob Smith {PING}", "GitHub username": PING}, offboarding.OFFBOARDING_LABELS)},
    ]
    return {"link": link}


def texts(world: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Every Slack message text, and every GitHub title, body and comment, in the world."""
    slack = {str(m.get("text", "")) for c in world["slack"]["channels"] for m in c.get("messages", [])}
    github: set[str] = set()
    for repo in world["github"]["repos"]:
        for item in [*repo.get("issues", []), *repo.get("pulls", [])]:
            github |= {str(item.get("title", "")), str(item.get("body", ""))}
            github |= {str(c.get("body", "")) for c in item.get("comments", [])}
    return slack, github


def test_no_injection_survives_any_job(sandbox: Sandbox, config: Config) -> None:
    found = hostile_world(sandbox)
    before_slack, before_github = texts(json.loads(json.dumps(sandbox.world)))
    jobs = [
        lambda s, c, at, d: rotate.run(s, c, at, dry_run=d),
        lambda s, c, at, d: watch.run(s, c, at, dry_run=d),
        lambda s, c, at, d: review_digest.run(s, c, at, dry_run=d),
        lambda s, c, at, d: deploy_watch.run(s, c, at, dry_run=d),
        lambda s, c, at, d: si.from_issue(s, c, at, number=7000, dry_run=d),
        lambda s, c, at, d: si.from_thread(s, c, at, link=found["link"], epic_key="customer-support", title=PING,
                                           dry_run=d),
        lambda s, c, at, d: offboarding.offboard(s, c, at, number=7001, dry_run=d),
        lambda s, c, at, d: postmortems.label_item(s, c, at, number=1980, dry_run=d),
    ]
    for job in jobs:
        sandbox.run(job, config, AT)
    after_slack, after_github = texts(sandbox.world)
    posted = after_slack - before_slack
    written = after_github - before_github
    assert len(posted) >= 5 and len(written) >= 3, (posted, written)  # the jobs did post and write

    ours = {m.slack for m in config.roster if m.slack} | {sandbox.world["slack"]["bot"]["user_id"]}
    # Escaped, not dropped: the reader still sees what was typed.
    assert any("Bump x&gt; &lt;!channel&gt;" in text for text in posted)
    for text in posted:
        # (A channel link quoted from Slack, <#C...>, notifies nobody and may stay.)
        assert "<!" not in text, text
        assert set(re.findall(r"<@([A-Z0-9]+)", text)) <= ours, text  # only the product's own mentions
        assert not re.search(r"(?<!\u200b)@(here|channel|everyone)\b", text), text
        assert not re.search(r"\|[^>]*&gt;[^<]*<!", text)
    for text in written:
        assert not re.search(r"@(?!\u200b)org/security-team", text), text
        assert "<!channel>" not in text and "<@U0ADA>" not in text, text


def test_no_injection_survives_the_weeks_duties(sandbox: Sandbox, config: Config) -> None:
    """The handover issue (which quotes requests, PR and issue titles), an answered request, and a cover asked
    with hostile text around it."""
    from oncall_lib.config import AnswersConfig, CoversConfig, HandoverConfig
    from oncall_lib.support_issues import commands as issue_commands

    week = config.model_copy(update={"handover": HandoverConfig(), "answers": AnswersConfig(),
                                     "covers": CoversConfig()})
    hostile_world(sandbox)
    sandbox.post(SUPPORT, AT - timedelta(minutes=3), f"how do I get access to the AWS console? {PING}")
    support = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    support["issues"].append({"number": 7002, "title": "Ask", "state": "open", "user": "vfs-dev", "assignees": [],
                              "labels": ["support-request"], "created_at": "2026-11-30T15:00:00Z", "body": "",
                              "comments": [{"id": 99001, "user": "alan-turing", "body": f"{PING}\n/oncall cover "
                                            f"@katherine-johnson now 2026-12-01T12:00 {PING}"}]})
    before_slack, before_github = texts(json.loads(json.dumps(sandbox.world)))
    for job in (lambda s, c, at, d: rotate.run(s, c, at, dry_run=d),
                lambda s, c, at, d: watch.run(s, c, at, dry_run=d),
                lambda s, c, at, d: issue_commands.run(s, c, at, number=7002, comment_id=99001, dry_run=d)):
        sandbox.run(job, week, AT)
    after_slack, after_github = texts(sandbox.world)
    posted, written = after_slack - before_slack, after_github - before_github
    assert any("This looks like a question we have an answer for" in text for text in posted)
    assert any(text.startswith("@alan-turing is on oncall support") for text in written)  # the handover issue
    assert any("asks you to cover oncall support" in text for text in written)
    ours = {m.slack for m in config.roster if m.slack} | {sandbox.world["slack"]["bot"]["user_id"]}
    for text in posted:
        assert "<!" not in text, text
        assert set(re.findall(r"<@([A-Z0-9]+)", text)) <= ours, text
        assert not re.search(r"(?<!\u200b)@(here|channel|everyone)\b", text), text
    for text in written:
        assert not re.search(r"@(?!\u200b)org/security-team", text), text
        assert "<!channel>" not in text and "<@U0ADA>" not in text, text
