"""Answers to repeat questions, as the request watch gives them (with [answers]).

plan: a new request (unacknowledged, younger than the warning age, no reply of the product's in its thread
yet) that matches an answer closely gets one reply in its thread: the answer, its link, and a request for a
thumbs up or down. The reply carries the product's metadata, so it never counts as an acknowledgement: a
person still owns the request, and the watch escalates it as before.
observe (for the sheet): the threads of requests the product replied to within `feedback_hours` (read
already by the scan while nobody else has answered; otherwise one read each), for the answer given and the
thumbs on it. Each answer is one row in the tracking sheet, each kind of thumb one more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from oncall_lib.answers.matching import Answer, AnswerSet, Match, Matcher, load_answers
from oncall_lib.config import Config
from oncall_lib.contributions import WatchPart
from oncall_lib.plan import Action
from oncall_lib.recorder import AUTOMATIC, TaskRow
from oncall_lib.requests.classify import Request
from oncall_lib.services import Services
from oncall_lib.services.slack import Marker
from oncall_lib.untrusted import slack_link, slack_quote, slack_text

if TYPE_CHECKING:  # the watch imports this module
    from oncall_lib.requests.watch import WatchState

ANSWER_EVENT = "oncall_support_answer"
HELPFUL = frozenset({"+1", "thumbsup"})
NOT_HELPFUL = frozenset({"-1", "thumbsdown"})


def answers_of(config: Config) -> AnswerSet:
    """The team's answers file ([answers] file, relative to oncall.toml); InputError names what is wrong."""
    assert config.answers
    return load_answers(config.folder / config.answers.file)


def _answerable(config: Config) -> set[str]:
    assert config.answers
    keys = config.answers.channels or [c.key for c in config.slack.watched if not c.urgent]
    return {config.slack.channel(k).id for k in keys}


def reply_text(answer: Answer) -> str:
    link = f" {slack_link(answer.link, 'Read more')}." if answer.link else ""
    return (f":books: This looks like a question we have an answer for: {slack_text(answer.answer, 600)}{link}\n"
            "Did it help? React :+1: or :-1: on this message. The person on support will still follow up.")


def _new_requests(state: WatchState, config: Config) -> list[Request]:
    """Requests an answer may still be given to: new, unacknowledged, not from a bot, in an answered channel."""
    channels = _answerable(config)
    return [r for r in state.scan.requests
            if not (r.acknowledged or r.own_reply or r.requester_is_bot or r.needs_thread
                    or r.channel_id not in channels or r.age(state.at, state.clock) >= config.requests.warn_minutes)]


def plan_answers(state: WatchState, config: Config, answers: list[Answer],
                 considered: list[str] | None = None) -> list[Action]:
    """A reply for each new request that matches an answer; `considered` gets one line per new request saying
    why it was answered or not (its best answer and score), for the dry run."""
    assert config.answers
    matcher = Matcher(answers)
    actions = []
    for request in _new_requests(state, config):
        best = matcher.best(request.text)
        found = best if best is not None and best.score >= config.answers.min_score else None
        if considered is not None:
            considered.append(considered_line(request, best, config.answers.min_score))
        if found is None:
            continue
        actions.append(Action("slack.post", f"{request.channel} thread {request.ts}",
                              f"answer with “{found.answer.key}” (score {found.score:.0f})",
                              {"channel": request.channel_id, "thread_ts": request.ts,
                               "text": reply_text(found.answer),
                               "marker": Marker(ANSWER_EVENT, request.key, {"answer": found.answer.key})}))
    return actions


def considered_line(request: Request, best: Match | None, min_score: float) -> str:
    """Why a request was answered or not, in one line: its best answer, the score against the threshold, why."""
    # The request by its opening words: its ts means nothing to the person reading the dry run.
    opening = " ".join(request.text.split())
    where = f"{request.channel} “{opening if len(opening) <= 40 else opening[:39].rstrip() + '…'}”"
    if best is None:
        return f"{where}: no answer to compare with"
    verdict = "answered" if best.score >= min_score else "not answered"
    return f"{where}: {verdict}, best {best.answer.key} {best.score:.0f}/{min_score:g} ({best.why})"


@dataclass
class Given:
    """An answer the product gave, found in its request's thread, with the thumbs on it."""

    request: Request
    answer: str
    helpful: bool = False
    not_helpful: bool = False


def _reactions(message: dict[str, Any], me: str) -> tuple[bool, bool]:
    """Thumbs up and down on the product's answer, by anyone but the product."""
    up = down = False
    for reaction in message.get("reactions") or []:
        name = str(reaction.get("name", "")).split("::", 1)[0]
        people = [str(u) for u in reaction.get("users") or [] if str(u) != me]
        if not people:
            continue
        up |= name in HELPFUL
        down |= name in NOT_HELPFUL
    return up, down


def observe_given(services: Services, state: WatchState, config: Config) -> list[Given]:
    """Answers given within `feedback_hours`, and their thumbs."""
    assert config.answers
    since = state.at - timedelta(hours=config.answers.feedback_hours)
    given = []
    for request in state.scan.requests:
        if not request.own_reply or request.asked_at < since:
            continue
        thread = state.scan.threads.get(request.key)
        if thread is None:
            thread = services.slack.replies(request.channel_id, request.ts)
            state.scan.threads[request.key] = thread
        for message in thread:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") != ANSWER_EVENT:
                continue
            up, down = _reactions(message, state.scan.me.user_id)
            key = str((metadata.get("event_payload") or {}).get("answer", ""))
            given.append(Given(request, key, up, down))
    return given


def watch_part(services: Services, config: Config, state: WatchState) -> WatchPart:
    """The answers' part of the watch's run (declared as the duty's `contributes.watch`): replies to new requests
    that match, and the rows of the answers given and their thumbs. A mistake in the team's file stops the run
    (InputError) before anything is written."""
    known = answers_of(config)
    given = observe_given(services, state, config)
    considered: list[str] = []
    actions = plan_answers(state, config, known, considered)
    # The answers given now are recorded now, so the next run has nothing to write (one run converges). Should
    # the reply fail, the next run gives it again, its row already there.
    requests = {r.key: r for r in state.scan.requests}
    now = [Given(requests[a.params["marker"].key], str(a.params["marker"].payload.get("answer", "")))
           for a in actions if a.params["marker"].key in requests]
    facts: dict[str, object] = {"answered": len(actions)}
    if considered:  # why each new request got an answer or not (its best one and score): the dry run shows it
        facts["answers_considered"] = "; ".join(considered)
    return WatchPart(actions, answer_rows([*given, *now], state.scan.me.team_url, config), facts)


def answer_rows(given: list[Given], team_url: str, config: Config) -> list[TaskRow]:
    rows = []
    for g in given:
        r = g.request
        day = r.asked_at.astimezone(config.team.tz).date()

        def row(key: str, summary: str, request: Request = r, day: date = day) -> TaskRow:
            return TaskRow(key=key, day=day, person="", kind="answer", summary=summary,
                           link=request.permalink(team_url), channel=request.channel, requester=request.requester,
                           by=AUTOMATIC)

        rows.append(row(f"answer/{r.key}", f"{g.answer}: {slack_quote(r.text, 200)}"))
        if g.helpful:
            rows.append(row(f"answer/{r.key}/helpful", f"{g.answer}: helpful"))
        if g.not_helpful:
            rows.append(row(f"answer/{r.key}/not-helpful", f"{g.answer}: not helpful"))
    return rows


@dataclass
class Usage:
    """An answer's use in a rotation, from the tracking sheet's rows."""

    given: int = 0
    helpful: int = 0
    not_helpful: int = 0


def usage(rows: list[list[Any]], start: datetime, end: datetime, config: Config,
          day_of: Callable[[object], date | None]) -> dict[str, Usage]:
    """Answer key -> how often it was given and thumbed in [start, end), from the Answers worksheet (`day_of`
    reads a Date cell, as the sheet that holds them writes dates)."""
    first, last = start.astimezone(config.team.tz).date(), end.astimezone(config.team.tz).date()
    found: dict[str, Usage] = {}
    for row in rows[1:]:
        if len(row) < 5 or row[3] != "answer" or not str(row[0]).startswith("answer/"):
            continue
        day = day_of(row[1])
        if day is None or not first <= day < last:
            continue
        key = str(row[4]).partition(": ")[0]
        entry = found.setdefault(key, Usage())
        if str(row[0]).endswith("/not-helpful"):
            entry.not_helpful += 1
        elif str(row[0]).endswith("/helpful"):
            entry.helpful += 1
        else:
            entry.given += 1
    return found
