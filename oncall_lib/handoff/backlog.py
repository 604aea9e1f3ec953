"""What waits for the person taking over: read once, shown in the team's handoff message, the DMs and the
handover issue.

Each duty that is on says what it has waiting (its `contributes.handoff` section: requests nobody has
acknowledged, open support issues, postmortem items to pick up, open cleanup and offboarding PRs, access
requests not yet approved; the handoff's own is normal oncall's incidents since the last handoff), gathered
through the registry in its order. The handoff imports none of them: a duty that is off shows nothing, and a
section that fails costs only itself (a warning), never the handoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from oncall_lib import registry
from oncall_lib.config import Config
from oncall_lib.contributions import HandoffContext, HandoffSection
from oncall_lib.services import Services


@dataclass
class Backlog:
    sections: list[HandoffSection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def message_lines(self) -> list[str]:
        """The sections' lines in the team's handoff message."""
        return [line for section in self.sections for line in section.message]

    def heads_up_lines(self) -> list[str]:
        return [line for section in self.sections for line in section.heads_up]

    def markdown(self) -> list[str]:
        """The handover issue's sections, one blank line apart."""
        lines: list[str] = []
        for section in self.sections:
            if section.markdown:
                lines += ([""] if lines else []) + section.markdown
        return lines

    def first(self, *, now: bool) -> HandoffSection | None:
        """The section the start-of-turn DM starts with: one to act on before anything else (`now`), or one to
        pick up when nothing more pressing waits."""
        return next((s for s in self.sections if s.first and s.first_lines and s.first_now == now), None)


def read_backlog(services: Services, config: Config, at: datetime, since: datetime | None = None, *,
                 issue: bool = False, heads_up: bool = False) -> Backlog:
    """The sections of the duties that are on: with `since`, what happened since then too (normal oncall's
    incidents); with `issue`, the parts only the handover issue shows; with `heads_up`, those of the DM the
    working day before a turn."""
    backlog = Backlog()
    context = HandoffContext(services, at, since, issue=issue, heads_up=heads_up)
    backlog.sections = registry.gather(config, "handoff", backlog.warnings, "the handoff", context)
    for section in backlog.sections:
        backlog.warnings += section.warnings
    return backlog
