"""What a write will say, before it says it: the exact text of each message, comment, issue and PR.

Every job's actions carry the text they write in their params (`text` for
Slack, `title` and `body` for GitHub), so one function reads the preview off
any action: no job builds its preview separately, and a preview cannot drift
from what `apply` writes. A value only known once an earlier action applied (a
new issue's URL) stands as `[html_url of action 1]` in a dry run.

Rendering is for the reader's medium: Slack mrkdwn is shown as people see it
in Slack (`<url|label>` as the label and its URL, `<@U123>` as the person's
name, `&lt;` as `<`), in plain text for the terminal and as Markdown for the
job summary; GitHub Markdown is shown as written, without the hidden markers
GitHub does not display.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from oncall_lib.plan import Action, Ref, filled

# Where an action writes what people read. Kinds not listed here write no text (labels, assignees, sheet rows).
_SLACK_TEXT = {"slack.post", "slack.reply", "slack.update"}
_GITHUB_BODY = {"github.comment", "github.status_comment", "github.edit_comment", "github.create_issue",
                "github.close_with_comment", "github.edit_issue", "github.edit_body", "github.create_pull",
                "github.edit_pull"}


@dataclass(frozen=True)
class Preview:
    to: Literal["slack", "github"]
    text: str  # exactly what the write sends
    title: str | None = None  # an issue's or PR's title

    def as_dict(self, names: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"to": self.to, "text": self.text}
        if self.title is not None:
            out["title"] = self.title
        if self.to == "slack":
            out["readable"] = slack_readable(self.text, names)
        return out


def _shown(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params with each Ref (a value an earlier action will return) spelled as a dry run shows it."""
    return {k: f"[{v.key} of action {v.action + 1}]" if isinstance(v, Ref) else v for k, v in params.items()}


def preview_of(action: Action) -> Preview | None:
    """The text `action` writes, if it writes text people read."""
    params = _shown(action.params)
    if action.kind in _SLACK_TEXT and "text" in params:
        return Preview("slack", filled(params, "text"))
    if action.kind == "slack.set_topic" and "topic" in params:
        return Preview("slack", str(params["topic"]))
    if action.kind == "github.close_pull" and "comment" in params:  # the comment that says why it is closed
        return Preview("github", filled(params, "comment"))
    if action.kind in _GITHUB_BODY and ("body" in params or "title" in params):
        title = params.get("title")
        return Preview("github", filled(params, "body") if "body" in params else "",
                       None if title is None else str(title))
    return None


# -- Slack mrkdwn as people see it ----------------------------------------------------------------

_ANGLE = re.compile(r"<([^<>]*)>")


def _angle(inner: str, names: Mapping[str, str], markdown: bool) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # a person: <@U123> or <@U123|name>
        return "@" + (label or names.get(target[1:], target[1:]))
    if target.startswith("#"):  # a channel: <#C123> or <#C123|name>
        return "#" + (label or names.get(target[1:], target[1:])).lstrip("#")
    if target.startswith("!subteam^"):
        return "@" + (label or "group").lstrip("@")
    if target.startswith("!"):  # <!here>, <!channel>, <!date^...|fallback>
        return label or "@" + target[1:].split("^", 1)[0]
    url = target.replace("&amp;", "&")
    if markdown:
        text = (label or url).replace("[", "\\[").replace("]", "\\]")
        return f"[{text}]({url.replace(' ', '%20').replace(')', '%29')})"
    return f"{label} ({url})" if label and label != url else url


def slack_readable(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn as plain text, the way Slack shows it: links as `label (url)`, mentions as names."""
    plain = _ANGLE.sub(lambda m: _angle(m.group(1), names or {}, markdown=False), text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")


def slack_as_markdown(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn as GitHub Markdown (for the job summary): links, mentions, bold and strike rewritten."""
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced
            out.append(line)
            continue
        if not fenced:
            line = _ANGLE.sub(lambda m: _angle(m.group(1), names or {}, markdown=True), line)
            line = _STRIKE.sub(r"~~\1~~", _BOLD.sub(r"**\1**", line))
        out.append(line)
    return "\n".join(out)


# -- GitHub Markdown as people see it -------------------------------------------------------------

_HIDDEN = re.compile(r"<!--.*?-->", re.S)


def github_visible(text: str) -> str:
    """Markdown without the HTML comments (the product's markers) that GitHub does not display."""
    visible = _HIDDEN.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", visible).strip("\n")


# -- in the report --------------------------------------------------------------------------------


# Control characters (a terminal escape sequence in a quoted title, say) are shown, never sent to the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text_lines(preview: Preview, names: Mapping[str, str] | None = None) -> list[str]:
    """The preview for a terminal: the title, then each line as the reader will see it."""
    body = slack_readable(preview.text, names) if preview.to == "slack" else github_visible(preview.text)
    body = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", body.replace("\r\n", "\n"))
    lines = [f"title: {_CONTROL.sub('?', preview.title)}"] if preview.title is not None else []
    return lines + (body.split("\n") if body else ([] if lines else ["(empty)"]))


def markdown_block(preview: Preview, heading: str, names: Mapping[str, str] | None = None,
                   *, open_: bool = False) -> str:
    """The preview for the job summary: a collapsible block holding the message as the reader will see it."""
    if preview.to == "slack":
        body = "\n".join(f"> {line}  " if line else ">" for line in
                         slack_as_markdown(preview.text, names).split("\n"))
    else:
        body = github_visible(preview.text)
    title = f"**{_escape_inline(preview.title)}**\n\n" if preview.title is not None else ""
    summary = heading.replace("<", "&lt;").replace(">", "&gt;")
    return (f"<details{' open' if open_ else ''}><summary>{summary}</summary>\n\n{title}{body}\n\n"
            "</details>")


def _escape_inline(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)
