"""Which records the product itself wrote: the one place that decides authorship.

The product keeps its memory in markers (Slack message metadata, hidden comments in GitHub text). Anyone can type
the same text or attach the same metadata, so a marker counts only when its author is the product's own identity;
anyone else's post is just a post.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# -- Slack ------------------------------------------------------------------------------------------------------
#
# Slack message metadata is attached by whoever posts: a member's user token or any other app in the workspace can
# post a message carrying `{"event_type": "oncall_support_handoff", ...}`. What Slack itself vouches for is who
# posted: `bot_id` (the app's bot, set by Slack on every message an app's bot token posts) and `user` (the bot's
# user id, or the member's). `auth.test` says which are the product's, once per process.


@dataclass(frozen=True)
class SlackBot:
    """The product's own Slack identity, from `auth.test` (user_id, bot_id)."""

    user_id: str
    bot_id: str


def posted_by_product(message: dict[str, Any], bot: SlackBot) -> bool:
    """Whether Slack says the product's bot posted this message.

    A message with a `bot_id` is the product's only when that bot id is the product's; one without (a person's
    post) only when its `user` is the product's bot user, which no person's token can post as.
    """
    bot_id = str(message.get("bot_id") or "")
    if bot_id:
        return bool(bot.bot_id) and bot_id == bot.bot_id
    return bool(bot.user_id) and str(message.get("user") or "") == bot.user_id


def product_metadata(message: dict[str, Any], bot: SlackBot) -> dict[str, Any]:
    """The message's metadata if the product posted it; empty otherwise (someone else's metadata means nothing)."""
    if not posted_by_product(message, bot):
        return {}
    metadata = message.get("metadata")
    return dict(metadata) if isinstance(metadata, dict) else {}


def carries_metadata(messages: Iterable[dict[str, Any]]) -> bool:
    """Whether any message carries metadata at all (only then is there anything to decide)."""
    return any(message.get("metadata") for message in messages)


def only_product_metadata(messages: Iterable[dict[str, Any]], bot: SlackBot) -> list[dict[str, Any]]:
    """The messages, each someone else posted without its metadata: a forged record becomes a plain message."""
    kept: list[dict[str, Any]] = []
    for message in messages:
        if message.get("metadata") and not posted_by_product(message, bot):
            message = {k: v for k, v in message.items() if k != "metadata"}
        kept.append(message)
    return kept
