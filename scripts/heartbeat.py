#!/usr/bin/env python3
"""The dead man's switch: keep one Slack message scheduled [automation] heartbeat_hours ahead in
[automation] heartbeat_channel (default: the operations channel, else the support channel), saying the automation
has stopped; each run replaces it, so Slack posts it only if the runs stop."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.cli import run_job  # noqa: E402
from oncall_lib.setup import heartbeat  # noqa: E402


def main() -> int:
    return run_job("heartbeat.py", __doc__ or "", lambda s, c, at, dry: heartbeat.run(s, c, at, dry_run=dry))


if __name__ == "__main__":
    sys.exit(main())
