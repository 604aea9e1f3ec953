"""Postmortem action items through PyGithub against the sandbox, and the document parser on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.postmortems import items as postmortems
from oncall_lib.postmortems.documents import DocumentProblem, action_items, fill_issue_cells
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.setup import labels
from tests.conftest import Sandbox

AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
REPO = "department-of-veterans-affairs/va.gov-team"
DEVOPS = "department-of-veterans-affairs/devops"
OUTAGE = "postmortems/2026-11-03-api-outage.md"
LABEL = "Postmortem Action Item"


def scanning(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return postmortems.scan_documents(s, c, at, dry_run=d)


def labelling(number: int) -> Any:
    return lambda s, c, at, d: postmortems.label_item(s, c, at, number=number, dry_run=d)


def repo(sandbox: Sandbox, name: str) -> dict[str, Any]:
    return next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == name)


def items(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [i for i in repo(sandbox, REPO)["issues"] if LABEL in i.get("labels", [])]


def test_a_document_with_three_items_one_already_tracked(sandbox: Sandbox, config: Config) -> None:
    before = repo(sandbox, DEVOPS)["branches"]["master"]["files"][OUTAGE]
    first = sandbox.run(scanning, config, AT).report
    assert first.exit_code == 0, first.to_text()
    opened = [i for i in items(sandbox) if i["number"] != 1980]
    assert sorted(i["title"] for i in opened) == [
        "[Postmortem] Add the certificate runbook to the oncall docs",
        "[Postmortem] Alert 30 days before any certificate expires",
        "[Postmortem] Page the oncall engineer when the deploy queue is stuck for 30 minutes"]
    alert = next(i for i in opened if "Alert 30 days" in i["title"])
    assert alert["assignees"] == ["alan-turing"]
    epic = sandbox.issue(REPO, 1954)
    assert all(i["id"] in epic.get("sub_issues", []) for i in opened)
    # The draft PR changes only the Issue # cells of the table (the checklist has none).
    after = repo(sandbox, DEVOPS)["branches"][postmortems.PR_BRANCH]["files"][OUTAGE]
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 2 and len(before.splitlines()) == len(after.splitlines())
    # The issues live in another repository than the documents, so the cell names it.
    assert changed[0][1] == (f"| @alan-turing | Alert 30 days before any certificate expires | {REPO}#{alert['number']}"
                             " | Detect |")
    for old, new in changed:
        assert old.split("|")[:3] == new.split("|")[:3] and old.split("|")[4:] == new.split("|")[4:]
    [pull] = [p for p in repo(sandbox, DEVOPS)["pulls"] if p["head"] == postmortems.PR_BRANCH]
    assert pull["draft"]
    assert any("2026-09-14-dns.md:5" in w and "no description or issue column" in w for w in first.warnings)

    second = sandbox.run(scanning, config, AT).report
    assert second.outcomes == [] and second.total_calls("writes") == 0


def test_an_issue_from_the_form_is_labelled_and_linked(sandbox: Sandbox, config: Config) -> None:
    body = ("### Postmortem\n\nhttps://github.com/x/devops/blob/master/postmortems/a.md\n\n### Action item\n\n"
            "Add a canary\n\n### Type\n\nDetect\n\n### Owner\n\n_No response_")
    repo(sandbox, REPO)["issues"].append({"number": 5001, "title": "Add a canary", "body": body, "state": "open",
                                          "user": "grace-hopper", "labels": [], "assignees": []})
    first = sandbox.run(labelling(5001), config, AT).report
    assert [o.action.kind for o in first.outcomes] == ["github.add_labels", "epic.link"]
    assert first.facts["postmortem_item"] == "it was opened from the postmortem form"
    assert sandbox.run(labelling(5001), config, AT).report.outcomes == []


@pytest.mark.parametrize(("title", "body", "expected"), [
    ("Postmortem: rotate the keys", "", "its title says postmortem"),
    ("Rotate the keys", "See https://github.com/x/devops/blob/master/postmortems/2026-11-03-api-outage.md",
     "it links a postmortem document"),
    ("Rotate the keys", "An ordinary task", "no"),
])
def test_rules_decide_what_is_an_item(sandbox: Sandbox, config: Config, title: str, body: str, expected: str) -> None:
    repo(sandbox, REPO)["issues"].append({"number": 5002, "title": title, "body": body, "state": "open",
                                          "user": "grace-hopper", "labels": [], "assignees": []})
    report = sandbox.run(labelling(5002), config, AT).report
    assert report.facts["postmortem_item"] == expected
    assert (report.outcomes != []) is (expected != "no")


def test_what_can_i_pick_up(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(scanning, config, AT)
    report = sandbox.run(lambda s, c, at, d: postmortems.pickup(s, c, at, dry_run=d), config, AT).report
    listed = [i["title"] for i in report.extra["items"]]
    assert listed[0] == "[Postmortem] Add the certificate runbook to the oncall docs"  # the only unassigned one
    assert listed[1] == "Automate certificate rotation"  # then the oldest
    assert report.facts == {"open_items": 4, "unassigned": 1}
    assert report.markdown.startswith("### What can I pick up?")


def test_labels_as_code_create_and_update_but_never_delete(sandbox: Sandbox, config: Config) -> None:
    devops = repo(sandbox, DEVOPS)
    devops["labels"].append({"name": "keep-me", "color": "000000", "description": "not ours"})
    first = sandbox.run(lambda s, c, at, d: labels.run(s, c, at, dry_run=d), config, AT).report
    assert first.exit_code == 0
    names = {label["name"] for label in devops["labels"]}
    assert {"Postmortem Action Item", "iam-cleanup", "keep-me"} <= names
    support = next(label for label in devops["labels"] if label["name"] == "support")
    assert support["description"].startswith("Support work (pull requests")
    again = sandbox.run(lambda s, c, at, d: labels.run(s, c, at, dry_run=d), config, AT).report
    assert again.outcomes == [] and again.total_calls("writes") == 0


TABLE = """# Postmortem

## Action Items

| Issue # | Owner | Description |
|---|---|---|
|  | @ada | Add alerting \\| paging |
| #12 | | Already tracked |
| TBD | | Write the runbook |

## Timeline
| not | an | items table |
"""


def test_columns_in_any_order_escaped_pipes_and_placeholders() -> None:
    found = action_items("pm.md", TABLE)
    assert [(i.description, i.owner, i.issue, i.line) for i in found] == [
        ("Add alerting \\| paging", "@ada", None, 7), ("Already tracked", "", "#12", 8),
        ("Write the runbook", "", None, 9)]
    filled = fill_issue_cells(TABLE, {found[0].cell: "#40", found[2].cell: "#41"})  # type: ignore[dict-item]
    assert filled == TABLE.replace("|  | @ada |", "| #40 | @ada |").replace("| TBD |", "| #41 |")


def test_a_row_with_the_wrong_number_of_cells_names_its_line() -> None:
    with pytest.raises(DocumentProblem, match=r"pm.md:7: this row has 2 cells, the header 3"):
        action_items("pm.md", TABLE.replace("|  | @ada | Add alerting \\| paging |", "| | @ada |"))


def test_a_document_without_action_items_has_none() -> None:
    assert action_items("pm.md", "# Postmortem\n\nAll good.\n") == []


def test_crlf_documents_keep_their_line_endings() -> None:
    text = TABLE.replace("\n", "\r\n")
    found = action_items("pm.md", text)
    filled = fill_issue_cells(text, {found[0].cell: "#40"})  # type: ignore[dict-item]
    assert filled == text.replace("|  | @ada |", "| #40 | @ada |")


def test_an_item_whose_epic_link_failed_is_linked_by_the_next_scan(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(scanning, config, AT)
    epic = sandbox.issue(REPO, 1954)
    lost = epic["sub_issues"].pop()  # as if the link had failed after the issue was opened
    report = sandbox.run(scanning, config, AT + timedelta(minutes=15)).report
    assert [(o.action.kind, o.status.value) for o in report.outcomes] == [("epic.link", "applied")]
    assert lost in epic["sub_issues"]
    again = sandbox.run(scanning, config, AT + timedelta(minutes=30)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0
