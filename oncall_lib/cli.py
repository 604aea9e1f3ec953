"""What every job's script shares: flags, the sandbox, the report, exit codes.

Exit codes: 0 done; 1 a write failed or the job could not do its work; 2 bad
input (configuration, flags, world file), in which case nothing was written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from oncall_lib.config import Config, ConfigError, load_config
from oncall_lib.errors import InputError, OncallError
from oncall_lib.events import foreign_event
from oncall_lib.github_permissions import app_permissions, configured_needs
from oncall_lib.report import Report
from oncall_lib.secrets import scrub
from oncall_lib.timeutil import hour_of_day, parse_at

if TYPE_CHECKING:  # the SDKs and the sandbox load when a job runs, not when a script parses its flags
    from oncall_lib.services import Services

JobFn = Callable[["Services", Config, datetime, bool], Report]
DEFAULT_CONFIG = Path(os.environ.get("ONCALL_CONFIG", "oncall.toml"))
# Set by the tests' workflow harness: a sandbox run still needs every secret its job asks for to be in the
# environment, as the workflow step would pass it, so a secret a workflow forgets fails there as in production.
CHECK_SECRETS_VARIABLE = "ONCALL_SANDBOX_CHECK_SECRETS"


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def job_parser(prog: str, description: str, *, duty: str | None = None,
               writes: bool = True) -> argparse.ArgumentParser:
    """The shared flags; with `duty`, the job does nothing (in one line) while that duty is off."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_common_flags(parser, writes=writes)
    parser.set_defaults(duty=duty)
    return parser


def add_config_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH",
                        help="the team's configuration (default: %(default)s, or $ONCALL_CONFIG)")


def add_common_flags(parser: argparse.ArgumentParser, *, writes: bool = True) -> None:
    """The flags every job shares. A read-only command (`writes=False`) has no --apply or --dry-run: it only
    reads, whatever it is told."""
    add_config_flag(parser)
    if writes:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--apply", dest="apply", action="store_true", default=None,
                          help="write the planned changes (the default inside GitHub Actions)")
        mode.add_argument("--dry-run", dest="apply", action="store_false",
                          help="only plan and report (the default everywhere else)")
    else:
        parser.set_defaults(apply=False)
    add_sandbox_flags(parser)
    add_report_flags(parser)


def add_sandbox_flags(parser: argparse.ArgumentParser) -> None:
    """--sandbox and its options: what `open_services` reads."""
    parser.add_argument("--sandbox", nargs="?", const="", default=None, metavar="WORLD_FILE",
                        help="run against the local fake world instead of the real APIs; without a file, "
                             ".oncall-sandbox/world.json (created from the bundled example on first use)")
    parser.add_argument("--reset-sandbox", action="store_true",
                        help="with --sandbox: start again from the bundled example world")
    parser.add_argument("--sandbox-faults", type=float, default=0.0, metavar="RATE",
                        help="with --sandbox: share of requests (0-1) that fail with 429, 5xx or a dropped connection")


def add_report_flags(parser: argparse.ArgumentParser, at_zone: str = "the team's time zone") -> None:
    """--at, --json and --verbose: when the run acts, and how it reports."""
    parser.add_argument("--at", metavar="ISO_TIME",
                        help=f"act as if it were this time (default: now, or with --sandbox the world's own clock "
                             f"when it has one); without an offset, {at_zone}")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (and tracebacks) to stderr")


def issue_number(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not an issue number")
    return int(value)


def add_format_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("md", "json"),
                        help="print what the job publishes (its Markdown, or its figures as JSON) instead of the "
                             "job's report")


def published(report: Report, form: str) -> str:
    """What `--format` prints: the published Markdown (or the errors that stopped it), or the figures as JSON."""
    if form == "md":
        return report.markdown or "\n".join(report.errors)
    return json.dumps(report.extra, indent=2, default=str)


def add_credential_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--credential-report", type=Path, metavar="FILE",
                        help="audit an exported IAM credential report (CSV) instead of asking AWS")


def add_only_at_hour(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only-at-hour", type=hour_of_day, metavar="HOUR",
                        help="do nothing unless it is this hour in the team's time zone (for UTC cron schedules)")


def add_issue_number(parser: argparse.ArgumentParser, what: str = "the issue number") -> None:
    """--number, defaulting to $ISSUE_NUMBER (what the issue-event workflows pass); None when neither is set."""
    parser.add_argument("--number", type=issue_number, default=os.environ.get("ISSUE_NUMBER") or None,
                        help=f"{what} (default: $ISSUE_NUMBER)")


def sandbox_clock(args: argparse.Namespace) -> datetime | None:
    """With --sandbox and no --at: the world's own moment (its `clock`), so a run shows the same whenever it is
    made; None for a real run, or a world without one (then it is now)."""
    if getattr(args, "sandbox", None) is None or getattr(args, "at", None):
        return None
    from oncall_lib.sandbox.world import ensure_world, world_clock

    return world_clock(ensure_world(Path(args.sandbox) if args.sandbox else None, reset=args.reset_sandbox))


@contextmanager
def open_services(args: argparse.Namespace, at: datetime, *, save: bool) -> Iterator[Services]:
    from oncall_lib.sandbox import Faults, sandbox_services
    from oncall_lib.sandbox.world import ensure_world, world_clock
    from oncall_lib.services import Services

    if args.sandbox is None:
        if args.reset_sandbox or args.sandbox_faults:
            raise InputError("--reset-sandbox and --sandbox-faults only make sense with --sandbox")
        yield Services()
        return
    if not 0 <= args.sandbox_faults <= 1:
        raise InputError(f"--sandbox-faults {args.sandbox_faults}: give a share between 0 and 1")
    world = ensure_world(Path(args.sandbox) if args.sandbox else None, reset=args.reset_sandbox)
    faults = Faults(rate=args.sandbox_faults) if args.sandbox_faults else None
    clock = (lambda: at) if args.at or world_clock(world) else None
    required = os.environ if os.environ.get(CHECK_SECRETS_VARIABLE) == "1" else None
    with sandbox_services(world, save=save, clock=clock, faults=faults, required_env=required) as services:
        yield services


def emit(report: Report, *, as_json: bool, render: Callable[[Report], str] | None = None) -> None:
    # Every way out goes through scrub: an SDK's error text can quote a token it was given.
    print(scrub(render(report) if render else report.to_json_text() if as_json else report.to_text()))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(scrub(report.to_markdown()) + "\n")
    if in_github_actions():
        # The runner reads workflow commands from stderr too, which keeps --json's stdout clean.
        for line in report.annotations():
            print(scrub(line), file=sys.stderr)


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def _error(text: str) -> None:
    print(scrub(f"error: {text}"), file=sys.stderr)


def run_job(prog: str, description: str, job: JobFn, argv: Sequence[str] | None = None, *,
            duty: str | None = None) -> int:
    args = job_parser(prog, description, duty=duty).parse_args(argv)
    return execute(args, job)


def started_by_github() -> bool:
    """A run GitHub started by itself (a schedule or an event), not a button or a person at a terminal."""
    return in_github_actions() and os.environ.get("GITHUB_EVENT_NAME", "") not in ("", "workflow_dispatch")


class DutyOff(OncallError):
    """The job's duty is off: nothing to do. Not an error when GitHub started the run; a mistake by hand."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.exit_code = 0 if started_by_github() else 2


def duty_off(config: Config, key: str) -> str | None:
    """The one line saying a duty is off, or None when it is on."""
    from oncall_lib.duties import duty

    found = duty(key)
    if found.is_on(config):
        return None
    return (f"{found.name} is off: {config.source} has no [{found.table}] table "
            f"(add it to turn the duty on; see {found.docs})")


@dataclass(frozen=True)
class ActsOn:
    """The issue repository a job started by an issue event acts on (`repo` of the configuration), and the job's
    name for the line that says an event from another repository was left alone."""

    job: str
    repo: Callable[[Config], str]


def execute(args: argparse.Namespace, job: JobFn, render: Callable[[Report], str] | None = None, *,
            duty: str | None = None, acts_on: ActsOn | None = None) -> int:
    """Run a job as a script: exit codes, one-line errors, the report. `render` replaces the stdout text.

    With `duty` (or the parser's), a job whose duty is off says so in one line and does nothing: exit 0 when
    GitHub started the run (a schedule or an event: nothing is wrong), 2 when a person asked for it.
    With `acts_on`, a run started by an issue event from another repository than the one the job acts on writes
    nothing, reads nothing, says so in one line and succeeds (see oncall_lib.events).
    """
    dry_run = not (args.apply if args.apply is not None else in_github_actions())
    key = duty or getattr(args, "duty", None)

    def configured_job() -> Report:
        config = load_config(args.config)
        off = duty_off(config, key) if key else None
        if off:
            raise DutyOff(off)
        at = parse_at(args.at, config.team.tz, now=sandbox_clock(args)).astimezone(config.team.tz)
        elsewhere = foreign_event(acts_on.repo(config)) if acts_on else None
        if acts_on and elsewhere:
            return Report(acts_on.job, dry_run=dry_run, at=at, skipped=elsewhere)
        with open_services(args, at, save=not dry_run) as services:
            # Installation tokens for what the enabled duties need, not everything the App may do.
            services.github_permissions = app_permissions(configured_needs(config))
            report = job(services, config, at, dry_run)
        # Previews show Slack's ids as the names people see.
        report.names = {**{c.id: c.name for c in config.slack.channels if c.name},
                        **{m.slack: m.name for m in config.roster if m.slack}}
        return report

    return run_guarded(args, configured_job, render)


def run_guarded(args: argparse.Namespace, body: Callable[[], Report],
                render: Callable[[Report], str] | None = None) -> int:
    """Run `body` as a script does: logging, one-line errors and their exit codes, then the report."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ScrubbingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    try:
        report = body()
    except ConfigError as exc:
        for problem in exc.problems:
            _error(str(problem))
        return 2
    except DutyOff as exc:
        print(scrub(f"{'notice' if exc.exit_code == 0 else 'error'}: {exc}"), file=sys.stderr)
        return exc.exit_code
    except OncallError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # a bug: say so in one line, keep the traceback for --verbose
        if args.verbose:
            print(scrub(traceback.format_exc()), file=sys.stderr)
        _error(f"unexpected {type(exc).__name__}: {exc} (run with --verbose for details)")
        return 1
    emit(report, as_json=args.json, render=render)
    return report.exit_code
