#!/usr/bin/env python3
"""Access grant: when the approval label is added, check that whoever added it (the event's sender) is an
approver; then add the user to the tool's GitHub team, or post the tool's checklist for a person."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("access.py")

from oncall_lib.cli import ActsOn, add_issue_number, execute, job_parser  # noqa: E402
from oncall_lib.offboarding import requests as offboarding  # noqa: E402


def main() -> int:
    parser = job_parser("access.py", __doc__ or "", duty="access")
    add_issue_number(parser, "the access request issue")
    parser.add_argument("--sender", default=os.environ.get("EVENT_SENDER"),
                        help="who added the label, from the event payload (default: $EVENT_SENDER)")
    parser.add_argument("--label", default=os.environ.get("EVENT_LABEL"),
                        help="the label that was added (default: $EVENT_LABEL)")
    parser.add_argument("--sender-type", default=os.environ.get("EVENT_SENDER_TYPE") or "User",
                        help="the sender's account type from the event payload, User or Bot (default: "
                             "$EVENT_SENDER_TYPE, else User); an app or bot never approves")
    parser.add_argument("--edited", action="store_true", default=os.environ.get("EVENT_ACTION") == "edited",
                        help="the request was edited (default: $EVENT_ACTION is `edited`): an approval given before "
                             "the edit is withdrawn")
    args = parser.parse_args()
    if args.edited and args.number:
        number = int(args.number)
        return execute(args, lambda s, c, at, dry: offboarding.recheck(s, c, at, number=number, dry_run=dry),
                       acts_on=ActsOn(offboarding.ACCESS_JOB, offboarding.requests_repo))
    if not (args.number and args.sender and args.label):
        parser.error("--number, --sender and --label (or $ISSUE_NUMBER, $EVENT_SENDER, $EVENT_LABEL) are required")
    number, sender, label = int(args.number), str(args.sender), str(args.label)
    bot = str(args.sender_type).casefold() == "bot"
    return execute(args, lambda s, c, at, dry: offboarding.grant(s, c, at, number=number, sender=sender, label=label,
                                                                 dry_run=dry, sender_is_bot=bot),
                   acts_on=ActsOn(offboarding.ACCESS_JOB, offboarding.requests_repo))


if __name__ == "__main__":
    sys.exit(main())
