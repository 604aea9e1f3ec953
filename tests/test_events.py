"""Which repository an event came from, read as the runner gives it (GITHUB_REPOSITORY, GITHUB_EVENT_PATH)."""

from __future__ import annotations

import json
from pathlib import Path

from oncall_lib.events import event_repositories, foreign_event

SUPPORT = "department-of-veterans-affairs/va.gov-team"
PRODUCT = "department-of-veterans-affairs/oncall-support-automation"


def _env(tmp_path: Path, event: str, runner_repo: str | None, payload_repo: str | None) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"repository": {"full_name": payload_repo}} if payload_repo else {"action": "x"}))
    env = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path)}
    if runner_repo:
        env["GITHUB_REPOSITORY"] = runner_repo
    return env


def test_an_issue_event_from_the_support_repository_is_acted_on(tmp_path: Path) -> None:
    assert foreign_event(SUPPORT, _env(tmp_path, "issues", SUPPORT, SUPPORT)) is None
    # GitHub's names are case-insensitive.
    assert foreign_event(SUPPORT.upper(), _env(tmp_path, "issue_comment", SUPPORT, SUPPORT)) is None


def test_an_issue_event_from_the_products_repository_is_not(tmp_path: Path) -> None:
    line = foreign_event(SUPPORT, _env(tmp_path, "issues", PRODUCT, PRODUCT))
    assert line and PRODUCT in line and "nothing done" in line and "\n" not in line
    # Either name differing is enough: the runner's repository, or the payload's.
    assert foreign_event(SUPPORT, _env(tmp_path, "issues", SUPPORT, PRODUCT))
    assert foreign_event(SUPPORT, _env(tmp_path, "issues", PRODUCT, None))


def test_buttons_schedules_and_terminals_name_their_issue_themselves(tmp_path: Path) -> None:
    """The offboarding button's number is a support-repository issue, typed by a person in the product's
    repository: not an event to check."""
    assert event_repositories(_env(tmp_path, "workflow_dispatch", PRODUCT, PRODUCT)) == []
    assert event_repositories({}) == []
    assert foreign_event(SUPPORT, _env(tmp_path, "schedule", PRODUCT, None)) is None


def test_an_unreadable_payload_leaves_the_runners_word(tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_NAME": "issues", "GITHUB_REPOSITORY": PRODUCT, "GITHUB_EVENT_PATH": str(tmp_path / "nope")}
    assert event_repositories(env) == [PRODUCT]
