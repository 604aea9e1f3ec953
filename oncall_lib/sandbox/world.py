"""The sandbox's world: a JSON file holding what each fake API serves.

The format is documented in docs/sandbox.md. A world is plain
data; the fakes read and change it in place under one lock, and `save_world`
writes it back atomically (a temporary file renamed over the old one), so an
interrupted run never leaves half a world behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oncall_lib.errors import InputError
from oncall_lib.rotation.schedule import parse_time

EXAMPLE_WORLD = Path(__file__).parent / "worlds" / "example.json"
DEFAULT_WORLD = Path(".oncall-sandbox") / "world.json"

# Top-level sections and, for each, the lists that must be present (possibly empty).
_REQUIRED = {
    "pagerduty": ("users", "schedules"),
    "slack": ("users", "channels"),
    "github": ("users", "repos"),
}


def load_world(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such world file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save the world file as UTF-8") from None
    try:
        world = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    check_world(world, path)
    return world


# Lists of records: each element must be a JSON object (the fakes read their keys). `[]` is every element.
_RECORDS = (
    "pagerduty.users", "pagerduty.schedules", "pagerduty.schedules[].layers", "pagerduty.schedules[].rotations",
    "pagerduty.schedules[].overrides", "pagerduty.escalation_policies", "pagerduty.escalation_policies[].services",
    "pagerduty.incidents", "slack.users", "slack.channels", "slack.channels[].messages", "slack.usergroups",
    "github.users", "github.repos", "github.repos[].labels", "github.repos[].issues", "github.repos[].pulls",
    "github.repos[].pulls[].reviews", "github.repos[].commits", "github.repos[].workflows",
    "github.repos[].workflows[].runs", "github.teams", "zenhub.epics", "iam.users", "sheets.spreadsheets",
    "sheets.spreadsheets[].worksheets",
)
# The times a fake parses, per record; `end` may be null (a layer that has not ended).
_LAYER_KEYS = ("id", "name", "start", "rotation_virtual_start", "rotation_turn_length_seconds", "users")
_TIMES = ("start", "end", "rotation_virtual_start")


def _records(world: dict[str, Any], pattern: str) -> Iterator[tuple[str, Any]]:
    """(where, value) of every element a `_RECORDS` pattern names, parents that are not lists skipped."""
    found: list[tuple[str, Any]] = [("", world)]
    for depth, part in enumerate(pattern.split(".")):
        many = part.endswith("[]")
        key = part.removesuffix("[]")
        found = [(f"{where}.{key}" if where else key, value.get(key)) for where, value in found
                 if isinstance(value, dict) and value.get(key) is not None]
        if many or depth == len(pattern.split(".")) - 1:
            found = [(f"{where}[{i}]", element) for where, value in found if isinstance(value, list)
                     for i, element in enumerate(value)]
    return iter(found)


def _time(path: Path, where: str, value: Any) -> None:
    """A time the fakes can compare: ISO 8601 with its offset (a naive time would fail deep inside a fake)."""
    try:
        ok = isinstance(value, str) and parse_time(value).tzinfo is not None
    except ValueError:
        ok = False
    if not ok:
        raise InputError(f"{path}: {where}: {json.dumps(value)} is not an ISO 8601 time with its offset (like "
                         "2026-12-07T09:00:00-05:00)")


def _check_rotation(path: Path, where: str, layer: dict[str, Any]) -> None:
    """A layer (or a shift-based rotation): the keys the fake renders from, times that parse, a turn length."""
    for key in _LAYER_KEYS:
        if key not in layer:
            raise InputError(f"{path}: {where}: missing {key!r}")
    for key in _TIMES:
        if layer.get(key) is not None:
            _time(path, f"{where}.{key}", layer[key])
    length = layer["rotation_turn_length_seconds"]
    if isinstance(length, bool) or not isinstance(length, int) or length <= 0:
        raise InputError(f"{path}: {where}.rotation_turn_length_seconds: {length!r} is not a positive whole number "
                         "of seconds (604800 is a week)")
    if not isinstance(layer["users"], list) or not all(isinstance(u, str) for u in layer["users"]):
        raise InputError(f"{path}: {where}.users: must be a list of PagerDuty user ids")


def _check_schedules(path: Path, world: dict[str, Any]) -> None:
    for index, schedule in enumerate(world["pagerduty"]["schedules"]):
        where = f"pagerduty.schedules[{index}]"
        if "id" not in schedule:
            raise InputError(f"{path}: {where}: missing 'id'")
        # A shift-based (v3) schedule has rotations and no layers, as PagerDuty shapes it.
        kind = "rotations" if schedule.get("shift_based") else "layers"
        if kind not in schedule:
            shape = "a shift-based schedule" if kind == "rotations" else 'a layered schedule (or "shift_based": true)'
            raise InputError(f"{path}: {where}: missing {kind!r} ({shape})")
        if not isinstance(schedule[kind], list):
            raise InputError(f"{path}: {where}.{kind}: must be a list")
        for layer_index, layer in enumerate(schedule[kind]):
            _check_rotation(path, f"{where}.{kind}[{layer_index}]", layer)
        for override_index, override in enumerate(schedule.get("overrides") or []):
            for key in ("start", "end", "user"):
                if key not in override:
                    raise InputError(f"{path}: {where}.overrides[{override_index}]: missing {key!r}")
            for key in ("start", "end"):
                _time(path, f"{where}.overrides[{override_index}].{key}", override[key])


def check_world(world: Any, path: Path) -> None:
    """The shape checks that keep a hand-written world from failing deep inside a fake."""
    if not isinstance(world, dict):
        raise InputError(f"{path}: a world is a JSON object with pagerduty, slack and github sections")
    for section, lists in _REQUIRED.items():
        part = world.setdefault(section, {})
        if not isinstance(part, dict):
            raise InputError(f"{path}: {section}: must be an object")
        for name in lists:
            value = part.setdefault(name, [])
            if not isinstance(value, list):
                raise InputError(f"{path}: {section}.{name}: must be a list")
    for pattern in _RECORDS:
        for where, record in _records(world, pattern):
            if not isinstance(record, dict):
                raise InputError(f"{path}: {where}: must be an object, not {json.dumps(record)[:60]}")
    _check_schedules(path, world)
    for index, incident in enumerate(world["pagerduty"].get("incidents") or []):
        for key in ("created_at", "resolved_at"):
            if incident.get(key) is not None:
                _time(path, f"pagerduty.incidents[{index}].{key}", incident[key])
    for index, channel in enumerate(world["slack"]["channels"]):
        if "id" not in channel or "name" not in channel:
            raise InputError(f"{path}: slack.channels[{index}]: needs 'id' and 'name'")
    for index, repo in enumerate(world["github"]["repos"]):
        if "/" not in str(repo.get("full_name", "")):
            raise InputError(f"{path}: github.repos[{index}]: full_name must be owner/name")
    app = world["github"].get("app")
    if app is not None:  # optional: the GitHub App the product may authenticate as
        if not isinstance(app, dict) or not str(app.get("id", "")).isdigit():
            raise InputError(f"{path}: github.app: an object with a numeric 'id' (and 'installations')")
        for index, installation in enumerate(app.setdefault("installations", [])):
            chosen = installation.get("repositories", "all") if isinstance(installation, dict) else None
            if not isinstance(installation, dict) or not isinstance(installation.get("id"), int) \
                    or not installation.get("account") or not (chosen == "all" or isinstance(chosen, list)):
                raise InputError(f"{path}: github.app.installations[{index}]: needs an integer 'id', an 'account' "
                                 "and 'repositories' (\"all\" or a list of names)")


def save_world(world: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".world-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(world, out, indent=1, sort_keys=False)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ensure_world(path: Path | None, *, reset: bool = False) -> Path:
    """The world file to use: `path`, or the local default created from the example on first use."""
    if path is not None:
        if reset:
            raise InputError("--reset-sandbox only resets the default world; delete or re-copy your own file")
        return path
    if reset or not DEFAULT_WORLD.exists():
        DEFAULT_WORLD.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE_WORLD, DEFAULT_WORLD)
    return DEFAULT_WORLD
