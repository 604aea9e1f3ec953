#!/usr/bin/env python3
"""Validate oncall.toml without calling any API: one line per problem, exit 2 if there are any."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall_lib.cli import DEFAULT_CONFIG  # noqa: E402
from oncall_lib.config import ConfigError, load_config  # noqa: E402
from oncall_lib.errors import InputError  # noqa: E402
from oncall_lib.jobs.answers import answers_of  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH")
    args = parser.parse_args()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if config.answers:
        try:
            known = answers_of(config)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{config.folder / config.answers.file}: ok ({len(known)} answers)")
    print(f"{args.config}: ok ({len(config.roster)} people, {len(config.super_epics)} Super Epics, "
          f"{len(config.slack.channels)} channels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
