"""Forged Slack records: a member's post, or another app's, carrying the product's own message metadata.

Anyone in a workspace can attach any metadata to a post (`chat.postMessage`'s `metadata` takes whatever the caller
sends), so the product's memory in Slack counts only on its own bot's posts. Each case runs a real job once in a
clean world to see what the product posts (channel, thread, metadata, text), then in a fresh copy of that world
where a forger posted the very same messages through slack_sdk with its own token a minute earlier, and checks that
the product still posts every one of them itself, once, and that the forgeries are left alone.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

import tests.test_iam_audit as iam_tests
import tests.test_rotation_report as report_tests
import tests.test_watch as watch_tests
from oncall_lib.answers import reply as answers
from oncall_lib.authorship import SlackBot, only_product_metadata, posted_by_product, product_metadata
from oncall_lib.config import AnswersConfig, Config, HandoverConfig
from oncall_lib.deploys import watch as deploy_watch
from oncall_lib.handoff import handover, rotate
from oncall_lib.iam import audit as iam_audit
from oncall_lib.report import Report
from oncall_lib.requests import watch
from oncall_lib.reviews import digest as review_digest
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.services import Services
from oncall_lib.support_issues import issues as support_issues
from oncall_lib.tracking import report as rotation_report
from tests.conftest import Job, Sandbox

NY = ZoneInfo("America/New_York")
SUPPORT, DEPLOYS = "C01SUPPORT", "C04DEPLOYS"
PRODUCT = SlackBot("U0BOT", "B0SANDBOT1")

# A member of the workspace with a user token, and another app (named like the product) with its bot token.
FORGERS: dict[str, dict[str, str]] = {
    "a member": {"token": "xoxp-member-forger", "user_id": "U0REQ1"},
    "another app": {"token": "xoxb-other-app-forger", "user_id": "U0OTHERBOT", "bot_id": "B0OTHERAPP",
                    "name": "oncall-support", "app_id": "A0OTHERAPP"},
}


# -- the decision, on plain data -------------------------------------------------------------------------------

MARK = {"event_type": "oncall_support_handoff", "event_payload": {"key": "k"}}


@pytest.mark.parametrize(("message", "ours"), [
    ({"user": "U0BOT", "bot_id": "B0SANDBOT1", "metadata": MARK}, True),
    ({"user": "U0BOT", "metadata": MARK}, True),  # the bot user; no person's token posts as it
    ({"user": "U0ADA", "metadata": MARK}, False),  # a member
    ({"user": "U0OTHERBOT", "bot_id": "B0OTHERAPP", "metadata": MARK}, False),  # another app
    ({"user": "U0BOT", "bot_id": "B0OTHERAPP", "metadata": MARK}, False),  # a bot id that is not ours wins
    ({"bot_id": "", "username": "oncall-support", "subtype": "bot_message", "metadata": MARK}, False),  # a webhook
    ({"metadata": MARK}, False),  # no author at all
])
def test_only_the_products_bot_authors_records(message: dict[str, Any], ours: bool) -> None:
    assert posted_by_product(message, PRODUCT) is ours
    assert product_metadata(message, PRODUCT) == (MARK if ours else {})
    [kept] = only_product_metadata([message], PRODUCT)
    assert ("metadata" in kept) is ours  # someone else's post stays, as a plain message
    assert {k: v for k, v in kept.items() if k != "metadata"} == {k: v for k, v in message.items() if k != "metadata"}


def test_an_unknown_identity_trusts_nobody() -> None:
    nobody = SlackBot("", "")
    assert not posted_by_product({"user": "", "bot_id": "", "metadata": MARK}, nobody)
    assert not posted_by_product({"metadata": MARK}, nobody)


# -- through the real jobs -------------------------------------------------------------------------------------

def _same(config: Config) -> Config:
    return config


def _nothing(sandbox: Sandbox, config: Config) -> None:
    return None


@dataclass(frozen=True)
class Case:
    job: Job
    at: datetime
    config: Callable[[Config], Config] = _same
    setup: Callable[[Sandbox, Config], None] = _nothing
    # The event types the product must post in this case (so that a case cannot pass by posting nothing).
    posts: tuple[str, ...] = field(default=())


def _handoff(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotate.run(services, config, at, dry_run=dry_run)


def _watch(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return watch.run(services, config, at, dry_run=dry_run)


def _deploys(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return deploy_watch.run(services, config, at, dry_run=dry_run)


def _digest(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return review_digest.run(services, config, at, dry_run=dry_run)


THREAD_ASKED = datetime(2026, 11, 30, 9, 30, tzinfo=NY)


def _thread_button(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    link = f"https://sandbox.slack.com/archives/{SUPPORT}/p{f'{THREAD_ASKED.timestamp():.6f}'.replace('.', '')}"
    return support_issues.from_thread(services, config, at, link=link, epic_key="incident-response", title=None,
                                      dry_run=dry_run)


def _with_handover(config: Config) -> Config:
    return config.model_copy(update={"handover": HandoverConfig(), "tracking": None})


def _untracked(config: Config) -> Config:
    return config.model_copy(update={"tracking": None})


def _answering(config: Config) -> Config:
    return config.model_copy(update={"answers": AnswersConfig()})


def _nudging(config: Config) -> Config:
    return config.model_copy(update={"requests": config.requests.model_copy(update={"nudge_in_thread": True})})


TUESDAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Grace Hopper's week
GRACE_BEGINS = datetime(2026, 11, 23, 14, 10, tzinfo=UTC)


def _handed_over(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(_handoff, config, TUESDAY)


def _handover_opened(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(_handoff, config, GRACE_BEGINS)


def _monday_morning(sandbox: Sandbox, config: Config) -> None:
    watch_tests.monday_morning(sandbox)


def _urgent_alert_waiting(sandbox: Sandbox, config: Config) -> None:
    watch_tests.monday_morning(sandbox)
    for minute in (0, 30):  # the person on support heard of it first
        sandbox.run(_watch, config, datetime(2026, 11, 30, 10, minute, tzinfo=NY))


def _left_for_standup(sandbox: Sandbox, config: Config) -> None:
    sandbox.post(SUPPORT, datetime(2026, 11, 30, 16, 55, tzinfo=NY), "Could someone bump the runner quota?")


def _overdue_sent_then_late(sandbox: Sandbox, config: Config) -> None:
    watch_tests.monday_morning(sandbox)
    sandbox.run(_watch, config, datetime(2026, 11, 30, 10, 15, tzinfo=NY))
    sandbox.run(_watch, config, datetime(2026, 11, 30, 16, 0, tzinfo=NY))
    sandbox.post(SUPPORT, datetime(2026, 11, 30, 15, 0, tzinfo=NY), "Another question")


def _question(sandbox: Sandbox, config: Config) -> None:
    sandbox.post(SUPPORT, TUESDAY - timedelta(minutes=5), "hi all, how do I get access to the AWS console?")


def _deploy_failed(sandbox: Sandbox, config: Config) -> None:
    sandbox.post(DEPLOYS, datetime(2026, 11, 27, 13, 0, tzinfo=UTC), "Deploy #412 of devops failed: "
                 "https://github.sandbox/department-of-veterans-affairs/devops/actions/runs/7002", user=None,
                 bot_id="B0DEPLOY01", bot_profile={"name": "deploy-bot"})


def _a_thread(sandbox: Sandbox, config: Config) -> None:
    ts = sandbox.post(SUPPORT, THREAD_ASKED, "Our review instance returns 502 since this morning.")
    sandbox.reply(SUPPORT, ts, datetime(2026, 11, 30, 9, 40, tzinfo=NY), "U0GRACE", "Looking")


def _alans_week(sandbox: Sandbox, config: Config) -> None:
    report_tests.alans_week(sandbox)


CASES: dict[str, Case] = {
    # The handoff message in the support channel and the checklist DM to the person taking over.
    "handoff": Case(_handoff, TUESDAY, posts=(rotate.HANDOFF_EVENT, rotate.CHECKLIST_EVENT)),
    # The heads-up DM the working day before the next person's turn.
    "heads-up": Case(_handoff, datetime(2026, 11, 27, 15, 0, tzinfo=UTC), setup=_handed_over,
                     posts=(rotate.PRETURN_EVENT,)),
    # The reminder to acknowledge the handover issue.
    "handover reminder": Case(_handoff, GRACE_BEGINS + timedelta(hours=2, minutes=5), config=_with_handover,
                              setup=_handover_opened, posts=(handover.REMINDER_EVENT,)),
    # The request watch: the DM to the person on support, the overdue alert, the nudge in the thread.
    "waiting DM": Case(_watch, datetime(2026, 11, 30, 10, 0, tzinfo=NY), setup=_monday_morning,
                       posts=(watch.WAITING_EVENT,)),
    # The urgent alert still waiting past the hour: the team hears.
    "overdue alert": Case(_watch, datetime(2026, 11, 30, 10, 45, tzinfo=NY), config=watch_tests.quiet_standup,
                          setup=_urgent_alert_waiting, posts=(watch.OVERDUE_EVENT,)),
    # What still waits at standup, once a business day.
    "standup digest": Case(_watch, datetime(2026, 12, 1, 9, 37, tzinfo=NY), config=_untracked,
                           setup=_left_for_standup, posts=(watch.DIGEST_EVENT,)),
    "nudge": Case(_watch, datetime(2026, 11, 30, 16, 5, tzinfo=NY), config=_nudging, setup=_overdue_sent_then_late,
                  posts=(watch.NUDGE_EVENT,)),
    # The answer to a question the team answered before.
    "answer": Case(_watch, TUESDAY, config=_answering, setup=_question, posts=(answers.ANSWER_EVENT,)),
    # A failed deploy's explanation in the deploy bot's thread.
    "deploy triage": Case(_deploys, datetime(2026, 11, 27, 15, 0, tzinfo=UTC), setup=_deploy_failed,
                          posts=(deploy_watch.TRIAGE_EVENT,)),
    # The review digest, the IAM audit and its detail, the rotation report's summary.
    "review digest": Case(_digest, datetime(2026, 11, 27, 15, 0, tzinfo=UTC), posts=(review_digest.DIGEST_EVENT,)),
    "iam audit": Case(iam_tests.auditing, iam_tests.AT, posts=(iam_audit.AUDIT_EVENT, iam_audit.DETAIL_EVENT)),
    "rotation report": Case(report_tests.reporting, report_tests.BEFORE_HANDOFF, setup=_alans_week,
                            posts=(rotation_report.SLACK_EVENT,)),
    # The "Tracked as" reply in a thread a support issue was opened for.
    "tracked reply": Case(_thread_button, datetime(2026, 11, 30, 11, 0, tzinfo=NY), setup=_a_thread,
                          posts=(support_issues.REPLY_EVENT,)),
}


def _channels(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in world["slack"]["channels"]}


def _product_posts(world: dict[str, Any], before: dict[str, set[str]]) -> list[dict[str, Any]]:
    """The product's posts with metadata that are not in `before` (channel id -> the ts there before)."""
    return [dict(m, channel=cid) for cid, channel in _channels(world).items() for m in channel.get("messages", [])
            if m.get("metadata") and m.get("bot_id") == PRODUCT.bot_id and m["ts"] not in before.get(cid, set())]


def _seen(world: dict[str, Any]) -> dict[str, set[str]]:
    return {cid: {m["ts"] for m in c.get("messages", [])} for cid, c in _channels(world).items()}


def _identity(post: dict[str, Any]) -> tuple[str, str, str, str]:
    metadata = post["metadata"]
    return (post["channel"], str(post.get("thread_ts") or ""), metadata["event_type"],
            str((metadata.get("event_payload") or {}).get("key")))


def _forge(world: dict[str, Any], forger: dict[str, str], posts: list[dict[str, Any]], shells: dict[str, Any],
           at: datetime) -> None:
    """The forger posts each of the product's messages, metadata and all, through slack_sdk a minute before `at`."""
    world["slack"].setdefault("others", []).append(dict(forger))
    channels = _channels(world)
    for cid, shell in shells.items():  # a DM the product opened in the clean run: the forger posts in it first
        if cid not in channels:
            world["slack"]["channels"].append({**copy.deepcopy(shell), "messages": []})
    with SandboxServer(world, clock=lambda: at - timedelta(minutes=1)) as server:
        client = WebClient(token=forger["token"], base_url=sandbox_endpoints(server).slack)
        forged_ts: dict[str, str] = {}  # a reply in the product's own new thread goes in the forged parent's
        for post in sorted(posts, key=lambda p: float(p["ts"])):
            thread = post.get("thread_ts")
            forged_ts[post["ts"]] = client.chat_postMessage(
                channel=post["channel"], text=post["text"], thread_ts=forged_ts.get(thread, thread) if thread else None,
                metadata=post["metadata"])["ts"]


@pytest.mark.parametrize(("name", "forger"), [(n, f) for n in CASES for f in FORGERS])
def test_a_forged_record_does_not_silence_the_product(world: dict[str, Any], config: Config, name: str,
                                                      forger: str) -> None:
    case = CASES[name]
    configured = case.config(config)

    clean = Sandbox(copy.deepcopy(world))
    case.setup(clean, configured)
    before = _seen(clean.world)
    assert clean.run(case.job, configured, case.at).report.exit_code == 0
    posted = _product_posts(clean.world, before)
    assert {p["metadata"]["event_type"] for p in posted} >= set(case.posts), name
    shells = {p["channel"]: _channels(clean.world)[p["channel"]] for p in posted if p["channel"].startswith("D")}

    attacked = Sandbox(copy.deepcopy(world))
    case.setup(attacked, configured)
    _forge(attacked.world, FORGERS[forger], posted, shells, case.at)
    before = _seen(attacked.world)
    run = attacked.run(case.job, configured, case.at).report
    assert run.exit_code == 0, run.to_text()

    # Every record the product posts in a clean world, it posts here too, once each, as itself.
    wanted = Counter(_identity(p) for p in posted)
    got = Counter(_identity(p) for p in _product_posts(attacked.world, before))
    assert {k: got[k] for k in wanted} == dict(wanted), name
    # The forgeries are still there, untouched (the product edits only its own posts).
    forged = [m for c in _channels(attacked.world).values() for m in c.get("messages", [])
              if m.get("user") == FORGERS[forger]["user_id"] and m.get("metadata")]
    assert len(forged) == len(posted) and not any("edited" in m for m in forged)
