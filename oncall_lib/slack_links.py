"""Slack message permalinks, both ways."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from oncall_lib.errors import InputError

_PATH = re.compile(r"^/archives/(?P<channel>[CGD][A-Z0-9]{2,})/p(?P<digits>\d{16})/?$")


@dataclass(frozen=True)
class ThreadRef:
    channel: str
    ts: str  # the thread's parent message

    @property
    def key(self) -> str:
        return f"{self.channel}/{self.ts}"


def parse_permalink(url: str) -> ThreadRef:
    """The thread a permalink points at: its parent, also when the link is to a reply (thread_ts=...)."""
    text = url.strip().strip("<>").split("|", 1)[0]
    parsed = urllib.parse.urlsplit(text)
    match = _PATH.match(parsed.path)
    if parsed.scheme != "https" or not parsed.netloc.endswith(".slack.com") or not match:
        raise InputError(f"{url!r} is not a Slack message link (like https://team.slack.com/archives/C0123/p1700000000000100)")
    ts = f"{match['digits'][:10]}.{match['digits'][10:]}"
    thread_ts = urllib.parse.parse_qs(parsed.query).get("thread_ts", [None])[0]
    if thread_ts and re.fullmatch(r"\d{10}\.\d{6}", thread_ts):
        ts = thread_ts
    return ThreadRef(match["channel"], ts)


def permalink(team_url: str, channel: str, ts: str) -> str:
    return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
