"""What answers to repeat questions add to the end-of-rotation report (declared in the DUTY's `contributes`): each
answer's use and thumbs in the rotation, and the requests that keep coming back with no answer, each group with
a suggestion: an example to add to the answer that came closest, or a new answer."""

from __future__ import annotations

from collections import Counter

from oncall_lib.answers.matching import Match, Matcher, similar_groups
from oncall_lib.answers.reply import answers_of, usage
from oncall_lib.config import Config
from oncall_lib.contributions import ReportContext, ReportPart
from oncall_lib.requests.classify import Request
from oncall_lib.untrusted import github_text

# A group whose requests mostly come this close to one answer, held down by no rule (matching.Match.blocked), is
# that answer asked in other words: add one of them to its examples. Otherwise it is another question.
NEAR_SCORE = 50.0
SHOWN_GROUPS = 5


def report_part(config: Config, ctx: ReportContext) -> ReportPart:
    """The answers given in the rotation and their thumbs (the Answers worksheet), and groups of similar requests
    over the weeks read that no answer in the file covers, biggest first, each with the example or answer to
    add."""
    assert config.answers
    matcher = Matcher(answers_of(config))
    lines = ["### Answers to repeat questions", ""]
    used = usage(ctx.sheet_rows.get(config.tracking.section("answer"), []), ctx.start, ctx.end, config,
                 ctx.sheet_day) if config.tracking else {}
    if used:
        lines += ["| Answer | Given | :+1: helpful | :-1: not helpful |", "|---|---|---|---|"]
        lines += [f"| {github_text(key, 40, one_line=True)} | {u.given} | {u.helpful} | {u.not_helpful} |"
                  for key, u in sorted(used.items(), key=lambda item: -item[1].given)]
    else:
        lines.append("No answer was given this rotation" + ("" if config.tracking else
                                                            " (no tracking sheet to count them in)") + ".")
    best = {id(r): matcher.best(r.text) for r in ctx.requests if not r.requester_is_bot}
    unanswered = [r for r in ctx.requests if id(r) in best and not _close_enough(best[id(r)],
                                                                                 config.answers.min_score)]
    groups = similar_groups([r.text for r in unanswered], config.answers.group_score)[:SHOWN_GROUPS]
    lines += ["", "Requests that keep coming back with no answer yet (candidates for the file):", ""]
    for group in groups:
        sample = [unanswered[i] for i in group]
        quoted = "; ".join(f"“{github_text(r.text, 80, one_line=True)}”" for r in sample[:3])
        lines.append(f"- Asked {len(group)} times with no answer in {config.answers.file}: {quoted}. "
                     + suggestion([best[id(r)] for r in sample], sample, config))
    if not groups:
        lines.append("- None: no question came back in the weeks read.")
    return ReportPart("answers", markdown=[*lines, ""])


def _close_enough(found: Match | None, min_score: float) -> bool:
    return found is not None and found.score >= min_score


def suggestion(closest: list[Match | None], sample: list[Request], config: Config) -> str:
    """What to add to the file for one group: an example to the answer most of them came close to, or a new
    answer with two of them as its examples."""
    assert config.answers
    near = Counter(m.answer.key for m in closest if m is not None and m.score >= NEAR_SCORE and not m.blocked)
    if near:
        key, count = near.most_common(1)[0]
        if count * 2 > len(sample):
            score, request = max(((m.score, r) for m, r in zip(closest, sample, strict=True)
                                  if m is not None and m.answer.key == key), key=lambda pair: pair[0])
            return (f"Suggested: add “{github_text(request.text, 80, one_line=True)}” to the examples of "
                    f"`{key}` (it scores {score:.0f}, {config.answers.min_score:g} answers).")
    examples = ", ".join(f"“{github_text(r.text, 80, one_line=True)}”" for r in sample[:2])
    return f"Suggested: a new answer, with {examples} as its examples."
