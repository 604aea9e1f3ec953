#!/usr/bin/env python3
"""Write the files derived from the duties' declarations (oncall_lib/duties.py): the Slack app manifest and
docs/duties.md. With --check, write nothing and exit 1 if any file differs."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("generate_docs.py")

from oncall_lib.generated import ROOT, expected_files  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="generate_docs.py", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report which files differ; exit 1 if any")
    args = parser.parse_args()
    stale = []
    for path, text in expected_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "differ" if args.check else "written"
    print(f"{verb}: {', '.join(map(str, stale))}" if stale else "every generated file is up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
