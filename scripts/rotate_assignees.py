#!/usr/bin/env python3
"""Weekly handoff: assign the person on PagerDuty's support layer to the Super Epics,
unassign last week's, set the support channel topic, post the handoff message and DM; the working day before a
turn, a heads-up DM to the next person; with [rotation] slack_user_group, keep its one member; with [handover],
open the turn's handover issue and close the last one; with [tracking], log the handoff in the sheet."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from oncall_lib.environment import require_project_environment  # noqa: E402

require_project_environment("rotate_assignees.py")

from oncall_lib.cli import run_job  # noqa: E402
from oncall_lib.handoff import rotate  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job("rotate_assignees.py", __doc__ or "", lambda s, c, at, dry: rotate.run(s, c, at, dry_run=dry)))
