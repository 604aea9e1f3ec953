"""The one way text that did not come from the product reaches Slack or GitHub: as data, never markup.

Titles, bodies, commit messages, job and step names, people's names and form
answers are typed by strangers. Put into a Slack message as they are, `<!channel>`
notifies a whole channel and `x> <!here` closes the product's own link and
broadcasts; put into a GitHub comment, `@org/team` notifies a team. Every job
builds its messages from these functions, and only the product's own markup (its
links, its mentions of the person on support) stays live.

- `slack_text`: text from anywhere but Slack (GitHub, git, a form, a file), for
  Slack mrkdwn: `&`, `<` and `>` escaped as Slack asks, so no control sequence
  survives, and bare `@here`-style words defused.
- `slack_quote`: text that came from Slack, quoted back into Slack: its links
  stay, its broadcasts and user and group mentions become plain words.
- `slack_link`: the product's link with an untrusted label.
- `github_text`: any untrusted text for a GitHub comment, title or body: `@`
  mentions (people and teams) cannot notify, Slack's mention markup reads as words.
- `github_quote`: Slack text quoted as a Markdown block quote on GitHub.
"""

from __future__ import annotations

import re
import urllib.parse

ZERO_WIDTH_SPACE = "\u200b"

_BROADCAST = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_USER = re.compile(r"<@([UWB][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)[^>]*>")
_BARE_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.I)
_GITHUB_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def _one_line(text: str, limit: int | None) -> str:
    text = " ".join(str(text).split())
    if limit is not None and len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return text


def slack_text(text: object, limit: int | None = None, *, keep_lines: bool = False) -> str:
    """Text from outside Slack, safe in a Slack message: on one line (unless `keep_lines`, for a log excerpt in a
    code block), shortened to `limit`, no markup."""
    plain = str(text or "")[:limit] if keep_lines else _one_line(str(text or ""), limit)
    escaped = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BARE_BROADCAST.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", escaped)


def slack_link(url: str, label: object, limit: int | None = None) -> str:
    """`<url|label>` with the label as plain text and the URL unable to end the link early."""
    safe_url = urllib.parse.quote(str(url), safe=":/?#[]@!$&'()*+,;=%~-._")
    return f"<{safe_url.replace('&', '&amp;')}|{slack_text(label, limit)}>"


def slack_quote(text: object, limit: int | None = 120) -> str:
    """Slack text quoted back into Slack: links kept, nobody notified (mentions become plain words)."""
    quoted = _BROADCAST.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", str(text or ""))
    quoted = _SUBTEAM.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{(m.group(1) or 'group').lstrip('@')}", quoted)
    quoted = _USER.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(2) or m.group(1)}", quoted)
    quoted = _SPECIAL.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", quoted)
    quoted = _BARE_BROADCAST.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", quoted)
    return _one_line(quoted, limit)


def github_text(text: object, limit: int | None = None, *, one_line: bool = False) -> str:
    """Untrusted text for GitHub: no @mention of a person or team notifies anyone, no Slack markup pings."""
    value = str(text or "")
    value = slack_quote(value, None) if one_line else "\n".join(
        slack_quote(line, None) if line.strip() else "" for line in value.splitlines())
    if one_line or limit is not None:
        value = _one_line(value, limit) if one_line else value[:limit]
    return _GITHUB_MENTION.sub(f"@{ZERO_WIDTH_SPACE}", value)


def github_quote(text: object, limit: int = 4000) -> str:
    """Slack text as a Markdown block quote on GitHub, notifying nobody on either side."""
    safe = github_text(text, limit)
    return "\n".join(f"> {line}" for line in safe.splitlines() or [""])
