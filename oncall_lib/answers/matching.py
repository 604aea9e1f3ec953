"""Answers to repeat questions: the team's file of answers, and how closely a request matches one.

The file (`[answers] file`, TOML) holds one `[[answer]]` per repeat question:

    [[answer]]
    key = "aws-console"                      # short, stable: the sheet and the report count by it
    examples = ["How do I get access to the AWS console?", "aws console login"]
    patterns = ['(?i)\\bconsole\\b.*\\baccess\\b']   # optional regular expressions: any one is a match
    answer = "Ask for the AWS role in the access form; an approver grants it within a day."
    link = "https://example.gov/docs/aws-console"

Matching is rapidfuzz's token-set ratio on the words that carry meaning (greetings, Slack markup and small
words removed), against each example; a score of `min_score` (0-100) or more is a match. Token-set ratio
forgives extra words around a question ("hi team, quick one: ...") but not a different subject: "access to
Sentry" scores about 60 against "access to the AWS console". The same scorer groups similar requests that
have no answer yet, for the report.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rapidfuzz import fuzz, process

from oncall_lib.errors import InputError

# Words that say nothing about the subject of a request.
STOPWORDS = frozenset((
    "a", "an", "the", "i", "im", "i'm", "me", "my", "we", "our", "us", "you", "your", "to", "of", "for", "in",
    "on", "at", "by", "is", "are", "was", "were", "be", "been", "can", "could", "would", "should", "will", "do",
    "does", "did", "how", "what", "where", "who", "why", "when", "which", "please", "pls", "hi", "hey", "hello",
    "team", "folks", "all", "anyone", "someone", "somebody", "help", "thanks", "thank", "thx", "with", "and",
    "or", "it", "its", "this", "that", "there", "here", "get", "got", "just", "quick", "question", "q", "so",
    "if", "any", "some", "about", "from", "as", "up", "need", "needs", "want", "know",
))
_SLACK_MARKUP = re.compile(r"<[^>]*>|:[a-z0-9_+'-]+:")
_WORD = re.compile(r"[a-z0-9][a-z0-9._-]*[a-z0-9]|[a-z0-9]")


def meaningful(text: str) -> str:
    """The words of a request that carry its subject, lowercased, in order."""
    plain = _SLACK_MARKUP.sub(" ", str(text).lower())
    return " ".join(w for w in _WORD.findall(plain) if w not in STOPWORDS)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    examples: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    answer: str = Field(min_length=1)
    link: str = ""

    @field_validator("examples")
    @classmethod
    def _specific(cls, value: list[str]) -> list[str]:
        for example in value:
            if len(meaningful(example).split()) < 2:
                raise ValueError(f"example {example!r} has fewer than two meaningful words: it would match too "
                                 "much; make it a full question, or use a pattern")
        return value

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a regular expression: {exc}") from None
        return value

    @field_validator("link")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if value and not re.match(r"^https?://\S+$", value):
            raise ValueError(f"link {value!r} is not an http(s) URL")
        return value


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: list[Answer] = Field(default_factory=list)


def load_answers(path: Path) -> list[Answer]:
    """The answers file, validated: every problem in one line naming the file, the entry and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such answers file ([answers] file in oncall.toml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    try:
        answers = _File.model_validate(data).answer
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(f"[{p + 1}]" if isinstance(p, int) else str(p) for p in first["loc"]).replace(".[", "[")
        line = _line_of(text, first["loc"])
        raise InputError(f"{path}{f':{line}' if line else ''}: {where}: "
                         f"{first['msg'].removeprefix('Value error, ')}") from None
    keys = [a.key for a in answers]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise InputError(f"{path}: answer key(s) repeated: {', '.join(repeated)}")
    for answer in answers:
        if not answer.examples and not answer.patterns:
            raise InputError(f"{path}: answer {answer.key!r} has neither examples nor patterns: nothing can match it")
    return answers


def _line_of(text: str, loc: Sequence[str | int]) -> int | None:
    """The line of the n-th [[answer]] table (and of its key, when the key is written there)."""
    if len(loc) < 2 or loc[0] != "answer" or not isinstance(loc[1], int):
        return None
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == "[[answer]]"]
    if loc[1] >= len(starts):
        return None
    start = starts[loc[1]]
    end = starts[loc[1] + 1] if loc[1] + 1 < len(starts) else len(text.splitlines()) + 1
    if len(loc) > 2 and isinstance(loc[2], str):
        for n, line in enumerate(text.splitlines()[start:end - 1], start=start + 1):
            if re.match(rf"\s*{re.escape(loc[2])}\s*=", line):
                return n
    return start


@dataclass(frozen=True)
class Match:
    answer: Answer
    score: float
    example: str  # the example (or pattern) that matched


def best_match(text: str, answers: Sequence[Answer]) -> Match | None:
    """The closest answer and its score (100 for a pattern), whether or not it is close enough."""
    words = meaningful(text)
    best: Match | None = None
    for answer in answers:
        for pattern in answer.patterns:
            if re.search(pattern, str(text)):
                return Match(answer, 100.0, pattern)
        if not words:
            continue
        found = process.extractOne(words, [meaningful(e) for e in answer.examples], scorer=fuzz.token_set_ratio)
        if found and (best is None or found[1] > best.score):
            best = Match(answer, float(found[1]), answer.examples[found[2]])
    return best


def match(text: str, answers: Sequence[Answer], min_score: float) -> Match | None:
    found = best_match(text, answers)
    return found if found is not None and found.score >= min_score else None


def similar_groups(texts: Sequence[str], min_score: float, *, smallest: int = 2,
                   limit: int = 500) -> list[list[int]]:
    """Indexes of requests that ask the same thing, in groups of at least `smallest`, biggest first: linked when
    their meaningful words score `min_score` or more against each other (rapidfuzz's token-sort ratio, one
    extract per request over at most `limit` of them)."""
    words = [meaningful(t) for t in texts[:limit]]
    usable = [i for i, w in enumerate(words) if len(w.split()) >= 2]
    if len(usable) < smallest:
        return []
    parent = list(range(len(usable)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    choices = [words[i] for i in usable]
    for a, query in enumerate(choices):
        for _, _, b in process.extract(query, choices, scorer=fuzz.token_sort_ratio, score_cutoff=min_score,
                                       limit=None):
            if b > a:
                parent[root(b)] = root(a)
    groups: dict[int, list[int]] = {}
    for position, index in enumerate(usable):
        groups.setdefault(root(position), []).append(index)
    found = [g for g in groups.values() if len(g) >= smallest]
    return sorted(found, key=lambda g: (-len(g), g[0]))
