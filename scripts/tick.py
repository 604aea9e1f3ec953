#!/usr/bin/env python3
"""The tick: every enabled duty's frequent work in one process (the request watch, the support-issue scan,
the deploy watch, and with --hourly the weekly handoff), each with its own report. Duties that are off are
not run; the tick fails at the end if any duty did."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("tick.py")

from oncall_lib import tick  # noqa: E402
from oncall_lib.cli import execute, job_parser  # noqa: E402


def main() -> int:
    parser = job_parser("tick.py", __doc__ or "")
    parser.add_argument("--hourly", action="store_true",
                        help="also run the hourly duties (the weekly handoff): the tick at :07 passes it")
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: tick.run(s, c, at, dry_run=dry, hourly=args.hourly))


if __name__ == "__main__":
    sys.exit(main())
