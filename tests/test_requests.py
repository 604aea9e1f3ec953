"""Which messages are requests and whether someone acknowledged them, from history entries alone."""

from __future__ import annotations

from typing import Any

import pytest

from oncall_lib.config import Channel
from oncall_lib.requests.classify import Identity, classify, is_request

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

