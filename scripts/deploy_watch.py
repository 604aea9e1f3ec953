#!/usr/bin/env python3
"""Failed-deploy triage: for each new failed run of the configured deploy workflows, post once in the
deploys channel the failed job and step, the log around the error, the commits since the last success and
their likely owners (authors and code owners), or say that no owner was found and invite the person on support."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("deploy_watch.py")

from oncall_lib.cli import run_job  # noqa: E402
from oncall_lib.deploys import watch as deploy_watch  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job("deploy_watch.py", __doc__ or "", lambda s, c, at, dry: deploy_watch.run(s, c, at, dry_run=dry),
                     duty="deploys"))
