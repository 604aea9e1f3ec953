#!/usr/bin/env python3
"""The tick, in one process, each part with its own report: first the intake (the support repository's issues
and comments that no event run handled: forms, /oncall commands, labels), then every enabled duty's frequent
work ({every}; with --hourly also {hourly}), and last the dead man's switch (a Slack message kept scheduled
[automation] heartbeat_hours ahead, which Slack posts only if the ticks stop). Duties that are off are not run;
one that fails does not stop the others, and the tick fails at the end if any did."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("tick.py")

from oncall_lib import tick  # noqa: E402
from oncall_lib.cli import execute, job_parser  # noqa: E402
from oncall_lib.duties import DUTIES  # noqa: E402


def description() -> str:
    """The docstring with the duties each kind of tick runs, as the duties declare it."""
    def named(kind: str) -> str:
        return ", ".join(d.name for d in DUTIES if d.runs.tick == kind) or "none"
    return (__doc__ or "").format(every=named("every"), hourly=named("hourly"))


def main() -> int:
    parser = job_parser("tick.py", description())
    parser.add_argument("--hourly", action="store_true",
                        help="also run the hourly duties (the weekly handoff): the tick at :07 passes it")
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: tick.run(s, c, at, dry_run=dry, hourly=args.hourly))


if __name__ == "__main__":
    sys.exit(main())
