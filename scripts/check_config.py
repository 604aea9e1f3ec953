#!/usr/bin/env python3
"""Validate oncall.toml without calling any API: every problem in one pass, one line each with its line number
(values, references between tables, tables a duty still needs), then which duties are on and what each needs,
and a warning for each step a missing setting silently turns off. Exit 2 if there is any problem."""

import argparse
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("check_config.py")

from oncall_lib.answers.reply import answers_of  # noqa: E402
from oncall_lib.cli import add_config_flag  # noqa: E402
from oncall_lib.config import ConfigError, load_config  # noqa: E402
from oncall_lib.duties import describe, tables_missing  # noqa: E402
from oncall_lib.errors import InputError  # noqa: E402
from oncall_lib.setup.coverage import steps_left_out  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="check_config.py", description=__doc__)
    add_config_flag(parser)
    args = parser.parse_args()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems + _tables_missing(args.config):
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if config.answers:
        try:
            known = answers_of(config)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{config.folder / config.answers.file}: ok ({len(known)} answers)")
    lines, problems = describe(config)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{args.config}: {'ok' if not problems else 'valid, but incomplete'} ({len(config.roster)} "
          f"{'person' if len(config.roster) == 1 else 'people'}, "
          f"{len(config.super_epics)} Super Epics, {len(config.slack.channels)} "
          f"channel{'' if len(config.slack.channels) == 1 else 's'})")
    print("\n".join(lines))
    for left_out in steps_left_out(config):
        print(f"warning: {left_out.line}")
    return 2 if problems else 0


def _tables_missing(path: Path) -> list[str]:
    """With other problems, what the duties on still need (once the file loads, describe() says it)."""
    try:
        return tables_missing(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []


if __name__ == "__main__":
    sys.exit(main())
