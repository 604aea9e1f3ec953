"""What the person on support picks up when there is no active support work: the order other duties show items in."""

from __future__ import annotations

from datetime import datetime

from oncall_lib.services.github import IssueState


def pickup_order(items: list[IssueState]) -> list[IssueState]:
    """Unassigned first, then oldest."""
    return sorted(items, key=lambda i: (bool(i.assignees), i.created_at or datetime.max))
