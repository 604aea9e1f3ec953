#!/usr/bin/env python3
"""The quarter's fair share: per person, turns held, hours on support, requests acknowledged, after-hours
requests, support issues handled, covers given and taken, as a GitHub issue with Mermaid charts (updated in
place), for the review to adjust the process with figures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.cli import execute, job_parser  # noqa: E402
from oncall_lib.jobs import fair_share  # noqa: E402


def main() -> int:
    parser = job_parser("fair_share.py", __doc__ or "")
    parser.add_argument("--quarter", metavar="YEARQn",
                        help="the quarter, like 2026Q4 (default: the one --at falls in, so far)")
    parser.add_argument("--format", choices=("md",), help="print the page itself instead of the job's report")
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: fair_share.run(s, c, at, dry_run=dry, quarter=args.quarter),
                   render=(lambda report: report.markdown or "\n".join(report.errors)) if args.format else None)


if __name__ == "__main__":
    sys.exit(main())
