"""The weekly handoff, end to end through PyGithub, slack_sdk and pagerduty against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.handoff import rotate
from oncall_lib.report import Report
from oncall_lib.sandbox import Faults
from oncall_lib.services import Services
from tests.conftest import Sandbox

REPO = "department-of-veterans-affairs/va.gov-team"
SUPPORT = "C01SUPPORT"
OPERATIONS = "C02VSPOPS"  # the team's channel ([slack] operations_channel)
# Tuesday of the week Grace Hopper is on the support layer in the example world.
TUESDAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def rotation(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotate.run(services, config, at, dry_run=dry_run)


def with_rotation(config: Config, **changes: Any) -> Config:
    return config.model_copy(update={"rotation": config.rotation.model_copy(update=changes)})


def with_roster(config: Config, roster: list[Any]) -> Config:
    return config.model_copy(update={"roster": roster})


def statuses(report: Report) -> list[tuple[str, str]]:
    return [(o.action.kind, o.status.value) for o in report.outcomes]


def outgoing_on_the_epics(sandbox: Sandbox) -> None:
    """Ada's turn ends Monday 23 November: the product had assigned her to both epics for it."""
    for number in (1954, 3675):
        sandbox.issue(REPO, number)["assignees"].append("ada-lovelace")


def test_first_run_hands_over_and_second_run_writes_nothing(sandbox: Sandbox, config: Config) -> None:
    outgoing_on_the_epics(sandbox)
    first = sandbox.run(rotation, config, TUESDAY).report
    assert first.exit_code == 0
    assert first.facts["on_support"] == "Grace Hopper"
    assert first.facts["outgoing"] == "Ada Lovelace"
    assert first.facts["next"] == "Alan Turing"
    assert first.facts["next_takes_over"] == "2026-11-30T09:00:00-05:00"
    assert all(status == "applied" for _, status in statuses(first))

    for number in (1954, 3675):
        assignees = sandbox.issue(REPO, number)["assignees"]
        assert "grace-hopper" in assignees
        assert "ada-lovelace" not in assignees  # the outgoing person on support
        # A rotation member on the epic who is not the outgoing person (she assigned herself): stays.
        assert "katherine-johnson" in assignees
    # Margaret is on the roster but not in the rotation: never unassigned.
    assert "margaret-hamilton" in sandbox.issue(REPO, 1954)["assignees"]
    assert sandbox.channel(SUPPORT)["topic"].startswith("Oncall support this week: Grace Hopper (<@U0GRACE>)")
    assert len(sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)) == 1
    assert len(sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT)) == 1
    assert len(sandbox.bot_messages("U0GRACE", rotate.CHECKLIST_EVENT)) == 1

    second = sandbox.run(rotation, config, TUESDAY.replace(hour=16)).report
    assert second.outcomes == []
    assert second.total_calls("writes") == 0
    # The figure docs/measurements.md quotes: a run with nothing to change.
    assert second.total_calls() <= 8, second.api_calls


def test_dry_run_plans_everything_and_changes_nothing(sandbox: Sandbox, config: Config) -> None:
    before = sandbox.channel(SUPPORT)["topic"], list(sandbox.issue(REPO, 1954)["assignees"])
    report = sandbox.run(rotation, config, TUESDAY, dry_run=True).report
    assert {status for _, status in statuses(report)} == {"planned"}
    # The rotation's row goes first, so the handoff message's marker can say whether it reached the sheet.
    assert [kind for kind, _ in statuses(report)][:2] == ["sheet.add_worksheet", "sheet.append"]
    # The sheet's two, the assignments, the topic, the team's message, the announcement, the DM.
    assert len(report.outcomes) == 8
    assert report.total_calls("writes") == 0
    assert (sandbox.channel(SUPPORT)["topic"], sandbox.issue(REPO, 1954)["assignees"]) == before
    assert sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT) == []


def test_cached_pagerduty_ids_save_the_user_lookup(sandbox: Sandbox, config: Config) -> None:
    ids = {"Ada Lovelace": "PADA001", "Grace Hopper": "PGRACE1", "Alan Turing": "PALAN01",
           "Katherine Johnson": "PKATH01"}
    roster = [m.model_copy(update={"pagerduty_id": ids.get(m.name)}) for m in config.roster]
    config = with_roster(config, roster)
    sandbox.run(rotation, config, TUESDAY)
    again = sandbox.run(rotation, config, TUESDAY).report
    assert again.api_calls["pagerduty"] == {"reads": 1, "writes": 0}
    assert again.total_calls() == 7


@pytest.mark.parametrize("layer", ["Layer 2", "layer 2", "PLAYER2"])
def test_support_layer_by_name_or_id_skips_the_ended_layer(sandbox: Sandbox, config: Config, layer: str) -> None:
    # The ended layer PL2OLD0 is also named "Layer 2" and had Margaret and Dorothy on it.
    report = sandbox.run(rotation, with_rotation(config, support_layer=layer), TUESDAY, dry_run=True).report
    assert report.facts["on_support"] == "Grace Hopper"


def test_an_ended_layer_asked_for_by_id_is_an_error(sandbox: Sandbox, config: Config) -> None:
    report = sandbox.run(rotation, with_rotation(config, support_layer="PL2OLD0"), TUESDAY).report
    assert report.exit_code == 1
    assert "not active" in report.errors[0]
    assert report.outcomes == []


def test_an_unknown_layer_lists_the_active_ones(sandbox: Sandbox, config: Config) -> None:
    report = sandbox.run(rotation, with_rotation(config, support_layer="Layer 9"), TUESDAY).report
    assert report.exit_code == 1
    assert "'Layer 1' (PLAYER1)" in report.errors[0] and "'Layer 2' (PLAYER2)" in report.errors[0]
    assert "PL2OLD0" not in report.errors[0]


def test_an_override_wins_over_the_layer(sandbox: Sandbox, config: Config) -> None:
    schedule = sandbox.world["pagerduty"]["schedules"][0]
    schedule["overrides"].append({"id": "POVR002", "start": "2026-11-24T09:00:00-05:00",
                                  "end": "2026-11-26T09:00:00-05:00", "user": "PKATH01"})
    report = sandbox.run(rotation, config, TUESDAY).report
    assert report.facts["on_support"] == "Katherine Johnson"
    assert report.facts["override"] is True
    assert report.facts["outgoing"] == "Grace Hopper"
    assert "katherine-johnson" in sandbox.issue(REPO, 1954)["assignees"]
    assert "grace-hopper" not in sandbox.issue(REPO, 1954)["assignees"]
    # When the override ends, Grace is back: a new rotation key, so a new handoff message.
    back = sandbox.run(rotation, config, datetime(2026, 11, 26, 15, 0, tzinfo=UTC)).report
    assert back.facts["on_support"] == "Grace Hopper"
    assert len(sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)) == 2


def test_handoff_on_the_first_monday_after_daylight_saving_ends(sandbox: Sandbox, config: Config) -> None:
    # Clocks went back on Sunday 1 Nov 2026; the handoff stays at 09:00 New York time (14:00 UTC, not 13:00).
    before = sandbox.run(rotation, config, datetime(2026, 11, 2, 13, 30, tzinfo=UTC), dry_run=True).report
    assert before.facts["on_support"] == "Grace Hopper"
    assert before.facts["next_takes_over"] == "2026-11-02T09:00:00-05:00"
    after = sandbox.run(rotation, config, datetime(2026, 11, 2, 14, 5, tzinfo=UTC)).report
    assert after.facts["on_support"] == "Alan Turing"
    assert after.facts["since"] == "2026-11-02T09:00:00-05:00"
    message = sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)[0]["text"]
    assert "from Mon 02 Nov 09:00 EST until Mon 09 Nov 09:00 EST" in message


def test_nobody_on_the_layer_plans_nothing_and_fails(sandbox: Sandbox, config: Config) -> None:
    # An active layer whose users were all removed renders no entries: a gap in coverage.
    sandbox.world["pagerduty"]["schedules"][0]["layers"][2]["users"] = []
    report = sandbox.run(rotation, config, TUESDAY).report
    assert report.exit_code == 1
    assert report.outcomes == []
    assert "nobody is on support layer 'Layer 2' (PLAYER2)" in report.errors[0]


def test_a_layer_that_has_not_started_is_not_used(sandbox: Sandbox, config: Config) -> None:
    sandbox.world["pagerduty"]["schedules"][0]["layers"][2]["start"] = "2026-11-25T09:00:00-05:00"
    report = sandbox.run(rotation, config, TUESDAY).report
    assert report.exit_code == 1
    assert report.outcomes == []
    assert "no active layer with id or name 'Layer 2'" in report.errors[0]


def test_a_pagerduty_user_missing_from_the_roster(sandbox: Sandbox, config: Config) -> None:
    roster = [m for m in config.roster if m.name != "Grace Hopper"]
    report = sandbox.run(rotation, with_roster(config, roster), TUESDAY).report
    assert report.exit_code == 0
    assert any("Grace Hopper (grace.hopper@example.gov)" in w and "not in" in w for w in report.warnings)
    kinds = [o.action.kind for o in report.outcomes]
    assert "github.assign" not in kinds  # no GitHub login known
    # Slack found her by email: the topic mentions her and she gets the checklist.
    assert "<@U0GRACE>" in sandbox.channel(SUPPORT)["topic"]
    assert len(sandbox.bot_messages("U0GRACE", rotate.CHECKLIST_EVENT)) == 1


def test_a_roster_member_without_slack_or_github(sandbox: Sandbox, config: Config) -> None:
    roster = [m.model_copy(update={"slack": None, "github": None}) if m.name == "Grace Hopper" else m
              for m in config.roster]
    sandbox.world["slack"]["users"] = [u for u in sandbox.world["slack"]["users"] if u["id"] != "U0GRACE"]
    report = sandbox.run(rotation, with_roster(config, roster), TUESDAY).report
    assert report.exit_code == 0
    assert any("no github login" in w for w in report.warnings)
    assert any("no Slack user" in w for w in report.warnings)
    assert sandbox.channel(SUPPORT)["topic"].startswith("Oncall support this week: Grace Hopper (Grace Hopper)")
    assert [o.action.target for o in report.outcomes if o.action.kind == "slack.post"] == ["#vsp-operations",
                                                                                           "#vfs-platform-support"]


def test_the_rest_of_the_topic_survives(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(rotation, config, TUESDAY)
    topic = sandbox.channel(SUPPORT)["topic"]
    assert topic == ("Oncall support this week: Grace Hopper (<@U0GRACE>) | Docs: <https://platform.example/support>"
                     " | Emergencies: page via PagerDuty")


def test_a_topic_that_would_exceed_250_characters(sandbox: Sandbox, config: Config) -> None:
    long_tail = "Read the runbook before asking & include links " + "x" * 150
    sandbox.channel(SUPPORT)["topic"] = (f"Oncall support this week: Ada Lovelace (<@U0ADA>) | Office hours Tue | "
                                         f"{long_tail}")
    report = sandbox.run(rotation, config, TUESDAY).report
    topic = sandbox.channel(SUPPORT)["topic"]
    assert len(topic) <= 250
    assert topic == "Oncall support this week: Grace Hopper (<@U0GRACE>) | Office hours Tue"
    assert any("dropped: Read the runbook" in w for w in report.warnings)
    assert sandbox.run(rotation, config, TUESDAY).report.outcomes == []


def test_a_topic_already_right_as_slack_stores_it_is_not_rewritten(sandbox: Sandbox, config: Config) -> None:
    # Slack stores "&" as "&amp;" and wraps URLs; comparing as people read it avoids a write every hour.
    sandbox.channel(SUPPORT)["topic"] = ("Oncall support this week: Grace Hopper (<@U0GRACE>) | Q&amp;A: "
                                         "<https://platform.example/faq>")
    report = sandbox.run(rotation, config, TUESDAY).report
    assert "slack.set_topic" not in [o.action.kind for o in report.outcomes]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_twenty_percent_faults_converge_without_duplicates(sandbox: Sandbox, config: Config, seed: int) -> None:
    outgoing_on_the_epics(sandbox)
    faults = Faults(rate=0.2, seed=seed, retry_after=0)
    runs, injected = [], 0
    for _ in range(12):
        run = sandbox.run(rotation, config, TUESDAY, faults=faults)
        report = run.report
        injected += run.faults_injected
        runs.append(report)
        if report.exit_code == 0 and not report.outcomes:
            break
    assert runs[-1].outcomes == [] and runs[-1].exit_code == 0, [r.to_text() for r in runs]
    assert len(sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)) == 1
    assert len(sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT)) == 1
    assert len(sandbox.bot_messages("U0GRACE", rotate.CHECKLIST_EVENT)) == 1
    for number in (1954, 3675):
        assert set(sandbox.issue(REPO, number)["assignees"]) & {"grace-hopper", "katherine-johnson", "ada-lovelace"} \
            == {"grace-hopper", "katherine-johnson"}
    assert injected > 0


def test_a_rotation_row_lost_with_the_sheet_is_logged_by_the_next_run(sandbox: Sandbox, config: Config) -> None:
    sheet_down = Faults(rate=1.0, kinds=("5xx",), services=("sheets",), retry_after=0, seed=1)
    first = sandbox.run(rotation, config, TUESDAY, faults=sheet_down).report
    [message] = sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)
    assert message["metadata"]["event_payload"]["logged"] is False  # the handoff went out; the row did not
    assert any("tracking sheet not updated" in w for w in first.warnings)

    second = sandbox.run(rotation, config, TUESDAY).report
    assert [o.action.kind for o in second.outcomes] == ["sheet.add_worksheet", "sheet.append", "slack.update"]
    assert {o.status.value for o in second.outcomes} == {"applied"}
    [message] = sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)  # updated, not posted again
    assert message["metadata"]["event_payload"]["logged"] is True

    third = sandbox.run(rotation, config, TUESDAY).report
    assert third.outcomes == [] and third.total_calls() <= 8


def test_the_next_person_hears_what_waits_the_working_day_before_their_turn(sandbox: Sandbox,
                                                                            config: Config) -> None:
    """Grace's week ends Monday 30 November at 09:00 (Thanksgiving week); Alan is next. The working day before
    is Friday 27 November: from the handoff hour on, one DM to Alan, with the waiting requests and open issues."""
    from zoneinfo import ZoneInfo
    ny = ZoneInfo("America/New_York")
    sandbox.post(SUPPORT, datetime(2026, 11, 27, 8, 0, tzinfo=ny), "Is the VPN down for everyone?")
    thursday = sandbox.run(rotation, config, datetime(2026, 11, 26, 12, 0, tzinfo=ny)).report
    assert not [o for o in thursday.outcomes if o.action.target == "DM Alan Turing"]
    early = sandbox.run(rotation, config, datetime(2026, 11, 27, 8, 30, tzinfo=ny)).report  # before 09:00
    assert not [o for o in early.outcomes if o.action.target == "DM Alan Turing"]

    friday = sandbox.run(rotation, config, datetime(2026, 11, 27, 9, 30, tzinfo=ny)).report
    assert [(o.action.target, o.status.value) for o in friday.outcomes if o.action.target == "DM Alan Turing"] == [
        ("DM Alan Turing", "applied")]
    [dm] = sandbox.bot_messages("U0ALAN", rotate.PRETURN_EVENT)
    assert dm["text"].startswith(":calendar: Heads-up: you are on oncall support from Mon 30 Nov 09:00")
    assert "Requests still waiting for an acknowledgement (1):" in dm["text"] and "VPN" in dm["text"]
    assert "Open support issues" in dm["text"] or "No support issue is open." in dm["text"]

    later = sandbox.run(rotation, config, datetime(2026, 11, 28, 11, 0, tzinfo=ny)).report
    assert later.total_calls("writes") == 0
    assert len(sandbox.bot_messages("U0ALAN", rotate.PRETURN_EVENT)) == 1


def test_the_handoff_message_shows_normal_oncalls_week(sandbox: Sandbox, config: Config) -> None:
    """Alan takes over on Monday 30 November: the message lists what PagerDuty paged for during Grace's turn."""
    monday = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    report = sandbox.run(rotation, config, monday).report
    assert report.exit_code == 0, report.to_text()
    [message] = sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT)
    assert "Normal oncall since the last handoff: 2 incident(s), 2 high urgency, 2 resolved:" in message["text"]
    assert "#4101 API latency over 2 s on /v0/profile" in message["text"]
    assert "#4103" not in message["text"]  # Alan's own week has not happened yet
    # The requesters' channel hears who is on support, not normal oncall's incidents.
    [announcement] = sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)
    assert "Normal oncall" not in announcement["text"] and "#4101" not in announcement["text"]
    assert sandbox.run(rotation, config, monday).report.total_calls("writes") == 0


def test_a_slack_user_group_always_holds_the_person_on_support(sandbox: Sandbox, config: Config) -> None:
    """@oncall-support reaches whoever is on support: the handoff makes them its only member, once."""
    sandbox.world["slack"]["usergroups"] = [{"id": "S0SUPPORT", "handle": "oncall-support",
                                             "name": "Oncall support", "users": ["U0ADA", "U0GRACE"]}]
    grouped = with_rotation(config, slack_user_group="@oncall-support")
    unscoped = sandbox.run(rotation, grouped, TUESDAY).report  # the example token lacks the usergroups scopes
    assert any("lacks scope usergroups:read" in w for w in unscoped.warnings) and unscoped.exit_code == 0
    sandbox.world["slack"]["scopes"] += ["usergroups:read", "usergroups:write"]
    first = sandbox.run(rotation, grouped, TUESDAY).report
    assert ("slack.set_usergroup", "applied") in statuses(first)
    assert sandbox.world["slack"]["usergroups"][0]["users"] == ["U0GRACE"]
    again = sandbox.run(rotation, grouped, TUESDAY).report
    assert again.total_calls("writes") == 0


def test_on_a_free_slack_plan_the_user_group_is_a_warning_not_a_failure(sandbox: Sandbox, config: Config) -> None:
    sandbox.world["slack"]["plan"] = "free"
    sandbox.world["slack"]["scopes"] += ["usergroups:read", "usergroups:write"]
    report = sandbox.run(rotation, with_rotation(config, slack_user_group="oncall-support"), TUESDAY).report
    assert report.exit_code == 0
    assert any("plan_upgrade_required" in w and "paid Slack plan" in w for w in report.warnings)


def test_the_start_of_turn_dm_says_what_to_do_first_and_links_everything(sandbox: Sandbox, config: Config) -> None:
    """Not a generic checklist: the request waiting comes first, then the epics, the channels, the issues and the
    sheet, each a link the person can act on."""
    from datetime import timedelta

    asked = sandbox.post(SUPPORT, TUESDAY - timedelta(hours=2), "Can someone rotate the staging certificate?")
    sandbox.run(rotation, config, TUESDAY)
    [dm] = sandbox.bot_messages("U0GRACE", rotate.CHECKLIST_EVENT)
    lines = dm["text"].split("\n")
    assert lines[1].startswith("*First:* acknowledge the request still waiting")
    assert lines[2].startswith(f"• <https://sandbox.slack.com/archives/{SUPPORT}/p{asked.replace('.', '')}|"
                               "#vfs-platform-support>") and "rotate the staging certificate" in lines[2]
    text = dm["text"]
    assert "<https://github.sandbox/department-of-veterans-affairs/va.gov-team/issues/1954|Incident Response>" in text
    assert "Requests come in <#C01SUPPORT>: also watch <#C02VSPOPS>, <#C03SRE000>" in text
    assert "/va.gov-team/issues?q=is:open%20label:%22support-request%22|support issue>" in text
    assert "<https://docs.google.com/spreadsheets/d/1bKUfJ6GSRm7_Zal88IkYEiw5md-9L9WRxK51ZNMtt8k/edit|" in text
    assert len([line for line in lines if line.startswith("• ")]) == 2  # the request, and one rule no link carries


def test_with_nothing_waiting_the_dm_says_so_and_what_to_pick_up(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(rotation, config, TUESDAY)
    [dm] = sandbox.bot_messages("U0GRACE", rotate.CHECKLIST_EVENT)
    assert dm["text"].split("\n")[1] == ("*First:* nothing is waiting. Skim <#C01SUPPORT> for anything new, then, "
                                         "with no support work or incident, pick up a postmortem action item:")
    assert "Automate certificate rotation" in dm["text"].split("\n")[2]


# -- where each message goes (#32): requesters hear who is on support; the team hears what waits --------------


def test_the_requesters_channel_hears_who_is_on_support_and_the_team_what_waits(sandbox: Sandbox,
                                                                              config: Config) -> None:
    from datetime import timedelta

    sandbox.post(SUPPORT, TUESDAY - timedelta(hours=2), "Can someone rotate the staging certificate?")
    sandbox.run(rotation, config, TUESDAY)
    [announcement] = sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)
    assert announcement["text"].split("\n") == [
        ":wave: *Oncall support handoff*: <@U0GRACE> is the first point of contact from Mon 23 Nov 09:00 EST until "
        "Mon 30 Nov 09:00 EST", "Taking over from Ada Lovelace. Thank you!",
        "Next up: Alan Turing from Mon 30 Nov 09:00 EST"]
    [team] = sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT)
    assert "Still waiting for an acknowledgement (1):" in team["text"] and "staging certificate" in team["text"]
    assert "pick up a postmortem action item" in team["text"] and "Super Epics: " in team["text"]
    # Its marker tells the next runs the team's message went out: they do not look for it.
    assert announcement["metadata"]["event_payload"]["team"] is True
    assert sandbox.run(rotation, config, TUESDAY.replace(hour=16)).report.total_calls() <= 8


def test_each_handoff_messages_channel_is_a_setting(sandbox: Sandbox, config: Config) -> None:
    moved = with_rotation(config, announce_channel="operations", team_channel="sre")
    report = sandbox.run(rotation, moved, TUESDAY).report
    assert report.exit_code == 0, report.to_text()
    assert len(sandbox.bot_messages(OPERATIONS, rotate.HANDOFF_EVENT)) == 1
    assert len(sandbox.bot_messages("C03SRE000", rotate.TEAM_EVENT)) == 1
    assert sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT) == []
    assert sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT) == []
    # The topic stays the support channel's: that is where requesters look.
    assert sandbox.channel(SUPPORT)["topic"].startswith("Oncall support this week: Grace Hopper")
    assert sandbox.run(rotation, moved, TUESDAY.replace(hour=16)).report.total_calls("writes") == 0


def test_an_unknown_channel_key_for_a_handoff_message_is_a_config_error(tmp_path: Any) -> None:
    from pathlib import Path

    from oncall_lib.config import ConfigError, load_config

    text = Path("oncall.toml").read_text(encoding="utf-8")
    text = text.replace("[rotation]\n", '[rotation]\nteam_channel = "nope"\n')
    (tmp_path / "oncall.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="rotation.team_channel = 'nope' is not the key of any"):
        load_config(tmp_path / "oncall.toml")


def test_without_a_team_channel_the_incoming_person_hears_what_the_team_would_have(sandbox: Sandbox,
                                                                                 config: Config) -> None:
    """No [rotation] team_channel and no operations channel: nothing internal goes to the requesters' channel;
    normal oncall's week reaches the incoming person's start-of-turn DM instead."""
    alone = config.model_copy(update={"slack": config.slack.model_copy(update={"operations_channel": None})})
    monday = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    report = sandbox.run(rotation, alone, monday).report
    assert report.exit_code == 0, report.to_text()
    [announcement] = sandbox.bot_messages(SUPPORT, rotate.HANDOFF_EVENT)
    assert "Normal oncall" not in announcement["text"] and "postmortem" not in announcement["text"]
    assert sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT) == []
    [dm] = sandbox.bot_messages("U0ALAN", rotate.CHECKLIST_EVENT)
    assert "Normal oncall since the last handoff: 2 incident(s)" in dm["text"]
    assert sandbox.run(rotation, alone, monday).report.total_calls("writes") == 0


# -- touch only what the product did (#32): the handoff unassigns only the outgoing person, at the change --------


def test_a_teammate_who_assigns_herself_mid_turn_stays(sandbox: Sandbox, config: Config) -> None:
    outgoing_on_the_epics(sandbox)
    sandbox.run(rotation, config, TUESDAY)
    assert "ada-lovelace" not in sandbox.issue(REPO, 1954)["assignees"]
    # Mid-turn, Alan picks up the epic with Grace, and Ada (the outgoing person) comes back to help.
    sandbox.issue(REPO, 1954)["assignees"] += ["alan-turing", "ada-lovelace"]
    for hour in (16, 17, 18):
        later = sandbox.run(rotation, config, TUESDAY.replace(hour=hour)).report
        assert later.total_calls("writes") == 0, later.to_text()
    assert {"grace-hopper", "alan-turing", "ada-lovelace"} <= set(sandbox.issue(REPO, 1954)["assignees"])


def test_at_the_next_change_of_turn_only_the_outgoing_person_leaves(sandbox: Sandbox, config: Config) -> None:
    """Alan's turn begins Monday 30 November: Grace (outgoing) leaves the epics; Katherine, who assigned herself,
    stays."""
    sandbox.run(rotation, config, TUESDAY)
    monday = sandbox.run(rotation, config, datetime(2026, 11, 30, 15, 0, tzinfo=UTC)).report
    assert [(o.action.kind, o.action.params["logins"]) for o in monday.outcomes if o.action.kind == "github.unassign"
            ] == [("github.unassign", ["grace-hopper"]), ("github.unassign", ["grace-hopper"])]
    for number in (1954, 3675):
        assignees = sandbox.issue(REPO, number)["assignees"]
        assert "alan-turing" in assignees and "grace-hopper" not in assignees and "katherine-johnson" in assignees


# -- the handoff gathers the sections of the duties that are on (#35) ----------------------------------------


def test_a_duty_that_is_off_shows_nothing_in_the_handoff(sandbox: Sandbox, config: Config) -> None:
    """Without [postmortems] the team's message and the DM say nothing about postmortem items; without
    [support_issues] the heads-up DM says nothing about support issues (not even that none is open)."""
    from zoneinfo import ZoneInfo

    off = config.model_copy(update={"postmortems": None, "support_issues": None})
    sandbox.run(rotation, off, TUESDAY)
    [team] = sandbox.bot_messages(OPERATIONS, rotate.TEAM_EVENT)
    [dm] = sandbox.bot_messages("U0GRACE", rotate.CHECKLIST_EVENT)
    assert "postmortem" not in team["text"] and "postmortem" not in dm["text"]
    sandbox.run(rotation, off, datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo("America/New_York")))
    [heads_up] = sandbox.bot_messages("U0ALAN", rotate.PRETURN_EVENT)
    assert "support issue" not in heads_up["text"] and "postmortem" not in heads_up["text"]
    assert "No request is waiting right now." in heads_up["text"]  # the request watch is on: it says so
