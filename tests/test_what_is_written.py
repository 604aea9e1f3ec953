"""Reports that tell the whole truth, for every job: the demo's week, each step run as a dry run and then applied.

- A dry run writes nothing, and plans what `--apply` then does (the same actions, in the same order).
- Every write request the sandbox receives is made by an action the plan listed, and each action makes the
  writes its kind stands for: an extra issue, comment or message nobody planned fails here.
- Each message, comment, issue and PR the dry run previews is what `--apply` wrote: read back through the SDKs.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from oncall_lib import plan
from oncall_lib.config import Config, load_config
from oncall_lib.handoff.topic import same_topic
from oncall_lib.plan import Action, Executor, Outcome, Status
from oncall_lib.postmortems import items as postmortems
from oncall_lib.preview import Preview, preview_of
from oncall_lib.report import Report
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.sandbox.world import EXAMPLE_WORLD, load_world, save_world
from oncall_lib.services import Services
from oncall_lib.setup import doctor
from oncall_lib.support_issues import issues as support_issues

ROOT = Path(__file__).resolve().parent.parent
# The demo's week starts here: a Saturday evening, in the middle of a turn (the demo itself starts now).
START = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)

# The write requests each kind of action stands for, per service. Epic links go through GitHub sub-issues
# (the example's [epics] link_with); a Slack post is one chat.postMessage.
WRITES: dict[str, dict[str, int]] = {
    "github.assign": {"github": 1},
    "github.unassign": {"github": 1},
    "github.comment": {"github": 1},
    "github.status_comment": {"github": 1},
    "github.edit_comment": {"github": 1},
    "github.create_issue": {"github": 1},
    "github.edit_issue": {"github": 1},
    "github.edit_body": {"github": 1},
    "github.add_labels": {"github": 1},
    "github.remove_label": {"github": 1},
    "github.close": {"github": 1},
    "github.create_branch": {"github": 1},
    "github.commit_file": {"github": 1},
    "github.create_pull": {"github": 1},
    "github.edit_pull": {"github": 1},
    "github.close_pull": {"github": 3},  # "say why, close the PR, and delete its branch"
    "github.request_review": {"github": 1},
    "github.create_label": {"github": 1},
    "github.edit_label": {"github": 1},
    "github.add_team_member": {"github": 1},
    "epic.link": {"github": 1},
    "epic.move": {"github": 1},
    "slack.post": {"slack": 1},
    "slack.reply": {"slack": 1},
    "slack.update": {"slack": 1},
    "slack.set_topic": {"slack": 1},
    "slack.set_usergroup": {"slack": 1},
    "sheet.add_worksheet": {"sheets": 2},  # "add the worksheet with its header"
    "sheet.set_header": {"sheets": 1},
    "sheet.append": {"sheets": 2},  # "insert the rows with their keys, then write their values"
    "sheet.fill": {"sheets": 1},
}


def _writes(server: SandboxServer) -> Counter[str]:
    with server.lock:
        return Counter({service: counts.get("writes", 0) for service, counts in server.counts.items()})


@dataclass
class Step:
    title: str
    planned: Report
    applied: Report
    # Each executor call: the action as it ran and the write requests the server received meanwhile.
    writes_by_action: list[tuple[Action, Counter[str]]] = field(default_factory=list)
    writes_total: Counter[str] = field(default_factory=Counter)
    dry_run_writes: Counter[str] = field(default_factory=Counter)
    # Each applied preview, and whether what the sandbox holds afterwards, read through the SDKs, matches it.
    read_back: list[tuple[Action, Preview, bool]] = field(default_factory=list)


@contextmanager
def executors_watched(server: SandboxServer, log: list[tuple[Action, Counter[str]]]) -> Iterator[None]:
    """Every job module's `apply` with each executor wrapped: the server's write count before and after it."""
    original = plan.apply

    def watched_apply(actions: Sequence[Action], executors: Mapping[str, Executor], *,
                      dry_run: bool) -> list[Outcome]:
        def wrap(executor: Executor) -> Executor:
            def run(action: Action) -> Any:
                before = _writes(server)
                try:
                    return executor(action)
                finally:
                    log.append((action, _writes(server) - before))
            return run
        return original(actions, {kind: wrap(fn) for kind, fn in executors.items()}, dry_run=dry_run)

    modules = [m for name, m in list(sys.modules.items())
               if name.startswith("oncall_lib.") and getattr(m, "apply", None) is original]
    assert len(modules) >= 10, "the job modules import apply from oncall_lib.plan"
    for module in modules:
        module.apply = watched_apply  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in modules:
            module.apply = original  # type: ignore[attr-defined]


def _load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("oncall_demo", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEMO = _load_demo()


class CheckedDemo(DEMO.Demo):  # type: ignore[name-defined,misc]
    """The demo's week, each step first as a dry run on the world as it is, then applied and read back."""

    def __init__(self, config: Config, world: Path) -> None:
        super().__init__(config, world)
        self.steps: list[Step] = []

    def run(self, job: Callable[[Services, Config, datetime, bool], Report], at: datetime, title: str) -> Report:
        with SandboxServer(load_world(self.world), clock=lambda: at) as server:
            planned = job(Services(sandbox_endpoints(server)), self.config, at, True)
            dry_run_writes = _writes(server)
        world = load_world(self.world)
        log: list[tuple[Action, Counter[str]]] = []
        with SandboxServer(world, clock=lambda: at) as server:
            services = Services(sandbox_endpoints(server))
            with executors_watched(server, log):
                applied = job(services, self.config, at, False)
            step = Step(title, planned, applied, log, _writes(server), dry_run_writes)
            step.read_back = [(o.action, p, written(services, o.action, p)) for o in applied.outcomes
                              if o.status is Status.APPLIED and (p := preview_of(o.action)) is not None]
        save_world(world, self.world)
        self.steps.append(step)
        self.runs.append((title, applied))
        return applied


def written(services: Services, action: Action, preview: Preview) -> bool:
    """Whether the sandbox holds `preview` where `action` wrote it, read through the SDKs as anyone would."""
    p = action.params
    if action.kind == "slack.set_topic":
        # Slack stores URLs in a topic as links: the same topic as people read it.
        return same_topic(services.slack.channel(p["channel"]).topic, preview.text)
    if preview.to == "slack":
        thread = p.get("thread_ts")
        messages = (services.slack.replies(p["channel"], str(thread)) if thread
                    else services.slack.history(p["channel"], oldest=0))
        return any(m.get("text") == preview.text for m in messages)
    repo = str(p["repo"])
    if action.kind in ("github.comment", "github.status_comment", "github.edit_comment"):
        return any(c.body == preview.text for c in services.github.comments(repo, int(p["number"])))
    if action.kind in ("github.create_pull", "github.edit_pull"):
        pull = services.github.open_pull(repo, str(p.get("head") or p.get("branch") or _branch_of(services, action)))
        return pull is not None and pull.title == preview.title and pull.body == preview.text
    if action.kind == "github.create_issue":
        found = services.github.issues(repo, labels=list(p["labels"])[:1], state="all")
        return any(i.title == preview.title and i.body == preview.text for i in found)
    issue = services.github.issue(repo, int(p["number"]))
    return issue.body == preview.text and (preview.title is None or issue.title == preview.title)


def _branch_of(services: Services, action: Action) -> str:
    found = [branch for branch, pull in services.github.open_pulls(str(action.params["repo"]), "")
             if pull.number == int(action.params["number"])]
    assert found, f"no open PR #{action.params['number']}"
    return found[0]


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> list[Step]:
    world = tmp_path_factory.mktemp("week") / "world.json"
    world.write_text(EXAMPLE_WORLD.read_text())
    config = load_config(ROOT / "oncall.toml")
    demo = CheckedDemo(config, world)
    assert DEMO.week(demo, START) is not None
    # Past the week: the read-only commands, and the scan that follows support issues up two business days on.
    later = datetime(2026, 12, 16, 15, 0, tzinfo=UTC)
    demo.run(lambda s, c, at, d: postmortems.pickup(s, c, at, dry_run=d), later, "What can I pick up?")
    demo.run(lambda s, c, at, d: doctor.run(s, c, at, dry_run=True), later, "The doctor")
    demo.run(lambda s, c, at, d: support_issues.scan(s, c, at, dry_run=d), later + timedelta(minutes=5),
             "The scan, with the week's issues open for days")
    return demo.steps


def _plan(report: Report) -> list[tuple[str, str, str]]:
    return [(o.action.kind, o.action.target, o.action.detail) for o in report.outcomes]


def test_the_week_covers_every_job_that_writes(week: list[Step]) -> None:
    jobs = {step.applied.job for step in week if step.applied.outcomes}
    assert jobs >= {"sync-labels", "postmortems", "rotate-assignees", "review-digest", "watch-requests",
                    "support-issues", "support-commands", "iam-audit", "iam-cleanup", "deploy-watch",
                    "offboarding", "access", "log-task", "rotation-report"}, jobs
    titles = {step.title for step in week}
    assert {"What can I pick up?", "The doctor"} <= titles  # read-only: no action, and (below) no write
    followups = next(s for s in week if s.title.startswith("The scan, with"))
    assert "github.comment" in {o.action.kind for o in followups.applied.outcomes}  # past the scoping limit


def test_a_dry_run_writes_nothing_and_plans_what_apply_does(week: list[Step]) -> None:
    for step in week:
        assert not +step.dry_run_writes, (step.title, step.dry_run_writes)
        assert _plan(step.planned) == _plan(step.applied), step.title


def test_every_write_is_an_action_the_plan_listed(week: list[Step]) -> None:
    for step in week:
        inside = sum((writes for _, writes in step.writes_by_action), Counter[str]())
        assert step.writes_total == inside, f"{step.title}: writes outside any planned action"
        for action, writes in step.writes_by_action:
            expected = Counter(WRITES[action.kind])
            assert +writes == expected, f"{step.title}: {action.kind} {action.target} made {dict(writes)}"
    assert sum(len(s.writes_by_action) for s in week) > 60


def test_each_preview_is_what_apply_wrote(week: list[Step]) -> None:
    checked = 0
    for step in week:
        previews = [(o, preview_of(o.action)) for o in step.planned.outcomes]
        applied = step.applied.outcomes
        for (planned, before), after in zip(previews, applied, strict=True):
            if before is None:
                continue
            # A value only known once an earlier action applied (a new issue's URL) is named in the dry run.
            expected = preview_of(plan._resolve(planned.action, applied))
            assert expected == preview_of(after.action), f"{step.title}: {planned.action.kind}"
        for action, preview, found in step.read_back:
            assert found, f"{step.title}: {action.kind} {action.target} did not write its preview:\n{preview.text}"
            checked += 1
    kinds = {action.kind for step in week for action, _, _ in step.read_back}
    assert {"slack.post", "slack.set_topic", "github.comment", "github.create_issue", "github.create_pull",
            "github.status_comment"} <= kinds, kinds
    assert checked > 25
