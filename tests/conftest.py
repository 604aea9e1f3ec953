"""Shared fixtures: the example config and world, and a harness that runs a job in the sandbox."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from oncall_lib.config import Config, load_config
from oncall_lib.report import Report
from oncall_lib.sandbox import Faults, SandboxServer, sandbox_endpoints
from oncall_lib.sandbox.world import EXAMPLE_WORLD
from oncall_lib.services import Services
from tests.contracts import Sample

ROOT = Path(__file__).resolve().parent.parent
_EXAMPLE = json.loads(EXAMPLE_WORLD.read_text())


@pytest.fixture
def config() -> Config:
    return load_config(ROOT / "oncall.toml")


@pytest.fixture
def untracked(config: Config) -> Config:
    """The example config without the tracking sheet, for tests about a job's own calls."""
    return config.model_copy(update={"tracking": None})


@pytest.fixture
def world() -> dict[str, Any]:
    return copy.deepcopy(_EXAMPLE)


@dataclass
class Run:
    report: Report
    server_counts: dict[str, dict[str, int]]
    faults_injected: int


Job = Callable[[Services, Config, datetime, bool], Report]


class Sandbox:
    """Runs jobs against one in-memory world, each run on its own server (like separate cron runs)."""

    def __init__(self, world: dict[str, Any]) -> None:
        self.world = world

    def run(self, job: Job, config: Config, at: datetime, *, dry_run: bool = False,
            faults: Faults | None = None) -> Run:
        with SandboxServer(self.world, clock=lambda: at, faults=faults) as server:
            report = job(Services(sandbox_endpoints(server)), config, at, dry_run)
            return Run(report, server.counts, sum(server.faults_injected.values()))

    def channel(self, channel_id: str) -> dict[str, Any]:
        return next(c for c in self.world["slack"]["channels"] if c["id"] == channel_id)

    def dm(self, user_id: str) -> dict[str, Any] | None:
        return next((c for c in self.world["slack"]["channels"] if c.get("is_im") and c.get("user") == user_id), None)

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        found = next(r for r in self.world["github"]["repos"] if r["full_name"] == repo)
        return next(i for i in found["issues"] if i["number"] == number)

    def post(self, channel_id: str, when: datetime, text: str = "Can someone help?", user: str | None = "U0REQ1",
             **fields: Any) -> str:
        """Put a message in the world as if it had been posted at `when`; returns its ts."""
        channel = self.channel(channel_id)
        ts = f"{when.timestamp():.6f}"
        while any(m["ts"] == ts for m in channel["messages"]):
            ts = f"{float(ts) + 0.000001:.6f}"
        message = {"type": "message", "ts": ts, "text": text, **fields}
        if user:
            message["user"] = user
        channel["messages"].append(message)
        return ts

    def reply(self, channel_id: str, thread_ts: str, when: datetime, user: str, text: str = "On it") -> str:
        return self.post(channel_id, when, text, user, thread_ts=thread_ts)

    def bot_messages(self, channel_id: str, event_type: str) -> list[dict[str, Any]]:
        channel = self.channel(channel_id) if not channel_id.startswith("U") else self.dm(channel_id)
        if channel is None:
            return []
        return [m for m in channel["messages"] if (m.get("metadata") or {}).get("event_type") == event_type]


@pytest.fixture
def sandbox(world: dict[str, Any]) -> Iterator[Sandbox]:
    yield Sandbox(world)


# -- every exchange of the session, for the contract test ------------------------------------------

SESSION_TRAFFIC = Sample()
LAST = "tests/test_contracts.py::test_every_kind_of_exchange_in_the_whole_suite_fits_the_published_descriptions"


def pytest_sessionstart(session: pytest.Session) -> None:
    SandboxServer.witness = SESSION_TRAFFIC.add


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The whole-suite contract test runs last, when every other test has sent its requests; whether every test
    file runs decides whether it may also insist that every operation was reached."""
    items.sort(key=lambda item: item.nodeid == LAST)
    collected = {item.nodeid.split("::")[0] for item in items}
    everything = {f"tests/{path.name}" for path in (ROOT / "tests").glob("test_*.py")}
    SESSION_TRAFFIC.whole_suite = collected == everything and len(items) > 300
