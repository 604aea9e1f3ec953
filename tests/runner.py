"""A small GitHub Actions runner for the tests: runs a workflow's steps as the real runner would.

For one event (a schedule, a button press with its inputs, an issue event with
its payload) it evaluates each job's `if:`, each step's `env:` from the
`github`, `inputs`, `secrets` and `vars` contexts, and runs each `run:`
command in bash with that environment and nothing else of ours: no secret the
step does not pass reaches the script. `uses:` steps are the runner's
business (checkout, Python, caches) and are skipped; AWS's credentials action
sets the AWS variables it would, and google-github-actions/auth writes the
external-account file it would (pointing at the sandbox's runner token
service) and sets GOOGLE_APPLICATION_CREDENTIALS; each fails as the real one
does when the variables that name the role or the provider are not set, or the
job may not ask for an OIDC token.

A run sees only the variables and secrets the test gives it: by default every
secret and no variable (a team that set the secrets and turned on neither AWS
nor keyless Google). With `environments`, the secrets live in GitHub
environments instead (each limited to its branches): a job gets those of the
environment it names, when the run's branch may use it, and no other.

`gh workflow run` (the caller's hand-over) is recorded, not sent: the run's
`dispatches` say which workflow of which repository it started, with what
inputs, and the test runs that one as the product's repository would.

The scripts talk to the sandbox: a `python3` on PATH turns `python3 dev.py run
SCRIPT ARGS` into `SCRIPT ARGS --sandbox WORLD` (and `--at`, for a fixed
clock), with the sandbox told to refuse any secret that is not in the
environment, exactly as production would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from oncall_lib.sandbox.federation_fake import actions_credentials_file
from oncall_lib.sandbox.server import sandbox_app_key

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"

# Well-formed, fake values for every secret a workflow may reference. The App's key is a real key (a shape check
# reads it), but the sandbox signs with its own, as it uses its own tokens.
SECRETS = {
    "ONCALL_GITHUB_APP_ID": "271828",
    "ONCALL_GITHUB_APP_PRIVATE_KEY": sandbox_app_key()[0],
    "ONCALL_GITHUB_TOKEN": "ghs_harness0github0token",
    "SLACK_BOT_TOKEN": "xoxb-harness-slack-token",
    "PAGERDUTY_API_TOKEN": "harness-pagerduty-token",
    "ZENHUB_API_TOKEN": "harness-zenhub-token",
    "GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps({"type": "service_account", "client_email": "h@example.iam",
                                               "private_key": "harness-not-a-key"}),
    # The support repository's only secret with the caller workflow: it starts support-events.yml, nothing else.
    "ONCALL_DISPATCH_TOKEN": "github_pat_harness0dispatch0only",
}
# A team's repository variables: none unless a test sets them (the AWS role is the IAM duty's, only when set).
VARS: dict[str, str] = {}
IAM_VARS = {"IAM_AUDIT_ROLE_ARN": "arn:aws-us-gov:iam::123456789012:role/oncall-iam-audit"}


def load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text())
    assert isinstance(data, dict), path
    return data


def triggers(workflow: Mapping[str, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 readers turn `on` into True
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


# -- expressions --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!<>(),.*\[\]])"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_\-]*))")


def _tokens(text: str) -> list[tuple[str, str]]:
    found, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read expression at {text[pos:]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        pos = match.end()
    return found


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.context = context

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value or right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = value and right
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.unary()
            a, b = _loose(value), _loose(right)
            if op in ("==", "!="):
                value = (a == b) == (op == "==")
            else:
                ordered = isinstance(a, float) and isinstance(b, float)
                value = ordered and {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind != "name":
            raise ValueError(f"unexpected {text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == "(":
            return self.call(text)
        value: Any = self.context.get(text)
        while self.peek() in (".", "["):
            if self.take()[1] == "[":
                key = self.or_()
                self.take("]")
                value = _member(value, str(key))
                continue
            if self.peek() == "*":
                self.take()
                value = list(value.values()) if isinstance(value, dict) else list(value or [])
                continue
            name = self.take()[1]
            value = [_member(v, name) for v in value] if isinstance(value, list) else _member(value, name)
        return value

    def call(self, name: str) -> Any:
        self.take("(")
        args = []
        while self.peek() != ")":
            args.append(self.or_())
            if self.peek() == ",":
                self.take()
        self.take(")")
        lowered = name.lower()
        if lowered == "contains":
            haystack, needle = args
            if isinstance(haystack, list):
                return any(_loose(item) == _loose(needle) for item in haystack)
            return str(needle).lower() in str(haystack or "").lower()
        if lowered in ("startswith", "endswith"):
            text, part = (str(a or "").lower() for a in args)
            return text.startswith(part) if lowered == "startswith" else text.endswith(part)
        if lowered == "format":
            template, *rest = args
            return re.sub(r"\{(\d+)\}", lambda m: _text(rest[int(m.group(1))]), str(template))
        if lowered == "tojson":
            return json.dumps(args[0])
        if lowered == "hashfiles":
            return "harness-hash"
        if lowered in ("always", "success"):
            return True
        if lowered in ("failure", "cancelled"):
            return False
        raise ValueError(f"the harness does not know the function {name}()")


def _member(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name, next((v for k, v in value.items() if str(k).lower() == name.lower()), None))
    return None


def _loose(value: Any) -> Any:
    """Actions compares case-insensitively for strings, and coerces booleans and numbers."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return float(value)
    return value


def _truthy(value: Any) -> bool:
    return bool(value) and value != 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    text = expression.strip()
    match = _EXPRESSION.fullmatch(text)
    return _Parser(match.group(1) if match else text, context).parse()


def substitute(template: Any, context: Mapping[str, Any]) -> str:
    """A value with every ${{ expression }} replaced by its text, as the runner does for env: and with:."""
    return _EXPRESSION.sub(lambda m: _text(_Parser(m.group(1), context).parse()), _text(template))


def expressions(workflow_text: str) -> Iterator[str]:
    for match in _EXPRESSION.finditer(workflow_text):
        yield match.group(1).strip()


# -- running ----------------------------------------------------------------------------------------


@dataclass
class Event:
    name: str  # schedule, workflow_dispatch, issues, push, issue_comment, ...
    payload: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    # The run is of a reusable workflow, called by a workflow that this event started (in the caller's
    # repository); `inputs` are then the caller's `with:`.
    called: bool = False


@dataclass
class StepRun:
    job: str
    step: str
    command: str
    returncode: int
    stdout: str
    stderr: str
    env: dict[str, str]


@dataclass
class Dispatch:
    """A `gh workflow run` a step made: the workflow it starts, in which repository, with which inputs."""

    repository: str
    workflow: str
    inputs: dict[str, str]
    token: str


@dataclass
class WorkflowRun:
    workflow: str
    event: Event
    steps: list[StepRun]
    skipped_jobs: list[str]
    summary: str
    dispatches: list[Dispatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every step that ran succeeded (one tolerated by continue-on-error counts as a failure here too)."""
        return all(s.returncode == 0 for s in self.steps)

    def explain(self) -> str:
        return "\n".join(f"{s.job} / {s.step}: exit {s.returncode}\n{s.stderr.strip()}" for s in self.steps
                         if s.returncode != 0)


def dispatch_inputs(workflow: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The `inputs` context of a button press: each declared input's default, then what was typed."""
    declared = (triggers(workflow).get("workflow_dispatch") or {}).get("inputs") or {}
    inputs: dict[str, Any] = {}
    for name, spec in declared.items():
        default = (spec or {}).get("default")
        if (spec or {}).get("type") == "boolean":
            inputs[name] = bool(default) if default is not None else False
        else:
            inputs[name] = "" if default is None else default
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError(f"inputs {sorted(unknown)} are not declared by the workflow")
    inputs.update(given)
    return inputs


def _gh_shim(directory: Path, record: Path) -> None:
    """`gh` for the steps: `gh workflow run FILE --repo OWNER/NAME -f KEY=VALUE...` is recorded, with the token it
    would send; without GH_TOKEN it fails as gh does in Actions. Anything else gh is asked is refused."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "gh"
    shim.write_text(f"""#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""
if not token:
    sys.exit("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable.")
if args[:2] != ["workflow", "run"] or len(args) < 3:
    sys.exit("harness gh: only `gh workflow run` is modelled")
workflow, rest, repository, inputs = args[2], args[3:], "", {{}}
while rest:
    flag, value, rest = rest[0], rest[1], rest[2:]
    if flag in ("--repo", "-R"):
        repository = value
    elif flag in ("-f", "--raw-field", "-F", "--field"):
        key, _, text = value.partition("=")
        inputs[key] = text
    else:
        sys.exit("harness gh: unknown flag " + flag)
with open({str(record)!r}, "a") as out:
    out.write(json.dumps({{"repository": repository, "workflow": workflow, "inputs": inputs, "token": token}}) + "\\n")
print("Created workflow_dispatch event for " + workflow)
""")
    shim.chmod(0o755)


def _python_shim(directory: Path, world: Path, at: str | None) -> None:
    """`python3` for the steps: `dev.py run SCRIPT ...` runs SCRIPT against the sandbox world."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "python3"
    shim.write_text(f"""#!{sys.executable}
import os, sys
args = sys.argv[1:]
if args[:2] == ["dev.py", "run"] and len(args) > 2:
    script = args[2] if "/" in args[2] else os.path.join("scripts", args[2])
    rest = args[3:] + ["--sandbox", {str(world)!r}]
    at = {at!r}
    if at and "--at" not in rest:
        rest += ["--at", at]
    os.environ["ONCALL_SANDBOX_CHECK_SECRETS"] = "1"
    os.execv(sys.executable, [sys.executable, script, *rest])
os.execv(sys.executable, [sys.executable, *args])
""")
    shim.chmod(0o755)


# Where the harness's workflows run unless a test says otherwise: the support repository, as when the caller
# workflow (docs/workflows.md) runs them there.
REPOSITORY = "department-of-veterans-affairs/va.gov-team"


def call_inputs(workflow: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The `inputs` context of a reusable workflow's call: each declared input's default, then what the caller
    passed (`with:`); a required input the caller leaves out fails, as Actions refuses the call."""
    declared = (triggers(workflow).get("workflow_call") or {}).get("inputs") or {}
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError(f"inputs {sorted(unknown)} are not declared by the workflow")
    missing = [name for name, spec in declared.items() if (spec or {}).get("required") and name not in given]
    if missing:
        raise ValueError(f"the caller does not pass the required inputs {missing}")
    return {**{name: (spec or {}).get("default", "") for name, spec in declared.items()}, **given}


@dataclass(frozen=True)
class Environment:
    """A GitHub environment: its secrets, and the branches whose runs may use it (deployment branch policy)."""

    secrets: Mapping[str, str]
    branches: tuple[str, ...] = ("main",)


def _environment_name(job: Mapping[str, Any], context: Mapping[str, Any]) -> str | None:
    spec = job.get("environment")
    if spec is None:
        return None
    return substitute(spec["name"] if isinstance(spec, dict) else spec, context)


def _may_ask_for_oidc(job: Mapping[str, Any]) -> bool:
    permissions = job.get("permissions")
    return permissions == "write-all" or (isinstance(permissions, dict) and permissions.get("id-token") == "write")


def _credentials_action(uses: str, given: Mapping[str, str], job: Mapping[str, Any], workdir: Path) -> dict[str, str]:
    """What the AWS or Google credentials action adds to the job's environment, or a failure as the action's."""
    if uses.startswith("aws-actions/configure-aws-credentials"):
        if not given.get("role-to-assume") and not given.get("aws-access-key-id"):
            raise _StepFailed("Credentials could not be loaded, please check your action inputs: Could not load "
                              "credentials from any providers")
        if given.get("role-to-assume") and not given.get("aws-access-key-id") and not _may_ask_for_oidc(job):
            raise _StepFailed("Could not assume role with OIDC: the job lacks the id-token: write permission")
        return {"AWS_ACCESS_KEY_ID": "harness", "AWS_SECRET_ACCESS_KEY": "harness", "AWS_SESSION_TOKEN": "harness",
                "AWS_REGION": given.get("aws-region") or "us-gov-west-1"}
    if uses.startswith("google-github-actions/auth"):
        provider = given.get("workload_identity_provider", "")
        if bool(provider) == bool(given.get("credentials_json")):
            raise _StepFailed('google-github-actions/auth failed with: the GitHub Action workflow must specify '
                              'exactly one of "workload_identity_provider" or "credentials_json"!')
        if provider and not _may_ask_for_oidc(job):
            raise _StepFailed("google-github-actions/auth failed with: gitHub Actions did not inject $ACTIONS_ID_TOKEN_"
                              "REQUEST_TOKEN or $ACTIONS_ID_TOKEN_REQUEST_URL (the job needs id-token: write)")
        credentials = workdir / "gha-creds-harness.json"
        credentials.write_text(json.dumps(actions_credentials_file(
            provider.removeprefix("//iam.googleapis.com/"), given.get("service_account") or None)))
        return {"GOOGLE_APPLICATION_CREDENTIALS": str(credentials), "GOOGLE_GHA_CREDS_PATH": str(credentials)}
    return {}


class _StepFailed(Exception):
    pass


def event_context(path: Path, workflow: Mapping[str, Any], event: Event, *, repository: str,
                  secrets: Mapping[str, str], workdir: Path,
                  variables: Mapping[str, str] = VARS, branch: str = "main") -> dict[str, Any]:
    """The expression contexts of a run: `github` (the event and its payload, the repository it runs in),
    `inputs` (a button's or, for a called workflow, the caller's), `secrets`, `vars`, `runner`."""
    if event.called:
        inputs = call_inputs(workflow, event.inputs)
    else:
        inputs = dispatch_inputs(workflow, event.inputs) if event.name == "workflow_dispatch" else {}
    github = {"event_name": event.name, "event": event.payload, "ref": f"refs/heads/{branch}",
              "repository": repository, "actor": "harness", "run_id": "1",
              "sha": "0" * 40, "workflow": workflow.get("name", path.stem)}
    return {"github": github, "inputs": inputs, "secrets": dict(secrets), "vars": dict(variables),
            "runner": {"os": "Linux", "temp": str(workdir)}, "env": {}}


def run_workflow(path: Path, event: Event, *, world: Path, workdir: Path, at: str | None = None,
                 secrets: Mapping[str, str] = SECRETS, variables: Mapping[str, str] = VARS,
                 repository: str = REPOSITORY, config: Path | None = None,
                 environments: Mapping[str, Environment] | None = None, branch: str = "main") -> WorkflowRun:
    """Run `path`'s jobs for `event`, in `repository` (for a called workflow: the caller's); with `config`, the
    team's oncall.toml is that file (the fork's own). With `environments`, the repository holds no secret: each
    job gets those of the environment it names, if the run's `branch` may use it."""
    workflow = load(path)
    event_file = workdir / "event.json"
    event_file.write_text(json.dumps(event.payload))
    summary = workdir / "summary.md"
    summary.write_text("")
    shim_dir = workdir / "bin"
    _python_shim(shim_dir, world, at)
    dispatched = workdir / "dispatches.jsonl"
    dispatched.write_text("")
    _gh_shim(shim_dir, dispatched)
    context = event_context(path, workflow, event, repository=repository, secrets=secrets, workdir=workdir,
                            variables=variables, branch=branch)
    steps: list[StepRun] = []
    skipped: list[str] = []
    base_env = {
        "PATH": f"{shim_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(workdir),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event.name,
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_REPOSITORY": repository,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(ROOT),
        "RUNNER_TEMP": str(workdir),
        "PYTHONDONTWRITEBYTECODE": "1",
        **({"ONCALL_CONFIG": str(config)} if config else {}),
    }
    workflow_env = {k: substitute(v, context) for k, v in (workflow.get("env") or {}).items()}
    for job_id, job in (workflow.get("jobs") or {}).items():
        condition = job.get("if")
        if condition is not None and not _truthy(evaluate(str(condition), context)):
            skipped.append(job_id)
            continue
        if environments is not None:
            name = _environment_name(job, context)
            found = environments.get(name) if name else None
            if found is not None and branch not in found.branches:
                steps.append(StepRun(job_id, f"environment {name}", "", 1, "", f'Branch "{branch}" is not allowed '
                                     f"to deploy to {name} due to environment protection rules.", {}))
                continue
            context["secrets"] = dict(found.secrets) if found is not None else {}
        job_env = {**workflow_env, **{k: substitute(v, context) for k, v in (job.get("env") or {}).items()}}
        added: dict[str, str] = {}
        outcomes: dict[str, dict[str, str]] = {}
        context["steps"] = outcomes
        for index, step in enumerate(job.get("steps") or []):
            name = str(step.get("name") or step.get("uses") or f"step {index + 1}")
            step_if = step.get("if")
            if step_if is not None and not _truthy(evaluate(str(step_if), context)):
                if step.get("id"):
                    outcomes[str(step["id"])] = {"outcome": "skipped", "conclusion": "skipped"}
                continue
            if "uses" in step:
                # An expression the runner could not evaluate fails here too.
                given = {k: substitute(v, context) for k, v in (step.get("with") or {}).items()}
                try:
                    added.update(_credentials_action(str(step["uses"]), given, job, workdir))
                except _StepFailed as failed:
                    steps.append(StepRun(job_id, name, str(step["uses"]), 1, "", str(failed), {}))
                    break
                continue
            env = {**base_env, **job_env, **added,
                   **{k: substitute(v, context) for k, v in (step.get("env") or {}).items()}}
            command = str(step["run"])
            result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            steps.append(StepRun(job_id, name, command, result.returncode, result.stdout, result.stderr, env))
            outcome = "success" if result.returncode == 0 else "failure"
            tolerated = bool(step.get("continue-on-error"))
            if step.get("id"):
                outcomes[str(step["id"])] = {"outcome": outcome,
                                             "conclusion": "success" if tolerated else outcome}
            if outcome == "failure" and not tolerated:
                break
    dispatches = [Dispatch(**json.loads(line)) for line in dispatched.read_text().splitlines() if line.strip()]
    return WorkflowRun(path.name, event, steps, skipped, summary.read_text(), dispatches)


# -- concurrency -----------------------------------------------------------------------------------------


def concurrency_of(path: Path, event: Event, *, repository: str = REPOSITORY,
                   workdir: Path = Path("/tmp")) -> tuple[str, bool] | None:
    """The concurrency group a run enters, and its cancel-in-progress: the workflow's (every run enters it,
    whatever its jobs' `if:` say), else that of the first job whose `if:` lets the event in (a job skipped by its
    `if:` never enters its group). None: the run waits for nothing."""
    workflow = load(path)
    context = event_context(path, workflow, event, repository=repository, secrets=SECRETS, workdir=workdir)

    def read(spec: Any) -> tuple[str, bool]:
        if isinstance(spec, str):
            return substitute(spec, context), False
        cancel = spec.get("cancel-in-progress", False)
        cancel = _truthy(evaluate(cancel, context)) if isinstance(cancel, str) else bool(cancel)
        return substitute(spec["group"], context), cancel

    if workflow.get("concurrency"):
        return read(workflow["concurrency"])
    for job in (workflow.get("jobs") or {}).values():
        condition = job.get("if")
        if condition is not None and not _truthy(evaluate(str(condition), context)):
            continue
        if job.get("concurrency"):
            return read(job["concurrency"])
    return None


@dataclass
class QueuedRun:
    path: Path
    event: Event
    at: str | None
    group: str | None
    state: str = "queued"  # running, pending, cancelled, completed
    run: WorkflowRun | None = None


@dataclass
class ActionsQueue:
    """GitHub Actions' queue for one repository, with its concurrency rules (as GitHub documents them): a group
    holds at most one running and one pending run; a newly queued run cancels the group's pending one (and, with
    cancel-in-progress, the running one); a cancelled run never runs. Runs queued together (a burst of events)
    are all queued before the first finishes; `finish` then runs them as Actions would."""

    world: Path
    workdir: Path
    repository: str = REPOSITORY
    runs: list[QueuedRun] = field(default_factory=list)

    def queue(self, path: Path, event: Event, at: str | None = None) -> QueuedRun:
        found = concurrency_of(path, event, repository=self.repository, workdir=self.workdir)
        queued = QueuedRun(path, event, at, found[0] if found else None)
        same = [r for r in self.runs if queued.group is not None and r.group == queued.group]
        for other in same:
            if other.state == "pending" or (other.state == "running" and found and found[1]):
                other.state = "cancelled"
        running = any(r.state == "running" for r in same)
        queued.state = "pending" if running else "running"
        self.runs.append(queued)
        return queued

    def finish(self) -> list[QueuedRun]:
        """Run every queued run to its end, in order; as each ends, its group's pending run starts."""
        while True:
            running = [r for r in self.runs if r.state == "running"]
            if not running:
                return self.runs
            for queued in running:
                workdir = self.workdir / f"run-{self.runs.index(queued)}"
                workdir.mkdir(parents=True, exist_ok=True)
                queued.run = run_workflow(queued.path, queued.event, world=self.world, workdir=workdir,
                                          at=queued.at, repository=self.repository)
                queued.state = "completed"
                waiting = next((r for r in self.runs if r.group == queued.group and r.state == "pending"), None)
                if waiting is not None:
                    waiting.state = "running"

    def cancelled(self) -> list[QueuedRun]:
        return [r for r in self.runs if r.state == "cancelled"]


# -- cron ---------------------------------------------------------------------------------------------


def _cron_field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            start, end = (int(x) for x in body.split("-"))
        else:
            start = end = int(body)
        values.update(range(start, end + 1, step))
    return values


def cron_matches(expression: str, when: Any) -> bool:
    """Whether a cron line (UTC, as GitHub reads it) fires at `when` (an aware datetime, any zone)."""
    from datetime import UTC

    minute, hour, day, month, weekday = expression.split()
    utc = when.astimezone(UTC)
    weekdays = {d % 7 for d in _cron_field(weekday, 0, 7)}
    day_ok = utc.day in _cron_field(day, 1, 31)
    weekday_ok = (utc.isoweekday() % 7) in weekdays
    # As cron: when both day fields are restricted, either may match.
    days = (day_ok or weekday_ok) if day != "*" and weekday != "*" else (day_ok and weekday_ok)
    return (utc.minute in _cron_field(minute, 0, 59) and utc.hour in _cron_field(hour, 0, 23)
            and utc.month in _cron_field(month, 1, 12) and days)


def schedules(workflow: Mapping[str, Any]) -> list[str]:
    return [str(entry["cron"]) for entry in (triggers(workflow).get("schedule") or [])]
