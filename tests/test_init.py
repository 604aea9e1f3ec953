"""init.py: a starter oncall.toml from a PagerDuty schedule and the support channel, through the real SDKs.

What a team does with it: write it, fill the blanks check_config.py names, run the handoff.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_lib.config import ConfigError, parse_config
from oncall_lib.errors import InputError
from oncall_lib.handoff import rotate
from oncall_lib.report import Report
from oncall_lib.rotation.schedule import ScheduleProblem
from oncall_lib.sandbox import SandboxServer, sandbox_endpoints
from oncall_lib.services import Services
from oncall_lib.setup import init_config
from oncall_lib.setup.init_config import InitRequest
from oncall_lib.setup.starter import BLANK, choose_layer, parse_duties, parse_epics, toml_value
from tests.conftest import Sandbox
from tests.test_cli import script
from tests.test_schedules import shift_based

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 24, 10, 0, tzinfo=NY)  # a Tuesday: Grace Hopper holds the support turn
EPICS = {"incident-response": "department-of-veterans-affairs/va.gov-team#1954",
         "customer-support": "department-of-veterans-affairs/va.gov-team#3675"}
# What a person types into each blank, by key.
ANSWERS = {"repo": "department-of-veterans-affairs/devops", "id": "C04DEPLOYS", "approvers_team": "dva/ops",
           "name": "Grafana", "spreadsheet_id": "1bKUfJ6GSRm7_Zal88IkYEiw5md", "repos": ["dva/devops"],
           "workflow": "deploy.yml"}


def init(sandbox: Sandbox, tmp_path: Path, **asked: Any) -> tuple[Report, str, Path]:
    output = tmp_path / "oncall.toml"
    request = InitRequest(**{"schedule": "PSUPPRT", "support_channel": "C01SUPPORT", "output": str(output), **asked})
    with SandboxServer(sandbox.world, clock=lambda: AT) as server:
        report, text = init_config.run(Services(sandbox_endpoints(server)), request, AT, dry_run=False)
    return report, text, output


def fill(text: str) -> str:
    """Each TO FILL blank filled as a person would: the epics' issues, logins from names, the rest from ANSWERS."""
    lines, pending, name, epic = [], False, "", ""
    for line in text.splitlines():
        if line.startswith(f"# {BLANK}:"):
            pending = True
        elif line.startswith(("name = ", "key = ")):
            name, epic = (tomllib.loads(line).get("name", name), tomllib.loads(line).get("key", epic))
        if pending and not line.startswith("#"):
            key = line.split(" = ")[0]
            value = {"issue": EPICS.get(epic), "github": name.lower().replace(" ", "-"),
                     "slack": "U0FILLED"}.get(key) or ANSWERS[key]
            line, pending = f"{key} = {toml_value(value)}", False
        lines.append(line)
    return "\n".join(lines) + "\n"


def problems(text: str, path: Path) -> list[str]:
    try:
        parse_config(text, path)
    except ConfigError as exc:
        return exc.problems
    return []


# -- from nothing to a first dry-run handoff, as a person runs it ------------------------------------------------


def test_the_starter_passes_check_config_once_its_blanks_are_filled_and_the_handoff_then_runs(
        tmp_path: Path, world_file: Path) -> None:
    config = tmp_path / "oncall.toml"
    made = script("init.py", "--schedule", "PSUPPRT", "--support-channel", "#vfs-platform-support", "--sandbox",
                  str(world_file), "--at", "2026-11-24T15:00Z", "--output", str(config), "--json")
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    assert report["actions"] == [{"kind": "file.create", "target": str(config), "status": "applied",
                                  "detail": "starter oncall.toml: 4 people, 6 blank(s) to fill"}]
    assert report["facts"]["people"] == ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"]
    assert report["facts"]["support_layer"].startswith('"Layer 2" (PLAYER2): the last created of its 2 active layers')
    assert report["api_calls"] == {"pagerduty": {"reads": 6, "writes": 0}, "slack": {"reads": 5, "writes": 0}}
    written = config.read_text()

    # As written, check_config names every blank (file and line), and nothing else.
    named = [re.match(rf"{re.escape(str(config))}:(\d+): (\S+):", p) for p in problems(written, config)]
    assert sorted(m[2] for m in named if m) == sorted(report["facts"]["blanks"]) == [
        "roster[1].github", "roster[2].github", "roster[3].github", "roster[4].github", "super_epics[1].issue",
        "super_epics[2].issue"]
    lines = written.splitlines()
    assert all(lines[int(m[1]) - 1].endswith(' = ""') and lines[int(m[1]) - 2].startswith("#") for m in named if m)

    config.write_text(fill(written))
    assert script("check_config.py", "--config", str(config)).returncode == 0
    # The one optional line it offers for the handoff: uncommented with the team's channel, nothing left to warn of.
    config.write_text(fill(written).replace('# operations_channel = "C012AB3CD"', 'operations_channel = "C02VSPOPS"'))
    checked = script("check_config.py", "--config", str(config))
    assert checked.returncode == 0 and "warning" not in checked.stdout + checked.stderr, checked.stdout
    before = world_file.read_bytes()
    handoff = script("rotate_assignees.py", "--config", str(config), "--sandbox", str(world_file),
                     "--at", "2026-11-24T10:00", "--json")
    assert handoff.returncode == 0, handoff.stderr
    planned = json.loads(handoff.stdout)
    assert planned["dry_run"] is True and planned["facts"]["on_support"] == "Grace Hopper"
    assert ("github.assign", "department-of-veterans-affairs/va.gov-team#1954") in {
        (a["kind"], a["target"]) for a in planned["actions"]}
    assert {a["kind"] for a in planned["actions"]} >= {"github.assign", "slack.set_topic"}
    assert world_file.read_bytes() == before  # init and a dry run only read


def test_a_schedule_that_does_not_exist_is_one_line_and_exit_2(tmp_path: Path, world_file: Path) -> None:
    result = script("init.py", "--schedule", "PNOSUCH", "--support-channel", "C01SUPPORT", "--sandbox",
                    str(world_file), "--output", str(tmp_path / "oncall.toml"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("error: --schedule PNOSUCH: PagerDuty has no schedule with that id (it is the P... "
                             "part of the schedule's URL)\n")
    assert not (tmp_path / "oncall.toml").exists()


def test_output_dash_prints_the_file_and_reports_on_stderr(world_file: Path) -> None:
    result = script("init.py", "--schedule", "https://sandbox.pagerduty.com/schedules/PSUPPRT", "--support-channel",
                    "C01SUPPORT", "--sandbox", str(world_file), "--output", "-", "--at", "2026-11-24T15:00Z")
    assert result.returncode == 0, result.stderr
    assert tomllib.loads(result.stdout)["rotation"]["pagerduty_schedule"] == "PSUPPRT"
    assert "[applied] config.print standard output" in result.stderr


@pytest.fixture
def world_file(tmp_path: Path, world: dict[str, Any]) -> Path:
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    return path


# -- what is discovered, and what is left blank -------------------------------------------------------------------


def test_someone_slack_does_not_know_gets_a_marked_blank_saying_why(sandbox: Sandbox, tmp_path: Path) -> None:
    alan = next(u for u in sandbox.world["slack"]["users"] if u["id"] == "U0ALAN")
    alan["email"] = "alan@elsewhere.example"
    report, text, output = init(sandbox, tmp_path)
    assert output.read_text() == text
    roster = tomllib.loads(text)["roster"]
    assert [m.get("slack") for m in roster] == ["U0ADA", "U0GRACE", "", "U0KATH"]
    block = text.split('name = "Alan Turing"')[1].split("[[roster]]")[0]
    assert '# TO FILL: Slack has no account with the email "alan.turing@example.gov": their Slack member id' in block
    assert "roster[3].slack" in report.facts["blanks"]
    assert 'Alan Turing: Slack has no account with the email "alan.turing@example.gov"' in report.warnings[0]
    assert "roster[3].slack" in " ".join(problems(text, output))


def test_given_logins_are_written_with_the_account_id_that_decides_who_acts(sandbox: Sandbox, tmp_path: Path) -> None:
    """Grace's login is held by account 5150 today: the config pins 5150, so a later holder of the login acts as
    nobody (tests/test_hostile.py runs that attack)."""
    grace = next(u for u in sandbox.world["github"]["users"] if u["login"] == "grace-hopper")
    grace["id"] = 5150
    report, text, _ = init(sandbox, tmp_path, github=["grace hopper=@grace-hopper",
                                                      "alan.turing@example.gov=alan-turing"])
    roster = {m["name"]: m for m in tomllib.loads(text)["roster"]}
    assert (roster["Grace Hopper"]["github"], roster["Grace Hopper"]["github_id"]) == ("grace-hopper", 5150)
    assert roster["Alan Turing"]["github"] == "alan-turing" and roster["Alan Turing"]["github_id"] > 0
    assert roster["Ada Lovelace"]["github"] == "" and "github_id" not in roster["Ada Lovelace"]
    assert "roster[1].github" in report.facts["blanks"] and "roster[2].github" not in report.facts["blanks"]
    assert report.api_calls["github"]["reads"] == 2  # one GET /users/{login} each
    config = parse_config(fill(text), tmp_path / "oncall.toml")
    assert next(m for m in config.roster if m.name == "Grace Hopper").github_id == 5150


HOSTILE = [
    'Robert"); name = "x',
    'Back\\slash \\" "" \\u0041',
    "Line\nbreak\n[team]\nname = \"injected\"",
    "Tab\tand \x00 nul \x7f del \x1b[31m escape \r return",
    "Zoë Ångström 李小龍 🦊 \u202etxt.exe \u2028 separator",
    "# not a comment ''' \"\"\" ]]",
]


def test_hostile_names_round_trip_and_cannot_add_a_key(sandbox: Sandbox, tmp_path: Path) -> None:
    users = sandbox.world["pagerduty"]["users"]
    for user, name in zip(users, HOSTILE, strict=False):
        user["name"] = name
    sandbox.world["pagerduty"]["schedules"][0]["name"] = HOSTILE[2]
    layer = sandbox.world["pagerduty"]["schedules"][0]["layers"][2]
    layer["name"] = HOSTILE[0]
    channel = sandbox.channel("C01SUPPORT")
    channel["name"] = HOSTILE[3]
    _, text, _ = init(sandbox, tmp_path)
    data = tomllib.loads(text)
    by_id = {u["id"]: u["name"] for u in users}
    assert [m["name"] for m in data["roster"]] == [by_id[u] for u in layer["users"]]
    assert data["team"]["name"] == HOSTILE[2]
    assert data["rotation"]["support_layer"] == HOSTILE[0]
    assert data["slack"]["channels"][0]["name"] == HOSTILE[3]
    assert set(data) == {"team", "rotation", "super_epics", "slack", "roster"}
    assert set(data["team"]) == {"name", "time_zone"}
    assert all(set(m) == {"name", "pagerduty_email", "pagerduty_id", "slack", "github"} for m in data["roster"])
    # Every line is a comment, a table, a key or empty: nothing discovered starts a line of its own.
    assert all(re.match(r"^(#.*|\[\[?[a-z_.]+\]\]?|[a-z_]+ = .*|)$", line) for line in text.split("\n"))


def test_every_duty_adds_its_table_and_each_blank_is_named_until_filled(sandbox: Sandbox, tmp_path: Path) -> None:
    report, text, output = init(sandbox, tmp_path, duties=",".join(["requests", "support-issues", "postmortems",
                                                                     "iam", "offboarding", "access", "tracking",
                                                                     "review", "reviews", "deploys"]))
    data = tomllib.loads(text)
    assert set(data) == {"team", "rotation", "super_epics", "slack", "roster", "epics", "support_issues",
                         "requests", "postmortems", "iam", "offboarding", "access", "tracking", "review",
                         "reviews", "deploys"}
    assert data["slack"]["channels"][0]["watch"] is True  # the request watch reads the support channel
    assert data["postmortems"]["epic"] == "incident-response"
    assert data["support_issues"]["default_epic"] == "customer-support"
    named = {p.split(": ")[1] for p in problems(text, output)}
    assert named == set(report.facts["blanks"])
    assert {"support_issues.repo", "iam.repo", "tracking.spreadsheet_id", "reviews.repos[1]", "access.approvers_team",
            "deploys.workflows[1].repo", "slack.channels[2].id"} <= named
    config = parse_config(fill(text), output)
    assert config.deploys and config.deploys.channel == "deploys" and config.slack.channel("deploys").id == "C04DEPLOYS"
    assert config.iam and config.iam.region == "us-gov-west-1"  # the configuration's own defaults


def test_given_epics_are_written_and_the_handoff_runs_on_a_shift_based_schedule(sandbox: Sandbox,
                                                                                 tmp_path: Path) -> None:
    shift_based(sandbox)
    report, text, output = init(sandbox, tmp_path, layer="Oncall support", support_channel="#vfs-platform-support",
                                epics=[f"{key}={ref}" for key, ref in EPICS.items()])
    data = tomllib.loads(text)
    assert data["rotation"] == {"pagerduty_schedule": "PSUPPRT", "support_layer": "Oncall support",
                                "schedule_kind": "shifts", "handoff_weekday": "monday", "handoff_hour": 9}
    assert [e["issue"] for e in data["super_epics"]] == list(EPICS.values())
    assert [m["pagerduty_id"] for m in data["roster"]] == ["PADA001", "PGRACE1", "PALAN01", "PKATH01"]
    assert report.facts["blanks"] == [f"roster[{n}].github" for n in range(1, 5)]
    config = parse_config(fill(text), output)
    with SandboxServer(sandbox.world, clock=lambda: AT) as server:
        handoff = rotate.run(Services(sandbox_endpoints(server)), config, AT, dry_run=True)
    assert handoff.exit_code == 0 and handoff.facts["on_support"] == "Grace Hopper"


def test_without_layer_the_last_active_rotation_is_chosen_and_named(sandbox: Sandbox, tmp_path: Path) -> None:
    shift_based(sandbox)
    report, _, _ = init(sandbox, tmp_path)
    assert report.facts["support_layer"] == ('"Primary" (ROTPRIMARY): the last of its 2 active rotations '
                                             '("Oncall support" (ROTSUPPORT), "Primary" (ROTPRIMARY)); pass '
                                             '--layer NAME_OR_ID to choose another')


@pytest.mark.parametrize(("asked", "error"), [
    ({"schedule": "../users"}, "--schedule '../users': not a PagerDuty schedule id"),
    ({"support_channel": "C0NOSUCH"}, "--support-channel C0NOSUCH: Slack has no channel with that id"),
    ({"support_channel": "#no-such-channel"}, "--support-channel #no-such-channel: Slack has no public channel"),
    ({"layer": "Layer 9"}, "--layer: schedule PSUPPRT has no active layer with id or name 'Layer 9'; active layers: "
                           "'Layer 2' (PLAYER2), 'Layer 1' (PLAYER1)"),
    ({"duties": "handoff,pagers"}, "--duties: unknown duty 'pagers'"),
    ({"epics": ["incident-response=owner/repo"]}, "--epic 'incident-response=owner/repo': give KEY=owner/repo#NUMBER"),
    ({"github": ["Grace Hopper=not a login"]}, "--github 'Grace Hopper=not a login': give WHO=LOGIN"),
    ({"github": ["Dorothy Vaughan=dorothy-vaughan"]}, "--github Dorothy Vaughan=dorothy-vaughan: nobody on the "
                                                      "support layer has that name"),
    ({"github": ["Grace Hopper=nobody-has-this"]}, "--github Grace Hopper=nobody-has-this: GitHub has no user"),
])
def test_bad_input_is_one_line_and_writes_nothing(sandbox: Sandbox, tmp_path: Path, asked: dict[str, Any],
                                                  error: str) -> None:
    with pytest.raises(InputError) as refused:
        init(sandbox, tmp_path, **asked)
    assert str(refused.value).startswith(error) and "\n" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_running_init_again_changes_nothing_the_file_is_never_overwritten(sandbox: Sandbox, tmp_path: Path) -> None:
    _, text, output = init(sandbox, tmp_path)
    with pytest.raises(InputError) as refused:
        init(sandbox, tmp_path, layer="Layer 1")
    assert str(refused.value) == (f"{output} already exists: init.py never overwrites a file; pass --output NEW_PATH "
                                  "(or --output - to print it)")
    assert output.read_text() == text


def test_a_file_that_appears_while_init_reads_is_not_overwritten(sandbox: Sandbox, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "oncall.toml"
    discover = init_config.discover

    def slow_discover(*args: Any) -> Any:
        output.write_text("# someone else's\n")  # written between the check and the write
        return discover(*args)

    monkeypatch.setattr(init_config, "discover", slow_discover)
    with pytest.raises(InputError, match="already exists"):
        init(sandbox, tmp_path)
    assert output.read_text() == "# someone else's\n"
    assert [p.name for p in tmp_path.iterdir()] == ["oncall.toml"]  # no temporary file left behind


# -- the pure parts --------------------------------------------------------------------------------------------


def test_duties_always_include_the_handoff_and_bring_what_they_need() -> None:
    assert parse_duties("") == (["handoff"], [])
    assert parse_duties("Offboarding, requests") == (["handoff", "requests", "support_issues", "iam", "offboarding"],
                                                     ["offboarding needs iam and support_issues: added"])


def test_epics_given_replace_the_two_blank_defaults() -> None:
    assert [(e.key, e.issue) for e in parse_epics([])] == [("incident-response", None), ("customer-support", None)]
    assert [(e.key, e.title) for e in parse_epics(["ops=o/r#2"])] == [("ops", "Ops")]
    with pytest.raises(InputError, match="given twice"):
        parse_epics(["ops=o/r#2", "ops=o/r#3"])


def _layer(layer_id: str, name: str, users: list[str], end: str | None = None) -> dict[str, Any]:
    return {"id": layer_id, "name": name, "start": "2026-01-05T09:00:00-05:00", "end": end,
            "rotation_turn_length_seconds": 604800, "users": [{"user": {"id": u, "summary": u}} for u in users],
            "rendered_schedule_entries": [{"user": {"id": users[0], "summary": users[0]},
                                           "start": "2026-11-23T09:00:00-05:00", "end": "2026-11-30T09:00:00-05:00"}]}


def test_a_layer_sharing_its_name_with_another_active_layer_is_written_by_id() -> None:
    schedule = {"id": "PS", "time_zone": "America/New_York",
                "schedule_layers": [_layer("PNEW", "Support", ["PA", "PB", "PA"]), _layer("POLD", "Support", ["PC"])]}
    chosen = choose_layer(schedule, None, AT)
    assert (chosen.value, chosen.members) == ("PNEW", (("PA", "PA"), ("PB", "PB")))  # each person once
    schedule["schedule_layers"][1]["end"] = "2026-11-01T00:00:00Z"  # an edit ended the old one: the name is safe
    assert choose_layer(schedule, None, AT).value == "Support"
    with pytest.raises(ScheduleProblem, match="no active layer"):
        choose_layer({"id": "PS", "schedule_layers": [_layer("P1", "x", ["PA"], end="2026-01-06T00:00:00Z")]}, None, AT)


def test_a_deleted_user_still_on_the_layer_is_left_out_with_a_comment(sandbox: Sandbox, tmp_path: Path) -> None:
    alan = next(u for u in sandbox.world["pagerduty"]["users"] if u["id"] == "PALAN01")
    alan["deleted"] = True
    report, text, _ = init(sandbox, tmp_path)
    assert [m["pagerduty_id"] for m in tomllib.loads(text)["roster"]] == ["PADA001", "PGRACE1", "PKATH01"]
    assert '# Left out: "Alan Turing" (PALAN01) is on the layer but PagerDuty cannot read them' in text
    assert report.warnings[0].startswith('left out of the roster: "Alan Turing" (PALAN01)')


def test_every_character_round_trips_through_a_toml_string() -> None:
    every = "".join(chr(c) for c in range(0x80)) + "é\u2028\U0001f98a"
    assert tomllib.loads(f"v = {toml_value(every)}")["v"] == every
    assert tomllib.loads(f"v = {toml_value('a' + chr(0xD800) + 'b')}")["v"] == "a\ufffdb"  # UTF-8 cannot hold it


def test_duties_are_known_by_their_keys_and_their_tables_names() -> None:
    from oncall_lib.duties import DUTIES as DECLARED

    for duty in DECLARED:
        asked, _ = parse_duties(duty.key)
        assert duty.key in asked, duty.key
        if duty.table:
            assert duty.key in parse_duties(f"[{duty.table}]")[0]
    assert parse_duties("covers") == (["handoff", "support_issues", "covers"], ["covers needs support_issues: added"])
    assert parse_duties("answers,review")[0] == ["handoff", "requests", "answers", "review"]
    assert parse_duties("[handover]")[0] == ["handoff", "support_issues", "handover"]
