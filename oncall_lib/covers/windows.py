"""Covers and swaps asked for in a comment: pure rules over the support role's turns and PagerDuty's overrides.

`/oncall cover @login FROM TO` asks a roster member to take the support role for a while;
`/oncall swap @login` asks them to trade next turns. Nothing reaches PagerDuty until the person asked
says `/oncall accept`: then one override per stretch of support time in the window (where the support
layer decides who is on call; an override elsewhere would replace normal oncall too), and the handoff's
existing override rule moves the role on its next run.

The request is remembered in the product's reply (a hidden marker holding who covers what), so acceptance
creates exactly what was asked and a re-run of either comment writes nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall_lib.rotation.schedule import Shift, holder
from oncall_lib.untrusted import github_text

REQUEST_MARKER = "<!-- oncall-support:cover-request {id} for={asked} {windows} -->"
DONE_MARKER = "<!-- oncall-support:cover-done {id} by={by} -->"
DECLINED_MARKER = "<!-- oncall-support:cover-declined {id} by={by} -->"
EXPIRED_MARKER = "<!-- oncall-support:cover-expired {id} -->"
_REQUEST = re.compile(r"<!-- oncall-support:cover-request (?P<id>\d+) for=(?P<asked>\S+) (?P<windows>[^>]*?) -->")
_WINDOW = re.compile(r"(?P<login>[A-Za-z0-9-]+)@(?P<start>\S+?)/(?P<end>\S+)")
_EXPIRED = re.compile(r"<!-- oncall-support:cover-expired (?P<id>\d+) -->")
_TEXT = re.compile(r"\btext=(?P<digest>[0-9a-f]{10})\b")
_CLOSED = re.compile(r"<!-- oncall-support:cover-(?:done|declined) (?P<id>\d+) by=(?P<by>\d+) -->")
_DAY = r"\d{4}-\d{2}-\d{2}"
_MOMENT = re.compile(rf"(?P<day>{_DAY})(?:(?:T|\s+)(?P<clock>\d{{1,2}}:\d{{2}}))?|(?P<now>now)\b", re.IGNORECASE)
TIME_FORMAT = "`2026-11-25T09:00`, `2026-11-25 09:00`, a date (`2026-11-25`: the whole day) or `now`"


class Refused(Exception):
    """A cover or swap that cannot be done, with the one line that says why."""


@dataclass(frozen=True)
class Window:
    """`login` takes the support role from `start` to `end`."""

    login: str
    start: datetime
    end: datetime

    def token(self) -> str:
        return f"{self.login}@{self.start.isoformat()}/{self.end.isoformat()}"


@dataclass(frozen=True)
class CoverRequest:
    """What the product asked someone on behalf of a roster member: one window (a cover) or two (a swap)."""

    id: int  # the asking comment's id
    asked: str  # the GitHub login who must accept
    windows: tuple[Window, ...]
    # A digest of the asking comment's text when it was asked: at acceptance the comment is read again by id and
    # must still say the same (an edit, or a deletion, withdraws the request). Empty in older markers.
    text: str = ""

    @property
    def kind(self) -> str:
        return "swap" if len(self.windows) > 1 else "cover"

    def marker(self) -> str:
        tokens = [w.token() for w in self.windows] + ([f"text={self.text}"] if self.text else [])
        return REQUEST_MARKER.format(id=self.id, asked=self.asked, windows=" ".join(tokens))


def parse_moments(text: str, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """FROM and TO as typed after the login, read in the team's time zone. A date alone is the whole day (from
    its midnight, or until the next one); `now` is the moment the command runs."""
    found = list(_MOMENT.finditer(text))
    if len(found) != 2:
        raise Refused(f"say when, as FROM and TO: {TIME_FORMAT}")
    moments = []
    for index, match in enumerate(found):
        if match.group("now"):
            moments.append(now)
            continue
        try:
            day = date.fromisoformat(match.group("day"))
            clock = time.fromisoformat(match.group("clock").zfill(5)) if match.group("clock") else time(0)
        except ValueError:
            raise Refused(f"`{match.group(0)}` is not a date and time ({TIME_FORMAT})") from None
        moment = datetime.combine(day, clock, tzinfo=tz)
        if index == 1 and not match.group("clock"):
            moment += timedelta(days=1)  # "until 2026-11-26": the whole of that day
        moments.append(moment)
    return moments[0], moments[1]


def parse_requests(bodies: Sequence[str]) -> list[CoverRequest]:
    """The requests in these comments, oldest first: pass only the product's own comments (authorship.py)."""
    found = []
    for body in bodies:
        for match in _REQUEST.finditer(body):
            windows = tuple(Window(w["login"], datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"]))
                            for w in _WINDOW.finditer(match["windows"]))
            text = _TEXT.search(match["windows"])
            if windows:
                found.append(CoverRequest(int(match["id"]), match["asked"], windows, text["digest"] if text else ""))
    return found


def closed_requests(bodies: Sequence[str]) -> dict[int, int]:
    """Requests already accepted (and done) or declined: request id -> the id of the comment that closed it. Pass
    only the product's own comments (authorship.py)."""
    return {int(m["id"]): int(m["by"]) for body in bodies for m in _CLOSED.finditer(body)}


def expired_requests(bodies: Sequence[str]) -> set[int]:
    """Requests the product marked expired: nobody accepted them in time."""
    return {int(m["id"]) for body in bodies for m in _EXPIRED.finditer(body)}


def expires_at(request: CoverRequest, asked_at: datetime | None, expire_after: timedelta | None = None) -> datetime:
    """When an unaccepted request expires: when its (first) window starts; a cover asked from `now` (its window
    already begun when asked) while it lasts. With `expire_after`, no later than that long after it was asked."""
    start = min(w.start for w in request.windows)
    deadline = start if asked_at is None or start > asked_at else min(w.end for w in request.windows)
    if expire_after and asked_at is not None:
        deadline = min(deadline, asked_at + expire_after)
    return deadline


def when(value: datetime, tz: ZoneInfo) -> str:
    return _when(value, tz)


def _when(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%a %d %b %H:%M %Z")


def span(window: Window, tz: ZoneInfo) -> str:
    return f"from {_when(window.start, tz)} until {_when(window.end, tz)}"


def _overlap(start: datetime, end: datetime, overrides: Sequence[Shift], names: dict[str, str],
             tz: ZoneInfo) -> str | None:
    for override in overrides:
        if override.start < end and override.end > start:
            who = names.get(override.user_id) or github_text(override.user_name or override.user_id, 60, one_line=True)
            return (f"it overlaps {who}'s override {_when(override.start, tz)} – {_when(override.end, tz)} in "
                    "PagerDuty: change or remove that one first")
    return None


def check_cover(window: Window, covered_by: str, timeline: Sequence[Shift], overrides: Sequence[Shift],
                names: dict[str, str], now: datetime, tz: ZoneInfo) -> Shift:
    """The turn a cover falls in, or Refused: in the past, backwards, longer than the turn, overlapping an
    override, or asking the turn's own holder. `covered_by` is the PagerDuty id of the person asked."""
    if window.end <= window.start:
        raise Refused(f"the cover ends ({_when(window.end, tz)}) before it starts ({_when(window.start, tz)})")
    if window.start < now - timedelta(minutes=5):
        raise Refused(f"the cover starts in the past ({_when(window.start, tz)}); to start at once, write `now`")
    turn = holder(timeline, window.start)
    if turn is None:
        raise Refused(f"nobody holds a support turn at {_when(window.start, tz)} in PagerDuty's schedule")
    if window.end > turn.end:
        who = names.get(turn.user_id) or github_text(turn.user_name, 60, one_line=True)
        raise Refused(f"the cover is longer than the turn: {who}'s turn ends {_when(turn.end, tz)}; ask for one "
                      "cover per turn")
    if turn.user_id == covered_by:
        raise Refused(f"@{window.login} already holds the support turn then")
    problem = _overlap(window.start, window.end, overrides, names, tz)
    if problem:
        raise Refused(problem)
    return turn


def next_turn(timeline: Sequence[Shift], pagerduty_id: str, now: datetime) -> Shift | None:
    """Someone's next turn that has not started yet."""
    return next((t for t in timeline if t.user_id == pagerduty_id and t.start > now), None)


def plan_swap(asker: str, asker_id: str, asked: str, asked_id: str, timeline: Sequence[Shift],
              overrides: Sequence[Shift], names: dict[str, str], now: datetime, tz: ZoneInfo) -> tuple[Window, ...]:
    """The two windows of a swap: the person asked takes the asker's next turn, and the asker theirs."""
    if asker_id == asked_id:
        raise Refused("a swap needs two people: name someone else")
    mine, theirs = next_turn(timeline, asker_id, now), next_turn(timeline, asked_id, now)
    for login, turn in ((asker, mine), (asked, theirs)):
        if turn is None:
            raise Refused(f"@{login} has no upcoming support turn in the next five weeks of PagerDuty's schedule")
    assert mine and theirs
    windows = (Window(asked, mine.start, mine.end), Window(asker, theirs.start, theirs.end))
    for window in windows:
        problem = _overlap(window.start, window.end, overrides, names, tz)
        if problem:
            raise Refused(problem)
    return windows
