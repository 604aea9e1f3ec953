"""Slack through slack_sdk's WebClient.

Retries: 429 always (Slack did not process the call, and says when to come
back); server and connection errors only for reads and idempotent writes. A
`chat.postMessage` answered with a 5xx may have posted, so it is not repeated;
the jobs find their own message by its metadata before posting again.
"""

from __future__ import annotations

import random
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from oncall_lib.errors import ServiceError
from oncall_lib.services.calls import ApiCalls, Attempts, slack_method_is_write

if TYPE_CHECKING:
    from oncall_lib.authorship import SlackBot

# Writes that leave the same state however often they are repeated. Not conversations.setTopic: each call that
# went through posts a "set the channel topic" notice, so a blind retry after a lost answer shows it twice; the next
# run compares the topic and converges instead.
IDEMPOTENT_WRITES = frozenset({"chat.update", "conversations.join"})


def _method_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def _safe_to_repeat(request: HttpRequest) -> bool:
    method = _method_of(request.url)
    return not slack_method_is_write(method) or method in IDEMPOTENT_WRITES


class _SafeServerErrorRetry(ServerErrorRetryHandler):
    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        ok = response is not None and response.status_code in (500, 502, 503, 504)
        return ok and _safe_to_repeat(request)


class _SafeConnectionErrorRetry(ConnectionErrorRetryHandler):
    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return _safe_to_repeat(request) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


# The longest single wait for a rate limit: Slack's are seconds to a minute; a longer one stops the run with one line
# (five retries at most: five minutes, inside every job's timeout) and the next run carries on.
RATE_LIMIT_WAIT_LIMIT = 60.0


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            return float(values[0])
    return 1.0


class _RateLimitRetry(RetryHandler):
    """Waits as long as Retry-After says (plus a little jitter), then tries again; not when that is longer than
    RATE_LIMIT_WAIT_LIMIT."""

    def __init__(self, max_retry_count: int, jitter: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.jitter = jitter

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return (response is not None and response.status_code == 429
                and _retry_after(response) <= RATE_LIMIT_WAIT_LIMIT)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        wait = _retry_after(response) if response is not None else 1.0
        time.sleep(wait + self.jitter * random.random())
        state.next_attempt_requested = True
        state.increment_current_attempt()


class _CountingWebClient(WebClient):
    """A WebClient that counts every HTTP request it sends, retries included (and counted as such)."""

    def __init__(self, *, calls: ApiCalls, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._attempts = Attempts(calls, "slack")

    # slack_sdk sends each attempt of a call through the internal method, from a retry loop in the outer one.
    def _perform_urllib_http_request(self, *, url: str, args: dict[str, dict[str, Any]]) -> dict[str, Any]:
        with self._attempts.call():
            return super()._perform_urllib_http_request(url=url, args=args)

    def _perform_urllib_http_request_internal(self, url: str, req: urllib.request.Request) -> dict[str, Any]:
        self._attempts.sent(write=slack_method_is_write(_method_of(url)))
        return super()._perform_urllib_http_request_internal(url, req)


@dataclass(frozen=True)
class Marker:
    """What the product attaches to its own posts so a re-run can find them (Slack message metadata)."""

    event_type: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    # Earlier spellings of the same key, still found (never written): markers posted before a key's format changed.
    aliases: tuple[str, ...] = ()

    def metadata(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "event_payload": {"key": self.key, **self.payload}}


@dataclass(frozen=True)
class ScheduledMessage:
    """A message this app scheduled and Slack has not posted yet."""

    id: str
    channel: str
    post_at: int  # Unix time
    text: str


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    name: str
    topic: str
    is_member: bool
    is_private: bool = False


def _channel_info(data: Any) -> ChannelInfo:
    return ChannelInfo(
        id=data["id"],
        name=data.get("name", ""),
        topic=(data.get("topic") or {}).get("value", ""),
        is_member=bool(data.get("is_member", False)),
        is_private=bool(data.get("is_private", False)),
    )


class SlackService:
    def __init__(self, token: str, calls: ApiCalls, *, base_url: str = "https://slack.com/api/",
                 retry_backoff: float = 0.5, retry_jitter: float = 1.0) -> None:
        backoff = BackoffRetryIntervalCalculator(backoff_factor=retry_backoff)
        self._identity: dict[str, str] | None = None
        # Channel id -> (oldest, latest, its top-level messages) of the last whole read this run made of it.
        self._histories: dict[str, tuple[float, float | None, list[dict[str, Any]]]] = {}
        self._client = _CountingWebClient(
            calls=calls,
            token=token,
            base_url=base_url,
            timeout=30,
            retry_handlers=[
                _RateLimitRetry(max_retry_count=5, jitter=retry_jitter),
                _SafeServerErrorRetry(max_retry_count=3, interval_calculator=backoff),
                _SafeConnectionErrorRetry(max_retry_count=3, interval_calculator=backoff),
            ],
        )

    def channel(self, channel_id: str) -> ChannelInfo:
        with slack_errors(f"conversations.info {channel_id}"):
            data = self._client.conversations_info(channel=channel_id)["channel"]
        return _channel_info(data)

    def channel_if_any(self, channel_id: str) -> ChannelInfo | None:
        """`channel`, or None when Slack knows no such channel (or the app may not see it: a private one)."""
        with slack_errors(f"conversations.info {channel_id}"):
            try:
                return _channel_info(self._client.conversations_info(channel=channel_id)["channel"])
            except SlackApiError as exc:
                if exc.response.get("error") == "channel_not_found":
                    return None
                raise

    def public_channel_named(self, name: str) -> ChannelInfo | None:
        """The unarchived public channel with this name (conversations.list pages through them); None if none.
        Private channels are left out: listing them needs groups:read, which no job needs."""
        wanted = name.strip().lstrip("#").casefold()
        with slack_errors("conversations.list"):
            for page in self._client.conversations_list(types="public_channel", exclude_archived=True, limit=200):
                for data in page.get("channels", []):
                    if str(data.get("name", "")).casefold() == wanted:
                        return _channel_info(data)
        return None

    def set_topic(self, channel_id: str, topic: str) -> None:
        with slack_errors(f"conversations.setTopic {channel_id}"):
            self._client.conversations_setTopic(channel=channel_id, topic=topic)

    def identity(self) -> dict[str, str]:
        """auth.test: this app's bot user id, bot id and workspace URL (asked once per run: they do not change)."""
        if self._identity is None:
            with slack_errors("auth.test"):
                data = self._client.auth_test()
            self._identity = {"user_id": str(data.get("user_id", "")), "bot_id": str(data.get("bot_id") or ""),
                              "url": str(data.get("url", "https://slack.com/"))}
        return dict(self._identity)

    def product_bot(self) -> SlackBot:
        """The product's own bot (auth.test, once per run): the only author whose metadata counts."""
        from oncall_lib.authorship import SlackBot  # the core module that decides; it reads the services' types

        identity = self.identity()
        return SlackBot(identity["user_id"], identity["bot_id"])

    def _records_only_from_product(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`messages`, with the metadata of any post by someone else dropped (auth.test only if any carries some)."""
        from oncall_lib.authorship import carries_metadata, only_product_metadata

        return only_product_metadata(messages, self.product_bot()) if carries_metadata(messages) else messages

    def granted_scopes(self) -> set[str] | None:
        """The token's scopes, from auth.test's X-OAuth-Scopes header (None when Slack does not say)."""
        with slack_errors("auth.test"):
            response = self._client.auth_test()
        header = next((v for k, v in (response.headers or {}).items() if k.lower() == "x-oauth-scopes"), None)
        if isinstance(header, list):
            header = header[0] if header else None
        return {s.strip() for s in str(header).split(",") if s.strip()} if header else None

    def user_exists(self, user_id: str) -> bool:
        with slack_errors(f"users.info {user_id}"):
            try:
                user = self._client.users_info(user=user_id)["user"]
            except SlackApiError as exc:
                if exc.response.get("error") == "user_not_found":
                    return False
                raise
        return not user.get("deleted", False)

    def history(self, channel_id: str, *, oldest: float, latest: float | None = None, page_size: int = 200,
                max_messages: int = 5000) -> list[dict[str, Any]]:
        """Top-level messages in (oldest, latest], newest first, with metadata; pages only when the channel is busy.

        A window inside one this run already read whole is answered from that read (the tick's duties read the
        same channels); writing to a channel forgets what was read of it.
        """
        cached = self._read_before(channel_id, oldest, latest)
        if cached is not None:
            return cached
        messages: list[dict[str, Any]] = []
        bounds: dict[str, Any] = {"oldest": f"{oldest:.6f}"}
        if latest is not None:
            bounds.update(latest=f"{latest:.6f}", inclusive="true")
        with slack_errors(f"conversations.history {channel_id}"):
            for page in self._client.conversations_history(channel=channel_id, limit=page_size,
                                                           include_all_metadata=True, **bounds):
                messages.extend(page.get("messages", []))
                if len(messages) >= max_messages:
                    break
        messages = self._records_only_from_product(messages)
        if len(messages) < max_messages:  # a cut read cannot answer for its window
            self._histories[channel_id] = (oldest, latest, messages)
        return messages

    def _read_before(self, channel_id: str, oldest: float, latest: float | None) -> list[dict[str, Any]] | None:
        """The messages in (oldest, latest] if a whole earlier read covers that window (no latest: up to now)."""
        found = self._histories.get(channel_id)
        if found is None or found[0] > oldest:
            return None
        if found[1] is not None and (latest is None or latest > found[1]):
            return None
        return [m for m in found[2] if oldest < float(m.get("ts", 0)) and (latest is None
                                                                         or float(m.get("ts", 0)) <= latest)]

    def _wrote_to(self, channel_id: str) -> None:
        self._histories.pop(channel_id, None)

    def replies(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        with slack_errors(f"conversations.replies {channel_id}"):
            for page in self._client.conversations_replies(channel=channel_id, ts=ts, limit=200,
                                                           include_all_metadata=True):
                messages.extend(page.get("messages", []))
        return self._records_only_from_product(messages)

    def display_name(self, user_id: str) -> str:
        with slack_errors(f"users.info {user_id}"):
            user = self._client.users_info(user=user_id)["user"]
        profile = user.get("profile") or {}
        return str(profile.get("real_name") or user.get("real_name") or user.get("name") or user_id)

    def find_marked(self, channel_id: str, marker: Marker, *, oldest: float,
                    now: float | None = None) -> dict[str, Any] | None:
        """The newest message since `oldest` the product posted with `marker`'s event type and key, if any.

        With `now` (the run's moment), a read of this run that covers (oldest, now] and holds the message answers
        without a call; not finding it there still asks Slack (a marker may be newer than that read).
        """

        def marked(message: dict[str, Any]) -> bool:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            return metadata.get("event_type") == marker.event_type and payload.get("key") in (marker.key,
                                                                                            *marker.aliases)

        cached = self._read_before(channel_id, oldest, now) if now is not None else None
        found = next((dict(m) for m in cached or [] if marked(m)), None)
        if found is not None:
            return found
        with slack_errors(f"conversations.history {channel_id}"):
            pages = self._client.conversations_history(
                channel=channel_id, oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True
            )
            for page in pages:
                for message in self._records_only_from_product(list(page.get("messages", []))):
                    if marked(message):
                        return dict(message)
        return None

    def post(self, channel: str, text: str, *, marker: Marker | None = None,
             thread_ts: str | None = None) -> str:
        self._wrote_to(channel)
        with slack_errors(f"chat.postMessage {channel}"):
            response = self._client.chat_postMessage(
                channel=channel,
                text=text,
                thread_ts=thread_ts,
                metadata=marker.metadata() if marker else None,
                unfurl_links=False,
                unfurl_media=False,
            )
        return str(response["ts"])

    def update(self, channel: str, ts: str, text: str, *, marker: Marker | None = None) -> None:
        self._wrote_to(channel)
        with slack_errors(f"chat.update {channel}"):
            self._client.chat_update(channel=channel, ts=ts, text=text,
                                     metadata=marker.metadata() if marker else None)

    def scheduled_messages(self, channel_id: str) -> list[ScheduledMessage]:
        """This app's messages waiting to be posted in a channel (Slack lists only the caller's own)."""
        found: list[ScheduledMessage] = []
        with slack_errors(f"chat.scheduledMessages.list {channel_id}"):
            for page in self._client.chat_scheduledMessages_list(channel=channel_id, limit=100):
                found += [ScheduledMessage(str(m["id"]), str(m.get("channel_id", channel_id)), int(m["post_at"]),
                                           str(m.get("text") or "")) for m in page.get("scheduled_messages", [])]
        return found

    def schedule(self, channel_id: str, text: str, post_at: int) -> str:
        """Schedule a message; its id. No metadata: Slack does not post a scheduled message that carries some."""
        with slack_errors(f"chat.scheduleMessage {channel_id}"):
            response = self._client.chat_scheduleMessage(channel=channel_id, text=text, post_at=post_at,
                                                         unfurl_links=False, unfurl_media=False)
        return str(response["scheduled_message_id"])

    def delete_scheduled(self, channel_id: str, message_id: str) -> bool:
        """Delete a pending scheduled message; False when Slack no longer holds it (posted, or deleted already)."""
        with slack_errors(f"chat.deleteScheduledMessage {channel_id}"):
            try:
                self._client.chat_deleteScheduledMessage(channel=channel_id, scheduled_message_id=message_id)
            except SlackApiError as exc:
                if exc.response.get("error") == "invalid_scheduled_message_id":
                    return False
                raise
        return True

    def usergroup(self, handle_or_id: str) -> tuple[str, list[str]] | None:
        """A user group's id and members, by its handle (with or without @) or its id; None when there is none."""
        wanted = handle_or_id.strip().lstrip("@").casefold()
        with slack_errors("usergroups.list"):
            groups = self._client.usergroups_list(include_users=True)["usergroups"]
        for group in groups:
            if wanted in (str(group.get("id", "")).casefold(), str(group.get("handle", "")).casefold()):
                return str(group["id"]), [str(u) for u in group.get("users") or []]
        return None

    def set_usergroup_users(self, group_id: str, users: list[str]) -> None:
        with slack_errors(f"usergroups.users.update {group_id}"):
            self._client.usergroups_users_update(usergroup=group_id, users=users)

    def open_dm(self, user_id: str) -> str:
        with slack_errors(f"conversations.open {user_id}"):
            return str(self._client.conversations_open(users=user_id)["channel"]["id"])

    def user_id_by_email(self, email: str) -> str | None:
        with slack_errors("users.lookupByEmail"):
            try:
                return str(self._client.users_lookupByEmail(email=email)["user"]["id"])
            except SlackApiError as exc:
                if exc.response.get("error") == "users_not_found":
                    return None
                raise


@contextmanager
def slack_errors(what: str) -> Iterator[None]:
    try:
        yield
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        status = exc.response.status_code if exc.response is not None else "?"
        hint = {
            "not_in_channel": " (invite the app to the channel: /invite @app)",
            # Some methods (conversations.replies) say channel_not_found for a channel the app is not in.
            "channel_not_found": " (check the channel id in oncall.toml, and invite the app to the channel: "
                                 "/invite @app)",
            "missing_scope": f" (the token lacks scope {exc.response.get('needed', '?')})",
            "invalid_auth": " (check SLACK_BOT_TOKEN)",
            "ratelimited": " (Slack asked to wait longer than a run may; the next run carries on)",
            "plan_upgrade_required": " (user groups need a paid Slack plan: leave [rotation] slack_user_group out)",
            "restricted_too_many": " (more than 30 messages scheduled in five minutes for this channel)",
            "time_too_far": " (Slack schedules at most 120 days ahead)",
        }.get(str(error), "")
        raise ServiceError(f"Slack {what}: {error or f'HTTP {status}'}{hint}") from None
    except OSError as exc:
        raise ServiceError(f"Slack {what}: network error: {exc}") from None
