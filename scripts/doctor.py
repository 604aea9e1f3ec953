#!/usr/bin/env python3
"""Check a setup before the first real run, read-only, for what would fail tomorrow: oncall.toml, a warning
for each step a missing setting silently turns off, each token against its API and the scopes or permissions
the jobs need, which GitHub App installation covers which repository and what is missing, every workflow
GitHub has turned off, the app's membership of every channel a duty reads or posts to, the roster in Slack,
GitHub and PagerDuty, everyone the support layer hands the role to in the next six weeks, the review's people,
the ZenHub epics, the tracking sheet and the IAM credential report. One line per check: ok, WARN, skip (not
checked, and why) or FAIL; only a FAIL fails the run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("doctor.py")

from oncall_lib.cli import execute, job_parser  # noqa: E402
from oncall_lib.duty import Check  # noqa: E402
from oncall_lib.report import Report  # noqa: E402
from oncall_lib.setup import doctor  # noqa: E402


def lines(report: Report) -> str:
    checks = [Check.from_record(c) for c in report.extra.get("checks", [])]
    out = [c.line() for c in checks]
    out.append(doctor.summary(checks) if checks else "\n".join(report.errors))
    return "\n".join(out)


def main() -> int:
    args = job_parser("doctor.py", __doc__ or "", writes=False).parse_args()
    return execute(args, lambda s, c, at, dry: doctor.run(s, c, at, dry_run=True),
                   render=None if args.json else lines)


if __name__ == "__main__":
    sys.exit(main())
