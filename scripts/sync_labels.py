#!/usr/bin/env python3
"""Labels as code: create or update every label in .github/labels.yml in the configured repositories
(never deleting one, never touching labels the file does not list)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("sync_labels.py")

from oncall_lib.cli import execute, job_parser  # noqa: E402
from oncall_lib.setup import labels  # noqa: E402


def main() -> int:
    parser = job_parser("sync_labels.py", __doc__ or "")
    parser.add_argument("--labels", type=Path, default=labels.LABELS_FILE, metavar="FILE",
                        help="the labels file (default: %(default)s)")
    args = parser.parse_args()
    return execute(args, lambda s, c, at, dry: labels.run(s, c, at, dry_run=dry, path=args.labels))


if __name__ == "__main__":
    sys.exit(main())
