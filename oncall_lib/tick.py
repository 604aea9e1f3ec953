"""The tick: every enabled duty's frequent work in one process, each with its own report, after the intake
(every issue event no event run handled: oncall_lib/intake.py).

One process reads the shared facts once (who is on support, the watched
channels' history) and hands the same services to each duty. A duty that is
off is not run; one that fails does not stop the others; the tick fails at the
end if any did.
"""

from __future__ import annotations

from datetime import datetime

from oncall_lib import intake
from oncall_lib.config import Config
from oncall_lib.duties import DUTIES
from oncall_lib.duty import Duty
from oncall_lib.errors import OncallError
from oncall_lib.report import CombinedReport, Report
from oncall_lib.services import Services
from oncall_lib.setup import heartbeat

JOB = "tick"


def due(config: Config, *, hourly: bool) -> list[Duty]:
    """The enabled duties this tick runs: every tick's, and the hourly ones on the hourly tick."""
    every = [d for d in DUTIES if d.is_on(config) and d.runs.tick == "every"]
    # The hourly ones last: the handoff message then lists what is waiting after this tick's watch and scan.
    return every + [d for d in DUTIES if hourly and d.is_on(config) and d.runs.tick == "hourly"]


def run(services: Services, config: Config, at: datetime, *, dry_run: bool, hourly: bool) -> CombinedReport:
    combined = CombinedReport(JOB, dry_run=dry_run, at=at)
    if config.support_issues is not None:
        # First: what no event run did (events only reach workflows in the support repository; Actions cancels
        # and drops runs), so the duties' own work below sees those issues complete (oncall_lib/intake.py).
        try:
            taken_in = intake.run(services, config, at, dry_run=dry_run)
        except OncallError as exc:
            taken_in = Report(intake.JOB, dry_run=dry_run, at=at)
            taken_in.errors.append(str(exc))
        combined.add("Intake", taken_in)
    for duty in due(config, hourly=hourly):
        try:
            part = duty.tick_job()(services, config, at, dry_run=dry_run)
        except OncallError as exc:
            part = Report(duty.runs.tick_entry.rpartition(":")[0].rpartition(".")[2], dry_run=dry_run, at=at)
            part.errors.append(str(exc))
        combined.add(duty.title, part)
    # Last, the dead man's switch: its Slack message moves a few hours past this tick, so it posts only if the
    # ticks stop (whatever the duties did: a tick that runs and fails is red in Actions already).
    if config.automation.heartbeat_hours:
        try:
            beat = heartbeat.run(services, config, at, dry_run=dry_run)
        except OncallError as exc:
            beat = Report(heartbeat.JOB, dry_run=dry_run, at=at)
            beat.errors.append(str(exc))
        combined.add("The dead man's switch", beat)
    combined.facts = {"duties run": ", ".join(t for t, _ in combined.parts if t != "The dead man's switch") or "none",
                      "duties off": ", ".join(d.title for d in DUTIES if not d.is_on(config)) or "none"}
    combined.api_calls = services.calls.snapshot()
    return combined
