"""oncall.toml validation: every problem reported at once, each naming the key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall_lib.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "oncall.toml").read_text()


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("oncall.toml"))
    return caught.value.problems


def test_the_example_configuration_is_valid() -> None:
    config = load_config(ROOT / "oncall.toml")
    assert config.slack.support.name == "vfs-platform-support"
    assert [e.key for e in config.super_epics] == ["incident-response", "customer-support"]
    assert config.super_epics[0].repo == "department-of-veterans-affairs/va.gov-team"
    assert config.super_epics[0].number == 1954
    assert str(config.team.tz) == "America/New_York"


def test_each_problem_names_its_key_and_line() -> None:
    text = GOOD.replace('time_zone = "America/New_York"', 'time_zone = "America/Nowhere"')
    text = text.replace('issue = "department-of-veterans-affairs/va.gov-team#3675"', 'issue = "va.gov-team 3675"')
    text = text.replace('github = "alan-turing"', 'github = "alan turing"')
    text = text.replace('handoff_hour = 9', 'handoff_hour = 25')
    found = problems(text)
    lines = GOOD.splitlines()

    def line_of(fragment: str, nth: int = 0) -> int:
        return [i + 1 for i, line in enumerate(lines) if fragment in line][nth]

    assert len(found) == 4, found
    assert f"oncall.toml:{line_of('time_zone')}: team.time_zone: unknown time zone 'America/Nowhere'" in found[0]
    assert any(p.startswith(f"oncall.toml:{line_of('handoff_hour')}: rotation.handoff_hour:") for p in found)
    assert any(p.startswith(f"oncall.toml:{line_of('va.gov-team#3675')}: super_epics[2].issue:") for p in found)
    alan = line_of('github = "alan-turing"')
    assert any(p.startswith(f"oncall.toml:{alan}: roster[3].github:") for p in found)


def test_unknown_and_missing_keys() -> None:
    text = GOOD.replace("support_layer", "suport_layer")
    found = problems(text)
    assert any("rotation.suport_layer: unknown key" in p for p in found)
    assert any("rotation.support_layer: required key is missing" in p for p in found)


def test_a_support_channel_that_is_not_configured() -> None:
    found = problems(GOOD.replace('support_channel = "support"', 'support_channel = "helpdesk"'))
    assert len(found) == 1
    assert "support_channel = 'helpdesk' is not the key of any [[slack.channels]] entry" in found[0]


def test_bad_toml_names_the_line() -> None:
    found = problems(GOOD.replace('handoff_hour = 9', 'handoff_hour = '))
    assert len(found) == 1
    line = [i + 1 for i, text in enumerate(GOOD.splitlines()) if "handoff_hour" in text][0]
    assert f"line {line}" in found[0]


def test_a_missing_file() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(Path("/nonexistent/oncall.toml"))
    assert caught.value.problems == ["/nonexistent/oncall.toml: no such file (pass --config PATH)"]


def test_a_topic_template_must_name_the_person() -> None:
    found = problems(GOOD.replace('topic_template = "Oncall support this week: {name} ({mention})"',
                                  'topic_template = "Support: {who}"'))
    assert "unknown placeholder(s) ['who']" in found[0]


def test_repeated_roster_identities_are_refused() -> None:
    found = problems(GOOD.replace('github = "grace-hopper"', 'github = "ada-lovelace"'))
    assert "roster github repeated: ada-lovelace" in found[0]


def line_of(fragment: str, text: str = GOOD) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if fragment in line)


def test_format_and_cross_table_problems_come_in_one_pass_each_with_its_line() -> None:
    text = GOOD.replace('handoff_hour = 9', 'handoff_hour = 25')
    text = text.replace('default_epic = "customer-support"', 'default_epic = "customer-suport"')
    text = text.replace('\nchannel = "operations"\n', '\nchannel = "ops-team"\n')
    found = problems(text)
    assert len(found) == 3, found
    # In the file's order, each naming its line: the format error and the two references to other tables.
    assert found[0].startswith(f"oncall.toml:{line_of('handoff_hour')}: rotation.handoff_hour:")
    assert found[1].startswith(f"oncall.toml:{line_of('default_epic')}: support_issues.default_epic: "
                               "support_issues.default_epic = 'customer-suport' is not a Super Epic key "
                               "(incident-response, customer-support)")
    review = line_of('channel = "ops-team"', text)
    assert found[2].startswith(f"oncall.toml:{review}: review.channel: ")
    assert "nor a channel id" in found[2]


def test_every_channel_setting_takes_a_key_or_an_id() -> None:
    text = GOOD.replace('operations_channel = "operations"', 'operations_channel = "C02VSPOPS"')
    text = text.replace('\nchannel = "operations"\n', '\nchannel = "C09TEAM01"\n')
    config = parse_config(text, Path("oncall.toml"))
    # An id of a listed channel is that entry; an id nobody listed gets an entry of its own.
    assert config.slack.operations is not None and config.slack.operations.name == "vsp-operations"
    assert config.review.channel and config.slack.channel(config.review.channel).id == "C09TEAM01"
    found = problems(GOOD.replace('operations_channel = "operations"', 'operations_channel = "#vsp-operations"'))
    assert "give a [[slack.channels]] key or a channel id (like C012AB3CD)" in found[0]


def test_a_pasted_sheet_url_is_taken_for_its_id() -> None:
    url = "https://docs.google.com/spreadsheets/d/1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k/edit?usp=sharing"
    config = parse_config(GOOD.replace('spreadsheet_id = "1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k"',
                                       f'spreadsheet_id = "{url}"'), Path("oncall.toml"))
    assert config.tracking and config.tracking.spreadsheet_id == "1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k"
    found = problems(GOOD.replace('spreadsheet_id = "1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k"',
                                  'spreadsheet_id = "Support Incidents"'))
    assert found == [f"oncall.toml:{line_of('spreadsheet_id')}: tracking.spreadsheet_id: 'Support Incidents' is not "
                     "a spreadsheet id: give the part of the sheet's URL between /d/ and /edit (or paste the whole "
                     "URL)"]


def test_a_pasted_pagerduty_schedule_url_is_taken_for_its_id() -> None:
    # Before, the config passed and every job failed mid-run on a client path it could not build.
    url = "https://acme.pagerduty.com/schedules/PSUPPRT"
    config = parse_config(GOOD.replace('pagerduty_schedule = "PSUPPRT"', f'pagerduty_schedule = "{url}"'),
                          Path("oncall.toml"))
    assert config.rotation.pagerduty_schedule == "PSUPPRT"
    found = problems(GOOD.replace('pagerduty_schedule = "PSUPPRT"', 'pagerduty_schedule = "Platform Oncall"'))
    assert found == [f"oncall.toml:{line_of('pagerduty_schedule')}: rotation.pagerduty_schedule: 'Platform Oncall' "
                     "is not a PagerDuty schedule id: give the id at the end of the schedule's URL (like PABC123)"]


def test_a_value_out_of_form_is_said_in_words_not_as_a_regular_expression() -> None:
    found = problems(GOOD.replace('[support_issues]\nrepo = "department-of-veterans-affairs/va.gov-team"',
                                  '[support_issues]\nrepo = "va.gov-team"'))
    assert any(p.endswith("support_issues.repo: 'va.gov-team' is not a repository like owner/name") for p in found)
    assert not any("^" in p for p in found), found


def test_a_review_person_who_is_neither_on_the_roster_nor_a_login_is_refused() -> None:
    # Without the roster entry, "Margaret Hamilton" would be written as @Margaret Hamilton in the report.
    text = GOOD.split("# On the team, not in the rotation")[0]
    found = problems(text)
    assert found == [f"oncall.toml:{line_of('pm = ')}: review.pm: review.pm = 'Margaret Hamilton' is not a roster "
                     "name, a GitHub login or a Slack id: add them to [[roster]] (rotation = false keeps them out of "
                     "the rotation), or give their GitHub login"]
