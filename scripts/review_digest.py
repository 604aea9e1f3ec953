#!/usr/bin/env python3
"""PR review digest: open, non-draft PRs awaiting review in the configured repositories (no approval since
the last push, or updated after changes were requested), once a weekday in the operations channel."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("review_digest.py")

from oncall_lib.cli import run_job  # noqa: E402
from oncall_lib.reviews import digest as review_digest  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job("review_digest.py", __doc__ or "",
                     lambda s, c, at, dry: review_digest.run(s, c, at, dry_run=dry), duty="reviews"))
