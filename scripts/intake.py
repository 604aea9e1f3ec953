#!/usr/bin/env python3
"""The tick's intake: in the support repository, every support request, offboarding or approved access request,
postmortem item and /oncall comment that no event run handled (the event never reached this repository, or
Actions cancelled or dropped its run), done once, as its event workflow would have. One listing of recently
updated issues and one of comments per run. The tick runs it; this runs it alone, and with --fresh it is the run
the support repository's caller workflow asks for when an event arrives there (support-events.yml)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("intake.py")

from oncall_lib import intake  # noqa: E402
from oncall_lib.cli import execute, job_parser  # noqa: E402


def main() -> int:
    parser = job_parser("intake.py", __doc__ or "", duty="support_issues")
    parser.add_argument("--fresh", action="store_true",
                        help="only what changed within [support_issues] event_grace_minutes: the run an event in the "
                             "support repository asked for (the tick takes the rest)")
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: intake.run(s, c, at, dry_run=dry, fresh=args.fresh))


if __name__ == "__main__":
    sys.exit(main())
