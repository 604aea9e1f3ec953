#!/usr/bin/env python3
"""The quarter's fair share: per person, turns held, hours on support, requests acknowledged, after-hours
requests, support issues handled, covers given and taken, as a GitHub issue with Mermaid charts (updated in
place), for the review to adjust the process with figures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.cli import add_format_flag, execute, job_parser, published  # noqa: E402
from oncall_lib.tracking import fair_share_page as fair_share  # noqa: E402


def main() -> int:
    parser = job_parser("fair_share.py", __doc__ or "", duty="tracking")
    parser.add_argument("--quarter", metavar="YEARQn",
                        help="the quarter, like 2026Q4 (default: the one --at falls in, so far)")
    add_format_flag(parser)
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: fair_share.run(s, c, at, dry_run=dry, quarter=args.quarter),
                   render=(lambda report: published(report, args.format)) if args.format else None)


if __name__ == "__main__":
    sys.exit(main())
