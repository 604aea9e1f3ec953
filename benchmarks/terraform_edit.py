#!/usr/bin/env python3
"""The Terraform editor on large iam_users.tf files, next to the cost of one python-hcl2 parse.

    python3 dev.py run benchmarks/terraform_edit.py [--sizes 500 5000]

Each user has a user block, a group membership, a policy attachment and an access key (four blocks),
and the file ends with a group membership listing every user: the shape of a long-lived iam_users.tf.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hcl2.api import query  # noqa: E402

from oncall_lib.terraform import remove_users  # noqa: E402


def iam_users_tf(users: int) -> str:
    parts = ["# Global IAM users\n\n"]
    for i in range(users):
        parts.append(
            f'# User {i}\nresource "aws_iam_user" "user_{i}" {{\n  name = "First{i}.Last{i}"\n  tags = {{\n'
            f'    owner = "team-{i % 7}"\n  }}\n}}\n\n'
            f'resource "aws_iam_user_group_membership" "user_{i}" {{\n  user   = aws_iam_user.user_{i}.name\n'
            f'  groups = ["devs"]\n}}\n\n'
            f'resource "aws_iam_user_policy_attachment" "user_{i}" {{\n  user       = aws_iam_user.user_{i}.name\n'
            f'  policy_arn = "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"\n}}\n\n'
            f'resource "aws_iam_access_key" "user_{i}" {{\n  user = aws_iam_user.user_{i}.name\n}}\n\n')
    members = "".join(f"    aws_iam_user.user_{i}.name,\n" for i in range(users))
    parts.append(f'resource "aws_iam_group_membership" "everyone" {{\n  name  = "everyone"\n  users = [\n{members}'
                 '  ]\n  group = "everyone"\n}\n')
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000], help="user blocks per file")
    args = parser.parse_args()
    print(f"{'user blocks':>11} {'blocks':>7} {'one parse':>10} {'remove 1 user':>14} {'remove 10 users':>16}")
    for users in args.sizes:
        text = iam_users_tf(users)
        started = time.perf_counter()
        query(text)
        parse = time.perf_counter() - started
        started = time.perf_counter()
        one = remove_users(text, [f"First{users // 2}.Last{users // 2}"])
        single = time.perf_counter() - started
        started = time.perf_counter()
        ten = remove_users(text, [f"First{i}.Last{i}" for i in range(0, users, max(1, users // 10))][:10])
        several = time.perf_counter() - started
        assert len(one.removed) == 5 and len(ten.removed) == 50
        print(f"{users:>11} {users * 4 + 1:>7} {parse:>9.2f}s {single:>13.2f}s {several:>15.2f}s")


if __name__ == "__main__":
    main()
