"""The rotation's duties, each declared once: what turns it on, what it needs, when it runs.

Each duty's package declares it (`oncall_lib/<duty>/__init__.py`: DUTY); the core's registry
(`oncall_lib/registry.py`) names them in order, and this module reads them from there. Everything that must
know every duty reads this list: config checks (`check_config.py`), the doctor, the tick, the generated docs
tables (docs/duties.md) and the Slack and GitHub App manifests. Add a duty to the registry and they all follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from oncall_lib import registry
from oncall_lib.duty import SYSTEM_NAMES, Duty, Need, System

if TYPE_CHECKING:
    from oncall_lib.config import Config


DUTIES: tuple[Duty, ...] = registry.duties()


def duty(key: str) -> Duty:
    return next(d for d in DUTIES if d.key == key)


def enabled(config: Config) -> list[Duty]:
    return [d for d in DUTIES if d.is_on(config)]


@dataclass(frozen=True)
class Credential:
    """How a system's credentials reach a run: one of `options` (each a set of variables), and how to get one."""

    system: System
    options: tuple[tuple[str, ...], ...]
    how: str

    @property
    def name(self) -> str:
        return SYSTEM_NAMES[self.system]

    def satisfied(self, env: dict[str, str]) -> bool:
        return any(all(env.get(v, "").strip() for v in option) for option in self.options)

    def variables(self) -> str:
        return " or ".join(" and ".join(option) for option in self.options)


CREDENTIALS: dict[System, Credential] = {c.system: c for c in (
    Credential("github", (("ONCALL_GITHUB_APP_ID", "ONCALL_GITHUB_APP_PRIVATE_KEY"), ("ONCALL_GITHUB_TOKEN",)),
               "register the GitHub App from github-app-manifest.json, install it and store its id and private key "
               "(or, as a fallback, a fine-grained token): docs/credentials.md"),
    Credential("slack", (("SLACK_BOT_TOKEN",),),
               "install the app from slack-app-manifest.yml and copy its Bot User OAuth Token (xoxb-...)"),
    Credential("pagerduty", (("PAGERDUTY_API_TOKEN",),),
               "PagerDuty > Integrations > API Access Keys: a read-only key"),
    Credential("zenhub", (("ZENHUB_API_TOKEN",),), "ZenHub > API > generate a GraphQL personal API key"),
    Credential("google", (("GOOGLE_SERVICE_ACCOUNT_JSON",), ("GOOGLE_APPLICATION_CREDENTIALS",)),
               "a service account's JSON key, or keyless through GitHub's OIDC provider (the auth step writes "
               "GOOGLE_APPLICATION_CREDENTIALS), with the sheet shared to the account's email: docs/credentials.md"),
    # No variables to look for: boto3 finds AWS credentials itself (OIDC in Actions, a profile, the environment).
    Credential("aws", (),
               "in Actions, set the IAM_AUDIT_ROLE_ARN variable (GitHub's OIDC provider assumes it); by hand, "
               "AWS credentials in the environment, or --credential-report FILE"),
)}


def systems_needed(config: Config) -> dict[System, list[Duty]]:
    """Each system the enabled duties need, with the duties that need it (in declaration order)."""
    found: dict[System, list[Duty]] = {}
    for each in enabled(config):
        for system in each.systems(config):
            found.setdefault(system, []).append(each)
    return found


def permissions(system: System, config: Config | None = None) -> dict[str, list[tuple[Duty, Need]]]:
    """Each permission on `system` any duty needs (every duty and condition when `config` is None)."""
    found: dict[str, list[tuple[Duty, Need]]] = {}
    for each in DUTIES if config is None else enabled(config):
        for need in each.needs:
            if need.system == system and (config is None or need.applies(config)):
                found.setdefault(need.permission, []).append((each, need))
    return found


def describe(config: Config) -> tuple[list[str], list[str]]:
    """check_config's listing: which duties are on and what they need; and the problems (one line each)."""
    lines, problems = [], []
    on = enabled(config)
    lines.append(f"duties on ({len(on)} of {len(DUTIES)}):")
    for each in on:
        systems = ", ".join(SYSTEM_NAMES[s] for s in each.systems(config))
        lines.append(f"  {each.title}: needs {systems} credentials")
        problems += [f"{config.source}: {each.name} is on but still needs {m}" for m in each.missing(config)]
    off = [each for each in DUTIES if not each.is_on(config)]
    if off:
        lines.append("duties off (add the table to turn one on):")
        lines += [f"  {each.title}: [{each.table}]" for each in off]
    return lines, problems
