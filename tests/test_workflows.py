"""The workflows as GitHub Actions runs them: every trigger, its payload and inputs, only the secrets it passes.

What a workflow hands its script is what the job gets. Each workflow runs here
through `tests/runner.py` against the sandbox, whose services refuse a secret
the step's `env:` does not pass, as production would; so a forgotten secret, a
flag that does not exist or an input nobody reads fails here, not in Actions.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import load_config
from oncall_lib.offboarding import requests as offboarding
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
    6001: {"title": "Offboarding of Bob Smith", "labels": ["offboarding"], "user": "vfs-dev",
           "body": _form({"Name": "Bob Smith", "GitHub username": "bob-smith-vfs", "Expected last day": "2026-12-18"},
                         offboarding.OFFBOARDING_LABELS)},
    6002: {"title": "Access to Grafana for new-teammate", "labels": ["access-request", "access-approved"],
           "user": "vfs-dev", "body": _form({"Person": "New Teammate", "GitHub username": "new-teammate",
                                             "Tool": "Grafana", "Reason": "joining VFS", "Approver": "ada-lovelace"},
                                            offboarding.ACCESS_LABELS)},
    6003: {"title": "pm: rotate the staging certificates", "labels": [], "user": "ada-lovelace",
           "body": "From the postmortem of the certificate outage."},
    # A support issue with a team member's command in a comment (the issue_comment workflow's event).
    6005: {"title": "[Support] VPN is down", "labels": ["support-request"], "user": "vfs-dev",
           "body": "The VPN drops every ten minutes.", "assignees": ["alan-turing"],
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
    "support-issue-commands.yml": [(6005, 77001)],
}


def comment_payload(number: int, comment_id: int) -> dict[str, Any]:
    """issue_comment created: the issue, the comment (its body is the commenter's text) and the sender."""
    payload = issue_payload("created", number, None)
    comment = next(c for c in ISSUES[number]["comments"] if c["id"] == comment_id)
    payload["comment"] = {"id": comment_id, "body": comment["body"], "user": {"login": comment["user"]},
                          "html_url": f"https://github.com/{REPO}/issues/{number}#issuecomment-{comment_id}"}
    payload["sender"] = {"login": comment["user"], "type": "User"}
    return payload


def issue_payload(action: str, number: int, label: str | None, sender: str = "ada-lovelace") -> dict[str, Any]:
    issue = ISSUES[number]
    payload: dict[str, Any] = {
        "action": action,
        "issue": {"number": number, "title": issue["title"], "body": issue["body"], "state": "open",
                  "labels": [{"name": n} for n in issue["labels"]], "user": {"login": issue["user"]},
                  "html_url": f"https://github.com/{REPO}/issues/{number}"},
        "repository": {"full_name": REPO, "name": REPO.split("/")[1], "owner": {"login": REPO.split("/")[0]}},
        "sender": {"login": sender, "type": "User"},
    }
    if label:
        payload["label"] = {"name": label}
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
            for number, comment_id in COMMENT_EVENTS[path.name]:
                event = Event("issue_comment", comment_payload(number, comment_id))
                found.append((f"issue_comment {comment_id}", event, MONDAY + timedelta(hours=2)))
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
                               "created_at": "2026-11-30T15:00:00Z", **issue})
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
    covered = {(c.values[0].name, c.values[2].name) for c in CASES}  # type: ignore[union-attr]
    for path in WORKFLOWS:
        for trigger in triggers(load(path)):
            assert (path.name, trigger) in covered, f"{path.name} on {trigger} is not run by the harness"


# -- what the workflows say, read without running them -------------------------------------------------

ALL_WORKFLOWS = sorted(runner.WORKFLOWS.glob("*.yml"))


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.stem)
def test_every_input_is_declared_and_used(path: Path) -> None:
    workflow = load(path)
    declared = set((triggers(workflow).get("workflow_dispatch") or {}).get("inputs") or {})
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


def test_workflows_that_can_open_a_support_issue_share_one_concurrency_group() -> None:
    groups = {}
    for path in ALL_WORKFLOWS:
        text = path.read_text()
        if re.search(r"support_issue\.py (scan|from-thread|from-issue)", text):
            workflow = load(path)
            group = (workflow.get("concurrency") or {}).get("group") or next(
                ((j.get("concurrency") or {}).get("group") for j in workflow["jobs"].values()), None)
            groups[path.name] = group
    assert len(groups) >= 3, groups
    assert len(set(groups.values())) == 1, groups


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
    assert list(parts) == ["Watching the request channels", "Support issues", "Failed deploys",
                           "The weekly handoff", "The dead man's switch"]
    for needs_no_github in ("Watching the request channels", "The dead man's switch"):
        assert "error:" not in parts[needs_no_github]  # ran
    for needs_github in ("Support issues", "Failed deploys", "The weekly handoff"):
        assert "error: environment variable" in parts[needs_github]
        assert "ONCALL_GITHUB_TOKEN" in parts[needs_github], parts[needs_github]


def test_the_quarter_hour_tick_leaves_the_handoff_to_the_hourly_one(tmp_path: Path) -> None:
    world = prepared_world(tmp_path)
    run = run_workflow(runner.WORKFLOWS / "tick.yml", Event("schedule", {"schedule": "22,37,52 13-21 * * 1-5"}),
                       world=world, workdir=tmp_path, at=datetime(2026, 11, 30, 15, 22, tzinfo=UTC).isoformat())
    assert run.ok, run.explain()
    [step] = run.steps
    assert "duties run: Watching the request channels, Support issues, Failed deploys\n" in step.stdout
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
