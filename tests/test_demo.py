"""The demo tells the truth: it runs whole, its clock only moves forward (demo.py asserts it), forms file issues
with their own labels and dates, the ticketed request counts as acknowledged, and the report is shown whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_runs_a_week_and_shows_what_really_happened(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "scripts/demo.py", "--world", str(tmp_path / "demo.json")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    report = out.split("The report, whole, as published on GitHub:", 1)[1]
    # Only support requests are support issues (the form, the button, the Slack app): not offboarding or access.
    assert "| Support issues | 4 opened" in report
    assert "(the offboarding form)" in out and "(the access form)" in out
    # The :ticket:ed request is acknowledged (by its "Tracked as" reply); nothing is left without a time.
    assert "| Acknowledged by reaction only (time unknown) | 0 |" in report
    # The whole report: its breach list, its questions and its closing marker.
    assert "### Waited longer than 60 minutes" in report and "### For the review" in report
    assert "<!-- oncall-support:rotation-report " in report
    assert "== Recap: what each job did" in out and "From fork to first real run" in out
    # A request arrives from Slack (the GitHub for Slack app's issue) and is reassigned by a /oncall comment.
    assert "arrived by: slack app" in out and "+ github.assign" in out.split("The comment workflow runs", 1)[1]
    # The week's duties, turned on by the demo: the handover issue opened and acknowledged, a cover accepted and
    # made in PagerDuty, an FAQ answered in its thread, and the report linking the issue and counting the answer.
    assert "+ github.create_issue department-of-veterans-affairs/va.gov-team: open “Oncall support: " in out
    assert "+ github.edit_issue department-of-veterans-affairs/va.gov-team#" in out  # /oncall ack ticks the box
    assert "+ pagerduty.create_overrides PSUPPRT: 1 override(s) for the cover" in out and "Done in PagerDuty:" in out
    assert "answer with “aws-console”" in out and "This looks like a question we have an answer for" in out
    assert "### Handover issues" in report and "| aws-console | 1 | 0 | 0 |" in report
