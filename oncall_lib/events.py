"""What a run started by an event knows about that event: which repository it came from.

GitHub delivers `issues` and `issue_comment` events only to workflows in the
repository where the issue lives. The product runs from its own repository,
which is not the one its support issues are filed in, so an event workflow
there also fires for the product's own issues: the issue number in such an
event names an issue of the product's repository, and looking that number up
in the support repository would act on an unrelated issue. A job started by an
issue event therefore first checks that the event came from the repository it
would act on, and otherwise does nothing (the tick takes in the support
repository's issues; a caller workflow there is the fast path).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

# The events whose payload names an issue of the repository the workflow runs in.
ISSUE_EVENTS = frozenset({"issues", "issue_comment"})


def event_repositories(environ: Mapping[str, str] | None = None) -> list[str]:
    """The repositories an issue event names: GITHUB_REPOSITORY and the payload's `repository.full_name`.

    Empty when the run was not started by an issue event (a button, a schedule, a person at a terminal): those
    name their issue explicitly, in the repository the configuration says."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_EVENT_NAME") not in ISSUE_EVENTS:
        return []
    found = [env["GITHUB_REPOSITORY"]] if env.get("GITHUB_REPOSITORY") else []
    path = env.get("GITHUB_EVENT_PATH")
    if path:
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            payload = None
        repository = payload.get("repository") if isinstance(payload, dict) else None
        name = repository.get("full_name") if isinstance(repository, dict) else None
        if isinstance(name, str) and name:
            found.append(name)
    return list(dict.fromkeys(found))


def foreign_event(target_repo: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why this run must not act, in one line, when its issue event came from another repository; else None."""
    others = [r for r in event_repositories(environ) if r.casefold() != target_repo.casefold()]
    if not others:
        return None
    return (f"the event came from {others[0]}, not from {target_repo} where this job acts: nothing done (the tick "
            f"takes in {target_repo}'s issues; see docs/workflows.md)")
