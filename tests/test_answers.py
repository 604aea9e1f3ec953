"""Answers to repeat questions: the matcher on realistic requests, and the watch through slack_sdk and gspread
against the sandbox: a close match answered once in its thread (never counted as an acknowledgement), a near
miss left alone, hostile text inert, the thumbs logged in the sheet, and the report's usefulness and groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oncall_lib.answers import reply as answers
from oncall_lib.answers.matching import best_match, load_answers, match, similar_groups
from oncall_lib.config import AnswersConfig, Config
from oncall_lib.errors import InputError
from oncall_lib.report import Report
from oncall_lib.requests import watch
from oncall_lib.services import Services
from oncall_lib.tracking import report as rotation_report
from tests.conftest import ROOT, Sandbox

SUPPORT = "C01SUPPORT"
# Tuesday 10:00 in New York.
AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ANSWERS = load_answers(ROOT / "answers.toml")
MIN_SCORE = AnswersConfig().min_score


@pytest.mark.parametrize(("text", "key"), [
    ("hey team, how can I get access to the aws console please :pray:", "aws-console"),
    ("aws console access?", "aws-console"),
    ("Hi! My review instance is not coming up since this morning", "review-instance"),
    ("Can someone invite me to Sentry?", "sentry-access"),
    ("<!here> how do i get access to the AWS console <@U0REQ1>", "aws-console"),
    ("morning folks! quick one, console access for aws?", "aws-console"),  # another order, small talk around it
    ("my RI is not coming up", "review-instance"),  # an acronym of the answer's own name for it
    ("hi all, my review instance has been stuck for 40 minutes", "review-instance"),  # the answer's text says so
    ("sentry acct for my team pls", "sentry-access"),  # an abbreviation
    ("how do I get access to the AWS console? cc @grace-hopper @org/ops", "aws-console"),  # mentions typed as text
])
def test_close_matches(text: str, key: str) -> None:
    found = match(text, ANSWERS, MIN_SCORE)
    assert found is not None and found.answer.key == key


@pytest.mark.parametrize("text", [
    "How do I get access to Grafana?",  # another tool: access is not the subject
    "The AWS console is down for me",  # the same words, another question
    "How do I delete a review instance?",  # the same words, another question
    "my review instance is stuck for an hour every night",  # says what no answer speaks of
    "Who reviews the Sentry settings?",  # the same tool, another question
    "deploy failed on vets-api",
    "",
])
def test_near_misses_are_not_answered(text: str) -> None:
    assert match(text, ANSWERS, MIN_SCORE) is None, best_match(text, ANSWERS)


def test_the_teams_synonyms_from_the_file_match_their_words(tmp_path: Path) -> None:
    file = tmp_path / "answers.toml"
    body = ('[[answer]]\nkey = "review-instance"\nexamples = ["My review instance is not coming up"]\n'
            'answer = "Close and reopen the PR."\n')
    file.write_text(body)
    assert match("my preview env is not coming up", load_answers(file), MIN_SCORE) is None
    file.write_text('synonyms = [["review instance", "preview env", "review app"]]\n\n' + body)
    found = match("my preview env is not coming up", load_answers(file), MIN_SCORE)
    assert found is not None and found.answer.key == "review-instance"


def test_the_score_says_why(tmp_path: Path) -> None:
    found = best_match("The AWS console is down for me", ANSWERS)
    assert found is not None and found.answer.key == "aws-console" and found.score < MIN_SCORE
    assert "not explained: down" in found.why and found.blocked


def test_similar_requests_group_and_others_stay_apart() -> None:
    texts = ["grafana access please", "How do I get access to grafana?", "Can I get grafana access for my team",
             "Is staging down?", "the VPN keeps dropping"]
    assert similar_groups(texts, 75) == [[0, 1, 2]]


def test_a_bad_answers_file_is_one_line_naming_the_file_the_entry_and_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "answers.toml"
    bad.write_text('[[answer]]\nkey = "ok"\nexamples = ["How do I rebuild a review instance?"]\nanswer = "x"\n\n'
                   '[[answer]]\nkey = "vpn"\nexamples = ["vpn"]\nanswer = "Restart it."\n')
    with pytest.raises(InputError) as caught:
        load_answers(bad)
    assert str(caught.value).startswith(f"{bad}:8: answer[2].examples: example 'vpn' has fewer than two meaningful")
    bad.write_text('[[answer]]\nkey = "x"\npatterns = ["(unclosed"]\nanswer = "y"\n')
    with pytest.raises(InputError, match="is not a regular expression"):
        load_answers(bad)


@pytest.fixture
def answering(config: Config) -> Config:
    return config.model_copy(update={"answers": AnswersConfig()})


def watching(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return watch.run(services, config, at, dry_run=dry_run)


def answers_in(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.bot_messages(SUPPORT, answers.ANSWER_EVENT)


def test_a_matched_request_is_answered_once_and_still_waits_for_a_person(sandbox: Sandbox, answering: Config) -> None:
    asked = sandbox.post(SUPPORT, AT - timedelta(minutes=5), "hi all, how do I get access to the AWS console? "
                                                             "<!channel>")
    sandbox.post(SUPPORT, AT - timedelta(minutes=4), "How do I get access to Grafana?")
    first = sandbox.run(watching, answering, AT).report
    assert first.exit_code == 0, first.to_text()
    [reply] = answers_in(sandbox)
    assert reply["thread_ts"] == asked and reply["metadata"]["event_payload"]["answer"] == "aws-console"
    assert "AWS console access is granted through the access form" in reply["text"]
    assert "React :+1: or :-1:" in reply["text"] and "<!channel>" not in reply["text"]
    assert first.facts["answered"] == 1
    # Logged in the sheet by the run that answered: the next run has nothing to write.
    assert any(o.action.kind == "sheet.append" and "aws-console" in str(o.action.params["rows"])
               for o in first.outcomes), first.to_text()
    again = sandbox.run(watching, answering, AT + timedelta(minutes=15)).report
    assert again.total_calls("writes") == 0, again.to_text()
    assert len(answers_in(sandbox)) == 1
    # The product's reply is not an acknowledgement: at 50 minutes the person on support hears about it.
    later = sandbox.run(watching, answering, AT + timedelta(minutes=45)).report
    records = {r["key"]: r for r in later.facts["records"]}
    assert records[f"{SUPPORT}/{asked}"]["acknowledged"] is False
    [dm] = sandbox.bot_messages("U0GRACE", watch.WAITING_EVENT)
    assert "how do I get access to the AWS console" in dm["text"]


def test_the_thumbs_go_to_the_sheet_once_and_the_report_counts_them(sandbox: Sandbox, answering: Config) -> None:
    asked = sandbox.post(SUPPORT, AT - timedelta(minutes=5), "How can I get Sentry access for my team?")
    sandbox.run(watching, answering, AT)
    [reply] = answers_in(sandbox)
    reply["reactions"] = [{"name": "+1", "users": ["U0REQ1"], "count": 1}]
    sandbox.reply(SUPPORT, asked, AT + timedelta(minutes=20), "U0GRACE", "Done, you are invited")
    logged = sandbox.run(watching, answering, AT + timedelta(minutes=30)).report
    assert logged.exit_code == 0, logged.to_text()
    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    # The example's [tracking.sections] names no worksheet for answers: they go to its "other" one.
    title = answering.tracking.section("answer") if answering.tracking else ""
    rows = next(w for w in sheet["worksheets"] if w["title"] == title)["rows"]
    assert [r[0] for r in rows[1:]] == [f"answer/{SUPPORT}/{asked}", f"answer/{SUPPORT}/{asked}/helpful"]
    assert rows[1][4].startswith("sentry-access: How can I get Sentry access")
    again = sandbox.run(watching, answering, AT + timedelta(minutes=45)).report
    assert not [o for o in again.outcomes if o.action.kind == "sheet.append" and o.action.target == title]

    # Other weeks' requests that keep coming back without an answer are candidates for the file.
    for days, text in ((7, "grafana access please"), (8, "How do I get access to grafana?"),
                       (9, "Can I get grafana access for my team"), (10, "Can I get an aws console account?"),
                       (11, "aws console account please"), (12, "need an aws console account")):
        sandbox.post(SUPPORT, AT - timedelta(days=days), text)
    published = sandbox.run(lambda s, c, at, d: rotation_report.run(s, c, at, dry_run=d), answering,
                            datetime(2026, 11, 30, 13, 40, tzinfo=UTC)).report
    assert published.exit_code == 0, published.to_text()
    text = published.markdown
    assert "### Answers to repeat questions" in text
    assert "| sentry-access | 1 | 1 | 0 |" in text
    assert "Asked 3 times with no answer in answers.toml" in text and "grafana access please" in text
    [grafana] = [line for line in text.splitlines() if "grafana access please" in line]
    assert "Suggested: a new answer, with “" in grafana  # no answer comes close: another question
    [console] = [line for line in text.splitlines() if "aws console account" in line]
    # The same question as aws-console in other words: one of them is suggested as an example for it.
    assert "Suggested: add “" in console and "to the examples of `aws-console`" in console


def test_the_dry_run_says_why_each_new_request_was_answered_or_not(sandbox: Sandbox, answering: Config) -> None:
    sandbox.post(SUPPORT, AT - timedelta(minutes=5), "The AWS console is down for me")
    sandbox.post(SUPPORT, AT - timedelta(minutes=4), "hey team, console access for aws?")
    planned = sandbox.run(watching, answering, AT, dry_run=True).report
    why = planned.facts["answers_considered"]
    assert "not answered, best aws-console" in why and "not explained: down" in why
    assert "answered, best aws-console 100/75" in why
    assert f"answers_considered: {why}" in planned.to_text()
    assert answers_in(sandbox) == []


def test_a_broken_answers_file_stops_the_watch_before_anything_is_written(sandbox: Sandbox, answering: Config,
                                                                          tmp_path: Path) -> None:
    broken = answering.model_copy(update={"answers": AnswersConfig(file="missing/answers.toml")})
    sandbox.post(SUPPORT, AT - timedelta(minutes=5), "How do I get access to the AWS console?")
    with pytest.raises(InputError, match="no such answers file"):
        sandbox.run(watching, broken, AT)
    assert answers_in(sandbox) == []


def test_the_exact_tool_wins_over_one_a_letter_or_digit_away() -> None:
    from oncall_lib.answers.matching import Answer, Matcher

    numbered = Matcher([Answer(key=f"cluster-{i}", examples=[f"How do I get a kubeconfig for cluster{i}?"],
                               answer=f"Run the login script for cluster{i}.") for i in range(5)])
    found = numbered.match("kubeconfig for cluster3 please", MIN_SCORE)
    assert found is not None and found.answer.key == "cluster-3"
    assert numbered.match("kubeconfig for cluster7 please", MIN_SCORE) is None  # no answer speaks of cluster7
