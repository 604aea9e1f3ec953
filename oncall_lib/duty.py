"""What a duty is: the unit a team adopts, declared once.

A duty (the handoff, the request watch, support issues, ...) declares its
config tables, the systems and exact permissions it needs, when it runs and
where its doctor checks and tick entry live. Config validation, the doctor,
the tick, the docs' tables and the app manifests are all derived from these
declarations (`oncall_lib.duties.DUTIES`), so they cannot drift apart.

Entry points are "module:function" strings, resolved only when used: reading
the declarations (to validate a config, say) loads no SDK.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from oncall_lib.config import Config
    from oncall_lib.report import Report
    from oncall_lib.services import Services

System = Literal["github", "slack", "pagerduty", "zenhub", "google", "aws"]
SYSTEM_NAMES: dict[str, str] = {"github": "GitHub", "slack": "Slack", "pagerduty": "PagerDuty", "zenhub": "ZenHub",
                                "google": "Google Sheets", "aws": "AWS IAM"}

# When a need applies: always, or only with a setting (a predicate over the config, named for people).
Condition = Callable[["Config"], bool]


@dataclass(frozen=True)
class Need:
    """One permission on one system, and what the duty uses it for.

    `permission` is the vendor's own name: a Slack bot scope (`chat:write`), a GitHub App permission with its
    level (`issues: write`), PagerDuty's access (`read`), an AWS action (`iam:GetCredentialReport`).
    """

    system: System
    permission: str
    why: str
    # Only with this setting (`when_text` says which, for the docs); None: always.
    when: Condition | None = None
    when_text: str = ""

    def applies(self, config: Config) -> bool:
        return self.when is None or self.when(config)


@dataclass(frozen=True)
class Runs:
    """When a duty's work happens."""

    # Run by the tick (scripts/tick.py): "every" tick, "hourly" (the :07 tick only), or None.
    tick: Literal["every", "hourly"] | None = None
    # "module:function" the tick calls: (services, config, at, dry_run) -> Report.
    tick_entry: str = ""
    # Its own scheduled workflows (file names), event workflows and buttons, for the docs.
    schedules: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """One line of the doctor: ok, or what is wrong and how to fix it."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass(frozen=True)
class Contributes:
    """What a duty adds to the places every duty shares: "module:name" strings, resolved only when used.

    The handoff, the report and the recorder gather these from the duties that are on (`oncall_lib.registry`) and
    import no duty; a duty that is off contributes nothing, so nothing about it appears. The points and what a
    contribution returns are declared in `oncall_lib/contributions.py`.
    """

    # Its section of the handoff (the team's message, the DMs, the handover issue): what it has waiting.
    # (config, HandoffContext) -> HandoffSection | None
    handoff: str = ""
    # Its part of the end-of-rotation report: lines and figures. (config, ReportContext) -> ReportPart | None
    report: str = ""
    # The requests of the weeks the report reads: (services, config, RequestWindow) -> RequestsRead.
    report_requests: str = ""
    # What it does with the requests the watch has just scanned, in the watch's run.
    # (services, config, the watch's state) -> WatchPart
    watch: str = ""
    # The kinds of task rows it records (the report counts them only while it is on).
    row_kinds: tuple[str, ...] = ()
    # Where task rows go (the tracking duty: the team's sheet): a `recorder.RowKeeper`.
    rows: str = ""


@dataclass(frozen=True)
class Duty:
    key: str
    title: str
    # The seed's words for it (docs and check_config's listing).
    summary: str
    # The table whose presence turns the duty on; None: always on (the handoff, the base every team starts from).
    table: str | None
    # Other tables it reads: (table, why). A duty that is on while one of these is absent still needs it.
    requires: tuple[tuple[str, str], ...] = ()
    # Also on without its table when this holds (the request watch: a channel marked watch = true).
    also_on: Condition | None = None
    # What else it still needs, beyond tables (a watched channel, say): one line each.
    still_needs: Callable[[Config], list[str]] | None = None
    needs: tuple[Need, ...] = ()
    runs: Runs = field(default_factory=Runs)
    # "module:function": (services, config, at) -> Iterable[Check]; its own checks, credentials aside.
    checks: str = ""
    scripts: tuple[str, ...] = ()
    docs: str = ""
    # The modules of its package other duties may import (who is on support, what is waiting, ...); its jobs are
    # never among them.
    interfaces: tuple[str, ...] = ()
    contributes: Contributes = field(default_factory=Contributes)

    @property
    def name(self) -> str:
        """The title inside a sentence: "the weekly handoff", "the IAM inactivity audit"."""
        return self.title[:1].lower() + self.title[1:]

    def is_on(self, config: Config) -> bool:
        if self.table is None:
            return True
        # Written in the file, not a default: a table with defaults (like [requests]) is on only when present.
        present = self.table in config.model_fields_set and getattr(config, self.table, None) is not None
        return present or (self.also_on is not None and self.also_on(config))

    def missing(self, config: Config) -> list[str]:
        """What this duty, on, still needs before it can work: one line each."""
        lines = [f"[{table}] ({why})" for table, why in self.requires if getattr(config, table, None) is None]
        return lines + (self.still_needs(config) if self.still_needs else [])

    def systems(self, config: Config) -> list[System]:
        found: list[System] = []
        for need in self.needs:
            if need.applies(config) and need.system not in found:
                found.append(need.system)
        return found

    def tick_job(self) -> Callable[..., Report]:
        """The function the tick calls: (services, config, at, *, dry_run) -> Report."""
        return resolve(self.runs.tick_entry)

    def doctor_checks(self, services: Services, config: Config, at: datetime) -> Iterable[Check]:
        return resolve(self.checks)(services, config, at) if self.checks else ()


def resolve(entry: str) -> Any:
    """The function an entry string names ("package.module:function")."""
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)


def enabled(duties: Sequence[Duty], config: Config) -> list[Duty]:
    return [d for d in duties if d.is_on(config)]


# -- needs several duties share -------------------------------------------------------------------

def zenhub_links(config: Config) -> bool:
    return config.epics.link_with == "zenhub"


def user_group(config: Config) -> bool:
    return bool(config.rotation.slack_user_group)


def watched(config: Config) -> bool:
    return bool(config.slack.watched)


def watch_needs(config: Config) -> list[str]:
    if config.slack.watched:
        return []
    return ["a [[slack.channels]] entry with watch = true (the channels whose requests are watched)"]


ZENHUB_ONLY = dict(when=zenhub_links, when_text='with [epics] link_with = "zenhub"')
# What every duty that asks "who is on support?" needs: the schedule, and Slack's lookup of that person.
WHO_IS_ON_SUPPORT = (
    Need("pagerduty", "read", "the schedule and its users: who is on support"),
    Need("slack", "users:read.email", "find the person on support by their PagerDuty email"),
    Need("slack", "users:read", "read people's names"),
)
EPIC_LINKS = (
    Need("github", "issues: write", "link issues to the Super Epics (sub-issues)"),
    Need("zenhub", "GraphQL API key", "link issues to the Super Epics' ZenHub epics", **ZENHUB_ONLY),  # type: ignore[arg-type]
)
