#!/usr/bin/env python3
"""The Terraform editor on large iam_users.tf files, beside one python-hcl2 parse and one tree-sitter parse.

    python3 dev.py run benchmarks/terraform_edit.py [--sizes 500 2000 5000]

Each user has a user block with tags, a group membership, a login profile, a policy attachment and an access
key (five blocks); the file ends with a group membership listing 200 users. The editor removes 10 users spread
over the file. All three are measured in the same run, on the same text, best of --repeat.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hcl2.api import query  # noqa: E402

from oncall_lib.iam.terraform import remove_users  # noqa: E402
from oncall_lib.iam.terraform.syntax import parse  # noqa: E402


def iam_users_tf(users: int) -> str:
    parts = ["# Global IAM users\n\n"]
    for i in range(users):
        parts.append(
            f'# User {i}\nresource "aws_iam_user" "user_{i}" {{\n  name = "First{i}.Last{i}"\n  tags = {{\n'
            f'    owner = "team-{i % 7}"\n  }}\n}}\n\n'
            f'resource "aws_iam_user_group_membership" "user_{i}" {{\n  user   = aws_iam_user.user_{i}.name\n'
            f'  groups = ["devs"]\n}}\n\n'
            f'resource "aws_iam_user_login_profile" "user_{i}" {{\n  user                    = '
            f'aws_iam_user.user_{i}.name\n  password_reset_required = true\n}}\n\n'
            f'resource "aws_iam_user_policy_attachment" "user_{i}" {{\n  user       = aws_iam_user.user_{i}.name\n'
            f'  policy_arn = "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"\n}}\n\n'
            f'resource "aws_iam_access_key" "user_{i}" {{\n  user = aws_iam_user.user_{i}.name\n}}\n\n')
    members = "".join(f"    aws_iam_user.user_{i}.name,\n" for i in range(min(users, 200)))
    parts.append(f'resource "aws_iam_group_membership" "everyone" {{\n  name  = "everyone"\n  users = [\n{members}'
                 '  ]\n  group = "everyone"\n}\n')
    return "".join(parts)


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000], help="users per file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the best kept")
    args = parser.parse_args()
    print(f"{'users':>6} {'python-hcl2 parse':>18} {'tree-sitter parse':>18} {'editor (10 users)':>18} "
          f"{'editor / hcl2':>14} {'editor / tree-sitter':>21}")
    edits = {}
    for users in args.sizes:
        text = iam_users_tf(users)
        data = text.encode()
        removing = [f"First{i}.Last{i}" for i in range(0, users, max(1, users // 10))][:10]
        result = remove_users(text, removing)
        assert len(result.removed) >= 50 and not result.warnings, result.warnings
        hcl2 = best(1 if users > 1000 else args.repeat, lambda text=text: query(text))
        tree = best(args.repeat, lambda data=data: parse(data, "iam_users.tf"))
        edit = best(args.repeat, lambda text=text, removing=removing: remove_users(text, removing))
        edits[users] = edit
        print(f"{users:>6} {hcl2:>17.2f}s {tree:>17.3f}s {edit:>17.3f}s {edit / hcl2:>13.3f}x {edit / tree:>20.2f}x")
    if 2000 in edits and 5000 in edits:
        print(f"\n5,000 users cost {edits[5000] / edits[2000]:.2f}x the 2,000-user edit (linear: 2.5x)")


if __name__ == "__main__":
    main()
