#!/usr/bin/env python3
"""Write a starter oncall.toml: the roster from a PagerDuty schedule's support layer (names, emails, PagerDuty
ids, and Slack ids by email; GitHub logins given with --github, with their account ids), the support channel,
and a table per duty asked for. What cannot be discovered (other GitHub logins, the Super Epics' issues,
repositories) is left blank under a TO FILL comment, which check_config.py names until it is filled. Never
overwrites a file."""

import argparse
import sys
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("init.py")

from oncall_lib.cli import add_report_flags, add_sandbox_flags, open_services, run_guarded, sandbox_clock  # noqa: E402
from oncall_lib.report import Report  # noqa: E402
from oncall_lib.setup import init_config  # noqa: E402
from oncall_lib.setup.starter import DUTIES, EXTRA_TABLES  # noqa: E402
from oncall_lib.timeutil import parse_at  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="init.py", description=__doc__)
    parser.add_argument("--schedule", required=True, metavar="PD_ID",
                        help="the PagerDuty schedule's id (or its URL)")
    parser.add_argument("--support-channel", required=True, metavar="ID_OR_NAME",
                        help="the support channel: its id (C012AB3CD) or, for a public channel, its #name")
    parser.add_argument("--layer", metavar="NAME_OR_ID",
                        help="the support layer (a shift-based schedule's rotation); default: the only or the "
                             "last created active one, and the report says which")
    parser.add_argument("--duties", default="handoff", metavar="DUTY,...",
                        help="the duties to configure, each by its key (its table's name): "
                             f"{', '.join(d for d in DUTIES if d not in EXTRA_TABLES)}; also the tables "
                             f"{', '.join(EXTRA_TABLES)}. Default: handoff, always included; a duty brings the "
                             "tables it needs")
    parser.add_argument("--epic", action="append", default=[], metavar="KEY=OWNER/REPO#N",
                        help="a Super Epic and its issue (repeat); default: incident-response and "
                             "customer-support, their issues left blank")
    parser.add_argument("--github", action="append", default=[], metavar="WHO=LOGIN",
                        help="a roster member's GitHub login (repeat), WHO their name, email or PagerDuty id: "
                             "written with the account's id (github_id), so only that account acts as them; "
                             "default: left blank")
    parser.add_argument("--spreadsheet", metavar="ID_OR_URL",
                        help="the team's Support Incidents Spreadsheet: its id is written, and where each kind's "
                             "rows would go in it is shown (adds the tracking duty)")
    parser.add_argument("--output", default="oncall.toml", metavar="PATH",
                        help="the file to create (default: %(default)s; never overwritten); - prints it")
    parser.add_argument("--dry-run", action="store_true", help="discover and report, write nothing")
    add_sandbox_flags(parser)
    add_report_flags(parser, at_zone="UTC (the team's time zone is not known yet)")
    args = parser.parse_args()
    if args.json and args.output == init_config.STDOUT:
        parser.error("--json and --output - both print to standard output: choose one")
    request = init_config.InitRequest(args.schedule, args.support_channel, args.layer, args.duties, args.epic,
                                      args.output, args.spreadsheet, args.github)
    printed: list[str] = []

    def body() -> Report:
        at = parse_at(args.at, ZoneInfo("UTC"), now=sandbox_clock(args)).astimezone(UTC)
        # Only reads: the sandbox world is never saved.
        with open_services(args, at, save=False) as services:
            report, text = init_config.run(services, request, at, dry_run=args.dry_run)
        printed.append(text)
        return report

    def to_stdout(report: Report) -> str:
        # The file goes to standard output; what was found and chosen, to standard error.
        print(report.to_text(), file=sys.stderr)
        return "" if args.dry_run else printed[0].rstrip("\n")

    return run_guarded(args, body, to_stdout if args.output == init_config.STDOUT else None)


if __name__ == "__main__":
    sys.exit(main())
