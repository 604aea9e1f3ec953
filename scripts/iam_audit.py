#!/usr/bin/env python3
"""IAM inactivity audit: read the credential report, list users at or past the warning point, and post
them once a day in the operations channel with each owner CC'd (nothing is posted when there are none)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.cli import execute, job_parser  # noqa: E402
from oncall_lib.iam import audit as iam_audit  # noqa: E402
from oncall_lib.timeutil import hour_of_day  # noqa: E402


def main() -> int:
    parser = job_parser("iam_audit.py", __doc__ or "", duty="iam")
    parser.add_argument("--credential-report", type=Path, metavar="FILE",
                        help="audit an exported credential report (CSV) instead of asking AWS")
    parser.add_argument("--only-at-hour", type=hour_of_day, metavar="HOUR",
                        help="do nothing unless it is this hour in the team's time zone (for UTC cron schedules)")
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: iam_audit.run(s, c, at, dry_run=dry, report_file=args.credential_report,
                                                             only_at_hour=args.only_at_hour))


if __name__ == "__main__":
    sys.exit(main())
