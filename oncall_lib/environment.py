"""The scripts need the project's environment (.venv, which dev.py builds): one clear line when they are run
without it, instead of a traceback ending in "No module named 'github'".

Standard library only, and Python as old as the one a person may have at hand: it runs before anything else.
"""

from __future__ import annotations

import importlib.util
import sys

# The import name of each dependency in pyproject.toml.
RUNTIME_PACKAGES = ("github", "slack_sdk", "pagerduty", "pydantic", "httpx", "requests", "boto3", "ruamel.yaml",
                    "gspread", "tree_sitter", "tree_sitter_hcl")


def _missing(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is None
    except (ImportError, ValueError):  # a parent package (ruamel) that is not there either
        return True


def require_project_environment(script: str) -> None:
    """Exit 2 with one line saying how to run `script` when this Python lacks what it needs."""
    problems: list[str] = []
    if sys.version_info < (3, 11):  # noqa: UP036 - this module runs under whatever Python a person has
        problems.append(f"Python 3.11 or later (this is {sys.version_info[0]}.{sys.version_info[1]})")
    missing = [p for p in RUNTIME_PACKAGES if _missing(p)]
    if missing:
        problems.append("the packages " + ", ".join(missing))
    if problems:
        print(f"error: {script} needs the project's environment, and this Python lacks {' and '.join(problems)}: "
              f"run it as `python3 dev.py run {script} ...` (dev.py builds .venv from uv.lock the first time)",
              file=sys.stderr)
        raise SystemExit(2)
