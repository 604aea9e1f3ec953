"""Secrets: checked for their shape when read, named but never printed, and scrubbed from every output."""

from __future__ import annotations

import json

import pytest

from oncall_lib.errors import InputError
from oncall_lib.secrets import remember, scrub
from oncall_lib.services import Endpoints, Services
from tests.test_cli import AT, script

MALFORMED = {
    "ONCALL_GITHUB_TOKEN": "ghs_firsthalfofthetoken\nsecondhalfofthetoken",
    "SLACK_BOT_TOKEN": "xoxp-a-user-token-not-a-bot-token",
    "PAGERDUTY_API_TOKEN": "pagerdutykeyfirst secondpartofthekey",
    "ZENHUB_API_TOKEN": "zenhubkeyfirstpart\tzenhubsecondpart",
    "GOOGLE_SERVICE_ACCOUNT_JSON": '{"type": "authorized_user", "client_email": "a@b", '
                                   '"private_key": "privatekeyvalue1"}',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_secret_is_refused_by_name_without_its_value(name: str) -> None:
    services = Services(Endpoints(env={name: MALFORMED[name]}))
    with pytest.raises(InputError) as raised:
        services._secret(name)
    message = str(raised.value)
    assert message.startswith(f"environment variable {name} ")
    for fragment in MALFORMED[name].replace("\n", " ").replace("\t", " ").split():
        if len(fragment) >= 8:
            assert fragment not in message


def test_surrounding_whitespace_from_a_paste_is_forgiven() -> None:
    services = Services(Endpoints(env={"SLACK_BOT_TOKEN": "  xoxb-123-456-abc\n"}))
    assert services._secret("SLACK_BOT_TOKEN") == "xoxb-123-456-abc"


def test_a_key_file_that_is_not_json_names_the_line_only() -> None:
    services = Services(Endpoints(env={"GOOGLE_SERVICE_ACCOUNT_JSON": '{\n "private_key": "abcdefgh12345",\n oops'}))
    with pytest.raises(InputError, match=r"GOOGLE_SERVICE_ACCOUNT_JSON is not JSON \(line 3\)") as raised:
        services._secret("GOOGLE_SERVICE_ACCOUNT_JSON")
    assert "abcdefgh12345" not in str(raised.value)


def test_a_line_broken_token_stops_the_script_in_one_line_and_is_never_printed(tmp_path: object) -> None:
    env = {"PAGERDUTY_API_TOKEN": "pdkeyfirsthalf0001\npdkeysecondhalf0002", "ONCALL_GITHUB_TOKEN": "",
           "SLACK_BOT_TOKEN": ""}
    result = script("rotate_assignees.py", "--at", AT, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: environment variable PAGERDUTY_API_TOKEN is not a well-formed PagerDuty REST API key with read access "
        "to schedules and users (it has a space or line break inside): expected one word with no spaces or line "
        "breaks; paste it again"]
    assert "pdkey" not in result.stdout + result.stderr


def test_scrub_blanks_every_remembered_value_and_each_line_of_it() -> None:
    key = json.dumps({"type": "service_account", "client_email": "a@b",
                      "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END"})
    remember("ghs_remembered0token\nsecondline0of0it")
    remember(key)
    text = ("Invalid header value b'token ghs_remembered0token\\nsecondline0of0it' and secondline0of0it; "
            "key MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")
    scrubbed = scrub(text)
    assert "ghs_remembered0token" not in scrubbed and "secondline0of0it" not in scrubbed
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in scrubbed
    assert scrubbed.count("***") == 4
