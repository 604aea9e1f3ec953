#!/usr/bin/env python3
"""Log a task in the Support Incidents Spreadsheet (the worksheet for its kind), with the person on support.
The same task logged twice the same day is one row."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("log_task.py")

from oncall_lib.cli import execute, job_parser  # noqa: E402
from oncall_lib.config import TASK_KINDS  # noqa: E402
from oncall_lib.timeutil import minutes  # noqa: E402
from oncall_lib.tracking import log as tracking  # noqa: E402


def main() -> int:
    parser = job_parser("log_task.py", __doc__ or "", duty="tracking")
    parser.add_argument("--kind", required=True, choices=TASK_KINDS, help="the kind of task (its worksheet)")
    parser.add_argument("--summary", required=True, help="what was done, in a line")
    parser.add_argument("--link", default="", help="an issue, PR or Slack link")
    parser.add_argument("--minutes", type=minutes, help="minutes spent on it (0 to a week)")
    parser.add_argument("--channel", default="", help="the Slack channel it came from")
    parser.add_argument("--requester", default="", help="who asked")
    args = parser.parse_args()
    if not args.summary.strip():
        parser.error("--summary is empty")
    return execute(args, lambda s, c, at, dry: tracking.log_task(
        s, c, at, dry_run=dry, kind=args.kind, summary=args.summary, link=args.link, minutes=args.minutes,
        channel=args.channel, requester=args.requester))


if __name__ == "__main__":
    sys.exit(main())
