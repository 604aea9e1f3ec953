"""Which messages are requests and whether someone acknowledged them, from history entries alone."""

from __future__ import annotations

from typing import Any

import pytest

from oncall_lib.config import DEFAULT_URGENT_WORDS, Channel
from oncall_lib.requests.classify import (
    Identity,
    Words,
    classify,
    decide,
    is_request,
    resolved_alerts,
    resolved_by_itself,
)

SUPPORT = Channel(key="support", id="C01SUPPORT", name="vfs-platform-support", watch=True)
ALERTS = Channel(key="alerts", id="C05ALERTS", name="devops-alerts", watch=True, request_bots=["grafana-alerts"],
                 urgent=True)
ME = Identity("U0BOT", "B0SANDBOT1", "https://sandbox.slack.com/")
TEAM = {"U0ADA", "U0GRACE"}
ACKS = ["eyes", "white_check_mark", "ack"]


def message(**fields: Any) -> dict[str, Any]:
    return {"type": "message", "ts": "1764512400.000100", "user": "U0REQ1", "text": "help?", **fields}


@pytest.mark.parametrize(("fields", "channel", "expected"), [
    ({}, SUPPORT, True),
    ({"subtype": "channel_join"}, SUPPORT, False),
    ({"user": "U0ADA"}, SUPPORT, False),  # the team's own post
    ({"bot_id": "B0DEPLOY01", "bot_profile": {"name": "deploy-bot"}}, SUPPORT, False),
    ({"bot_id": "B0ALERTS01", "bot_profile": {"name": "grafana-alerts"}}, ALERTS, True),
    ({"subtype": "bot_message", "username": "Grafana-Alerts", "user": None}, ALERTS, True),
    ({"bot_id": "B0SANDBOT1", "user": "U0BOT"}, SUPPORT, False),  # this product's own post
    ({"metadata": {"event_type": "oncall_support_handoff"}}, SUPPORT, False),
    ({"thread_ts": "1764512300.000100"}, SUPPORT, False),  # a reply
])
def test_what_counts_as_a_request(fields: dict[str, Any], channel: Channel, expected: bool) -> None:
    assert is_request(message(**fields), channel, TEAM, ME) is expected


def test_team_posts_count_where_configured() -> None:
    assert is_request(message(user="U0ADA"), SUPPORT.model_copy(update={"team_posts": True}), TEAM, ME)


def test_acknowledged_only_by_a_reaction() -> None:
    request = classify(message(reactions=[{"name": "eyes::skin-tone-3", "users": ["U0GRACE"], "count": 1}]),
                       SUPPORT, ACKS, ME)
    assert request.acknowledged and request.via == "reaction" and request.acknowledged_by == "U0GRACE"
    assert request.acknowledged_at is None  # reactions carry no time


def test_the_requesters_own_reaction_or_reply_does_not_count() -> None:
    request = classify(message(reactions=[{"name": "eyes", "users": ["U0REQ1"], "count": 1}],
                               reply_count=2, reply_users=["U0REQ1"], reply_users_count=1,
                               latest_reply="1764513000.000100"), SUPPORT, ACKS, ME)
    assert not request.acknowledged and not request.needs_thread


def test_a_single_reply_gives_the_acknowledgement_time_without_reading_the_thread() -> None:
    request = classify(message(reply_count=1, reply_users=["U0GRACE"], reply_users_count=1,
                               latest_reply="1764513000.000100"), SUPPORT, ACKS, ME)
    assert request.acknowledged and request.via == "reply"
    assert request.acknowledged_at is not None and request.acknowledged_at.timestamp() == 1764513000.0001


def test_a_reaction_that_is_not_an_acknowledgement() -> None:
    request = classify(message(reactions=[{"name": "thinking_face", "users": ["U0GRACE"], "count": 1}]),
                       SUPPORT, ACKS, ME)
    assert not request.acknowledged


def test_this_products_reply_is_not_an_acknowledgement() -> None:
    request = classify(message(reply_count=1, reply_users=["U0BOT"], reply_users_count=1,
                               latest_reply="1764513000.000100"), SUPPORT, ACKS, ME)
    assert not request.acknowledged and request.own_reply


def test_when_history_cannot_decide_the_thread_does() -> None:
    # reply_users names someone else: decided from history, no thread read.
    entry = message(reply_count=7, reply_users=["U0REQ1", "U1"], reply_users_count=2)
    assert classify(entry, SUPPORT, ACKS, ME).acknowledged
    # Slack lists only some reply users: the ones shown are the requester, so only the thread can tell.
    truncated = message(reply_count=9, reply_users=["U0REQ1"], reply_users_count=3)
    assert classify(truncated, SUPPORT, ACKS, ME).needs_thread
    thread = [truncated, {"ts": "1764512500.000100", "user": "U0REQ1", "thread_ts": truncated["ts"]},
              {"ts": "1764512600.000100", "user": "U0ALAN", "thread_ts": truncated["ts"]}]
    decided = classify(truncated, SUPPORT, ACKS, ME, thread=thread)
    assert decided.acknowledged and decided.acknowledged_by == "U0ALAN"
    assert decided.acknowledged_at is not None and decided.acknowledged_at.timestamp() == 1764512600.0001



# -- what a request is, and why: each decision carries its reason -------------------------------------------------

WORDS = Words(DEFAULT_URGENT_WORDS, ("High", "Emergency"))
FORM = Channel(key="support", id="C01SUPPORT", name="vfs-platform-support", watch=True,
               request_bots=["Support request form"])


@pytest.mark.parametrize(("fields", "channel", "explained"), [
    ({"text": "Can someone rerun the deploy?"}, SUPPORT, "request: asks a question"),
    ({"text": "Need access to Grafana for the new hire"}, SUPPORT, "request: asks for something (“need”)"),
    ({"text": "Sentry keeps throwing 502s on /login"}, SUPPORT, "request: reports a problem (“502s”)"),
    ({"text": "Thanks everyone, that fixed it!"}, SUPPORT, "not a request: thanks"),
    ({"text": "FYI: we are rotating the staging keys at noon"}, SUPPORT, "not a request: an FYI or announcement"),
    ({"text": ":mega: Platform office hours move to Thursday"}, SUPPORT, "not a request: an FYI or announcement"),
    ({"text": ":tada: :tada:"}, SUPPORT, "not a request: only emoji"),
    ({"text": "+1"}, SUPPORT, "not a request: a “+1” or “same here”"),
    ({"text": "we're seeing this too"}, SUPPORT, "not a request: a “+1” or “same here”"),
    ({"text": "The release notes are up"}, SUPPORT, "not a request: asks nothing (no question, request or problem)"),
    ({"text": "Can you look at this?", "user": "U0ADA"}, SUPPORT, "not a request: a team member's post"),
    ({"text": "Build #88 failed", "user": None, "bot_id": "B0CI", "bot_profile": {"name": "circleci"}}, SUPPORT,
     "not a request: a bot post (circleci)"),
    ({"text": "[RESOLVED] CPU high on api", "user": None, "bot_id": "B0ALERTS01",
      "bot_profile": {"name": "grafana-alerts"}}, ALERTS, "not a request: grafana-alerts says it resolved"),
    ({"text": "[FIRING:1] CPU high on api", "user": None, "bot_id": "B0ALERTS01",
      "bot_profile": {"name": "grafana-alerts"}}, ALERTS,
     "request: a post by grafana-alerts, a request bot in #devops-alerts; urgent: #devops-alerts is an urgent channel"),
    ({"text": "Production is down for every veteran", "user": "U0DOT"}, SUPPORT,
     "request: reports a problem (“down”); urgent: it says “production is down”"),
    ({"text": "*Requester*\nSam\n*What is needed*\nA new SOCKS key\n*Urgency*\nHigh (today)", "user": None,
      "bot_id": "B0FORM", "bot_profile": {"name": "Support request form"}}, FORM,
     "request: a post by Support request form, a request bot in #vfs-platform-support; "
     "urgent: the form's Urgency is “High (today)”"),
    ({"text": "*What is needed*\nHelp with an outage report\n*Urgency*\nLow (this sprint)", "user": None,
      "bot_id": "B0FORM", "bot_profile": {"name": "Support request form"}}, FORM,
     # The form's answer decides, not the words of the request.
     "request: a post by Support request form, a request bot in #vfs-platform-support"),
])
def test_each_decision_and_its_reason(fields: dict[str, Any], channel: Channel, explained: str) -> None:
    assert decide(message(**fields), channel, TEAM, ME, WORDS).explained == explained


def test_a_channel_can_count_every_post_that_is_not_thanks_an_fyi_or_a_plus_one() -> None:
    chatty = SUPPORT.model_copy(update={"asks_only": False})
    assert decide(message(text="The release notes are up"), chatty, TEAM, ME, WORDS).request
    assert not decide(message(text="Thanks!"), chatty, TEAM, ME, WORDS).request


def test_only_the_team_acknowledges() -> None:
    # Another requester's "+1" reply and eyes: the request still waits; a team member's eyes acknowledge it.
    entry = message(reply_count=1, reply_users=["U0DOT"], reply_users_count=1, latest_reply="1764513000.000100",
                    reactions=[{"name": "eyes", "users": ["U0DOT"], "count": 1}])
    assert not classify(entry, SUPPORT, ACKS, ME, team=TEAM).acknowledged
    entry["reactions"][0]["users"].append("U0GRACE")
    acked = classify(entry, SUPPORT, ACKS, ME, team=TEAM)
    assert acked.acknowledged and acked.acknowledged_by == "U0GRACE" and acked.via == "reaction"
    # In a thread: the requester's and another requester's replies are passed over for the team's.
    thread = [entry, {"ts": "1764512500.000100", "user": "U0DOT", "text": "seeing it too"},
              {"ts": "1764512600.000100", "user": "U0ADA", "text": "looking"}]
    read = classify(entry, SUPPORT, ACKS, ME, thread=thread, team=TEAM)
    assert read.acknowledged_by == "U0ADA" and read.via == "reply"


@pytest.mark.parametrize(("firing", "resolved", "pairs"), [
    ("[FIRING:1] HighLatency vets-api p99 > 2s", "[RESOLVED] HighLatency vets-api", True),
    ("Triggered: [P1] High CPU on web-1", "Recovered: [P1] High CPU on web-1", True),
    ("[FIRING:1] DiskFull api-1", "[RESOLVED] DiskFull jenkins-01", False),  # another instance's resolution
])
def test_an_alert_is_paired_with_its_own_resolution(firing: str, resolved: str, pairs: bool) -> None:
    bot = {"user": None, "bot_id": "B0ALERTS01", "bot_profile": {"name": "grafana-alerts"}}
    alert, later = message(text=firing, **bot), message(text=resolved, ts="1764514200.000100", **bot)
    request = classify(alert, ALERTS, ACKS, ME, team=TEAM, decision=decide(alert, ALERTS, TEAM, ME, WORDS))
    paired = resolved_by_itself(request, resolved_alerts([later, alert]))
    assert paired.acknowledged is pairs and (paired.via == "resolved") is pairs


@pytest.mark.parametrize(("text", "explained"), [
    ("would love a quick sync with ops about the roadmap", "request: asks for something (“would love”)"),
    ("getting AccessDenied on the forms bucket in dev", "request: reports a problem (“accessdenied”)"),
    ("when someone's in tomorrow, the dev DB seems to be out of disk",
     "request: asks for something (“when someone's in”)"),
    ("that sentry regression is ours, we're on it", "not a request: says it is handled"),
    ("nvm figured it out", "not a request: says it is handled"),
])
def test_asks_and_problems_in_other_words(text: str, explained: str) -> None:
    assert decide(message(text=text), SUPPORT, TEAM, ME, WORDS).explained == explained
