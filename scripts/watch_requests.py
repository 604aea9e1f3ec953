#!/usr/bin/env python3
"""Request watch: find requests in the watched Slack channels that nobody has acknowledged, DM the person
on support when one passes the warning age, and tell the operations channel when one passes the limit; with
[answers], reply once to a new request that matches a known question; with [tracking], log what it did."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("watch_requests.py")

from oncall_lib.cli import run_job  # noqa: E402
from oncall_lib.requests import watch  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job("watch_requests.py", __doc__ or "", lambda s, c, at, dry: watch.run(s, c, at, dry_run=dry),
                     duty="requests"))
