"""What answers to repeat questions add to the end-of-rotation report (declared in the DUTY's `contributes`)."""

from __future__ import annotations

from oncall_lib.answers.matching import match, similar_groups
from oncall_lib.answers.reply import answers_of, usage
from oncall_lib.config import Config
from oncall_lib.contributions import ReportContext, ReportPart
from oncall_lib.untrusted import github_text


def report_part(config: Config, ctx: ReportContext) -> ReportPart:
    """The answers given in the rotation and their thumbs (the Answers worksheet), and groups of similar requests
    over the weeks read that no answer in the file covers: candidates for it."""
    assert config.answers
    known = answers_of(config)
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
    unanswered = [r for r in ctx.requests if not r.requester_is_bot
                  and match(r.text, known, config.answers.min_score) is None]
    groups = similar_groups([r.text for r in unanswered], config.answers.group_score)[:5]
    lines += ["", "Requests that keep coming back with no answer yet (candidates for the file):", ""]
    for group in groups:
        sample = [unanswered[i] for i in group]
        lines.append(f"- Asked {len(group)} times with no answer in {config.answers.file}: "
                     + "; ".join(f"“{github_text(r.text, 80, one_line=True)}”" for r in sample[:3]))
    if not groups:
        lines.append("- None: no question came back in the weeks read.")
    return ReportPart("answers", markdown=[*lines, ""])
