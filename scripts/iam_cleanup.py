#!/usr/bin/env python3
"""Remove IAM users from iam_users.tf: `edit` a local file (text in, text out), or draft the `pr` in the devops
repository that removes them (one branch and PR per set of users; a person reviews, merges and applies)."""

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("iam_cleanup.py")

from oncall_lib.iam.inactivity import add_users, flat_users  # noqa: E402


def edit(path: Path, users: list[str], show_diff: bool) -> int:
    # The local editor imports only what it uses: no SDK, no sandbox, no configuration.
    from oncall_lib.errors import InputError
    from oncall_lib.iam.inactivity import validate_usernames
    from oncall_lib.iam.terraform import remove_users

    try:
        names = validate_usernames(users)
        original = path.read_bytes().decode("utf-8")
        result = remove_users(original, names, path=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {path}: cannot read: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if show_diff:
        sys.stdout.writelines(difflib.unified_diff(original.splitlines(keepends=True),
                                                   result.text.splitlines(keepends=True),
                                                   fromfile=f"a/{path}", tofile=f"b/{path}"))
        return 0
    # Write next to the file, then rename: an interrupted run never leaves half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(result.text.encode("utf-8"))
    os.replace(temporary, path)
    print(f"{path}: removed {len(result.removed)} item(s) for {', '.join(names)}:")
    for item in result.removed:
        print(f"  - {item}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="iam_cleanup.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    edit_parser = commands.add_parser("edit", help="remove users from a local Terraform file")
    edit_parser.add_argument("--file", type=Path, required=True, help="the Terraform file (iam_users.tf)")
    add_users(edit_parser, required=True)
    edit_parser.add_argument("--diff", action="store_true", help="print a unified diff instead of writing the file")
    pr_parser = commands.add_parser("pr", help="draft the PR that removes users in the devops repository")
    pr_parser.set_defaults(duty="iam")
    who = pr_parser.add_mutually_exclusive_group(required=True)
    add_users(who)
    who.add_argument("--from-audit", action="store_true", help="every user the audit finds past the limit")
    if sys.argv[1:2] != ["edit"]:  # the local editor never loads the job machinery (config, SDKs, sandbox)
        from oncall_lib.cli import add_common_flags, add_credential_report

        add_credential_report(pr_parser)
        add_common_flags(pr_parser)
    args = parser.parse_args()
    if args.command == "edit":
        return edit(args.file, flat_users(args.user), args.diff)
    from oncall_lib.cli import execute
    from oncall_lib.iam import cleanup as iam_cleanup

    users = flat_users(args.user)
    return execute(args, lambda s, c, at, dry: iam_cleanup.run(s, c, at, dry_run=dry, users=users,
                                                               from_audit=args.from_audit,
                                                               report_file=args.credential_report))


if __name__ == "__main__":
    sys.exit(main())
