"""Removing a person's SOCKS key entry from the devops repository's Ansible YAML, touching nothing else.

ruamel.yaml (round-trip mode) locates the entry; the edit cuts the entry's
lines out of the original text, so comments, order, quoting and every other
byte stay as they were (dumping a round-tripped document can still reflow it).
The result is parsed again before it is returned.

An entry is an item of a list, or a key of a mapping, under any key whose name
contains "socks" (at any depth): a list item matches when one of its name
fields equals the person's AWS username or GitHub login; a mapping key matches
when it equals one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from oncall_lib.errors import InputError

NAME_FIELDS = ("name", "user", "username", "user_name", "aws_username", "github", "github_username", "login")


@dataclass(frozen=True)
class YamlEdit:
    text: str
    removed: list[str]


def _parse(text: str, path: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None


def _spans(node: Any, names: set[str], under_socks: bool, trail: str,
           found: list[tuple[int, str]]) -> None:
    """Collect (first line, description) of matching entries; lines are 0-based."""
    if isinstance(node, CommentedMap):
        for key in node:
            value = node[key]
            inside = under_socks or "socks" in str(key).casefold()
            if inside and isinstance(key, str) and key.casefold() in names and under_socks:
                found.append((node.lc.key(key)[0], f"{trail}.{key}"))
                continue
            _spans(value, names, inside, f"{trail}.{key}" if trail else str(key), found)
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            if under_socks and isinstance(item, CommentedMap):
                values = {str(item[f]).casefold() for f in NAME_FIELDS if f in item and item[f] is not None}
                if values & names:
                    found.append((node.lc.item(index)[0], f"{trail}[{index}]"))
                    continue
            if under_socks and isinstance(item, str) and item.casefold() in names:
                found.append((node.lc.item(index)[0], f"{trail}[{index}]"))
                continue
            _spans(item, names, under_socks, f"{trail}[{index}]", found)


def _entry_end(lines: list[str], first: int) -> int:
    """The line after an entry: the next line indented no deeper than the entry's own start."""
    start_line = lines[first]
    indent = len(start_line) - len(start_line.lstrip(" "))
    is_item = start_line.lstrip(" ").startswith("- ")
    end = first + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            depth = len(line) - len(line.lstrip(" "))
            if depth < indent or (depth == indent and (not is_item or line.lstrip(" ").startswith("- "))):
                break
            if depth == indent and not is_item:
                break
        elif not stripped:
            # A blank line ends the entry only if what follows is not deeper.
            following = next((lines[k] for k in range(end + 1, len(lines)) if lines[k].strip()), "")
            if len(following) - len(following.lstrip(" ")) <= indent:
                break
        end += 1
    return end


def remove_socks_entries(text: str, names: list[str], *, path: str = "config.yml") -> YamlEdit:
    wanted = {n.casefold() for n in names if n}
    document = _parse(text, path)
    found: list[tuple[int, str]] = []
    _spans(document, wanted, False, "", found)
    if not found:
        return YamlEdit(text, [])
    lines = text.splitlines(keepends=True)
    cuts = sorted({(first, _entry_end(lines, first)) for first, _ in found}, reverse=True)
    for first, end in cuts:
        del lines[first:end]
    result = "".join(lines)
    _parse(result, f"{path} (after the edit; nothing was written)")
    return YamlEdit(result, [description for _, description in sorted(found)])
