#!/usr/bin/env python3
"""End-of-rotation report: requests per channel, time to acknowledge (median, p90, share within the limit,
the breaches), support issues, the tasks logged in the tracking sheet, and the same for the four rotations
before, as a GitHub issue with Mermaid charts (updated in place) and a Slack summary linking to it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("rotation_report.py")

from oncall_lib.cli import add_format_flag, add_only_at_hour, execute, job_parser, published  # noqa: E402
from oncall_lib.tracking import report as rotation_report  # noqa: E402


def main() -> int:
    parser = job_parser("rotation_report.py", __doc__ or "", duty="tracking")
    add_format_flag(parser)
    add_only_at_hour(parser)
    parser.add_argument("--before-handoff", action="store_true",
                        help="do nothing unless it is the hour before the handoff (rotation.handoff_weekday and "
                             "handoff_hour, in the team's time zone): for the scheduled run")
    args = parser.parse_args()

    def job(services, config, at, dry_run):  # type: ignore[no-untyped-def]
        return rotation_report.run(services, config, at, dry_run=dry_run, only_at_hour=args.only_at_hour,
                                   only_before_handoff=args.before_handoff)

    return execute(args, job, render=(lambda report: published(report, args.format)) if args.format else None)


if __name__ == "__main__":
    sys.exit(main())
