"""Slack Web API, the methods the jobs use, with Slack's answers and errors.

Messages live in their channel's list, replies included (a reply has a
`thread_ts` different from its own `ts`); history returns only top-level
messages, newest first, with the thread fields Slack adds to parents.
"""

from __future__ import annotations

import json
import re
import zlib
from datetime import datetime
from typing import Any

from oncall_lib.sandbox.http import FakeRequest, FakeResponse, Host, bearer_token

TOPIC_LIMIT = 250
# chat.scheduleMessage's limits, as Slack documents them.
SCHEDULE_AHEAD_LIMIT = 120 * 86400  # seconds
SCHEDULE_BURST = (30, 300)  # at most 30 messages scheduled for one channel within 5 minutes
_BARE_URL = re.compile(r"(?<![<|])\b(https?://[^\s<>|]+)")


def slack_stored_topic(topic: str) -> str:
    """What Slack stores for a topic: & escaped, bare URLs wrapped in <>."""
    escaped = re.sub(r"&(?!amp;|lt;|gt;)", "&amp;", topic)
    return _BARE_URL.sub(r"<\1>", escaped)


def _ts(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


class SlackFake:
    READ_METHODS = frozenset({
        "auth.test", "conversations.info", "conversations.history", "conversations.replies",
        "conversations.list", "conversations.members", "conversations.open", "users.info",
        "users.lookupByEmail", "users.list", "chat.getPermalink", "usergroups.list", "chat.scheduledMessages.list",
    })

    def __init__(self, server: Host) -> None:
        self.server = server
        # Who is calling: another app's bot or a member (a token in the world's `others`), else the product's bot.
        self._caller: dict[str, str] | None = None

    @property
    def data(self) -> dict[str, Any]:
        return self.server.world["slack"]

    @property
    def product_bot(self) -> dict[str, str]:
        return self.data.setdefault("bot", {"user_id": "U0SANDBOT", "bot_id": "B0SANDBOT1", "name": "oncall-bot"})

    @property
    def bot(self) -> dict[str, str]:
        """Who the calling token posts as: the product's bot, unless the world names the token as someone else's."""
        return self._caller or self.product_bot

    def _other_caller(self, token: str) -> dict[str, str] | None:
        """A token of another app's bot ({token, user_id, bot_id, name, app_id}) or of a member ({token, user_id}):
        what they post carries whatever metadata they attach, as in Slack."""
        for other in self.data.get("others", []):
            if other.get("token") == token:
                return {"user_id": str(other["user_id"]), "bot_id": str(other.get("bot_id") or ""),
                        "name": str(other.get("name") or other["user_id"]), "app_id": str(other.get("app_id") or "")}
        return None

    def is_write(self, request: FakeRequest) -> bool:
        return request.path.strip("/") not in self.READ_METHODS

    def rate_limited(self, retry_after: int) -> FakeResponse:
        return FakeResponse(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})

    def server_error(self) -> FakeResponse:
        return FakeResponse(503, {"ok": False, "error": "service_unavailable"})

    # -- plumbing -------------------------------------------------------------------------

    def handle(self, request: FakeRequest) -> FakeResponse:
        method = request.path.strip("/")
        args: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            body = request.json()
            if isinstance(body, dict):
                args.update(body)
        elif request.body:
            args.update(request.form())
        self._caller = None  # Slack posts due scheduled messages as the app that scheduled them: the product
        self.post_due_messages()
        token = bearer_token(request) or args.get("token")
        if not token:
            return self._error("not_authed")
        if token in self.data.get("revoked_tokens", []):
            return self._error("invalid_auth")
        self._caller = self._other_caller(str(token))
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error("unknown_method")
        missing = self._missing_scope(method, args)
        if missing:
            return FakeResponse(200, {"ok": False, "error": "missing_scope", "needed": missing,
                                      "provided": ",".join(self.data.get("scopes", []))})
        result = handler(args)
        if isinstance(result, FakeResponse):
            return result
        scopes = ",".join(self.data.get("scopes", []))
        return FakeResponse(200, {"ok": True, **result}, {"X-OAuth-Scopes": scopes} if scopes else {})

    def _missing_scope(self, method: str, args: dict[str, Any]) -> str | None:
        """Worlds may list the token's scopes; without a list every scope is granted."""
        granted = self.data.get("scopes")
        if granted is None:
            return None
        needed = {
            "conversations.setTopic": "channels:manage",
            "chat.postMessage": "chat:write",
            "chat.update": "chat:write",
            "chat.scheduleMessage": "chat:write",
            "chat.deleteScheduledMessage": "chat:write",
            "conversations.history": "channels:history",
            "conversations.replies": "channels:history",
            "conversations.info": "channels:read",
            "users.lookupByEmail": "users:read.email",
            "conversations.open": "im:write",
            "usergroups.list": "usergroups:read",
            "usergroups.users.update": "usergroups:write",
        }.get(method)
        reads_dm = str(args.get("channel", "")).startswith("D")
        if method in ("conversations.history", "conversations.replies") and reads_dm:
            needed = "im:history"
        return needed if needed and needed not in granted else None

    @staticmethod
    def _error(error: str, **extra: Any) -> FakeResponse:
        return FakeResponse(200, {"ok": False, "error": error, **extra})

    def _channel(self, channel_id: str | None) -> dict[str, Any] | None:
        return next((c for c in self.data["channels"] if c["id"] == channel_id), None)

    def _user(self, user_id: str | None) -> dict[str, Any] | None:
        return next((u for u in self.data["users"] if u["id"] == user_id), None)

    def _is_member(self, channel: dict[str, Any]) -> bool:
        # Another caller is in every channel it posts to (a member of the workspace, an app invited there).
        return self._caller is not None or self.bot["user_id"] in channel.get("members", [])

    def _next_ts(self, channel: dict[str, Any]) -> str:
        now = self.server.now().timestamp()
        # A world's message dated after the clock has not been posted yet: it does not push a new one later.
        latest = max((float(m["ts"]) for m in channel.get("messages", []) if float(m["ts"]) <= self._posted_by()),
                     default=0.0)
        return f"{max(now, latest + 0.000001):.6f}"

    def _app_id(self) -> str:
        return (self._caller or {}).get("app_id") or "A0SANDBOX"

    def _posted_by(self) -> float:
        """The latest ts already posted: the clock, and a second more for the messages a run posts at one moment
        (each a microsecond after the last)."""
        return self.server.now().timestamp() + 1.0

    def _bot_profile(self) -> dict[str, Any]:
        icon = "https://sandbox.slack.com/bot.png"
        return {"id": self.bot["bot_id"], "name": self.bot["name"], "app_id": self._app_id(), "deleted": False,
                "updated": 1_700_000_000, "team_id": self.data.get("team", {}).get("id", "T0SANDBOX"),
                "icons": {"image_36": icon, "image_48": icon, "image_72": icon}}

    def _channel_out(self, channel: dict[str, Any]) -> dict[str, Any]:
        out = {
            "id": channel["id"],
            "name": channel["name"],
            "is_channel": not channel.get("is_im", False),
            "is_im": channel.get("is_im", False),
            "is_private": channel.get("is_private", False),
            "is_archived": channel.get("is_archived", False),
            "is_member": self._is_member(channel),
            "created": channel.get("created", 1_600_000_000),
            "topic": {"value": channel.get("topic", ""), "creator": channel.get("topic_creator", ""),
                      "last_set": channel.get("topic_last_set", 0)},
            "purpose": {"value": channel.get("purpose", ""), "creator": "", "last_set": 0},
        }
        if channel.get("is_im"):
            out["user"] = channel.get("user")
        return out

    def _message_out(self, channel: dict[str, Any], message: dict[str, Any], metadata: bool) -> dict[str, Any]:
        out = {k: v for k, v in message.items() if k != "metadata" or metadata}
        out.setdefault("type", "message")
        ts = message["ts"]
        if message.get("thread_ts") in (None, ts):
            replies = [m for m in channel["messages"] if m.get("thread_ts") == ts and m["ts"] != ts]
            if replies:
                out["thread_ts"] = ts
                out["reply_count"] = len(replies)
                users = list(dict.fromkeys(m.get("user", "") for m in replies))
                out["reply_users"] = users[:5]
                out["reply_users_count"] = len(users)
                out["latest_reply"] = max(replies, key=lambda m: float(m["ts"]))["ts"]
        return out

    # -- methods ----------------------------------------------------------------------------

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        team = self.data.get("team", {"id": "T0SANDBOX", "name": "Sandbox", "domain": "sandbox"})
        return {"url": f"https://{team.get('domain', 'sandbox')}.slack.com/", "team": team["name"],
                "user": self.bot["name"], "team_id": team["id"], "user_id": self.bot["user_id"],
                "bot_id": self.bot["bot_id"]}

    def m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        return {"channel": self._channel_out(channel)}

    def m_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channels = [self._channel_out(c) for c in self.data["channels"] if not c.get("is_im")]
        return {"channels": channels, "response_metadata": {"next_cursor": ""}}

    def m_conversations_setTopic(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:  # noqa: N802
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        if not self._is_member(channel):
            return self._error("not_in_channel")
        topic = str(args.get("topic", ""))
        if len(topic) > TOPIC_LIMIT:
            return self._error("too_long")
        stored = slack_stored_topic(topic)
        channel["topic"] = stored
        channel["topic_creator"] = self.bot["user_id"]
        channel["topic_last_set"] = int(self.server.now().timestamp())
        channel.setdefault("messages", []).append({
            "type": "message", "subtype": "channel_topic", "ts": self._next_ts(channel),
            "user": self.bot["user_id"], "topic": stored,
            "text": f"<@{self.bot['user_id']}> set the channel topic: {stored}",
        })
        return {"channel": self._channel_out(channel)}

    def m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        if not self._is_member(channel) and not channel.get("is_im"):
            return self._error("not_in_channel")
        oldest, latest = _ts(args.get("oldest")), _ts(args.get("latest"))
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        # A world's message dated after the clock has not been posted yet (the bundled world's are on its own day).
        posted_by = self._posted_by()
        top = [m for m in channel.get("messages", []) if m.get("thread_ts") in (None, m["ts"])
               and float(m["ts"]) <= posted_by]
        selected = []
        for message in sorted(top, key=lambda m: float(m["ts"]), reverse=True):
            ts = float(message["ts"])
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                continue
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                continue
            selected.append(message)
        page = self._paged(channel, selected, args, metadata)
        return {**page, "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0}

    def m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        if not self._is_member(channel) and not channel.get("is_im"):
            # conversations.replies names no not_in_channel error: a channel the app is not in is not found.
            return self._error("channel_not_found")
        ts = str(args.get("ts", ""))
        parent = next((m for m in channel.get("messages", []) if m["ts"] == ts), None)
        if parent is None:
            return self._error("thread_not_found")
        root = parent.get("thread_ts") or parent["ts"]
        thread = [m for m in channel["messages"] if m["ts"] == root or m.get("thread_ts") == root]
        thread.sort(key=lambda m: float(m["ts"]))
        metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        return self._paged(channel, thread, args, metadata)

    def _paged(self, channel: dict[str, Any], messages: list[dict[str, Any]], args: dict[str, Any],
               metadata: bool) -> dict[str, Any]:
        limit = max(1, min(int(args.get("limit") or 100), 999))
        offset = int(str(args.get("cursor") or "0").removeprefix("page:") or 0)
        page = messages[offset: offset + limit]
        more = offset + limit < len(messages)
        return {
            "messages": [self._message_out(channel, m, metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": f"page:{offset + limit}" if more else ""},
        }

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        user_id = str(args.get("users", "")).split(",")[0]
        if self._user(user_id) is None:
            return self._error("user_not_found")
        return {"channel": {"id": self._dm(user_id)["id"]}}

    def _dm(self, user_id: str) -> dict[str, Any]:
        for channel in self.data["channels"]:
            if channel.get("is_im") and channel.get("user") == user_id:
                return channel
        channel = {"id": "D" + user_id[1:].rjust(9, "0"), "name": user_id, "is_im": True, "user": user_id,
                   "members": [self.bot["user_id"], user_id], "messages": []}
        self.data["channels"].append(channel)
        return channel

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:  # noqa: N802
        target = str(args.get("channel", ""))
        channel = self._dm(target) if target.startswith(("U", "W")) and self._user(target) else self._channel(target)
        if channel is None:
            return self._error("channel_not_found")
        if not self._is_member(channel):
            return self._error("not_in_channel")
        text = args.get("text") or ""
        if not text and not args.get("blocks"):
            return self._error("no_text")
        message: dict[str, Any] = {"type": "message", "ts": self._next_ts(channel), "user": self.bot["user_id"],
                                   "text": text}
        if self.bot["bot_id"]:  # an app's bot; a member's user token posts with no bot fields
            message.update(bot_id=self.bot["bot_id"], app_id=self._app_id(), bot_profile=self._bot_profile())
        if args.get("thread_ts"):
            if not any(m["ts"] == args["thread_ts"] for m in channel["messages"]):
                return self._error("thread_not_found")
            message["thread_ts"] = str(args["thread_ts"])
        metadata = args.get("metadata")
        if isinstance(metadata, str) and metadata:
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        channel["messages"].append(message)
        return {"channel": channel["id"], "ts": message["ts"], "message": self._message_out(channel, message, True)}

    # -- scheduled messages (world: a channel's `scheduled`: [{id, post_at, text, date_created}]) ---------------

    def post_due_messages(self) -> None:
        """Slack's side of chat.scheduleMessage: once the clock passes a message's post_at, it is in the channel."""
        now = self.server.now().timestamp()
        for channel in self.data["channels"]:
            due = [m for m in channel.get("scheduled", []) if m["post_at"] <= now]
            for scheduled in sorted(due, key=lambda m: m["post_at"]):
                channel["scheduled"].remove(scheduled)
                latest = max((float(m["ts"]) for m in channel["messages"]), default=0.0)
                ts = f"{max(float(scheduled['post_at']), latest + 0.000001):.6f}"
                channel["messages"].append({
                    "type": "message", "ts": ts, "user": self.bot["user_id"], "bot_id": self.bot["bot_id"],
                    "app_id": "A0SANDBOX", "text": scheduled["text"], "bot_profile": self._bot_profile()})

    def m_chat_scheduleMessage(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:  # noqa: N802
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        if not self._is_member(channel):
            return self._error("not_in_channel")
        text = str(args.get("text") or "")
        if not text and not args.get("blocks"):
            return self._error("no_text")
        try:
            post_at = int(float(args.get("post_at", "")))
        except (TypeError, ValueError):
            return self._error("invalid_time")
        now = int(self.server.now().timestamp())
        if post_at <= now:
            return self._error("time_in_past")
        if post_at > now + SCHEDULE_AHEAD_LIMIT:
            return self._error("time_too_far")
        recent = [m for m in channel.get("scheduled_log", []) if m > now - SCHEDULE_BURST[1]]
        if len(recent) >= SCHEDULE_BURST[0]:
            return self._error("restricted_too_many")
        channel["scheduled_log"] = [*recent, now]
        serial = zlib.crc32(f"{channel['id']}/{post_at}/{now}/{len(channel['scheduled_log'])}".encode())
        message_id = f"Q{serial:010X}"
        channel.setdefault("scheduled", []).append({"id": message_id, "post_at": post_at, "text": text,
                                                    "date_created": now})
        team = self.data.get("team", {}).get("id", "T0SANDBOX")
        return {"channel": channel["id"], "scheduled_message_id": message_id, "post_at": post_at,
                "message": {"type": "delayed_message", "text": text, "bot_id": self.bot["bot_id"],
                            "user": self.bot["user_id"], "team": team, "bot_profile": self._bot_profile()}}

    def m_chat_scheduledMessages_list(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:  # noqa: N802
        wanted = args.get("channel")
        if wanted and self._channel(wanted) is None:
            return self._error("invalid_channel")
        oldest, latest = _ts(args.get("oldest")), _ts(args.get("latest"))
        found = [{"id": m["id"], "channel_id": c["id"], "post_at": m["post_at"], "date_created": m["date_created"],
                  "text": m["text"]}
                 for c in self.data["channels"] if not wanted or c["id"] == wanted
                 for m in c.get("scheduled", [])
                 if (oldest is None or m["post_at"] >= oldest) and (latest is None or m["post_at"] <= latest)]
        found.sort(key=lambda m: m["post_at"])
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        offset = int(str(args.get("cursor") or "0").removeprefix("page:") or 0)
        more = offset + limit < len(found)
        return {"scheduled_messages": found[offset: offset + limit],
                "response_metadata": {"next_cursor": f"page:{offset + limit}" if more else ""}}

    def m_chat_deleteScheduledMessage(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:  # noqa: N802
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        pending = channel.get("scheduled", [])
        found = next((m for m in pending if m["id"] == args.get("scheduled_message_id")), None)
        if found is None:  # an unknown id, or a message Slack already posted or deleted
            return self._error("invalid_scheduled_message_id")
        pending.remove(found)
        return {}

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        message = next((m for m in channel["messages"] if m["ts"] == args.get("ts")), None)
        if message is None:
            return self._error("message_not_found")
        if message.get("bot_id") != self.bot["bot_id"]:
            return self._error("cant_update_message")
        if "text" in args:
            message["text"] = args["text"]
        metadata = args.get("metadata")
        if isinstance(metadata, str) and metadata:
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        message["edited"] = {"user": self.bot["user_id"], "ts": self._next_ts(channel)}
        return {"channel": channel["id"], "ts": message["ts"], "text": message["text"],
                "message": {k: message[k] for k in ("text", "user", "bot_id", "type") if k in message}}

    def m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:  # noqa: N802
        channel = self._channel(args.get("channel"))
        if channel is None:
            return self._error("channel_not_found")
        ts = str(args.get("message_ts", ""))
        domain = self.data.get("team", {}).get("domain", "sandbox")
        return {"channel": channel["id"],
                "permalink": f"https://{domain}.slack.com/archives/{channel['id']}/p{ts.replace('.', '')}"}

    def m_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:  # noqa: N802
        email = str(args.get("email", "")).lower()
        user = next((u for u in self.data["users"] if u.get("email", "").lower() == email), None)
        if user is None:
            return self._error("users_not_found")
        return {"user": self._user_out(user)}

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        user = self._user(args.get("user"))
        if user is None:
            return self._error("user_not_found")
        return {"user": self._user_out(user)}

    # -- user groups (world `usergroups`: {id, handle, name, users}; `plan: "free"` has none) --------------

    def _usergroup_out(self, group: dict[str, Any], with_users: bool) -> dict[str, Any]:
        out = {"id": group["id"], "team_id": "T0SANDBOX", "is_usergroup": True, "is_subteam": True,
               "name": group.get("name", group["handle"]), "description": group.get("description", ""),
               "handle": group["handle"], "is_external": False, "date_create": 1700000000, "date_update": 1700000000,
               "date_delete": 0, "auto_type": None, "auto_provision": False, "enterprise_subteam_id": "",
               "created_by": "U0ADA", "updated_by": "U0ADA", "deleted_by": None,
               "prefs": {"channels": [], "groups": []}, "user_count": len(group.get("users", []))}
        if with_users:
            out["users"] = list(group.get("users", []))
        return out

    def _free_plan(self) -> FakeResponse | None:
        # "This workspace does not have access to User Groups, as that feature is only available on Standard and
        # above plans." (Slack's docs for the usergroups methods)
        return self._error("plan_upgrade_required") if self.data.get("plan") == "free" else None

    def m_usergroups_list(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        refused = self._free_plan()
        if refused:
            return refused
        with_users = str(args.get("include_users", "")).lower() in ("true", "1")
        return {"usergroups": [self._usergroup_out(g, with_users) for g in self.data.get("usergroups", [])]}

    def m_usergroups_users_update(self, args: dict[str, Any]) -> dict[str, Any] | FakeResponse:
        refused = self._free_plan()
        if refused:
            return refused
        group = next((g for g in self.data.get("usergroups", []) if g["id"] == args.get("usergroup")), None)
        if group is None:
            return self._error("invalid_arg_name")
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            return self._error("no_users_provided")
        if any(self._user(u) is None for u in users):
            return self._error("invalid_users")
        group["users"] = users
        return {"usergroup": self._usergroup_out(group, True)}

    def _user_out(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "name": user.get("name", ""), "real_name": user.get("real_name", ""),
                "deleted": user.get("deleted", False), "is_bot": user.get("is_bot", False),
                "tz": user.get("tz", "America/New_York"),
                "profile": {"email": user.get("email", ""), "real_name": user.get("real_name", ""),
                            "display_name": user.get("name", "")}}


def slack_time(ts: str) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(float(ts), tz=UTC)
