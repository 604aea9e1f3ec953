"""The product's own part of an issue or PR description, and nothing else.

A description the product opens is its text between two hidden markers:

    <!-- oncall-support:begin 3f9a1c2b7d4e title=9c1d0e2f4a6b -->
    ...what the product wrote...
    <!-- oncall-support:end -->

The begin marker holds a digest of the text (and of the title) as the product
last wrote them. On a re-run the product replaces its section only while the
section (or title) is still what it wrote: a person's text around it is kept
as it is, a person's edit inside it is kept too (and said), and a description
whose markers a person removed is not rewritten at all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_BEGIN = re.compile(r"<!-- oncall-support:begin (?P<digest>[0-9a-f]{12})(?: title=(?P<title>[0-9a-f]{12}))? -->"
                    r"(?:\r?\n)?")
_END = re.compile(r"(?:\r?\n)?<!-- oncall-support:end -->")


def digest(text: str) -> str:
    # GitHub stores a description saved from its web editor with CRLF line ends: the same text either way.
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode()).hexdigest()[:12]


def section(text: str, title: str | None = None) -> str:
    """`text` as the product's marked section (remembering `title` as written, when given)."""
    remembered = f" title={digest(title)}" if title is not None else ""
    return f"<!-- oncall-support:begin {digest(text)}{remembered} -->\n{text.strip()}\n<!-- oncall-support:end -->"


@dataclass(frozen=True)
class Merged:
    body: str  # the description to have: the current one with the product's section brought up to date
    section_found: bool  # False: a person removed the markers, and the description is theirs
    edited_by_hand: bool  # the section no longer holds what the product wrote: left as the person left it
    title_is_ours: bool  # the title is still the one the product wrote (so it may bring it up to date)


def merge(current: str, text: str, current_title: str | None = None) -> Merged:
    """The description `current` with the product's section holding `text`, touching nothing a person wrote."""
    begin = _BEGIN.search(current)
    end = _END.search(current, begin.end()) if begin else None
    if begin is None or end is None:
        return Merged(current, section_found=False, edited_by_hand=False, title_is_ours=False)
    inside = current[begin.end():end.start()]
    title_is_ours = current_title is not None and begin["title"] == digest(current_title)
    if digest(inside) != begin["digest"]:
        return Merged(current, section_found=True, edited_by_hand=True, title_is_ours=title_is_ours)
    body = current[:begin.start()] + section(text) + current[end.end():]
    return Merged(body, section_found=True, edited_by_hand=False, title_is_ours=title_is_ours)


def remember_title(body: str, title: str) -> str:
    """The body with its begin marker remembering `title` as the product writes it."""
    begin = _BEGIN.search(body)
    if begin is None:
        return body
    marker = f"<!-- oncall-support:begin {begin['digest']} title={digest(title)} -->\n"
    return body[:begin.start()] + marker + body[begin.end():]


def product_text(body: str) -> str | None:
    """What the product's section holds, if the description has one."""
    begin = _BEGIN.search(body)
    end = _END.search(body, begin.end()) if begin else None
    return body[begin.end():end.start()] if begin and end else None
