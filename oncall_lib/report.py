"""The report every job prints: a table for people, JSON for machines, Markdown for Actions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oncall_lib.plan import Outcome, Status
from oncall_lib.preview import markdown_block, preview_of, text_lines


@dataclass
class Report:
    job: str
    dry_run: bool
    at: datetime | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    api_calls: dict[str, dict[str, int]] = field(default_factory=dict)
    # Things a person should know that did not stop the job (a roster gap, say).
    warnings: list[str] = field(default_factory=list)
    # Problems that kept the job from doing its work at all.
    errors: list[str] = field(default_factory=list)
    # What the job found, for the summary and for machines (who is on support, ...).
    facts: dict[str, Any] = field(default_factory=dict)
    # Job-specific top-level keys of the JSON report (the IAM audit's "findings", say).
    extra: dict[str, Any] = field(default_factory=dict)
    # Markdown for people that goes into the job summary after the table (the rotation report, say).
    markdown: str = ""
    # Slack user and channel ids with the names people know them by: previews show mentions as names.
    names: dict[str, str] = field(default_factory=dict)
    # Why the run did not act at all (an event from another repository, say): the whole report is this line.
    skipped: str = ""

    def stopped(self, error: Exception, api_calls: dict[str, dict[str, int]]) -> Report:
        """The report of a run that could not read what it needed: one error, the calls it made, no actions."""
        self.errors.append(str(error))
        self.api_calls = api_calls
        return self

    def gone(self, error: Exception, api_calls: dict[str, dict[str, int]]) -> Report:
        """The report of a run whose issue or comment was deleted before it read it: nothing to do, one line."""
        self.skipped = f"{error}: deleted before this run, nothing to do"
        self.api_calls = api_calls
        return self

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in (Status.FAILED, Status.SKIPPED)]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or self.failed else 0

    def total_calls(self, kind: str | None = None) -> int:
        kinds = ("reads", "writes") if kind is None else (kind,)
        return sum(counts.get(k, 0) for counts in self.api_calls.values() for k in kinds)

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "dry_run": self.dry_run,
            "at": self.at.isoformat() if self.at else None,
            "actions": [
                {
                    "kind": o.action.kind,
                    "target": o.action.target,
                    "status": o.status.value,
                    "detail": o.action.detail + (f" ({o.error})" if o.error else ""),
                    **({"preview": preview.as_dict(self.names)} if (preview := preview_of(o.action)) else {}),
                }
                for o in self.outcomes
            ],
            "api_calls": self.api_calls,
            "warnings": self.warnings,
            "errors": self.errors,
            "facts": self.facts,
            **({"skipped": self.skipped} if self.skipped else {}),
            **self.extra,
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False, default=str)

    def _mode(self) -> str:
        return "dry run (nothing written)" if self.dry_run else "applied"

    def _calls_line(self) -> str:
        if not self.api_calls:
            return "API calls: none"
        parts = [
            f"{service} {counts.get('reads', 0)} read / {counts.get('writes', 0)} write"
            + (f" ({n} {'retry' if n == 1 else 'retries'})" if (n := counts.get("retries", 0)) else "")
            for service, counts in sorted(self.api_calls.items())
        ]
        return "API calls (retries included): " + ", ".join(parts)

    def to_text(self) -> str:
        if self.skipped:
            return f"{self.job}: skipped: {self.skipped}"
        lines = [f"{self.job}: {self._mode()}" + (f" at {self.at.isoformat()}" if self.at else "")]
        for key, value in self.facts.items():
            if isinstance(value, str | int | float) or value is None:
                lines.append(f"  {key}: {readable(value)}")
        if self.outcomes:
            width = max(len(o.status.value) for o in self.outcomes)
            for o in self.outcomes:
                error = f"  <- {o.error}" if o.error else ""
                status = f"[{o.status.value:<{width}}]"
                lines.append(f"  {status} {o.action.kind} {o.action.target}: {o.action.detail}{error}")
                preview = preview_of(o.action) if self.dry_run else None
                if preview is not None:
                    lines += [f"      │ {line}".rstrip() for line in text_lines(preview, self.names)]
        elif not self.errors:  # a run that stopped on an error did not find everything in order
            lines.append("  nothing to do: everything is already as it should be")
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  error: {e}" for e in self.errors]
        lines.append("  " + self._calls_line())
        return "\n".join(lines)

    def to_markdown(self) -> str:
        if self.skipped:
            return f"### {self.job}: skipped\n\n{_cell(self.skipped)}\n"
        lines = [f"### {self.job}: {self._mode()}", ""]
        if self.at:
            lines += [f"At {self.at.isoformat()}", ""]
        simple = {k: v for k, v in self.facts.items() if isinstance(v, str | int | float)}
        if simple:
            lines += ["| | |", "|---|---|"] + [f"| {k} | {_cell(readable(v))} |" for k, v in simple.items()] + [""]
        if self.outcomes:
            lines += ["| status | action | target | detail |", "|---|---|---|---|"]
            for o in self.outcomes:
                detail = o.action.detail + (f" ({o.error})" if o.error else "")
                lines.append(
                    f"| {o.status.value} | {o.action.kind} | {_cell(o.action.target)} | {_cell(detail)} |"
                )
        elif not self.errors:
            lines.append("Nothing to do: everything is already as it should be.")
        lines.append("")
        # Only a dry run's: an applied run's text is where it was written, and its logs are kept (public ones for a
        # public repository), so every scheduled run does not copy the requests it quotes there. --json has both.
        previews = [(n, o, p) for n, o in enumerate(self.outcomes, 1)
                    if self.dry_run and (p := preview_of(o.action)) is not None]
        if previews:
            lines += ["What it would write, as people will read it:", ""]
            for number, o, preview in previews:
                heading = f"{number}. {o.action.kind} {o.action.target}: {o.action.detail}"
                lines += [markdown_block(preview, heading, self.names, open_=True), ""]
        lines += [f"> **Warning:** {_cell(w)}" for w in self.warnings]
        lines += [f"> **Error:** {_cell(e)}" for e in self.errors]
        lines += ["", self._calls_line(), ""]
        if self.markdown:
            lines += [self.markdown, ""]
        return "\n".join(lines)

    def annotations(self) -> list[str]:
        """GitHub Actions workflow commands for failures and warnings."""
        out = [f"::error::{_annotation(e)}" for e in self.errors]
        out += [
            f"::error::{o.action.kind} {_annotation(o.action.target)} {o.status.value}: {_annotation(o.error)}"
            for o in self.failed
        ]
        out += [f"::warning::{_annotation(w)}" for w in self.warnings]
        return out


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _annotation(text: str) -> str:
    # Workflow commands end at a newline; encode the characters the runner decodes.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@dataclass
class CombinedReport(Report):
    """Several jobs' reports run in one process (the tick): each shown whole, the API calls counted once."""

    parts: list[tuple[str, Report]] = field(default_factory=list)

    def add(self, title: str, part: Report) -> None:
        self.parts.append((title, part))
        self.outcomes += part.outcomes
        self.warnings += [f"{title}: {w}" for w in part.warnings]
        self.errors += [f"{title}: {e}" for e in part.errors]

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        # Each part's calls are the process's running total when it ended; the tick's own total is the answer.
        data["duties"] = [{"duty": title, **{k: v for k, v in part.to_json().items() if k != "api_calls"}}
                          for title, part in self.parts]
        return data

    def to_text(self) -> str:
        head = [f"{self.job}: {self._mode()}" + (f" at {self.at.isoformat()}" if self.at else "")]
        head += [f"  {k}: {readable(v)}" for k, v in self.facts.items()]
        body = [f"\n== {title}\n" + _without_calls(part.to_text()) for title, part in self.parts]
        return "\n".join([*head, *body, "", self._calls_line()])

    def to_markdown(self) -> str:
        lines = [f"### {self.job}: {self._mode()}", ""]
        lines += [f"- {k}: {_cell(readable(v))}" for k, v in self.facts.items()] + [""]
        for title, part in self.parts:
            lines += [f"#### {title}", "", _without_calls(part.to_markdown()).split("\n", 1)[-1], ""]
        lines += [self._calls_line(), ""]
        return "\n".join(lines)

    def annotations(self) -> list[str]:
        return [line for _, part in self.parts for line in part.annotations()]


def readable(value: object) -> str:
    """A fact as people read it: no None, True or False (--json keeps the raw values)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _without_calls(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("API calls"))
