#!/usr/bin/env python3
"""Support requests as GitHub issues linked to a Super Epic: from the issue form or Slack (the GitHub for Slack
app, a Workflow Builder connector), from a Slack thread (the button), or from ticket reactions found by the
scheduled scan (which also links support PRs); and the /oncall commands in a support issue's comments."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("support_issue.py")

from oncall_lib.cli import ActsOn, add_common_flags, add_issue_number, execute  # noqa: E402
from oncall_lib.support_issues import commands as issue_commands  # noqa: E402
from oncall_lib.support_issues import issues as support_issues  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="support_issue.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    form = commands.add_parser("from-issue", help="check and complete an issue opened from the support form")
    add_issue_number(form)
    thread = commands.add_parser("from-thread", help="open (or complete) the issue for a Slack thread")
    thread.add_argument("--permalink", required=True, help="the Slack message link (Copy link on the message)")
    thread.add_argument("--epic", required=True, help="the Super Epic's key, from oncall.toml")
    thread.add_argument("--title", help="the issue title (default: the request's first line)")
    commands.add_parser("scan", help="ticket reactions in the watched channels, support PRs, long-running issues")
    command = commands.add_parser("command", help="run the /oncall commands of a comment on a support issue")
    add_issue_number(command)
    command.add_argument("--comment-id", type=int, required=True,
                         help="the comment's id (its author and text are read from GitHub by it)")
    for sub in commands.choices.values():
        add_common_flags(sub)
        sub.set_defaults(duty="support_issues")
    args = parser.parse_args()

    if args.command == "from-issue":
        if args.number is None:
            parser.error("from-issue needs --number (or $ISSUE_NUMBER)")
        number = int(args.number)
        return execute(args, lambda s, c, at, dry: support_issues.from_issue(s, c, at, number=number, dry_run=dry),
                       acts_on=ActsOn(support_issues.JOB, lambda c: support_issues.settings(c).repo))
    if args.command == "command":
        if args.number is None:
            parser.error("command needs --number (or $ISSUE_NUMBER)")
        number = int(args.number)
        return execute(args, lambda s, c, at, dry: issue_commands.run(s, c, at, number=number,
                                                                      comment_id=args.comment_id, dry_run=dry),
                       acts_on=ActsOn(issue_commands.JOB, lambda c: support_issues.settings(c).repo))
    if args.command == "from-thread":
        return execute(args, lambda s, c, at, dry: support_issues.from_thread(
            s, c, at, link=args.permalink, epic_key=args.epic, title=args.title, dry_run=dry))
    return execute(args, lambda s, c, at, dry: support_issues.scan(s, c, at, dry_run=dry))


if __name__ == "__main__":
    sys.exit(main())
