"""The IAM inactivity rule, over an AWS credential report (CSV). Pure functions.

The rule: a user's last activity is the latest of `password_last_used` and
both access keys' `last_used_date`. A user who never used any credential
counts from `user_creation_time`: a never-used account is as inactive as an
abandoned one, and the 90-day ATO limit applies to both (AWS's own remediation
guidance does the same; Prowler skips such users, which would hide them).
`N/A`, `no_information` and `not_supported` mean "no date". The root account
row is never reported.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from oncall_lib.errors import InputError

NO_DATE = {"", "n/a", "no_information", "not_supported", "none"}
ROOT = "<root_account>"
REQUIRED_COLUMNS = ("user", "user_creation_time", "password_last_used", "access_key_1_last_used_date",
                    "access_key_2_last_used_date")
ACTIVITY_COLUMNS = {
    "password_last_used": "console password",
    "access_key_1_last_used_date": "access key 1",
    "access_key_2_last_used_date": "access key 2",
}


@dataclass(frozen=True)
class Finding:
    user: str
    last_activity: datetime
    days_inactive: int
    status: Literal["over_limit", "warning"]
    basis: str  # which credential, or "never used (counted from creation)"

    def as_dict(self) -> dict[str, object]:
        return {"user": self.user, "last_activity": self.last_activity.isoformat(),
                "days_inactive": self.days_inactive, "status": self.status, "basis": self.basis}


def _date(value: str | None) -> datetime | None:
    text = (value or "").strip()
    if text.lower() in NO_DATE:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_credential_report(text: str, *, source: str = "credential report") -> list[dict[str, str]]:
    """The report's rows; a missing column or an unreadable creation time is an error naming the line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{source}: not an IAM credential report (missing column(s) {', '.join(missing)})")
    rows = []
    for line, row in enumerate(reader, start=2):
        if row.get("user") == ROOT:
            continue
        if _date(row.get("user_creation_time")) is None:
            raise InputError(f"{source}:{line}: user {row.get('user')!r} has no readable user_creation_time "
                             f"({row.get('user_creation_time')!r})")
        rows.append({k: (v or "") for k, v in row.items() if k is not None})
    return rows


def last_activity(row: dict[str, str]) -> tuple[datetime, str]:
    used = [(when, label) for column, label in ACTIVITY_COLUMNS.items() if (when := _date(row.get(column)))]
    if used:
        return max(used)
    created = _date(row.get("user_creation_time"))
    assert created is not None  # checked when parsing
    return created, "never used (counted from creation)"


def audit(rows: list[dict[str, str]], at: datetime, *, limit_days: int, warning_days: int) -> list[Finding]:
    """Users at or past the warning point, most inactive first."""
    findings = []
    for row in rows:
        when, basis = last_activity(row)
        days = (at - when).days
        if days >= warning_days:
            status: Literal["over_limit", "warning"] = "over_limit" if days >= limit_days else "warning"
            findings.append(Finding(row["user"], when, days, status, basis))
    return sorted(findings, key=lambda f: (-f.days_inactive, f.user))


AWS_USERNAME = re.compile(r"^[\w+=,.@-]{1,64}$")  # IAM's rule for user names


def user_names(value: str) -> list[str]:
    """A --user value: one AWS username, or several separated by commas."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"{value!r} names no user")
    return names


def add_users(parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup, **kwargs: Any) -> None:
    """--user as every command that takes AWS usernames spells it: repeated, or comma-separated, or both.
    `args.user` is then a list of lists (see `flat_users`)."""
    parser.add_argument("--user", action="append", type=user_names, metavar="NAME",
                        help="an AWS username (repeat the flag, or separate names with commas)", **kwargs)


def flat_users(values: list[list[str]] | None) -> list[str]:
    return [name for names in values or [] for name in names]


def validate_usernames(users: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(u.strip() for u in users if u.strip()))
    bad = [u for u in cleaned if not AWS_USERNAME.match(u)]
    if bad:
        raise InputError(f"not an AWS IAM user name: {', '.join(repr(u) for u in bad)} "
                         "(letters, digits and +=,.@_- only, at most 64 characters)")
    if not cleaned:
        raise InputError("no user given: pass --user NAME (or --from-audit)")
    return cleaned
