"""The GitHub App permissions the product needs, from the duties' declarations.

`github-app-manifest.json` (registering the App, written by generate_docs.py),
the prefilled registration link in docs/credentials.md and the doctor's check
of each installation are all derived from `GITHUB_APP_NEEDS`, which is each
duty's GitHub needs plus the product's own; tests fail when the manifest no
longer matches. Metadata (read) is granted to every App anyway.
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


def _from_duties() -> tuple[GitHubNeed, ...]:
    """Each duty's GitHub needs, as its declaration states them (oncall_lib/<duty>/__init__.py)."""
    from oncall_lib.duties import DUTIES

    needs = []
    for duty in DUTIES:
        github = [n for n in duty.needs if n.system == "github"]
        if github:
            permissions: dict[str, str] = {}
            for need in github:
                name, _, level = need.permission.partition(": ")
                if ACCESS_LEVELS.index(level) >= ACCESS_LEVELS.index(permissions.get(name, "read")):
                    permissions[name] = level
            needs.append(GitHubNeed(duty.key, permissions, "; ".join(dict.fromkeys(n.why for n in github))))
    return tuple(needs)


# The product itself, whatever duties are on: the doctor reads its own workflows' states and their last commits.
PRODUCT_NEEDS = (GitHubNeed("doctor", {"actions": "read", "contents": "read"},
                            "each workflow's state in the product's own repository, and who last changed it"),)
GITHUB_APP_NEEDS: tuple[GitHubNeed, ...] = _from_duties() + PRODUCT_NEEDS


def app_permissions(needs: tuple[GitHubNeed, ...] = GITHUB_APP_NEEDS) -> dict[str, str]:
    """Every permission any part needs, at the highest level any part needs it, plus metadata: read."""
    merged: dict[str, str] = {"metadata": "read"}
    for need in needs:
        for permission, level in need.permissions.items():
            if ACCESS_LEVELS.index(level) >= ACCESS_LEVELS.index(merged.get(permission, "read")):
                merged[permission] = level
    return dict(sorted(merged.items()))


def configured_needs(config: Config) -> tuple[GitHubNeed, ...]:
    """The needs of the duties this configuration turns on, and the product's own."""
    from oncall_lib.duties import enabled

    on = {"doctor", *(duty.key for duty in enabled(config))}
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
