"""The request watch end to end through slack_sdk (and pagerduty) against the sandbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import Config
from oncall_lib.handoff import rotate
from oncall_lib.report import Report
from oncall_lib.requests import waiting, watch
from oncall_lib.sandbox import Faults
from oncall_lib.services import Services
from tests.conftest import ROOT, Sandbox

NY = ZoneInfo("America/New_York")
SUPPORT, OPS, ALERTS = "C01SUPPORT", "C02VSPOPS", "C05ALERTS"
ALAN = "U0ALAN"  # on support the week of Monday 30 November 2026


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def watching(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return watch.run(services, config, at, dry_run=dry_run)


def requests_in(sandbox: Sandbox, channel: str, event: str) -> list[list[str]]:
    return [m["metadata"]["event_payload"]["requests"] for m in sandbox.bot_messages(channel, event)]


def monday_morning(sandbox: Sandbox) -> dict[str, str]:
    """A mix of requests on Monday 30 November; returns their keys by name."""
    acked = sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 10), "Is staging down?")
    sandbox.channel(SUPPORT)["messages"][-1]["reactions"] = [{"name": "eyes", "users": [ALAN], "count": 1}]
    self_replied = sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 15), "Need access to Grafana")
    sandbox.reply(SUPPORT, self_replied, ny(2026, 11, 30, 9, 40), "U0REQ1", "anyone?")
    answered = sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 20), "Deploy stuck", user="U0DOT")
    sandbox.reply(SUPPORT, answered, ny(2026, 11, 30, 9, 30), "U0GRACE")
    sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 25), "Deploy finished", user=None, bot_id="B0DEPLOY01",
                 bot_profile={"name": "deploy-bot"})
    sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 26), "joined", subtype="channel_join")
    sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 27), "FYI: rotating keys today", user="U0GRACE")
    alert = sandbox.post(ALERTS, ny(2026, 11, 30, 9, 40), "CPU high on api", user=None, bot_id="B0ALERTS01",
                         bot_profile={"name": "grafana-alerts"})
    late = sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 50), "<!here> quick question about <@U0ADA>'s PR")
    return {"acked": acked, "self_replied": self_replied, "answered": answered, "alert": alert, "late": late}


def test_a_morning_of_requests(sandbox: Sandbox, untracked: Config) -> None:
    config = untracked
    keys = monday_morning(sandbox)
    report = sandbox.run(watching, quiet_standup(config), ny(2026, 11, 30, 9, 55), dry_run=True).report
    records = {r["key"].split("/")[1]: r for r in report.facts["records"]}  # type: ignore[union-attr]
    assert set(records) == {keys["acked"], keys["self_replied"], keys["answered"], keys["alert"], keys["late"]}
    assert records[keys["acked"]]["via"] == "reaction" and records[keys["acked"]]["acknowledged_by"] == ALAN
    assert records[keys["answered"]]["minutes_to_acknowledge"] == 10.0
    assert records[keys["answered"]]["acknowledged_by"] == "U0GRACE"
    assert records[keys["self_replied"]]["acknowledged"] is False  # only its requester replied
    assert records[keys["self_replied"]]["waiting_minutes"] == 40.0
    assert records[keys["alert"]]["acknowledged"] is False
    assert report.facts["waiting"] == 3
    assert report.outcomes == []  # nothing has waited 45 minutes yet
    assert report.total_calls() == 7  # auth.test and one history read for each of the six channels


def escalations(report: Report) -> list[str]:
    return [o.action.target for o in report.outcomes if o.action.kind == "slack.post"]


def quiet_standup(config: Config) -> Config:
    """The config without the standup digest, for tests about the DM and the team post alone."""
    return config.model_copy(update={"requests": config.requests.model_copy(update={"digest_channel": "off"})})


def test_each_escalation_is_sent_exactly_once_over_four_runs(sandbox: Sandbox, config: Config) -> None:
    keys = monday_morning(sandbox)
    config = quiet_standup(config)
    channel = {k: f"{SUPPORT if k != 'alert' else ALERTS}/{ts}" for k, ts in keys.items()}

    first = sandbox.run(watching, config, ny(2026, 11, 30, 10, 0)).report
    assert escalations(first) == ["DM Alan Turing"]
    assert requests_in(sandbox, ALAN, watch.WAITING_EVENT) == [[channel["self_replied"]]]
    dm_text = sandbox.bot_messages(ALAN, watch.WAITING_EVENT)[-1]["text"]
    assert "You are on support, so you hear first" in dm_text  # each message says why it was sent

    # Past the hour, but not urgent: the team is not interrupted (it waits for standup).
    second = sandbox.run(watching, config, ny(2026, 11, 30, 10, 15)).report
    assert escalations(second) == []

    third = sandbox.run(watching, config, ny(2026, 11, 30, 10, 30)).report
    # The alert is in an urgent channel: 50 wall-clock minutes. The late question: 40 business minutes.
    assert escalations(third) == ["DM Alan Turing"]
    assert requests_in(sandbox, ALAN, watch.WAITING_EVENT) == [[channel["self_replied"]], [channel["alert"]]]
    dm_text = sandbox.bot_messages(ALAN, watch.WAITING_EVENT)[-1]["text"]
    assert "from grafana-alerts, 50 min: “CPU high on api” *(new)* (urgent: #devops-alerts is an urgent channel)" \
        in dm_text
    assert "from Sam Requester, 1 h 15 min business: “Need access to Grafana”" in dm_text

    # The urgent alert, still unacknowledged past the hour: now the team hears, and only of it.
    fourth = sandbox.run(watching, config, ny(2026, 11, 30, 10, 45)).report
    assert escalations(fourth) == ["DM Alan Turing", "#vsp-operations"]  # the late question is 55 minutes old
    assert requests_in(sandbox, ALAN, watch.WAITING_EVENT)[-1] == [channel["late"]]
    assert requests_in(sandbox, OPS, watch.OVERDUE_EVENT) == [[channel["alert"]]]
    team_text = sandbox.bot_messages(OPS, watch.OVERDUE_EVENT)[0]["text"]
    assert "posted to the team because they are urgent" in team_text and "Need access" not in team_text

    again = sandbox.run(watching, config, ny(2026, 11, 30, 10, 45)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0  # the sheet rows were logged too
    assert len(requests_in(sandbox, OPS, watch.OVERDUE_EVENT)) == 1
    assert "<!here>" not in dm_text  # quoted text is neutralised


def test_nudges_in_the_thread_only_when_configured(sandbox: Sandbox, config: Config) -> None:
    keys = monday_morning(sandbox)
    nudging = config.model_copy(update={"requests": config.requests.model_copy(update={"nudge_in_thread": True})})
    sandbox.run(watching, config, ny(2026, 11, 30, 10, 15))
    replies = [m for m in sandbox.channel(SUPPORT)["messages"] if m.get("thread_ts") == keys["self_replied"]]
    assert [m["user"] for m in replies] == ["U0REQ1"]  # not configured: the requester's thread is left alone

    late = sandbox.post(SUPPORT, ny(2026, 11, 30, 15, 0), "Another question")
    report = sandbox.run(watching, nudging, ny(2026, 11, 30, 16, 5)).report
    assert "nudge in the thread" in [o.action.detail for o in report.outcomes]
    nudges = [m for m in sandbox.channel(SUPPORT)["messages"] if m.get("thread_ts") == late and m.get("bot_id")]
    assert len(nudges) == 1 and "<@U0ALAN>" in nudges[0]["text"]
    # The product's own reply is not an acknowledgement, and it is not sent twice.
    later = sandbox.run(watching, nudging, ny(2026, 11, 30, 16, 30)).report
    assert [o for o in later.outcomes if o.action.detail == "nudge in the thread"] == []
    assert later.facts["waiting"] >= 2


def test_friday_afternoon_waits_until_monday(sandbox: Sandbox, config: Config) -> None:
    config = quiet_standup(config)
    sandbox.post(SUPPORT, ny(2026, 11, 20, 16, 50), "Friday question: can someone rotate my key?")
    assert sandbox.run(watching, config, ny(2026, 11, 21, 12, 0)).report.outcomes == []  # Saturday
    assert sandbox.run(watching, config, ny(2026, 11, 23, 9, 30)).report.outcomes == []  # 40 business minutes
    monday = sandbox.run(watching, config, ny(2026, 11, 23, 9, 50)).report
    assert [o.action.target for o in monday.outcomes] == ["DM Grace Hopper"]  # not urgent: not the team


def test_thanksgiving_is_not_business_time(sandbox: Sandbox, config: Config) -> None:
    config = quiet_standup(config)
    sandbox.post(SUPPORT, ny(2026, 11, 25, 16, 30), "Before the holiday: could someone check the cert?")
    assert sandbox.run(watching, config, ny(2026, 11, 26, 15, 0)).report.outcomes == []
    friday = sandbox.run(watching, config, ny(2026, 11, 27, 9, 16)).report
    assert [o.action.target for o in friday.outcomes] == ["DM Grace Hopper"]


def test_the_clock_across_the_end_of_daylight_saving_time(sandbox: Sandbox, config: Config) -> None:
    config = quiet_standup(config)
    sandbox.post(SUPPORT, ny(2026, 10, 30, 16, 40), "Friday before the clocks change: is the VPN down?")
    assert sandbox.run(watching, config, ny(2026, 11, 2, 9, 24)).report.outcomes == []
    monday = sandbox.run(watching, config, ny(2026, 11, 2, 9, 25)).report
    assert [o.action.target for o in monday.outcomes] == ["DM Alan Turing"]


def test_rate_limits_are_waited_out_and_nothing_is_sent_twice(sandbox: Sandbox, config: Config) -> None:
    monday_morning(sandbox)
    faults = Faults(rate=0.2, kinds=("429",), retry_after=0, seed=7)
    injected = 0
    for minute in (0, 15, 30, 45):
        run = sandbox.run(watching, config, ny(2026, 11, 30, 10, minute), faults=faults)
        injected += run.faults_injected
        assert run.report.exit_code == 0, run.report.to_text()
    assert injected > 0
    assert len(sandbox.bot_messages(ALAN, watch.WAITING_EVENT)) == 3
    assert len(sandbox.bot_messages(OPS, watch.OVERDUE_EVENT)) == 1  # the urgent alert only
    assert len(sandbox.bot_messages(OPS, watch.DIGEST_EVENT)) == 1  # the standup digest, once


def test_a_busy_channel_is_read_in_pages(sandbox: Sandbox, untracked: Config) -> None:
    config = untracked
    start = ny(2026, 11, 30, 9, 0).timestamp()
    for i in range(1000):
        sandbox.post(SUPPORT, datetime.fromtimestamp(start + i * 30, NY), f"request {i}",
                     reactions=[{"name": "eyes", "users": ["U0GRACE"], "count": 1}])
    report = sandbox.run(watching, config, ny(2026, 12, 1, 9, 0), dry_run=True).report
    assert report.facts["requests"] == 1000 and report.facts["waiting"] == 0
    # auth.test, five pages of 200 for the busy channel, one read for each of the five quiet ones.
    assert report.api_calls == {"slack": {"reads": 11, "writes": 0}}


def test_a_long_waiting_list_is_cut_with_the_new_ones_kept(sandbox: Sandbox, config: Config) -> None:
    for minute in range(30):
        sandbox.post(SUPPORT, ny(2026, 11, 30, 9, minute), f"old question {minute}: can someone help?")
    sandbox.run(watching, config, ny(2026, 11, 30, 10, 0))
    sandbox.post(SUPPORT, ny(2026, 11, 30, 10, 1), "the newest question?")
    sandbox.run(watching, config, ny(2026, 11, 30, 10, 50))
    text = sandbox.bot_messages(ALAN, watch.WAITING_EVENT)[-1]["text"]
    assert "the newest question?” *(new)*" in text
    assert text.count("\n• ") == waiting.MAX_LISTED and text.endswith("…and 6 more")


def test_the_handoff_message_lists_requests_still_waiting(sandbox: Sandbox, config: Config) -> None:
    monday_morning(sandbox)
    sandbox.run(lambda s, c, at, d: rotate.run(s, c, at, dry_run=d), config, ny(2026, 11, 30, 10, 0))
    text = sandbox.bot_messages(OPS, rotate.TEAM_EVENT)[0]["text"]  # the team's message, not the requesters'
    assert "Still waiting for an acknowledgement" in text
    assert "Need access to Grafana" in text and "CPU high on api" in text and "Is staging down?" not in text
    assert "pick up a postmortem action item" in text and "Automate certificate rotation" in text


@pytest.mark.parametrize("channels", [[]])
def test_no_watched_channel_is_a_clear_error(sandbox: Sandbox, config: Config, channels: list[str]) -> None:
    unwatched = [c.model_copy(update={"watch": False}) for c in config.slack.channels]
    config = config.model_copy(update={"slack": config.slack.model_copy(update={"channels": unwatched})})
    report = sandbox.run(watching, config, ny(2026, 11, 30, 10, 0)).report
    assert report.exit_code == 1 and "watch = true" in report.errors[0]


def test_out_of_hours_only_urgent_requests_interrupt(sandbox: Sandbox, untracked: Config) -> None:
    friday = sandbox.post(SUPPORT, ny(2026, 12, 4, 18, 0), "Friday evening question")  # does not age until Monday
    outage = sandbox.post(SUPPORT, ny(2026, 12, 4, 23, 30), "Production is down: every form submission fails",
                          user="U0DOT")
    alert = sandbox.post(ALERTS, ny(2026, 12, 4, 22, 0), "[FIRING:1] Disk full on api", user=None,
                         bot_id="B0ALERTS01", bot_profile={"name": "grafana-alerts"})
    sandbox.post(ALERTS, ny(2026, 12, 4, 22, 5), "[RESOLVED] CPU high on api", user=None, bot_id="B0ALERTS01",
                 bot_profile={"name": "grafana-alerts"})  # another alert's resolution: neither a request nor this one's
    saturday = ny(2026, 12, 5, 0, 7)
    report = sandbox.run(watching, untracked, saturday).report
    assert report.facts["interrupting"] == "urgent requests only (out of business hours)"
    # Urgent words can make a request urgent in any channel, so the night reads them all.
    assert report.facts["channels"] == "all watched"
    assert report.facts["requests"] == 3 and report.facts["urgent"] == 2
    [overdue] = requests_in(sandbox, OPS, watch.OVERDUE_EVENT)
    assert overdue == [f"{ALERTS}/{alert}"]  # the alert waited two hours in wall-clock time; the RESOLVED is not one
    assert "Sent outside business hours because it is urgent." in sandbox.bot_messages(OPS, watch.OVERDUE_EVENT)[0][
        "text"]
    later = sandbox.run(watching, untracked, ny(2026, 12, 5, 1, 7)).report
    assert requests_in(sandbox, OPS, watch.OVERDUE_EVENT)[-1] == [f"{SUPPORT}/{outage}"]  # the outage, in words
    assert later.facts["urgent"] == 2
    assert not [r for r in requests_in(sandbox, ALAN, watch.WAITING_EVENT) if f"{SUPPORT}/{friday}" in r]
    monday = sandbox.run(watching, untracked, ny(2026, 12, 7, 9, 52)).report
    assert monday.facts["interrupting"] == "any request"
    # 52 business minutes: Katherine, on support from 09:00, hears of it (and of the outage still waiting).
    assert f"{SUPPORT}/{friday}" in requests_in(sandbox, "U0KATH", watch.WAITING_EVENT)[-1]

    # A team that makes only channels urgent (no words, no form values): the night reads just those channels.
    plain = untracked.model_copy(update={"requests": untracked.requests.model_copy(
        update={"urgent_words": [], "urgent_form_values": []})})
    night = sandbox.run(watching, plain, ny(2026, 12, 5, 2, 7), dry_run=True).report
    assert night.facts["channels"] == "urgent only (out of business hours)"
    urgent = [c for c in plain.slack.watched if c.urgent]
    assert night.total_calls("reads") < later.total_calls("reads") and len(urgent) < len(plain.slack.watched)


def test_a_ticketed_request_counts_as_acknowledged(sandbox: Sandbox, untracked: Config) -> None:
    from oncall_lib.support_issues import issues as support_issues

    reacted = sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 5), "Grafana dashboards are empty",
                           reactions=[{"name": "ticket", "users": [ALAN], "count": 1}])
    tracked = sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 10), "Can someone look at the flaky deploy?")
    link = f"https://sandbox.slack.com/archives/{SUPPORT}/p{tracked.replace('.', '')}"

    def button(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return support_issues.from_thread(s, c, at, link=link, epic_key="incident-response", dry_run=d)

    assert sandbox.run(button, untracked, ny(2026, 11, 30, 9, 20)).report.exit_code == 0  # replies "Tracked as"
    report = sandbox.run(watching, untracked, ny(2026, 11, 30, 11, 0), dry_run=True).report
    records = {r["key"].split("/")[1]: r for r in report.facts["records"]}  # type: ignore[union-attr]
    assert records[reacted]["acknowledged"] and records[reacted]["via"] == "reaction"
    assert records[tracked]["acknowledged"] and records[tracked]["via"] == "ticket"
    assert records[tracked]["minutes_to_acknowledge"] == 10.0
    assert report.facts["waiting_over_60_min"] == 0


def test_another_requesters_reply_does_not_hide_an_outage(sandbox: Sandbox, config: Config) -> None:
    config = quiet_standup(config)
    outage = sandbox.post(SUPPORT, ny(2026, 11, 30, 13, 0), "Outage: vets.gov login returns 500 for everyone",
                          user="U0DOT")
    sandbox.reply(SUPPORT, outage, ny(2026, 11, 30, 13, 5), "U0REQ1", "seeing it too")
    sandbox.channel(SUPPORT)["messages"][-2]["reactions"] = [{"name": "eyes", "users": ["U0REQ1"], "count": 1}]
    question = sandbox.post(SUPPORT, ny(2026, 11, 30, 13, 1), "Can someone add me to the devops team?")
    sandbox.channel(SUPPORT)["messages"][-1]["reactions"] = [{"name": "eyes", "users": [ALAN], "count": 1}]
    report = sandbox.run(watching, config, ny(2026, 11, 30, 14, 7)).report
    records = {r["key"].split("/")[1]: r for r in report.facts["records"]}  # type: ignore[union-attr]
    assert records[outage]["acknowledged"] is False and records[outage]["urgent"] is True
    assert records[question]["acknowledged_by"] == ALAN  # the person on support's eyes
    assert escalations(report) == ["DM Alan Turing", "#vsp-operations"]
    assert requests_in(sandbox, OPS, watch.OVERDUE_EVENT) == [[f"{SUPPORT}/{outage}"]]
    assert "(urgent: it says “outage”)" in sandbox.bot_messages(OPS, watch.OVERDUE_EVENT)[0]["text"]
    # Once a team member replies, it is acknowledged, and nobody hears of it again.
    sandbox.reply(SUPPORT, outage, ny(2026, 11, 30, 14, 10), "U0KATH", "On it, paging the API team")
    after = sandbox.run(watching, config, ny(2026, 11, 30, 14, 22)).report
    assert escalations(after) == [] and after.facts["waiting"] == 0


def test_one_standup_digest_a_business_day_and_none_when_nothing_waits(sandbox: Sandbox, untracked: Config) -> None:
    config = untracked
    # Monday: nothing waits at standup, so nothing is posted.
    assert escalations(sandbox.run(watching, config, ny(2026, 11, 30, 9, 37)).report) == []
    left = sandbox.post(SUPPORT, ny(2026, 11, 30, 16, 55), "Could someone bump the runner quota?")
    # Not before standup, even on a business day.
    assert escalations(sandbox.run(watching, config, ny(2026, 12, 1, 9, 22)).report) == []
    tuesday = sandbox.run(watching, config, ny(2026, 12, 1, 9, 37)).report
    assert escalations(tuesday) == ["#vsp-operations"]
    [digest] = sandbox.bot_messages(OPS, watch.DIGEST_EVENT)
    assert "posted once a business day at standup (09:30)" in digest["text"]
    assert "bump the runner quota" in digest["text"] and digest["metadata"]["event_payload"]["day"] == "2026-12-01"
    assert "from Sam Requester, 42 min business" in digest["text"]
    # Once a day: the later ticks of Tuesday post no second digest, though the request still waits.
    later = sandbox.run(watching, config, ny(2026, 12, 1, 9, 52)).report
    assert [o for o in later.outcomes if o.action.target == "#vsp-operations"] == []
    assert requests_in(sandbox, ALAN, watch.WAITING_EVENT) == [[f"{SUPPORT}/{left}"]]  # the DM at 45 minutes
    # Saturday: no digest (not a business day), even with something waiting.
    assert escalations(sandbox.run(watching, config, ny(2026, 12, 5, 9, 37)).report) == []
    assert len(sandbox.bot_messages(OPS, watch.DIGEST_EVENT)) == 1


def test_the_dry_run_explains_each_decision(sandbox: Sandbox, untracked: Config) -> None:
    sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 10), "Thanks everyone!")
    sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 11), "Is staging down?")
    sandbox.post(ALERTS, ny(2026, 11, 30, 9, 12), "[RESOLVED] CPU high on api", user=None, bot_id="B0ALERTS01",
                 bot_profile={"name": "grafana-alerts"})
    sandbox.post(SUPPORT, ny(2026, 11, 30, 9, 13), "deployed", user=None, bot_id="B0DEPLOY01",
                 bot_profile={"name": "deploy-bot"})
    report = sandbox.run(watching, untracked, ny(2026, 11, 30, 9, 20), dry_run=True).report
    text = report.to_text()
    assert "#vfs-platform-support Mon 09:10 “Thanks everyone!”: not a request: thanks" in text
    assert "“Is staging down?”: request: asks a question" in text
    assert "“[RESOLVED] CPU high on api”: not a request: grafana-alerts says it resolved" in text
    assert "“deployed”: not a request: a bot post (deploy-bot)" in text
    assert report.facts["messages"] == 4 and report.facts["requests"] == 1


def test_an_alert_its_bot_says_resolved_needs_nobody(sandbox: Sandbox, untracked: Config) -> None:
    firing = sandbox.post(ALERTS, ny(2026, 12, 5, 2, 0), "[FIRING:1] DiskSpaceLow jenkins-01 92%", user=None,
                          bot_id="B0ALERTS01", bot_profile={"name": "grafana-alerts"})
    sandbox.post(ALERTS, ny(2026, 12, 5, 2, 30), "[RESOLVED] DiskSpaceLow jenkins-01", user=None,
                 bot_id="B0ALERTS01", bot_profile={"name": "grafana-alerts"})
    report = sandbox.run(watching, untracked, ny(2026, 12, 5, 4, 7)).report
    [record] = [r for r in report.facts["records"] if r["key"].endswith(firing)]  # type: ignore[union-attr]
    assert record["acknowledged"] and record["via"] == "resolved" and record["acknowledged_by"] == "grafana-alerts"
    assert escalations(report) == []


def test_on_a_holiday_only_urgent_requests_interrupt(sandbox: Sandbox, config: Config) -> None:
    config = quiet_standup(config)
    sandbox.post(SUPPORT, ny(2026, 11, 26, 10, 0), "Could someone add me to the devops team?")
    outage = sandbox.post(SUPPORT, ny(2026, 11, 26, 10, 5), "Emergency: claims submissions fail for everyone",
                          user="U0DOT")
    report = sandbox.run(watching, config, ny(2026, 11, 26, 11, 7)).report  # Thanksgiving, in the team's holidays
    assert escalations(report) == ["DM Grace Hopper", "#vsp-operations"]
    assert requests_in(sandbox, "U0GRACE", watch.WAITING_EVENT) == [[f"{SUPPORT}/{outage}"]]
    assert requests_in(sandbox, OPS, watch.OVERDUE_EVENT) == [[f"{SUPPORT}/{outage}"]]


def test_the_digest_channel_must_be_a_known_channel(config: Config) -> None:
    from oncall_lib.config import ConfigError, parse_config

    text = (ROOT / "oncall.toml").read_text().replace("nudge_in_thread = false",
                                                      'nudge_in_thread = false\ndigest_channel = "standup"')
    with pytest.raises(ConfigError, match="digest_channel = 'standup' is not the key of any"):
        parse_config(text, ROOT / "oncall.toml")
    off = parse_config(text.replace('"standup"', '"off"'), ROOT / "oncall.toml")
    assert watch.digest_channel(off) is None and watch.digest_channel(config) == config.slack.operations
