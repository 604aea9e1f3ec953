"""The workflows as GitHub Actions runs them: every trigger, its payload and inputs, only the secrets it passes.

What a workflow hands its script is what the job gets. Each workflow runs here
through `tests/runner.py` against the sandbox, whose services refuse a secret
the step's `env:` does not pass, as production would; so a forgotten secret, a
flag that does not exist or an input nobody reads fails here, not in Actions.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import load_config
from oncall_lib.offboarding import requests as offboarding
from oncall_lib.requests.classify import TRACKED_EVENT
from oncall_lib.sandbox.world import EXAMPLE_WORLD
from oncall_lib.secrets import SECRETS as KNOWN_SECRETS
from oncall_lib.support_issues.issues import FORM_LABELS
from tests import runner
from tests.runner import Event, cron_matches, load, run_workflow, schedules, triggers

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted(p for p in runner.WORKFLOWS.glob("*.yml") if p.name != "ci.yml")
REPO = "department-of-veterans-affairs/va.gov-team"
SUPPORT = "C01SUPPORT"
MONDAY = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 in New York: a new rotation starts
THREAD_TS = "1764514800.000100"  # 2026-11-30 10:00 New York, in the support channel
PERMALINK = f"https://sandbox.slack.com/archives/{SUPPORT}/p{THREAD_TS.replace('.', '')}"

# A schedule's run is at a time its cron line fires. Where the first one after 09:00 on Monday does nothing
# (the audit acts only at 11:00 New York time), the run the job acts in.
SCHEDULED_AT = {
    ("iam-audit.yml", "7 15,16 * * 1-5"): datetime(2026, 11, 30, 16, 7, tzinfo=UTC),
    ("rotation-report.yml", "37 12,13 * * 1"): datetime(2026, 11, 30, 13, 37, tzinfo=UTC),
}

DISPATCH = {
    "support-issue-from-thread.yml": {"permalink": PERMALINK, "epic": "customer-support"},
    "iam-cleanup.yml": {"users": "Bob.Smith"},
    "log-task.yml": {"kind": "other", "summary": "Paired on a flaky deploy", "link": "", "minutes": "25"},
    "offboarding.yml": {"number": "6001"},
}


def _form(answers: dict[str, str], labels: tuple[str, ...]) -> str:
    return "\n\n".join(f"### {label}\n\n{answers.get(label) or '_No response_'}" for label in labels)


# Issues the issue-event workflows act on, filed in the world before the event.
ISSUES = {
    6000: {"title": "[Support] Grafana access", "labels": ["support-request"], "user": "vfs-dev",
           "body": _form({"Requester": "Sam", "What is needed": "Grafana access",
                          "Super Epic": "Global Customer Support", "Slack thread": PERMALINK}, FORM_LABELS)},
    # Asked by a roster member: only people the config names may ask for an offboarding.
    6001: {"title": "Offboarding of Bob Smith", "labels": ["offboarding"], "user": "katherine-johnson",
           "body": _form({"Name": "Bob Smith", "GitHub username": "bob-smith-vfs", "Expected last day": "2026-12-18"},
                         offboarding.OFFBOARDING_LABELS)},
    6002: {"title": "Access to Grafana for new-teammate", "labels": ["access-request", "access-approved"],
           "user": "vfs-dev", "body": _form({"Person": "New Teammate", "GitHub username": "new-teammate",
                                             "Tool": "Grafana", "Reason": "joining VFS", "Approver": "ada-lovelace"},
                                            offboarding.ACCESS_LABELS),
           # What GitHub recorded: the form's label, then an approver's (the access run reads these, not the text).
           "events": [{"event": "labeled", "label": "access-request", "actor": "vfs-dev",
                       "created_at": "2026-11-30T15:00:00Z"},
                      {"event": "labeled", "label": "access-approved", "actor": "ada-lovelace",
                       "created_at": "2026-11-30T15:02:00Z"}]},
    6003: {"title": "pm: rotate the staging certificates", "labels": [], "user": "ada-lovelace",
           "body": "From the postmortem of the certificate outage."},
    # A support issue completed earlier (on the Customer Support epic: see prepared_world), with a team member's
    # command in a comment (the issue_comment workflow's event).
    6005: {"title": "[Support] VPN is down", "labels": ["support-request", "operations"], "user": "vfs-dev",
           "id": 96005, "body": _form({"Requester": "Sam", "What is needed": "The VPN drops every ten minutes.",
                                      "Super Epic": "Global Customer Support"}, FORM_LABELS),
           "assignees": ["alan-turing"],
           "comments": [{"id": 77001, "user": "ada-lovelace", "created_at": "2026-11-30T16:00:00Z",
                         "body": "Grace knows the VPN.\n/oncall assign @grace-hopper"}]},
    # As the GitHub for Slack app opens it from a message: the text and the message's link, no label.
    6004: {"title": "Grafana access", "labels": [], "user": "ada-lovelace",
           "body": f"Could someone give me Grafana access?\n\n<sub>Created from a [Slack message]({PERMALINK})</sub>"},
}

ISSUE_EVENTS = {
    "support-issue-form.yml": [("opened", 6000, None), ("edited", 6000, None), ("opened", 6004, None)],
    "offboarding.yml": [("opened", 6001, None), ("edited", 6001, None)],
    "access.yml": [("labeled", 6002, "access-approved")],
    "postmortem-item.yml": [("opened", 6003, None), ("edited", 6003, None)],
}


COMMENT_EVENTS = {
    "support-issue-commands.yml": [(6005, 77001, "created"), (6005, 77001, "edited")],
}
# The product's repository, where the reusable workflow lives that a caller in the support repository calls.
PRODUCT_REPO = "department-of-veterans-affairs/oncall-support-automation"
CALLER_INPUTS = {"product_repository": PRODUCT_REPO, "product_ref": "2" * 40}


def comment_payload(number: int, comment_id: int, repo: str = REPO, action: str = "created") -> dict[str, Any]:
    """issue_comment: the issue, the comment (its body is the commenter's text) and the sender."""
    payload = issue_payload(action, number, None, repo=repo)
    comment = next(c for c in ISSUES[number]["comments"] if c["id"] == comment_id)
    payload["comment"] = {"id": comment_id, "node_id": f"IC_{comment_id}", "body": comment["body"],
                          "user": {"login": comment["user"], "type": "User"},
                          "created_at": comment["created_at"], "updated_at": comment["created_at"],
                          "author_association": "MEMBER",
                          "html_url": f"https://github.com/{repo}/issues/{number}#issuecomment-{comment_id}"}
    payload["sender"] = {"login": comment["user"], "type": "User"}
    return payload


def issue_payload(action: str, number: int, label: str | None, sender: str = "ada-lovelace", *,
                  repo: str = REPO, sender_type: str = "User") -> dict[str, Any]:
    """As GitHub sends an `issues` (or, with a comment added, `issue_comment`) webhook: the issue, the repository
    it lives in, the organisation and the sender."""
    issue = ISSUES[number]
    owner, name = repo.split("/")
    payload: dict[str, Any] = {
        "action": action,
        "issue": {"id": 900000 + number, "node_id": f"I_kw{number}", "number": number, "title": issue["title"],
                  "body": issue["body"], "state": "open", "locked": False, "comments": len(issue.get("comments", [])),
                  "labels": [{"name": n, "color": "ededed", "default": False} for n in issue["labels"]],
                  "user": {"login": issue["user"], "type": "User"}, "assignees": [], "author_association": "NONE",
                  "created_at": "2026-11-30T15:00:00Z", "updated_at": "2026-11-30T15:00:00Z",
                  "url": f"https://api.github.com/repos/{repo}/issues/{number}",
                  "repository_url": f"https://api.github.com/repos/{repo}",
                  "html_url": f"https://github.com/{repo}/issues/{number}"},
        "repository": {"id": 424242 if repo != REPO else 101010, "name": name, "full_name": repo, "private": False,
                       "owner": {"login": owner, "type": "Organization"},
                       "html_url": f"https://github.com/{repo}", "default_branch": "main"},
        "organization": {"login": owner},
        "sender": {"login": sender, "type": sender_type},
    }
    if label:
        payload["label"] = {"name": label, "color": "0e8a16", "default": False}
    return payload


def events(path: Path) -> list[tuple[str, Event, datetime]]:
    """Every way the workflow starts, each with the time it would run at."""
    workflow = load(path)
    found: list[tuple[str, Event, datetime]] = []
    for trigger in triggers(workflow):
        if trigger == "schedule":
            for line in schedules(workflow):
                at = SCHEDULED_AT.get((path.name, line)) or next(
                    MONDAY + timedelta(minutes=m) for m in range(7 * 24 * 60)
                    if cron_matches(line, MONDAY + timedelta(minutes=m)))
                assert cron_matches(line, at), f"{path.name}: {line} does not fire at {at}"
                found.append((f"schedule {line}", Event("schedule", {"schedule": line}), at))
        elif trigger == "workflow_dispatch":
            inputs: dict[str, Any] = dict(DISPATCH.get(path.name, {}))
            declared = (triggers(workflow)["workflow_dispatch"] or {}).get("inputs") or {}
            if "dry_run" in declared:
                inputs["dry_run"] = False  # the button pressed to do the work: every write path, every secret
            button = Event("workflow_dispatch", {"inputs": inputs}, inputs)
            found.append(("button", button, MONDAY + timedelta(hours=2)))
        elif trigger == "issues":
            assert path.name in ISSUE_EVENTS, f"{path.name}: add its issue events to ISSUE_EVENTS"
            for action, number, label in ISSUE_EVENTS[path.name]:
                found.append((f"issues {action}", Event("issues", issue_payload(action, number, label)),
                              MONDAY + timedelta(hours=2)))
        elif trigger == "issue_comment":
            assert path.name in COMMENT_EVENTS, f"{path.name}: add its comment events to COMMENT_EVENTS"
            for number, comment_id, action in COMMENT_EVENTS[path.name]:
                event = Event("issue_comment", comment_payload(number, comment_id, action=action))
                found.append((f"issue_comment {action} {comment_id}", event, MONDAY + timedelta(hours=2)))
        elif trigger == "workflow_call":
            # Called from the support repository: the first event each event workflow here takes (the others
            # run the same jobs; test_the_reusable_workflow_runs_what_the_event_workflows_run keeps them alike).
            for name, events_of in ISSUE_EVENTS.items():
                action, number, label = events_of[0]
                event = Event("issues", issue_payload(action, number, label), CALLER_INPUTS, called=True)
                found.append((f"called: issues {action} ({name})", event, MONDAY + timedelta(hours=2)))
            number, comment_id, action = COMMENT_EVENTS["support-issue-commands.yml"][0]
            event = Event("issue_comment", comment_payload(number, comment_id, action=action), CALLER_INPUTS,
                          called=True)
            found.append((f"called: issue_comment {action} {comment_id}", event, MONDAY + timedelta(hours=2)))
        elif trigger == "push":
            found.append(("push", Event("push", {"ref": "refs/heads/main", "commits": []}), MONDAY))
        else:
            raise AssertionError(f"{path.name}: the harness has no events for trigger {trigger!r}")
    return found


def prepared_world(tmp_path: Path) -> Path:
    world = json.loads(EXAMPLE_WORLD.read_text())
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == REPO)
    for number, issue in ISSUES.items():
        repo["issues"].append({"number": number, "state": "open", "assignees": [],
                               "created_at": "2026-11-30T15:00:00Z", **json.loads(json.dumps(issue))})
    next(i for i in repo["issues"] if i["number"] == 3675).setdefault("sub_issues", []).append(ISSUES[6005]["id"])
    channel = next(c for c in world["slack"]["channels"] if c["id"] == SUPPORT)
    channel["messages"].append({"type": "message", "ts": THREAD_TS, "user": "U0REQ1",
                                "text": "Could someone give me Grafana access? <!here>"})
    # Acknowledged ten minutes later: the watch logs it in the sheet.
    channel["messages"].append({"type": "message", "ts": "1764515400.000200", "thread_ts": THREAD_TS,
                                "user": "U0GRACE", "text": "Looking"})
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    return path


CASES = [pytest.param(path, name, event, at, id=f"{path.stem}: {name}")
         for path in WORKFLOWS for name, event, at in events(path)]


@pytest.mark.parametrize(("path", "name", "event", "at"), CASES)
def test_every_workflow_runs_with_only_the_secrets_it_passes(tmp_path: Path, path: Path, name: str, event: Event,
                                                             at: datetime) -> None:
    world = prepared_world(tmp_path)
    run = run_workflow(path, event, world=world, workdir=tmp_path, at=at.isoformat())
    assert run.steps or run.skipped_jobs, f"{path.name} ran nothing"
    assert run.ok, run.explain()
    if run.steps:
        assert run.summary.startswith("### "), "each job writes its report to the job summary"


def test_the_form_workflow_completes_the_issue_and_a_second_event_writes_nothing(tmp_path: Path) -> None:
    world = prepared_world(tmp_path)
    path = runner.WORKFLOWS / "support-issue-form.yml"
    first = run_workflow(path, Event("issues", issue_payload("opened", 6000, None)), world=world, workdir=tmp_path,
                         at=(MONDAY + timedelta(hours=2)).isoformat())
    assert first.ok, first.explain()
    issue = next(i for r in json.loads(world.read_text())["github"]["repos"] if r["full_name"] == REPO
                 for i in r["issues"] if i["number"] == 6000)
    assert issue["assignees"] == ["alan-turing"]
    before = world.read_text()
    second = run_workflow(path, Event("issues", issue_payload("edited", 6000, None)), world=world, workdir=tmp_path,
                          at=(MONDAY + timedelta(hours=2, minutes=5)).isoformat())
    assert second.ok, second.explain()
    assert "0 write" in second.summary and " 1 write" not in second.summary
    assert json.loads(world.read_text())["github"] == json.loads(before)["github"]


def test_a_job_whose_workflow_forgets_a_secret_fails_in_the_harness(tmp_path: Path) -> None:
    """The harness itself: without the sheet's key the handoff stops at its first row, as it did in Actions."""
    world = prepared_world(tmp_path)
    path = runner.WORKFLOWS / "rotate-assignees.yml"
    run = run_workflow(path, Event("workflow_dispatch", {}, {"dry_run": False}), world=world, workdir=tmp_path,
                       at=MONDAY.isoformat(), secrets={k: v for k, v in runner.SECRETS.items()
                                                       if k != "GOOGLE_SERVICE_ACCOUNT_JSON"})
    assert not run.ok
    assert "GOOGLE_SERVICE_ACCOUNT_JSON is not set" in run.explain()


def test_the_harness_covers_every_workflow_and_trigger() -> None:
    covered = {(c.values[0].name, "workflow_call" if c.values[2].called else c.values[2].name)  # type: ignore
               for c in CASES}
    for path in WORKFLOWS:
        for trigger in triggers(load(path)):
            assert (path.name, trigger) in covered, f"{path.name} on {trigger} is not run by the harness"


# -- what the workflows say, read without running them -------------------------------------------------

ALL_WORKFLOWS = sorted(runner.WORKFLOWS.glob("*.yml"))


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.stem)
def test_every_input_is_declared_and_used(path: Path) -> None:
    workflow = load(path)
    declared = set((triggers(workflow).get("workflow_dispatch") or {}).get("inputs") or {}) | set(
        (triggers(workflow).get("workflow_call") or {}).get("inputs") or {})
    used = {m for e in runner.expressions(path.read_text()) for m in re.findall(r"\binputs\.([A-Za-z_][\w-]*)", e)}
    assert used <= declared, f"{path.name} reads undeclared inputs {sorted(used - declared)}"
    assert declared <= used, f"{path.name} declares inputs nobody reads: {sorted(declared - used)}"


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.stem)
def test_one_name_per_secret_and_untrusted_text_only_through_env(path: Path) -> None:
    workflow = load(path)
    for job in (workflow.get("jobs") or {}).values():
        for step in job.get("steps") or []:
            for variable, value in (step.get("env") or {}).items():
                for secret in re.findall(r"secrets\.([A-Z0-9_]+)", str(value)):
                    assert variable == secret, f"{path.name}: {variable} holds secrets.{secret}: use one name"
                    assert secret in KNOWN_SECRETS, f"{path.name}: secrets.{secret} is not one the product reads"
            # Nothing from an event, an input or a secret is pasted into a command.
            assert "${{" not in str(step.get("run", "")), f"{path.name}: an expression inside run:"


# That docs/credentials.md names each secret as the scripts read it: tests/test_docs.py.


def test_event_workflows_queue_per_resource_and_only_for_the_events_they_act_on(tmp_path: Path) -> None:
    """Per issue (or thread), never one group for all; behind each job's `if:`, so an unrelated event never enters
    (and so never cancels a pending run that matters); never the tick's group, so a tick never cancels them."""
    for path in ALL_WORKFLOWS:
        workflow = load(path)
        if not {"issues", "issue_comment", "workflow_call"} & set(triggers(workflow)):
            continue
        assert not workflow.get("concurrency"), f"{path.name}: a workflow-level group takes every event's run"
        for job_id, job in workflow["jobs"].items():
            group = str((job.get("concurrency") or {}).get("group", ""))
            assert job.get("if") and "github.event.issue.number" in group, f"{path.name} {job_id}: {group!r}"
    groups = {name: runner.concurrency_of(path, event, workdir=tmp_path) for path in WORKFLOWS
              for name, event, _ in events(path) if event.name in ("issues", "issue_comment")}
    assert all(g is not None and g[0] != "oncall-tick" and not g[1] for g in groups.values()), groups
    button = {"permalink": PERMALINK, "epic": "customer-support"}
    thread = runner.concurrency_of(runner.WORKFLOWS / "support-issue-from-thread.yml",
                                   Event("workflow_dispatch", {"inputs": button}, button), workdir=tmp_path)
    assert thread == (f"support-thread-{PERMALINK}", False)
    # A label that is not the approval never enters the access group.
    other_label = Event("issues", issue_payload("labeled", 6002, "priority"))
    assert runner.concurrency_of(runner.WORKFLOWS / "access.yml", other_label, workdir=tmp_path) is None


def test_scheduled_workflows_have_a_concurrency_group() -> None:
    for path in ALL_WORKFLOWS:
        workflow = load(path)
        if path.name != "ci.yml":
            # On the workflow, or on every job (where runs for unrelated events must not queue in the group).
            jobs = workflow["jobs"].values()
            assert workflow.get("concurrency") or all(j.get("concurrency") for j in jobs), \
                f"{path.name} has no concurrency group"


# -- what the schedule costs ---------------------------------------------------------------------------


def scheduled_runs(start: datetime, days: int = 7) -> dict[str, int]:
    lines = {p.name: schedules(load(p)) for p in ALL_WORKFLOWS}
    counts: dict[str, int] = {}
    for minute in range(days * 24 * 60):
        when = start + timedelta(minutes=minute)
        for name, crons in lines.items():
            if any(cron_matches(line, when) for line in crons):  # one run, even when two of its lines fire
                counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.mark.parametrize("week", [datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC),
                                  datetime(2026, 10, 29, tzinfo=UTC), datetime(2026, 7, 6, tzinfo=UTC)],
                         ids=["winter", "week of the spring change", "week of the autumn change", "summer"])
def test_the_schedule_fits_the_minutes_a_team_has(week: datetime) -> None:
    runs = scheduled_runs(week)
    assert sum(runs.values()) <= 450, runs  # about 1,950 billed minutes a month at one minute a run


@pytest.mark.parametrize("week", [datetime(2026, 1, 12, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC),
                                  datetime(2026, 7, 6, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)],
                         ids=["winter", "after the spring change", "summer", "after the autumn change"])
def test_in_business_hours_a_request_is_seen_within_15_minutes(week: datetime) -> None:
    config = load_config(ROOT / "oncall.toml")
    hours = config.requests.business_hours
    zone = ZoneInfo(config.team.time_zone)
    tick = load(runner.WORKFLOWS / "tick.yml")
    watch_lines = schedules(tick)
    runs = [week + timedelta(minutes=m) for m in range(7 * 24 * 60 + 60)
            if any(cron_matches(line, week + timedelta(minutes=m)) for line in watch_lines)]
    opens, closes = (datetime.strptime(t, "%H:%M").time() for t in (hours.opens, hours.closes))
    for minute in range(0, 7 * 24 * 60, 1):
        asked = (week + timedelta(minutes=minute)).astimezone(zone)
        if asked.strftime("%A").lower() not in hours.weekdays or not opens <= asked.time() < closes:
            continue
        seen = next(r for r in runs if r >= asked)
        assert seen - asked <= timedelta(minutes=15), f"a request at {asked} waits until {seen.astimezone(zone)}"



def test_in_the_tick_one_failing_duty_does_not_stop_the_others_but_fails_the_run(tmp_path: Path) -> None:
    world = prepared_world(tmp_path)
    no_github = {k: v for k, v in runner.SECRETS.items() if not k.startswith("ONCALL_GITHUB_")}
    run = run_workflow(runner.WORKFLOWS / "tick.yml", Event("schedule", {"schedule": "7 * * * *"}), world=world,
                       workdir=tmp_path, at=datetime(2026, 11, 30, 15, 7, tzinfo=UTC).isoformat(), secrets=no_github)
    [step] = run.steps
    assert step.returncode == 1
    parts = dict(part.split("\n", 1) for part in step.stdout.split("\n== ")[1:])
    assert list(parts) == ["Intake", "Watching the request channels", "Support issues", "Failed deploys",
                           "The weekly handoff", "The dead man's switch"]
    for needs_no_github in ("Watching the request channels", "The dead man's switch"):
        assert "error:" not in parts[needs_no_github]  # ran
    for needs_github in ("Intake", "Support issues", "Failed deploys", "The weekly handoff"):
        assert "error: environment variable" in parts[needs_github]
        assert "ONCALL_GITHUB_TOKEN" in parts[needs_github], parts[needs_github]


def test_the_quarter_hour_tick_leaves_the_handoff_to_the_hourly_one(tmp_path: Path) -> None:
    world = prepared_world(tmp_path)
    run = run_workflow(runner.WORKFLOWS / "tick.yml", Event("schedule", {"schedule": "22,37,52 13-21 * * 1-5"}),
                       world=world, workdir=tmp_path, at=datetime(2026, 11, 30, 15, 22, tzinfo=UTC).isoformat())
    assert run.ok, run.explain()
    [step] = run.steps
    assert "duties run: Intake, Watching the request channels, Support issues, Failed deploys\n" in step.stdout
    assert "== The weekly handoff" not in step.stdout
    # Last, the dead man's switch moved its Slack message three hours past this tick.
    assert "== The dead man's switch" in step.stdout
    operations = next(c for c in json.loads(world.read_text())["slack"]["channels"] if c["id"] == "C02VSPOPS")
    assert [m["post_at"] for m in operations["scheduled"]] == [int(datetime(2026, 11, 30, 18, 22, tzinfo=UTC)
                                                                   .timestamp())]


def test_every_flag_a_workflow_passes_exists(tmp_path: Path) -> None:
    """Also the flags on branches a run may not take (--from-audit, --only-at-hour, --before-handoff)."""
    import subprocess
    import sys

    helps: dict[tuple[str, ...], str] = {}
    for path in ALL_WORKFLOWS:
        steps = [s for job in load(path)["jobs"].values() for s in job.get("steps", []) if "run" in s]
        for step in steps:
            text = str(step["run"])
            # Every flag in the step, also those kept in a variable for one branch (hour="--only-at-hour 11").
            flags = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", text))
            for match in re.finditer(r"python3 dev\.py run (\S+)((?: [a-z][\w-]*)?)", text):
                script, command = match.group(1), match.group(2).split()
                key = (script, *command)
                if key not in helps:
                    result = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *command, "--help"],
                                            capture_output=True, text=True, timeout=60)
                    assert result.returncode == 0, f"{path.name}: {' '.join(key)} --help: {result.stderr}"
                    helps[key] = result.stdout
                for flag in flags:
                    assert re.search(rf"(?<![\w-]){flag}\b", helps[key]), f"{path.name}: {' '.join(key)} has no {flag}"
    assert len(helps) >= 15


def test_every_label_a_form_a_workflow_or_the_config_names_is_in_labels_yml() -> None:
    """In a fresh repository only the labels in .github/labels.yml exist (sync_labels.py creates them): a form's
    label missing there leaves its issues unlabelled, and the workflows that wait for it never run."""
    from oncall_lib.setup.labels import load_labels

    known = {label.name for label in load_labels()}
    named: dict[str, str] = {}
    for form in (ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml"):
        for label in load(form).get("labels") or []:
            named[label] = form.name
    for path in ALL_WORKFLOWS:
        for expression in runner.expressions(path.read_text()):
            for label in re.findall(r"labels\.\*\.name, '([^']+)'\)|label\.name == '([^']+)'", expression):
                named[next(x for x in label if x)] = path.name
        for job in load(path)["jobs"].values():
            pattern = r"labels\.\*\.name, '([^']+)'\)|label\.name == '([^']+)'"
            for label in re.findall(pattern, str(job.get("if", ""))):
                named[next(x for x in label if x)] = path.name
    config = load_config(ROOT / "oncall.toml")
    support, iam, offboard = config.support_issues, config.iam, config.offboarding
    for label in [*(support.labels if support else []),
                  *([support.needs_info_label, support.pr_label] if support else []),
                  *(iam.pr_labels if iam else []), *(offboard.labels if offboard else []),
                  *([config.access.approved_label] if config.access else []),
                  *([config.postmortems.label] if config.postmortems else [])]:
        named.setdefault(label, "oncall.toml")
    # The labels the jobs add on their own (the report, the two-hour rule, the summary request).
    from oncall_lib.support_issues.followups import SCOPING_LABEL, SUMMARY_LABEL
    from oncall_lib.tracking.report import REPORT_LABEL
    for label in (SCOPING_LABEL, SUMMARY_LABEL, REPORT_LABEL):
        named.setdefault(label, "the product's code")
    missing = {label: where for label, where in named.items() if label not in known}
    assert not missing, f"labels not in .github/labels.yml: {missing}"
    assert len(named) >= 8


def test_a_team_members_command_comment_runs_through_the_workflow(tmp_path: Path) -> None:
    """The issue_comment workflow, as Actions runs it: the comment's id in, Grace assigned, twice is once."""
    path = runner.WORKFLOWS / "support-issue-commands.yml"
    world = prepared_world(tmp_path)
    first = run_workflow(path, Event("issue_comment", comment_payload(6005, 77001)), world=world, workdir=tmp_path,
                         at=(MONDAY + timedelta(hours=2)).isoformat())
    assert first.ok, first.explain()
    saved = json.loads(world.read_text())
    issue = next(i for r in saved["github"]["repos"] if r["full_name"] == REPO for i in r["issues"]
                 if i["number"] == 6005)
    assert issue["assignees"] == ["grace-hopper"]
    on_a_pull = comment_payload(6005, 77001)
    on_a_pull["issue"]["pull_request"] = {"url": "https://api.github.com/x"}  # a PR's comment: not ours
    skipped = run_workflow(path, Event("issue_comment", on_a_pull), world=world, workdir=tmp_path)
    assert skipped.skipped_jobs and not skipped.steps


# -- the product's repository is not the support repository ------------------------------------------

# Each event workflow's first issue or comment event (its others run the same job the same way).
FOREIGN = [pytest.param(path, next(e for _, e, _ in events(path) if e.name in ("issues", "issue_comment")),
                        id=path.stem) for path in WORKFLOWS if {"issues", "issue_comment"} & set(triggers(load(path)))]


@pytest.mark.parametrize(("path", "event"), FOREIGN)
def test_an_issue_event_from_another_repository_writes_nothing(tmp_path: Path, path: Path, event: Event) -> None:
    """The same issue numbers, filed in the product's own repository: each event workflow there runs (its `if:`
    passes), but the job sees that the event is not from the support repository and leaves that repository's
    unrelated issue of the same number alone: nothing read, nothing written, one line, exit 0."""
    world = prepared_world(tmp_path)
    before = world.read_text()
    payload = json.loads(json.dumps(event.payload).replace(REPO, PRODUCT_REPO))
    assert payload["repository"]["full_name"] == PRODUCT_REPO
    run = run_workflow(path, Event(event.name, payload), world=world, workdir=tmp_path,
                       at=(MONDAY + timedelta(hours=2)).isoformat(), repository=PRODUCT_REPO)
    assert run.steps, f"{path.name}: the job's if: should let this event in; the script decides"
    assert run.ok, run.explain()
    assert world.read_text() == before
    output = [line for s in run.steps for line in s.stdout.splitlines() if line.strip()]
    assert len(output) == 1 and f"came from {PRODUCT_REPO}, not from {REPO}" in output[0], output
    assert "skipped" in run.summary


def test_the_payloads_repository_counts_even_when_the_runner_names_the_support_repository(tmp_path: Path) -> None:
    """GITHUB_REPOSITORY and the payload must both name the support repository (a replayed or forwarded payload
    from elsewhere is not acted on)."""
    world = prepared_world(tmp_path)
    before = world.read_text()
    payload = issue_payload("opened", 6000, None, repo=PRODUCT_REPO)
    run = run_workflow(runner.WORKFLOWS / "support-issue-form.yml", Event("issues", payload), world=world,
                       workdir=tmp_path, at=(MONDAY + timedelta(hours=2)).isoformat(), repository=REPO)
    assert run.ok and run.steps, run.explain()
    assert world.read_text() == before


def _world_issue(world: dict[str, Any], number: int) -> dict[str, Any]:
    repo = next(r for r in world["github"]["repos"] if r["full_name"] == REPO)
    return next(i for i in repo["issues"] if i["number"] == number)


@pytest.mark.parametrize(("path", "event"), FOREIGN)
def test_an_issue_deleted_before_its_run_ends_the_run_green_in_one_line(tmp_path: Path, path: Path,
                                                                        event: Event) -> None:
    """GitHub answers 410 Gone for an issue deleted from a repository the token reads: nothing to do."""
    world_path = prepared_world(tmp_path)
    world = json.loads(world_path.read_text())
    _world_issue(world, event.payload["issue"]["number"])["deleted"] = True
    world_path.write_text(json.dumps(world))
    run = run_workflow(path, event, world=world_path, workdir=tmp_path, at=(MONDAY + timedelta(hours=2)).isoformat())
    assert run.steps and run.ok, run.explain()
    output = [line for s in run.steps for line in s.stdout.splitlines() if line.strip()]
    assert len(output) == 1 and "HTTP 410" in output[0] and "deleted before this run" in output[0], output
    assert json.loads(world_path.read_text()) == world


def test_a_command_comment_deleted_before_its_run_ends_the_run_green_in_one_line(tmp_path: Path) -> None:
    world_path = prepared_world(tmp_path)
    world = json.loads(world_path.read_text())
    _world_issue(world, 6005)["comments"] = []  # deleted: GitHub answers 404 for the comment, its issue reads fine
    world_path.write_text(json.dumps(world))
    run = run_workflow(runner.WORKFLOWS / "support-issue-commands.yml",
                       Event("issue_comment", comment_payload(6005, 77001)), world=world_path, workdir=tmp_path,
                       at=(MONDAY + timedelta(hours=2)).isoformat())
    assert run.steps and run.ok, run.explain()
    output = [line for s in run.steps for line in s.stdout.splitlines() if line.strip()]
    assert len(output) == 1 and "comment 77001" in output[0] and "deleted before this run" in output[0], output
    assert json.loads(world_path.read_text()) == world


# -- the caller path: a reusable workflow for the support repository ---------------------------------------

REUSABLE = runner.WORKFLOWS / "support-repository.yml"
MIRRORS = {"form": "support-issue-form.yml", "commands": "support-issue-commands.yml", "access": "access.yml",
           "offboarding": "offboarding.yml", "postmortem": "postmortem-item.yml"}


def test_the_reusable_workflow_runs_what_the_event_workflows_run() -> None:
    """Each of its jobs runs the same command with the same environment and group as the event workflow it
    stands for, and lets in the same events (its `if:` adds only the event's name and action)."""
    called = load(REUSABLE)
    assert set(called["jobs"]) == set(MIRRORS)
    for job_id, name in MIRRORS.items():
        job, mirror = called["jobs"][job_id], next(iter(load(runner.WORKFLOWS / name)["jobs"].values()))
        step, mirror_step = job["steps"][-1], mirror["steps"][-1]
        # The button's dry-run switch aside (events always apply), the same command.
        command = str(mirror_step["run"]).strip().splitlines()[-1].replace('"$mode"', "--apply")
        assert step["run"] == command, job_id
        extra = {k: v for k, v in (mirror_step.get("env") or {}).items() if k not in ("DRY_RUN",)}
        extra = {k: v.replace(" || inputs.number", "") for k, v in extra.items()}
        assert step["env"] == extra, job_id
        assert job["concurrency"]["group"] == mirror["concurrency"]["group"].replace(" || inputs.number", "")
        assert job["permissions"] == mirror["permissions"]
        checkout = job["steps"][0]
        assert checkout["with"]["repository"] == "${{ inputs.product_repository }}"
        assert checkout["with"]["ref"] == "${{ inputs.product_ref }}"
    for path in (runner.WORKFLOWS / n for n in MIRRORS.values()):
        for _, event, _ in events(path):
            if event.name not in ("issues", "issue_comment"):
                continue
            own = runner.concurrency_of(path, event)
            via_caller = runner.concurrency_of(REUSABLE, Event(event.name, event.payload, CALLER_INPUTS,
                                                               called=True))
            assert own == via_caller, (path.name, event.payload.get("action"))


def test_the_postmortem_filter_lets_in_every_configured_way_an_issue_is_an_item() -> None:
    config = load_config(ROOT / "oncall.toml")
    assert config.postmortems is not None
    rules = config.postmortems
    issues = [{"title": f"{prefix.upper()} rotate the certificates", "body": "", "labels": []}
              for prefix in rules.title_prefixes]
    issues += [{"title": "Rotate", "body": "", "labels": [{"name": rules.label}]},
               {"title": "Rotate", "body": "See https://github.com/o/devops/blob/master/postmortems/2026-11-03.md",
                "labels": []},
               {"title": "Rotate", "body": "### Postmortem\n\nx\n\n### Action item\n\nRotate", "labels": []}]
    for path in (runner.WORKFLOWS / "postmortem-item.yml", REUSABLE):
        job = load(path)["jobs"]["label" if path.name == "postmortem-item.yml" else "postmortem"]
        for issue in issues:
            context = {"github": {"event_name": "issues", "event": {"action": "opened", "issue": issue}}}
            assert runner.evaluate(str(job["if"]), context), (path.name, issue)
        unrelated = {"github": {"event_name": "issues", "event": {"action": "opened", "issue": {
            "title": "Typo in the docs", "body": "s/teh/the/", "labels": [{"name": "documentation"}]}}}}
        assert not runner.evaluate(str(job["if"]), unrelated)


# -- nothing lost when Actions cancels or drops a run ----------------------------------------------------


def deliver(queue: runner.ActionsQueue, event: Event, at: datetime) -> None:
    """As GitHub: an event starts every workflow of the repository that takes it (and its action)."""
    for path in WORKFLOWS:
        on = triggers(load(path))
        if event.name in on and event.payload.get("action") in ((on[event.name] or {}).get("types") or
                                                                 [event.payload.get("action")]):
            queue.queue(path, event, at.isoformat())


def test_a_burst_of_events_actions_cancels_or_drops_loses_no_work(tmp_path: Path) -> None:
    """A requester edits the form twice in a row, three labels land on an access request at once, three
    /oncall comments arrive together; the offboarding, the postmortem item and the Slack app's issue are never
    delivered (the product runs from its own repository, or Actions dropped them). The model cancels what GitHub
    would; one tick then does all that is left, each piece once, and a second tick writes nothing."""
    world_path = prepared_world(tmp_path)
    world = json.loads(world_path.read_text())
    vpn = _world_issue(world, 6005)
    # Written before the runs' clock (16:00): a command written while the issue was open counts even when the
    # tick carries it out after the later `/oncall done` closed it.
    vpn["comments"] += [{"id": 77002, "user": "grace-hopper", "created_at": "2026-11-30T15:59:50Z",
                         "body": "/oncall epic incident-response"},
                        {"id": 77003, "user": "grace-hopper", "created_at": "2026-11-30T15:59:55Z",
                         "body": "Fixed: the MTU.\n/oncall done"}]
    _world_issue(world, 6002)["events"] = [{"event": "labeled", "label": "access-approved", "actor": "ada-lovelace",
                                             "created_at": "2026-11-30T16:00:00Z"}]
    world_path.write_text(json.dumps(world))
    ISSUES[6005]["comments"] = vpn["comments"]  # for comment_payload
    try:
        queue = runner.ActionsQueue(world_path, tmp_path / "actions")
        at = MONDAY + timedelta(hours=2)
        for action in ("opened", "edited", "edited"):
            deliver(queue, Event("issues", issue_payload(action, 6000, None)), at)
        for label in ("priority", "access-approved", "team-grafana"):
            deliver(queue, Event("issues", issue_payload("labeled", 6002, label)), at)
        for comment_id in (77001, 77002, 77003):
            deliver(queue, Event("issue_comment", comment_payload(6005, comment_id)), at)
    finally:
        ISSUES[6005]["comments"] = ISSUES[6005]["comments"][:1]
    cancelled = [(r.path.name, r.event.payload["action"], r.event.payload.get("comment", {}).get("id"))
                 for r in queue.cancelled()]
    assert cancelled == [("support-issue-form.yml", "edited", None), ("support-issue-commands.yml", "created", 77002)]
    runs = queue.finish()
    assert all(r.run is not None and r.run.ok for r in runs if r.state == "completed")
    # The approval was not cancelled by the labels around it: they never entered its group.
    assert any(r.path.name == "access.yml" and r.run and r.run.steps for r in runs)

    tick = runner.WORKFLOWS / "tick.yml"
    first = run_workflow(tick, Event("schedule", {"schedule": "22,37,52 13-21 * * 1-5"}), world=world_path,
                         workdir=tmp_path, at=(at + timedelta(minutes=22)).isoformat())
    assert first.ok, first.explain()
    done = json.loads(world_path.read_text())
    issue = functools.partial(_world_issue, done)
    assert issue(6000)["assignees"] == ["alan-turing"] and "operations" in issue(6000)["labels"]
    channel = next(c for c in done["slack"]["channels"] if c["id"] == SUPPORT)
    assert sum((m.get("metadata") or {}).get("event_type") == TRACKED_EVENT for m in channel["messages"]
               if m.get("thread_ts") == THREAD_TS) == 1
    assert sum("already tracked" in c["body"] for c in issue(6004)["comments"]) == 1  # the app's, same thread
    assert sum(offboarding.STATUS_MARKER in c["body"] for c in issue(6001)["comments"]) == 1
    assert sum(offboarding.CHECKLIST_MARKER in c["body"] for c in issue(6002)["comments"]) == 1
    assert "Postmortem Action Item" in issue(6003)["labels"]
    assert issue(6005)["assignees"] == ["grace-hopper"] and issue(6005)["state"] == "closed"
    assert issue(6005)["id"] in issue(1954)["sub_issues"]  # the cancelled command, done by the tick
    for comment_id in (77001, 77002, 77003):
        assert sum(f"command-done {comment_id} " in c["body"] for c in issue(6005)["comments"]) == 1

    before = world_path.read_text()
    second = run_workflow(tick, Event("schedule", {"schedule": "22,37,52 13-21 * * 1-5"}), world=world_path,
                          workdir=tmp_path, at=(at + timedelta(minutes=37)).isoformat())
    assert second.ok, second.explain()
    assert " 0 write" in second.summary and " 1 write" not in second.summary
    assert json.loads(world_path.read_text())["github"] == json.loads(before)["github"]


def test_the_harness_keeps_one_running_and_one_pending_run_per_group(tmp_path: Path) -> None:
    """GitHub's rules, on a workflow-level group as access.yml had it: every `labeled` event's run enters the
    group, so of three labels added at once the approval's pending run is cancelled by the third label's."""
    old_style = tmp_path / "old-access.yml"
    old_style.write_text((runner.WORKFLOWS / "access.yml").read_text().replace(
        "permissions: {}\n", "permissions: {}\n\nconcurrency:\n  group: access-${{ github.event.issue.number }}\n"
        "  cancel-in-progress: false\n", 1))
    queue = runner.ActionsQueue(tmp_path / "world.json", tmp_path)
    first, approval, third = (queue.queue(old_style, Event("issues", issue_payload("labeled", 6002, label)))
                              for label in ("priority", "access-approved", "team-grafana"))
    assert (first.state, approval.state, third.state) == ("running", "cancelled", "pending")
    # With the group on the job, behind its if:, the labels around the approval never queue beside it.
    queue = runner.ActionsQueue(tmp_path / "world.json", tmp_path)
    states = [queue.queue(runner.WORKFLOWS / "access.yml", Event("issues", issue_payload("labeled", 6002, label)))
              for label in ("priority", "access-approved", "team-grafana")]
    assert [(r.group, r.state) for r in states] == [(None, "running"), ("access-6002", "running"), (None, "running")]
    # cancel-in-progress: a new run cancels the running one too (CI on a pushed branch).
    queue = runner.ActionsQueue(tmp_path / "world.json", tmp_path)
    push = Event("push", {"ref": "refs/heads/main"})
    ci = [queue.queue(runner.WORKFLOWS / "ci.yml", push) for _ in range(2)]
    assert [r.state for r in ci] == ["cancelled", "running"]


# -- what it costs: schedules, events and CI ---------------------------------------------------------------

# The stated rates: a week in a busy support repository, by action and kind of issue (500 issue events), and its
# comments (50). Forms that set labels send `opened` and `labeled`; most events are about issues that are none
# of the product's business.
ISSUE_KINDS: dict[str, dict[str, Any]] = {
    "unrelated": {"title": "Add the new benefits page", "body": "Designs attached.", "labels": ["benefits"],
                  "user": "vfs-dev"},
    "support form": ISSUES[6000],
    "support from Slack": ISSUES[6004],
    "offboarding": ISSUES[6001],
    "access request": {**ISSUES[6002], "labels": ["access-request"]},
    "postmortem item": ISSUES[6003],
}
WEEK_OF_ISSUE_EVENTS = [  # (events a week, action, kind, label added)
    (70, "opened", "unrelated", None), (10, "opened", "support form", None), (5, "opened", "support from Slack", None),
    (3, "opened", "offboarding", None), (5, "opened", "access request", None), (7, "opened", "postmortem item", None),
    (110, "edited", "unrelated", None), (20, "edited", "support form", None), (5, "edited", "support from Slack", None),
    (5, "edited", "offboarding", None), (5, "edited", "access request", None), (5, "edited", "postmortem item", None),
    (157, "labeled", "unrelated", "needs-triage"), (10, "labeled", "support form", "support-request"),
    (3, "labeled", "offboarding", "offboarding"), (5, "labeled", "access request", "access-request"),
    (5, "labeled", "access request", "access-approved"), (20, "labeled", "support form", "operations"),
    (40, "closed", "unrelated", None), (10, "closed", "support form", None),
]
WEEK_OF_COMMENTS = [  # (comments a week, on what, text)
    (25, "unrelated", "Looks good to me."), (10, "support form", "Tried a restart; no change."),
    (10, "support form", "/oncall assign @grace-hopper"), (5, "pull request", "/oncall is on it"),
]
CI_RUNS_A_WEEK, CI_MINUTES_A_RUN = 20, 6  # pushes and PR updates; the suite and checks on a 2-core runner


def _sample_issue_event(action: str, kind: str, label: str | None) -> Event:
    issue = ISSUE_KINDS[kind]
    labels = list(issue["labels"]) + ([label] if label and label not in issue["labels"] else [])
    payload = {"action": action, "issue": {"number": 7000, "title": issue["title"], "body": issue["body"],
                                           "labels": [{"name": n} for n in labels], "user": {"login": issue["user"]}},
               "repository": {"full_name": REPO}, "sender": {"login": "ada-lovelace", "type": "User"}}
    if label:
        payload["label"] = {"name": label}
    return Event("issues", payload)


def _sample_comment(kind: str, text: str) -> Event:
    on = ISSUE_KINDS["support form" if kind == "pull request" else kind]
    issue = {"number": 7000, "title": on["title"], "body": on["body"], "labels": [{"name": n} for n in on["labels"]]}
    if kind == "pull request":
        issue["pull_request"] = {"url": f"https://api.github.com/repos/{REPO}/pulls/7000"}
    return Event("issue_comment", {"action": "created", "issue": issue, "comment": {"id": 1, "body": text},
                                   "repository": {"full_name": REPO}, "sender": {"login": "ada-lovelace"}})


@functools.cache
def _loaded(path: Path) -> dict[str, Any]:
    return load(path)


def billed_jobs(path: Path, event: Event) -> int:
    """How many of the workflow's jobs the event starts (a job skipped by its `if:` is not billed)."""
    workflow = _loaded(path)
    on = triggers(workflow)
    if not event.called:
        types = (on.get(event.name) or {}).get("types") if event.name in on else None
        if event.name not in on or (types and event.payload.get("action") not in types):
            return 0
    context = runner.event_context(path, workflow, event, repository=REPO, secrets=runner.SECRETS,
                                   workdir=Path("/tmp"))
    return sum(1 for job in workflow["jobs"].values()
               if job.get("if") is None or runner.evaluate(str(job["if"]), context))


def event_runs(*, through_caller: bool) -> dict[str, int]:
    """Billed jobs a week for the stated events: through the caller workflow (one reusable workflow), or with
    the event workflows living in the support repository itself (where the product is the support repository)."""
    samples = [(n, _sample_issue_event(a, k, lb)) for n, a, k, lb in WEEK_OF_ISSUE_EVENTS]
    samples += [(n, _sample_comment(k, t)) for n, k, t in WEEK_OF_COMMENTS]
    runs: dict[str, int] = {}
    for count, event in samples:
        if through_caller:
            called = Event(event.name, event.payload, CALLER_INPUTS, called=True)
            context = runner.event_context(REUSABLE, _loaded(REUSABLE), called, repository=REPO,
                                           secrets=runner.SECRETS, workdir=Path("/tmp"))
            for job_id, job in _loaded(REUSABLE)["jobs"].items():
                if runner.evaluate(str(job["if"]), context):
                    runs[job_id] = runs.get(job_id, 0) + count
        else:
            for path in WORKFLOWS:
                jobs = billed_jobs(path, event)
                if jobs:
                    runs[path.name] = runs.get(path.name, 0) + count * jobs
    return runs


def weekly_cost() -> dict[str, int]:
    schedules_ = scheduled_runs(datetime(2026, 11, 30, tzinfo=UTC))
    return {"tick": schedules_.pop("tick.yml"), "other schedules": sum(schedules_.values()),
            "caller": sum(event_runs(through_caller=True).values()), "ci runs": CI_RUNS_A_WEEK,
            "ci minutes": CI_RUNS_A_WEEK * CI_MINUTES_A_RUN}


def test_events_cost_what_their_filters_let_in() -> None:
    assert sum(n for n, *_ in WEEK_OF_ISSUE_EVENTS) == 500 and sum(n for n, *_ in WEEK_OF_COMMENTS) == 50
    direct, caller = event_runs(through_caller=False), event_runs(through_caller=True)
    assert sum(direct.values()) == sum(caller.values())  # the two fast paths let in the same events
    mirrored = {MIRRORS[job]: runs for job, runs in caller.items()}
    assert mirrored == direct, (mirrored, direct)
    # Only the issues that are the product's business start a job: 40 form and Slack runs (opened and edited
    # support requests), 8 offboarding, 5 approvals, 12 postmortem items, 10 commands. Without its `if:`, the
    # postmortem workflow alone would start 250 a week.
    assert direct == {"support-issue-form.yml": 40, "offboarding.yml": 8, "access.yml": 5,
                      "postmortem-item.yml": 12, "support-issue-commands.yml": 10}


def _readme_cost_table() -> dict[str, tuple[int, int, int | None]]:
    """Each row of docs/workflows.md's cost table: (runs a week, billed minutes a week, minutes a month if
    stated)."""
    page = (ROOT / "docs" / "workflows.md").read_text()
    section = page.split("### Schedules, events and CI", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip().replace("*", "").replace("`", "") for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1][:1].isdigit():
            continue
        key = re.sub(r"\W+", " ", cells[0].split("(")[0].split(":")[0]).strip().lower()
        month = re.search(r"about ([\d,]+) a month", cells[2])
        rows[key] = (int(cells[1].replace(",", "")), int(cells[2].split()[0].strip(",").replace(",", "")),
                     int(month.group(1).replace(",", "")) if month else None)
    return rows


def test_the_documented_cost_table_is_the_computed_one() -> None:
    cost = weekly_cost()
    table = _readme_cost_table()
    scheduled = cost["tick"] + cost["other schedules"]

    def week(runs: int, minutes: int | None = None, month: bool = False) -> tuple[int, int, int | None]:
        minutes = runs if minutes is None else minutes
        return runs, minutes, round(minutes * 52 / 12, -1) if month else None

    assert table == {
        "tick yml": week(cost["tick"]),
        "other schedules": week(cost["other schedules"]),
        "events the tick s intake": week(0),
        "events through the caller workflow": week(cost["caller"]),
        "ci": week(cost["ci runs"], cost["ci minutes"]),
        "total without the caller workflow": week(scheduled + cost["ci runs"], scheduled + cost["ci minutes"], True),
        "total with the caller workflow": week(scheduled + cost["caller"] + cost["ci runs"],
                                               scheduled + cost["caller"] + cost["ci minutes"], True),
    }


def test_the_documented_caller_calls_the_reusable_workflow_as_it_is_declared(tmp_path: Path) -> None:
    """docs/workflows.md's caller: its inputs and secrets are the ones declared, and it passes every event (and
    action) the called jobs act on."""
    from ruamel.yaml import YAML

    text = (ROOT / "docs" / "workflows.md").read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    caller = YAML(typ="safe").load(text)
    declared = triggers(load(REUSABLE))["workflow_call"]
    [job] = caller["jobs"].values()
    assert job["uses"].split("@")[0].endswith("/.github/workflows/" + REUSABLE.name)
    assert set(job["with"]) == {k for k, v in declared["inputs"].items() if v.get("required")}
    assert set(job["secrets"]) <= set(declared["secrets"]) and set(job["secrets"]) == set(KNOWN_SECRETS) & set(
        declared["secrets"])
    assert caller["permissions"] == {}
    needed = {k: v for j in load(REUSABLE)["jobs"].values() for k, v in (j.get("permissions") or {}).items()}
    assert job["permissions"] == needed  # a called job gets no more than its caller grants
    on = triggers(caller)
    for path in (runner.WORKFLOWS / n for n in MIRRORS.values()):
        for name, spec in triggers(load(path)).items():
            if name in ("issues", "issue_comment"):
                assert set(spec["types"]) <= set(on[name]["types"]), (path.name, name)
