"""Answers to repeat questions: the team's file of answers, and how closely a request matches one.

The file (`[answers] file`, TOML) holds one `[[answer]]` per repeat question, and optionally the team's
own synonyms (words or phrases that mean the same to them):

    synonyms = [["review instance", "review app"], ["parameter store", "ssm"]]

    [[answer]]
    key = "aws-console"                      # short, stable: the sheet and the report count by it
    examples = ["How do I get access to the AWS console?", "I can't log in to the AWS console"]
    patterns = ['(?i)\\bconsole\\b.*\\baccess\\b']   # optional regular expressions: any one is a match
    answer = "Ask for the AWS role in the access form; an approver grants it within a day."
    link = "https://example.gov/docs/aws-console"

Matching (`Matcher`) learns from the examples and the answers' own text alone, with no hand-written
pattern: each word is weighted by how few answers use it (inverse document frequency over the file, so a
tool's name counts more than "access"), and a request scores by how much of what it says the answer
explains (its examples fully, the answer's own text, which names the neighbouring tools it covers, a little
less), and how much of its closest example it says. A word no answer uses weighs the most: "The AWS
console is down" says "down", which nothing about console access explains, so it gets no answer. Words
match through a light stemmer, the team's synonyms, abbreviations (a prefix or the letters in order, "org",
"acct"), acronyms of two or three words ("RI" for review instance), words glued or split ("re-run",
"rerun") and one typo; greetings, thanks and small talk are ignored. A request must also name something
only this answer (or few answers) mentions. Deterministic, no model, about a millisecond a request.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

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
# Small talk around a question, ignored by the matcher too (STOPWORDS stay as they were: the report's groups
# and the examples' own check use them).
SMALL_TALK = frozenset((
    "good", "morning", "afternoon", "evening", "hope", "hoping", "weekend", "day", "week", "today", "yesterday",
    "everyone", "everybody", "anybody", "y", "yall", "guys", "people", "qq", "ask", "asking", "wondering",
    "wonder", "curious", "sorry", "bother", "bothering", "again", "also", "actually", "really", "still", "ty",
    "cheers", "appreciate", "appreciated", "advance", "lol", "ok", "okay", "oh", "well", "yes", "no", "not",
    "t", "s", "d", "ll", "ve", "re", "m", "cannot", "cant", "won", "wont", "don", "dont", "isn", "doesn",
    "didn", "hasn", "haven", "since", "been", "has", "have", "had", "am", "an", "into", "onto", "via", "through",
    "over", "than", "then", "them", "they", "their", "he", "she", "his", "her", "new", "one", "ones", "way",
    "whats", "hows", "wheres", "whens", "who's", "look", "take", "could", "might", "may", "must", "shall",
    "thing", "things", "stuff", "anything", "something", "able", "sure", "else", "going", "trying", "try",
    "tried", "idea", "ideas", "tips", "fyi", "btw", "hmm", "hm", "pls", "plz", "thnx", "ty", "much", "many",
    "very", "too", "more", "most", "other", "another", "same", "each", "every", "own", "back", "out", "off",
    "teammate", "teammates", "colleague", "colleagues", "coworker", "coworkers", "person", "anyway", "yo", "sup",
    "hiya", "howdy", "team's", "possible", "possibly", "kindly", "cc", "fwiw",
))
# Words that ask rather than say what about: they count, a little.
GENERIC = frozenset((
    "need", "want", "get", "obtain", "acquir", "receiv", "request", "give", "grant", "have", "find", "see", "use",
    "set", "make", "do", "go", "add", "put", "work", "help", "issu", "problem", "question", "find", "where",
    "happen", "show", "check", "let", "mine",
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

    # Words or phrases the team uses for the same thing: each group's entries match one another.
    synonyms: list[list[str]] = Field(default_factory=list)
    answer: list[Answer] = Field(default_factory=list)


class AnswerSet(list[Answer]):
    """The file's answers, in order, and the team's synonyms."""

    def __init__(self, answers: Sequence[Answer] = (), synonyms: Sequence[Sequence[str]] = ()) -> None:
        super().__init__(answers)
        self.synonyms = [list(group) for group in synonyms]


def load_answers(path: Path) -> AnswerSet:
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
        parsed = _File.model_validate(data)
        answers = AnswerSet(parsed.answer, parsed.synonyms)
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
    example: str  # the example (or pattern) closest to the request
    why: str = ""  # what decided the score, for the dry run
    # Held down by a rule (a word no answer uses, nothing particular named, nothing of an example said): another
    # question, not this answer in other words.
    blocked: bool = False


# -- the matcher ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = (("ational", "ate"), ("ization", "ize"), ("isation", "ize"), ("ation", ""), ("ments", ""),
             ("ment", ""), ("ings", ""), ("ing", ""), ("ies", "y"), ("ied", "y"), ("ers", ""), ("er", ""),
             ("ed", ""), ("es", ""), ("s", ""))


def stem(word: str) -> str:
    """A light stemmer (plurals, -ing, -ed, -er, -ation, -ment, a final e, a doubled consonant): deterministic,
    and only for grouping a word's forms, never shown."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not (suffix == "s" and word.endswith("ss")):
            word = word[: -len(suffix)] + replacement
            break
    if len(word) >= 4 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


_TYPED_MENTION = re.compile(r"(?<![\w.])@[\w./-]+")


def _raw_tokens(text: str) -> list[str]:
    # Slack markup (links, mentions, emoji) and mentions typed as text (cc @someone, @org/team) say who, not what.
    plain = _TYPED_MENTION.sub(" ", _SLACK_MARKUP.sub(" ", str(text).lower())).replace("’", "'")
    return _TOKEN.findall(plain)


def _quiet(word: str) -> bool:
    return len(word) < 2 or word in STOPWORDS or word in SMALL_TALK or word.isdigit()


class Matcher:
    """Scores a request against every answer of a file (see the module's docstring); build once per file."""

    METHOD = "weighted coverage"
    DEFAULT_MIN_SCORE = 75.0
    # How much a word explained only by the answer's own text (not its examples) counts as explained.
    TEXT_CREDIT = 0.9
    # How much a word matched through an abbreviation or a typo counts.
    NEAR_CREDIT = 0.95
    GENERIC_WEIGHT = 0.25
    # A request must name, among what it shares with the answer, a word only this answer uses (or two that
    # two answers use, ...).
    ANCHOR = 1.0

    def __init__(self, answers: Sequence[Answer], synonyms: Sequence[Sequence[str]] | None = None) -> None:
        self.answers = list(answers)
        groups = synonyms if synonyms is not None else getattr(answers, "synonyms", [])
        # Each synonym phrase (as words) -> the group's first entry (as words): requests and answers alike.
        self._synonyms: list[tuple[list[str], list[str]]] = []
        for group in groups:
            entries = [_raw_tokens(p) for p in group if _raw_tokens(p)]
            self._synonyms += [(p, entries[0]) for p in entries[1:]]
        self._synonyms.sort(key=lambda item: -len(item[0]))
        self._examples: list[list[set[str]]] = []
        self._texts: list[set[str]] = []
        # Acronyms of the names an answer repeats (two or three words in more than one of its texts): "ri" for
        # review instance, "pr" for pull request.
        self._acronyms: dict[str, list[tuple[str, ...]]] = {}
        for answer in self.answers:
            texts = [self._canonical(_raw_tokens(t)) for t in [*answer.examples, answer.answer]]
            self._examples.append([self._terms(raw) for raw in texts[:-1]])
            self._texts.append(self._terms(texts[-1]))
            phrases: dict[tuple[str, ...], int] = {}
            for raw in texts:
                words = [stem(w) for w in raw if not _quiet(w)]
                for size in (2, 3):
                    for phrase in {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}:
                        phrases[phrase] = phrases.get(phrase, 0) + 1
            for phrase, seen in phrases.items():
                initials = "".join(w[0] for w in phrase)
                if seen > 1 and phrase not in self._acronyms.get(initials, []):
                    self._acronyms.setdefault(initials, []).append(phrase)
        self._vocabulary: set[str] = set().union(*self._texts, *(e for ex in self._examples for e in ex)) \
            if self.answers else set()
        count = len(self.answers)
        frequency: dict[str, int] = {}
        for index in range(count):
            for term in self._texts[index].union(*self._examples[index]):
                frequency[term] = frequency.get(term, 0) + 1
        self._frequency = frequency
        self._idf = {t: math.log(1 + count / n) for t, n in frequency.items()}
        self._unknown = math.log(1 + count / 0.5) if count else 1.0

    # -- words -------------------------------------------------------------------------------------

    def _canonical(self, raw: list[str]) -> list[str]:
        """The team's synonyms replaced by their group's first entry."""
        if not self._synonyms:
            return raw
        out: list[str] = []
        i = 0
        while i < len(raw):
            for phrase, first in self._synonyms:
                if raw[i:i + len(phrase)] == phrase:
                    out += first
                    i += len(phrase)
                    break
            else:
                out.append(raw[i])
                i += 1
        return out

    @staticmethod
    def _terms(raw: list[str]) -> set[str]:
        """The stems that carry meaning."""
        return {stem(w) for w in raw if not _quiet(w)}

    def request_terms(self, text: str) -> list[str]:
        """A request's terms: stems of its words, with glued, split and acronym words read as the answers write
        them."""
        raw = self._canonical(_raw_tokens(text))
        terms: list[str] = []
        skip = 0
        for i, word in enumerate(raw):
            if skip:
                skip -= 1
                continue
            if i + 1 < len(raw) and stem(word + raw[i + 1]) in self._vocabulary and not _quiet(word + raw[i + 1]):
                terms.append(stem(word + raw[i + 1]))  # "re run" where the answers write "rerun"
                skip = 1
                continue
            if _quiet(word):
                continue
            term = stem(word)
            if term not in self._vocabulary and len(word) in (3, 4) and word.endswith("s") and (
                    word[:-1] in self._vocabulary or word[:-1] in self._acronyms):
                word = term = word[:-1]  # "prs", "ris"
            if term not in self._vocabulary:
                if len(word) <= 3 and len(self._acronyms.get(word, [])) == 1:
                    terms += self._acronyms[word][0]  # "ri": the one name those letters begin
                    continue
                split = next(((stem(word[:k]), word[k:]) for k in range(2, len(word) - 1)
                              if stem(word[:k]) in self._vocabulary and (stem(word[k:]) in self._vocabulary
                                                                         or _quiet(word[k:]))), None)
                if split:
                    terms.append(split[0])  # "awsconsole", "login": the answers write two words
                    if not _quiet(split[1]):
                        terms.append(stem(split[1]))
                    continue
            terms.append(term)
        return list(dict.fromkeys(terms))

    def _weight(self, term: str) -> float:
        base = self._idf.get(term, self._unknown)
        return base * self.GENERIC_WEIGHT if term in _GENERIC_STEMS else base

    @staticmethod
    def _close(term: str, known: set[str]) -> str | None:
        """The known term this one is, or abbreviates, or misspells."""
        if term in known:
            return term
        for word in sorted(known):
            if len(term) >= 3 and len(word) >= len(term) + 2 and word[0] == term[0] and _in_order(term, word):
                return word  # an abbreviation: "org", "prod", "acct", "env"
            if (len(term) >= 5 and len(word) >= 5 and not any(c.isdigit() for c in term + word)
                    and OSA.distance(term, word) <= 1):
                return word  # one typo (never in a number: "tool3" is not "tool0")
        return None

    # -- scores -------------------------------------------------------------------------------------

    def score(self, terms: list[str], index: int) -> tuple[float, str, str, bool]:
        """The request's score against one answer (0-100), its closest example, why, and whether a rule held it
        down."""
        examples, text = self._examples[index], self._texts[index]
        said = set().union(*examples) if examples else set()
        total = sum(self._weight(t) for t in terms)
        if not terms or total <= 0:
            return 0.0, "", "no words that carry meaning", True
        explained = 0.0
        anchor = 0.0
        unexplained: list[str] = []
        matched: set[str] = set()
        for term in terms:
            found = self._close(term, said)
            credit = 1.0
            if found is None:
                found, credit = self._close(term, text), self.TEXT_CREDIT
            if found is not None and found != term:
                credit *= self.NEAR_CREDIT  # an abbreviation or a typo: the exact word, where another has it, wins
            if found is None:
                unexplained.append(term)
                continue
            matched.add(found)
            explained += credit * self._weight(term)
            if term not in _GENERIC_STEMS:
                anchor += 1 / self._frequency.get(found, 1)  # a word only this answer uses: 1; one two use: 1/2
        coverage = explained / total
        best_example, closest = 0.0, ""
        for position, example in enumerate(examples):
            weight = sum(self._weight(t) for t in example)
            part = sum(self._weight(t) for t in example if t in matched) / weight if weight else 0.0
            if part > best_example or not closest:
                best_example, closest = part, self.answers[index].examples[position]
        value = 100 * coverage * (0.85 + 0.15 * best_example)
        why = f"explains {coverage:.0%} of the request, says {best_example:.0%} of “{closest}”"
        if unexplained:
            why += f"; not explained: {', '.join(unexplained)}"
        novel = [t for t in unexplained if t not in self._idf and t not in _GENERIC_STEMS]
        blocked = anchor < self.ANCHOR or best_example == 0 or bool(novel)
        if anchor < self.ANCHOR:
            value = min(value, 49.0)
            why += "; names nothing particular to this answer"
        elif best_example == 0:
            value = min(value, 49.0)
            why += "; says nothing of its examples"
        elif novel:
            # A word no answer uses: the request asks something the file does not talk about.
            value = min(value, 60.0)
            why += f"; “{novel[0]}” is in no answer"
        return round(value, 1), closest, why, blocked

    def best(self, text: str) -> Match | None:
        """The closest answer and its score (100 for a pattern), whether or not it is close enough."""
        for answer in self.answers:
            for pattern in answer.patterns:
                if re.search(pattern, str(text)):
                    return Match(answer, 100.0, pattern, "a pattern matched")
        terms = self.request_terms(text)
        best: Match | None = None
        for index, answer in enumerate(self.answers):
            if not answer.examples:
                continue
            value, closest, why, blocked = self.score(terms, index)
            if best is None or value > best.score:
                best = Match(answer, value, closest, why, blocked)
        return best

    def match(self, text: str, min_score: float) -> Match | None:
        found = self.best(text)
        return found if found is not None and found.score >= min_score else None


_GENERIC_STEMS = frozenset(stem(w) for w in GENERIC)


def _in_order(short: str, word: str) -> bool:
    """Whether the letters of `short` appear in `word` in order."""
    letters = iter(word)
    return all(c in letters for c in short)


def _matcher(answers: Sequence[Answer] | Matcher) -> Matcher:
    return answers if isinstance(answers, Matcher) else Matcher(answers)


def best_match(text: str, answers: Sequence[Answer] | Matcher) -> Match | None:
    """The closest answer and its score (100 for a pattern), whether or not it is close enough."""
    return _matcher(answers).best(text)


def match(text: str, answers: Sequence[Answer] | Matcher, min_score: float) -> Match | None:
    return _matcher(answers).match(text, min_score)


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
