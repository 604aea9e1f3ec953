#!/usr/bin/env python3
"""Offboarding request: draft the PR that removes the person's IAM user and SOCKS key, keep one status
comment on the issue, tick the checklist steps done, log it. Nothing is removed until a person merges."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("offboard.py")

from oncall_lib.cli import ActsOn, add_issue_number, execute, job_parser  # noqa: E402
from oncall_lib.offboarding import requests as offboarding  # noqa: E402


def main() -> int:
    parser = job_parser("offboard.py", __doc__ or "", duty="offboarding")
    add_issue_number(parser, "the offboarding issue")
    args = parser.parse_args()
    if args.number is None:
        parser.error("--number (or $ISSUE_NUMBER) is required")
    number = int(args.number)
    return execute(args, lambda s, c, at, dry: offboarding.offboard(s, c, at, number=number, dry_run=dry),
                   acts_on=ActsOn(offboarding.JOB, offboarding.requests_repo))


if __name__ == "__main__":
    sys.exit(main())
