"""Failed-deploy triage: pure helpers over what the GitHub API returns.

The log excerpt is the lines around the first error (GitHub's `##[error]`
annotation, else a line saying error, failed or fatal), timestamps removed.
CODEOWNERS follows GitHub's rules: the last matching pattern wins; a pattern
without a slash matches anywhere, `/x` is anchored at the root, `dir/` matches
everything below it, `*` and `?` are globs.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\s?")
_ERROR = re.compile(r"##\[error\]|\b(error|failed|fatal)\b", re.IGNORECASE)


def log_excerpt(log: str, *, before: int = 5, after: int = 5, limit: int = 20) -> str:
    lines = [_TIMESTAMP.sub("", line) for line in log.splitlines()]
    marked = next((i for i, line in enumerate(lines) if "##[error]" in line), None)
    first = marked if marked is not None else next((i for i, line in enumerate(lines) if _ERROR.search(line)), None)
    if first is None:
        return "\n".join(lines[-limit:])
    return "\n".join(lines[max(0, first - before): first + after + 1][:limit])


def _matches(pattern: str, path: str) -> bool:
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    if pattern.endswith("/**"):
        prefix = pattern[:-3]
        return path.startswith(prefix + "/") if anchored or "/" in prefix else (
            path.startswith(prefix + "/") or f"/{prefix}/" in f"/{path}")
    if "/" not in pattern and not anchored:
        return any(fnmatch.fnmatchcase(part, pattern) for part in path.split("/")) or fnmatch.fnmatchcase(path, pattern)
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("*") + "/") and pattern.endswith("*")


def codeowners(text: str) -> list[tuple[str, list[str]]]:
    rules = []
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if stripped:
            pattern, *owners = stripped.split()
            rules.append((pattern, [o.lstrip("@") for o in owners]))
    return rules


def owners_of(paths: Iterable[str], rules: list[tuple[str, list[str]]]) -> list[str]:
    found: list[str] = []
    for path in paths:
        owners: list[str] = []
        for pattern, pattern_owners in rules:
            if _matches(pattern, path):
                owners = pattern_owners  # the last match wins
        found += [o for o in owners if o not in found]
    return found
