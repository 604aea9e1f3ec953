#!/usr/bin/env python3
"""Postmortem action items: `label` an issue that is one (and put it on the incident-response epic),
`scan` the postmortem documents for items without issues (and draft the PR that records their numbers),
or list what the person on support can `pickup`."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("postmortems.py")

from oncall_lib.cli import ActsOn, add_common_flags, add_issue_number, execute  # noqa: E402
from oncall_lib.postmortems import items as postmortems  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="postmortems.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    label = commands.add_parser("label", help="label and link an issue that is a postmortem action item")
    add_issue_number(label)
    commands.add_parser("scan", help="open issues for items in the postmortem documents, and draft the PR")
    commands.add_parser("pickup", help="open postmortem items, unassigned first, then oldest")
    for name, sub in commands.choices.items():
        add_common_flags(sub, writes=name != "pickup")  # pickup only lists
        sub.set_defaults(duty="postmortems")
    args = parser.parse_args()
    if args.command == "label":
        if args.number is None:
            parser.error("label needs --number (or $ISSUE_NUMBER)")
        number = int(args.number)
        return execute(args, lambda s, c, at, dry: postmortems.label_item(s, c, at, number=number, dry_run=dry),
                       acts_on=ActsOn(postmortems.JOB, postmortems.items_repo))
    if args.command == "scan":
        return execute(args, lambda s, c, at, dry: postmortems.scan_documents(s, c, at, dry_run=dry))
    return execute(args, lambda s, c, at, dry: postmortems.pickup(s, c, at, dry_run=dry),
                   render=None if args.json else (lambda r: r.markdown))


if __name__ == "__main__":
    sys.exit(main())
