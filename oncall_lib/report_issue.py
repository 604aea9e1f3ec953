"""The end-of-rotation report's issue, as the product marks it: its label and its hidden marker.

The tracking duty writes the report; the handover links it when it closes a turn's issue, and the support-issue
scan leaves it out of its listings. They find it by these, so none of them imports the tracking duty.
"""

from __future__ import annotations

import re
from datetime import datetime

REPORT_LABEL = "rotation-report"
REPORT_MARKER = re.compile(r"<!-- oncall-support:rotation-report (?P<user>[^/\s]+)/(?P<start>\S+) -->")


def report_marker(user_id: str, start: datetime) -> str:
    """The marker of the report on the turn `user_id` began at `start`."""
    return f"<!-- oncall-support:rotation-report {user_id}/{start.isoformat()} -->"
