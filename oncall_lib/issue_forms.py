"""Reading an issue created from an issue form.

GitHub renders each field as `### Label`, a blank line, then the answer. An
empty answer is `_No response_`, an empty dropdown `None`, checkboxes are
`- [x] option`. The body is split only on the form's own labels, so a `###`
line typed inside an answer stays part of that answer. Line endings are
normalised, and the product's own hidden markers are not part of any answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

EMPTY = {"_No response_", "None", ""}
_MARKER = re.compile(r"\n?<!--\s*oncall-support:[^>]*-->")


def parse_form(body: str | None, labels: Sequence[str]) -> dict[str, str | None]:
    """Each label's answer (None when empty or absent). Unknown `###` headings stay inside answers."""
    text = _MARKER.sub("", (body or "").replace("\r\n", "\n").replace("\r", "\n"))
    wanted = {label.strip().casefold(): label for label in labels}
    answers: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.split("\n"):
        heading = re.match(r"^###\s+(.+?)\s*$", line)
        if heading and heading.group(1).casefold() in wanted and wanted[heading.group(1).casefold()] not in answers:
            current = wanted[heading.group(1).casefold()]
            answers[current] = []
        elif current is not None:
            answers[current].append(line)
    result: dict[str, str | None] = {label: None for label in labels}
    for label, lines in answers.items():
        value = "\n".join(lines).strip()
        result[label] = None if value in EMPTY else value
    return result


def checked(answer: str | None) -> list[str]:
    """The ticked options of a checkboxes answer."""
    return [m.group(1).strip() for m in re.finditer(r"^- \[[xX]\] (.+)$", answer or "", re.MULTILINE)]
