"""The sandbox's world: a JSON file holding what each fake API serves.

The format is documented in the README ("The sandbox world"). A world is plain
data; the fakes read and change it in place under one lock, and `save_world`
writes it back atomically (a temporary file renamed over the old one), so an
interrupted run never leaves half a world behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from oncall_lib.errors import InputError

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
    for index, schedule in enumerate(world["pagerduty"]["schedules"]):
        for key in ("id", "layers"):
            if key not in schedule:
                raise InputError(f"{path}: pagerduty.schedules[{index}]: missing {key!r}")
        for layer_index, layer in enumerate(schedule["layers"]):
            for key in ("id", "name", "start", "rotation_virtual_start", "rotation_turn_length_seconds", "users"):
                if key not in layer:
                    where = f"pagerduty.schedules[{index}].layers[{layer_index}]"
                    raise InputError(f"{path}: {where}: missing {key!r}")
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
