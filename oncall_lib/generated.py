"""Files written from the duties' declarations: the Slack and GitHub App manifests and docs/duties.md.

`python3 dev.py run generate_docs.py` writes them; a test fails when a file differs from what the declarations
say, so the manifest, the docs and the code cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

from oncall_lib.duties import CREDENTIALS, DUTIES, permissions
from oncall_lib.duty import SYSTEM_NAMES, Duty

ROOT = Path(__file__).resolve().parent.parent
SLACK_MANIFEST = ROOT / "slack-app-manifest.yml"
DUTIES_DOC = ROOT / "docs" / "duties.md"
GITHUB_APP_MANIFEST = ROOT / "github-app-manifest.json"



def slack_manifest() -> str:
    always = [scope for scope, needs in permissions("slack").items() if any(n.when is None for _, n in needs)]
    optional: dict[str, list[str]] = {}
    for scope, needs in permissions("slack").items():
        if scope not in always:
            optional.setdefault(needs[0][1].when_text, []).append(scope)
    lines = [
        "# The Slack app for the oncall support automation. Create it at api.slack.com/apps",
        "# > Create New App > From an app manifest, paste this file, install it, and put the",
        "# Bot User OAuth Token (xoxb-...) in the SLACK_BOT_TOKEN secret. The scopes are every",
        "# duty's (docs/duties.md says which duty needs which). Generated from oncall_lib/duties.py",
        "# by `python3 dev.py run generate_docs.py`: edit the declarations, not this file.",
        "display_information:",
        "  name: Oncall Support",
        "  description: Handoffs, request watch, support issues and reports for the oncall support rotation",
        '  background_color: "#1d3557"',
        "features:",
        "  bot_user:",
        "    display_name: oncall-support",
        "    always_online: true",
        "oauth_config:",
        "  scopes:",
        "    bot:",
        *[f"      - {scope}" for scope in always],
    ]
    for when, scopes in optional.items():
        lines += [f"      # {when[:1].upper() + when[1:]}, add:", *[f"      # - {scope}" for scope in scopes]]
    lines += ["settings:", "  org_deploy_enabled: false", "  socket_mode_enabled: false",
              "  token_rotation_enabled: false"]
    return "\n".join(lines) + "\n"


def github_permissions() -> dict[str, str]:
    """The GitHub App permissions every duty together needs, each at the highest level any duty asks for."""
    from oncall_lib.github_permissions import app_permissions

    return app_permissions()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _runs(duty: Duty) -> str:
    parts = []
    if duty.runs.tick:
        parts.append("the tick (" + ("every run" if duty.runs.tick == "every" else "hourly") + ")")
    parts += [f"`{w}`" for w in (*duty.runs.schedules, *duty.runs.events, *duty.runs.buttons)]
    return ", ".join(parts)


def duties_markdown() -> str:
    lines = [
        "# Duties: what each needs",
        "",
        "<!-- Generated from oncall_lib/duties.py by `python3 dev.py run generate_docs.py`; a test checks it. -->",
        "",
        "A duty is on when its table is in `oncall.toml` (the weekly handoff always is). `check_config.py` lists",
        "the duties that are on and what each still needs; the doctor checks only those.",
        "",
        "| duty | turned on by | runs | scripts |",
        "|---|---|---|---|",
    ]
    for duty in DUTIES:
        table = f"`[{duty.table}]`" if duty.table else "always on"
        lines.append(f"| [{duty.title}]({duty.docs.removeprefix('docs/')}) "
                     f"| {table} | {_runs(duty)} | {', '.join(f'`{s}`' for s in duty.scripts)} |")
    lines += ["", "## Credentials", "", "| system | secret(s) | needed by | how to get it |", "|---|---|---|---|"]
    for system, credential in CREDENTIALS.items():
        users = [d.title for d in DUTIES if any(n.system == system for n in d.needs)]
        secrets = credential.variables() if credential.options else "(found by the AWS SDK)"
        lines.append(f"| {credential.name} | {_cell(secrets)} | {', '.join(users)} | {_cell(credential.how)} |")
    for system in CREDENTIALS:
        needed = permissions(system)
        if not needed:
            continue
        lines += ["", f"## {SYSTEM_NAMES[system]} permissions", "", "| permission | duty | what for |", "|---|---|---|"]
        for permission, uses in needed.items():
            for duty, need in uses:
                when = f" ({need.when_text})" if need.when_text else ""
                lines.append(f"| `{permission}` | {duty.title} | {_cell(need.why)}{when} |")
    return "\n".join(lines) + "\n"


def expected_files() -> dict[Path, str]:
    from oncall_lib.github_permissions import manifest_text

    return {SLACK_MANIFEST: slack_manifest(), DUTIES_DOC: duties_markdown(), GITHUB_APP_MANIFEST: manifest_text()}
