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
