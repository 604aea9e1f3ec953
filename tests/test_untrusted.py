"""The one escaping path: text from strangers reaches Slack and GitHub as data, never as markup."""

from __future__ import annotations

import re

import pytest

from oncall_lib.untrusted import github_quote, github_text, slack_link, slack_quote, slack_text

HOSTILE = [
    "<!channel>", "<!here|here>", "<!everyone>", "<!subteam^S0OPS|@ops>", "<@U0ADA>", "<#C01SUPPORT>",
    "pm: x> <!channel", "<https://evil.example|click me>", "a & b", "@here and @channel", "cc @org/security-team",
]
# What a Slack client turns into a notification or a live link.
SLACK_CONTROL = re.compile(r"<[!@#]|<https?:")


@pytest.mark.parametrize("text", HOSTILE)
def test_text_from_outside_slack_has_no_control_sequence_left(text: str) -> None:
    safe = slack_text(text)
    assert not SLACK_CONTROL.search(safe) and "<" not in safe and ">" not in safe
    assert not re.search(r"(?<![\u200b])@(here|channel|everyone)\b", safe)


def test_a_title_cannot_close_the_products_own_link_and_broadcast() -> None:
    link = slack_link("https://github.com/org/repo/issues/7", "pm: x> <!channel")
    assert link == "<https://github.com/org/repo/issues/7|pm: x&gt; &lt;!channel>"
    assert slack_link("https://x.example/a|b>c", "t").startswith("<https://x.example/a%7Cb%3Ec|")


def test_slack_text_quoted_back_keeps_links_and_notifies_nobody() -> None:
    text = slack_quote("<!channel> <!here|here> <!subteam^S123|@ops> <@U0ADA> and @here see <https://a.example|docs>")
    assert "<!" not in text and "<@" not in text and "<https://a.example|docs>" in text
    assert "@\u200bchannel" in text and "@\u200bhere" in text and "@\u200bops" in text and "@\u200bU0ADA" in text
    assert slack_quote("x" * 300).endswith("…") and len(slack_quote("x" * 300)) == 120


def test_github_text_mentions_nobody_and_keeps_lines() -> None:
    text = github_text("cc @org/security-team and @ada-lovelace\n<!channel> please\n\nthanks")
    assert not re.search(r"@[A-Za-z0-9]", text)
    assert text.splitlines() == ["cc @\u200borg/security-team and @\u200bada-lovelace", "@\u200bchannel please", "",
                                 "thanks"]
    assert github_text("a\nb  c", one_line=True) == "a b c"
    assert github_quote("one @x\ntwo") == "> one @\u200bx\n> two"


def test_a_pagerduty_name_the_roster_does_not_know_is_plain_text_in_slack() -> None:
    """Who is on support is named in the handoff, the topic and the watch's DMs: without a Slack id, their
    PagerDuty name is shown, and it cannot broadcast or open a link of its own."""
    from oncall_lib.rotation.on_support import Person

    stranger = Person(name="Eve <!channel> x> <https://evil.example|click>", pagerduty_id="PEVE")
    assert "<!channel>" not in stranger.mention and "<https://evil.example" not in stranger.mention
    assert stranger.mention.startswith("Eve &lt;!channel&gt;")
    assert Person(name="Ada Lovelace", pagerduty_id="PADA", slack="U0ADA").mention == "<@U0ADA>"
