#!/usr/bin/env python3
"""Everything a fresh clone needs, from nothing but python3.

    python3 dev.py demo     a rotation week in the sandbox, narrated
    python3 dev.py test     the test suite
    python3 dev.py check    linters: ruff, mypy, zizmor, workflow and issue-form schemas
    python3 dev.py run SCRIPT [ARGS...]   any script in scripts/, in the project's environment

The first call installs uv (pinned, into .cache/uv) unless uv is already on
PATH, then `uv sync --frozen` builds .venv from uv.lock. Later calls reuse both.
Inside GitHub Actions, `run` installs without the dev group and keeps uv's
package cache in .cache/uv-packages, which the workflows cache on uv.lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
UV_VERSION = "0.13.9"
TOOLS = ROOT / ".cache" / "uv"
PYTHON = ROOT / ".venv" / "bin" / "python"


def uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    local = TOOLS / "bin" / "uv"
    if not local.exists():
        print(f"dev.py: installing uv {UV_VERSION} into {TOOLS.relative_to(ROOT)} (first run only)", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", f"uv=={UV_VERSION}"], check=True)
    return str(local)


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def sync(*, dev: bool = True) -> None:
    """Build .venv from uv.lock; without the dev group (tests, linters) when only a job will run."""
    subprocess.run([uv(), "sync", "--frozen", "--quiet", *([] if dev else ["--no-dev"])], cwd=ROOT, check=True)


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def check() -> int:
    tools = ROOT / ".venv" / "bin"
    steps = [
        [str(tools / "ruff"), "check", "."],
        [str(tools / "mypy")],
        # All of .github: the workflows, the local setup action and Dependabot's settings.
        [str(tools / "zizmor"), "--offline", "--no-progress", ".github"],
        [str(tools / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
         *sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))],
    ]
    forms = sorted(str(p) for p in (ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")
    if forms:
        steps.append([str(tools / "check-jsonschema"), "--builtin-schema", "vendor.github-issue-forms", *forms])
    actions = sorted(str(p) for p in (ROOT / ".github" / "actions").glob("*/action.yml"))
    if actions:
        steps.append([str(tools / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", *actions])
    if (ROOT / ".github" / "dependabot.yml").exists():
        steps.append([str(tools / "check-jsonschema"), "--builtin-schema", "vendor.dependabot",
                      str(ROOT / ".github" / "dependabot.yml")])
    failed = 0
    for step in steps:
        print("$", " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)), flush=True)
        failed |= run(*step) != 0
    return 1 if failed else 0


def script_path(name: str) -> str | None:
    """`doctor`, `doctor.py` or `scripts/doctor.py` all name scripts/doctor.py; None (said on stderr) for no script."""
    script = name if "/" in name else f"scripts/{name}"
    if not script.endswith(".py") and (ROOT / f"{script}.py").exists():
        script += ".py"
    if (ROOT / script).is_file():
        return script
    known = ", ".join(sorted(p.name for p in (ROOT / "scripts").glob("*.py")))
    print(f"dev.py: no script {name!r} (the scripts are: {known})", file=sys.stderr)
    return None


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # Trust the machine's certificate store, as pip does: behind a TLS-inspecting proxy, uv's bundled
    # roots alone refuse PyPI.
    os.environ.setdefault("UV_SYSTEM_CERTS", "1")
    if in_github_actions():
        # Inside the checkout, where the workflows' cache step (.github/actions/setup) saves and restores it.
        os.environ.setdefault("UV_CACHE_DIR", str(ROOT / ".cache" / "uv-packages"))
    try:
        # A job run in Actions needs no test tools: a third of the download, and no mypy or moto on the runner.
        sync(dev=not (command == "run" and in_github_actions()))
    except subprocess.CalledProcessError as exc:
        print(f"dev.py: could not build .venv ({Path(exc.cmd[0]).name} exited with {exc.returncode}; "
              "its message is above)", file=sys.stderr)
        return 1
    if command == "demo":
        return run(str(PYTHON), "scripts/demo.py", *rest)
    if command == "test":
        return run(str(PYTHON), "-m", "pytest", *rest)
    if command == "check":
        return check()
    if command == "run" and rest:
        script = script_path(rest[0])
        return run(str(PYTHON), script, *rest[1:]) if script else 2
    print(f"dev.py: unknown command {command!r}; try: demo, test, check, run SCRIPT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
