#!/usr/bin/env python3
"""IAM inactivity audit: read the credential report, list users at or past the warning point, and post
them once a day in the operations channel with each owner CC'd (nothing is posted when there are none)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("iam_audit.py")

from oncall_lib.cli import add_credential_report, add_only_at_hour, execute, job_parser  # noqa: E402
from oncall_lib.iam import audit as iam_audit  # noqa: E402


def main() -> int:
    parser = job_parser("iam_audit.py", __doc__ or "", duty="iam")
    add_credential_report(parser)
    add_only_at_hour(parser)
    parser.add_argument("--at-audit-hour", action="store_true",
                        help="do nothing unless it is [iam] audit_hour on a weekday in the team's time zone (the "
                             "schedule); fail when iam-audit.yml's cron lines can never start a run then")
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: iam_audit.run(s, c, at, dry_run=dry, report_file=args.credential_report,
                                                             only_at_hour=args.only_at_hour,
                                                             at_audit_hour=args.at_audit_hour))


if __name__ == "__main__":
    sys.exit(main())
