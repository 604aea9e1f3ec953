"""Reading issue-form bodies the way GitHub renders them."""

from __future__ import annotations

from oncall_lib.issue_forms import checked, parse_form
from oncall_lib.support_issues.issues import FORM_LABELS

LABELS = list(FORM_LABELS)


def render(answers: dict[str, str | None], newline: str = "\n") -> str:
    parts = [f"### {label}\n\n{answers.get(label) or '_No response_'}" for label in LABELS]
    return "\n\n".join(parts).replace("\n", newline)


def test_a_plain_form() -> None:
    body = render({"Requester": "Sam", "What is needed": "Access to Grafana", "Super Epic": "Incident Response"})
    answers = parse_form(body, LABELS)
    assert answers["Requester"] == "Sam" and answers["Super Epic"] == "Incident Response"
    assert answers["Team"] is None and answers["Slack thread"] is None  # _No response_


def test_a_heading_typed_inside_an_answer_stays_in_the_answer() -> None:
    needed = "Steps so far:\n\n### Logs\n\nnothing useful\n### Requester\nnot a field the second time"
    answers = parse_form(render({"Requester": "Sam", "What is needed": needed}), LABELS)
    assert answers["What is needed"] == needed
    assert answers["Requester"] == "Sam"


def test_crlf_bodies() -> None:
    answers = parse_form(render({"Requester": "Sam", "What is needed": "line one\nline two"}, "\r\n"), LABELS)
    assert answers["What is needed"] == "line one\nline two"


def test_an_empty_dropdown_is_none_and_unknown_labels_are_absent() -> None:
    body = render({"Requester": "Sam", "Urgency": "None"})
    assert parse_form(body, LABELS)["Urgency"] is None
    assert parse_form(body, ["Requester", "Not on the form"])["Not on the form"] is None


def test_the_products_marker_is_not_part_of_an_answer() -> None:
    body = render({"Requester": "Sam", "Urgency": "High (today)"}) + "\n\n<!-- oncall-support:slack-thread C0/1.2 -->"
    assert parse_form(body, LABELS)["Urgency"] == "High (today)"


def test_a_body_edited_after_creation() -> None:
    first = render({"Requester": "Sam", "What is needed": "Access"})
    edited = first.replace("Access", "Access to Grafana and Sentry")
    assert parse_form(edited, LABELS)["What is needed"] == "Access to Grafana and Sentry"


def test_checkboxes() -> None:
    assert checked("- [x] Remove IAM user\n- [ ] Remove SOCKS key\n- [X] Remove from GitHub team") == [
        "Remove IAM user", "Remove from GitHub team"]


def test_empty_and_missing_bodies() -> None:
    assert parse_form(None, LABELS) == {label: None for label in LABELS}
    assert parse_form("free text, no form", LABELS)["Requester"] is None
