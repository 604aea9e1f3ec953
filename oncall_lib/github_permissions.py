"""What each part of the product does on GitHub, and the GitHub App permissions that lets it: one table.

`github-app-manifest.json` (registering the App), the prefilled registration
link in docs/credentials.md and the doctor's check of each installation are
all derived from `GITHUB_APP_NEEDS`; tests/test_github_app.py fails when the
manifest no longer matches it. Metadata (read) is granted to every App anyway.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from oncall_lib.config import Config

ACCESS_LEVELS = ("read", "write", "admin")


@dataclass(frozen=True)
class GitHubNeed:
    part: str  # the oncall.toml table that turns the part on ("handoff" and "doctor" are always on)
    permissions: dict[str, str]  # GitHub App permission -> read or write
    why: str


GITHUB_APP_NEEDS: tuple[GitHubNeed, ...] = (
    GitHubNeed("handoff", {"issues": "write"}, "assign the person on support to the Super Epics"),
    GitHubNeed("support_issues", {"issues": "write", "pull_requests": "read"},
               "open, label, comment on and link support issues; read and label support PRs"),
    GitHubNeed("iam", {"contents": "write", "pull_requests": "write"},
               "the IAM cleanup draft PR: branch, commit, open, request review, close a superseded one"),
    GitHubNeed("offboarding", {"contents": "write", "pull_requests": "write", "issues": "write"},
               "the offboarding PR, and the request's comments"),
    GitHubNeed("postmortems", {"issues": "write", "contents": "read"},
               "label postmortem items and link them; read the postmortem documents"),
    GitHubNeed("reviews", {"pull_requests": "write", "checks": "read", "statuses": "read"},
               "the review digest: open PRs, their checks, review requests"),
    GitHubNeed("deploys", {"actions": "read", "contents": "read"},
               "failed deploy runs, their jobs and logs, and the commits they deployed"),
    GitHubNeed("access", {"members": "write", "issues": "write"},
               "check the approvers team, add people to the teams access grants"),
    GitHubNeed("doctor", {"actions": "read", "contents": "read"},
               "each workflow's state in the product's own repository, and who last changed it"),
)


def app_permissions(needs: tuple[GitHubNeed, ...] = GITHUB_APP_NEEDS) -> dict[str, str]:
    """Every permission any part needs, at the highest level any part needs it, plus metadata: read."""
    merged: dict[str, str] = {"metadata": "read"}
    for need in needs:
        for permission, level in need.permissions.items():
            if ACCESS_LEVELS.index(level) >= ACCESS_LEVELS.index(merged.get(permission, "read")):
                merged[permission] = level
    return dict(sorted(merged.items()))


def configured_needs(config: Config) -> tuple[GitHubNeed, ...]:
    """The needs of the parts this configuration turns on."""
    on = {"handoff", "doctor", *(part for part in ("support_issues", "iam", "offboarding", "postmortems", "reviews",
                                                   "deploys", "access") if getattr(config, part) is not None)}
    return tuple(need for need in GITHUB_APP_NEEDS if need.part in on)


def missing_permissions(granted: dict[str, str], needs: tuple[GitHubNeed, ...]) -> dict[str, str]:
    """permission -> level needed, for each the installation lacks or holds below what a part needs."""
    missing = {}
    for permission, level in app_permissions(needs).items():
        have = granted.get(permission)
        if have not in ACCESS_LEVELS or ACCESS_LEVELS.index(have) < ACCESS_LEVELS.index(level):
            missing[permission] = level
    return missing


def manifest() -> dict[str, Any]:
    """The App manifest (docs.github.com: "Registering a GitHub App from a manifest"): no webhook, private."""
    return {
        "name": "oncall-support",
        "url": "https://github.com/department-of-veterans-affairs/oncall-support",
        "description": "Oncall support automation: the weekly handoff, support issues, PRs, access and offboarding.",
        "public": False,
        "hook_attributes": {"url": "https://example.invalid/oncall-support-has-no-webhook", "active": False},
        "default_permissions": app_permissions(),
        "default_events": [],
    }


def manifest_text() -> str:
    return json.dumps(manifest(), indent=2) + "\n"


def registration_link(org: str = "YOUR-ORG") -> str:
    """GitHub's "new App" page with the permissions filled in (its documented URL parameters)."""
    query = {"name": "oncall-support", "url": manifest()["url"], "public": "false", "webhook_active": "false",
             **app_permissions()}
    return f"https://github.com/organizations/{org}/settings/apps/new?{urllib.parse.urlencode(query)}"


if __name__ == "__main__":  # python3 -m oncall_lib.github_permissions > github-app-manifest.json
    print(manifest_text(), end="")
