"""Attacks on the GitHub side, as an outsider (or a careless insider) would try them, through the real entry points.

Anyone who can comment on or open an issue in the support repository can type the product's hidden markers,
`/oncall` commands, form answers and labels. Each test stages one attack in the sandbox's world, runs the job
the event (or the tick) would run, or the workflow itself as GitHub delivers the event, and compares the world
before and after: the attack is refused with nothing written beyond at most one reply of the product's (and,
for an approval that does not count, the approval label taken off).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oncall_lib import intake
from oncall_lib.authorship import roster_member
from oncall_lib.config import Config, CoversConfig, RosterMember
from oncall_lib.covers.windows import DECLINED_MARKER, DONE_MARKER, REQUEST_MARKER
from oncall_lib.offboarding import requests as offboarding
from oncall_lib.report import Report
from oncall_lib.sandbox.github_fake import stable_id
from oncall_lib.sandbox.world import EXAMPLE_WORLD
from oncall_lib.services import Services
from oncall_lib.support_issues import commands as issue_commands
from oncall_lib.support_issues import issues as si
from tests import runner
from tests.conftest import Sandbox
from tests.runner import Event, run_workflow
from tests.test_offboarding import form

NY = ZoneInfo("America/New_York")
REPO = "department-of-veterans-affairs/va.gov-team"
DEVOPS = "department-of-veterans-affairs/devops"
AT = datetime(2026, 11, 30, 11, 0, tzinfo=NY)  # Alan Turing is on support
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=NY)  # Grace Hopper's week; Alan Turing has the next
STRANGER = "vfs-contractor"  # anyone who can comment on the support repository


# -- the world before and after ------------------------------------------------------------------------------


def _issues(world: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(r["full_name"], i["number"]): i for r in world["github"]["repos"]
            for i in [*r.get("issues", []), *r.get("pulls", [])]}


def refused(before: dict[str, Any], after: dict[str, Any], *, label_off: str | None = None) -> list[str]:
    """The bodies of the product's new comments, after checking that they are at most one and that nothing else
    changed (an issue's `updated_at` aside; with `label_off`, that label may have come off)."""
    bot = after["github"].get("bot_login", "oncall-bot")
    then, now = copy.deepcopy(before), copy.deepcopy(after)
    replies: list[dict[str, Any]] = []
    old = _issues(then)
    for key, issue in _issues(now).items():
        was = old.get(key, {})
        known = {c["id"] for c in was.get("comments", [])}
        replies += [c for c in issue.get("comments", []) if c["id"] not in known]
        issue["comments"] = [c for c in issue.get("comments", []) if c["id"] in known]
        if "id" in issue and "id" not in was:  # the fake gives every issue it shows its (stable) id
            was["id"] = issue["id"]
        for item in (issue, was):
            item.setdefault("comments", [])
            item.pop("updated_at", None)
            if label_off:
                item["labels"] = [n for n in item.get("labels", []) if n != label_off]
                item["events"] = [e for e in item.get("events", []) if e.get("label") != label_off]
    for sheet_then, sheet_now in zip(then.get("sheets", {}).get("spreadsheets", []),
                                     now.get("sheets", {}).get("spreadsheets", []), strict=False):
        for tab_then, tab_now in zip(sheet_then.get("worksheets", []), sheet_now.get("worksheets", []),
                                     strict=False):
            if "sheet_id" in tab_now:  # the fake numbers each tab it shows
                tab_then.setdefault("sheet_id", tab_now["sheet_id"])
    assert len(replies) <= 1, [r["body"] for r in replies]
    assert all(r["user"] in (bot, "oncall-support[bot]") for r in replies)
    assert json.dumps(now, sort_keys=True, default=str) == json.dumps(then, sort_keys=True, default=str), \
        _difference(then, now)
    return [r["body"] for r in replies]


def _difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                return _difference(a.get(key), b.get(key), f"{path}/{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _difference(x, y, f"{path}[{index}]")
    return f"{path}: {str(a)[:300]} -> {str(b)[:300]}"


def repo(sandbox: Sandbox, name: str = REPO) -> dict[str, Any]:
    return next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == name)


def bot(sandbox: Sandbox) -> str:
    return str(sandbox.world["github"]["bot_login"])


def new_issue(sandbox: Sandbox, body: str, *, user: str = "vfs-dev", labels: list[str] | None = None,
              title: str = "[Support] VPN access", state: str = "open", **fields: Any) -> dict[str, Any]:
    found = repo(sandbox)
    number = 7000 + len(found["issues"])
    issue = {"number": number, "title": title, "body": body, "state": state, "user": user, "labels": labels or [],
             "assignees": [], "comments": [], "created_at": "2026-11-30T15:00:00Z",
             "updated_at": "2026-11-30T15:00:00Z", **fields}
    found["issues"].append(issue)
    return issue


def comment(issue: dict[str, Any], author: str, body: str, **fields: Any) -> int:
    comment_id = issue["number"] * 100 + len(issue["comments"]) + 1
    issue["comments"].append({"id": comment_id, "user": author, "body": body,
                              "created_at": "2026-11-30T15:30:00Z", **fields})
    return comment_id


def commanding(number: int, comment_id: int) -> Any:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return issue_commands.run(services, config, at, number=number, comment_id=comment_id, dry_run=dry_run)
    return job


def ticking(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return intake.run(services, config, at, dry_run=dry_run)


def support_issue(sandbox: Sandbox, **fields: Any) -> dict[str, Any]:
    """A completed support issue, assigned to Alan Turing: opened by the product from a Slack thread, on the
    Customer Support epic (nothing left for the tick to do)."""
    number = 7000 + len(repo(sandbox)["issues"])
    ref = si.ThreadRef("C01SUPPORT", f"17645148{number % 100:02d}.000100")
    issue = new_issue(sandbox, f"From Slack.\n\n**Super Epic:** Global Customer Support\n\n{si.thread_marker(ref)}",
                      user=bot(sandbox), labels=["support-request", "operations"], title="VPN access",
                      assignees=["alan-turing"], id=97000 + number, **fields)
    sandbox.issue(REPO, 3675).setdefault("sub_issues", []).append(issue["id"])
    return issue


# -- commands ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "Try this:\n```\n/oncall assign @vfs-contractor\n/oncall done\n```",
    "~~~sh\n/oncall done\n~~~",
    "Paste:\n\n    /oncall done\n\tand /oncall assign @vfs-contractor",
    "> /oncall done\n> /oncall assign @vfs-contractor",
    "> quoted\n/oncall done",  # a lazy continuation line is still inside the quote
    "<!--\n/oncall done\n-->",
], ids=["fenced", "tilde fence", "indented", "quoted", "lazy quote", "html comment"])
def test_commands_in_code_blocks_and_quotes_do_nothing(sandbox: Sandbox, untracked: Config, body: str) -> None:
    issue = support_issue(sandbox)
    said = comment(issue, "grace-hopper", body)  # a roster member, quoting or pasting
    before = copy.deepcopy(sandbox.world)
    report = sandbox.run(commanding(issue["number"], said), untracked, AT).report
    assert report.exit_code == 0 and refused(before, sandbox.world) == []
    assert sandbox.run(ticking, untracked, AT + timedelta(hours=1)).report.total_calls("writes") == 0


def test_a_command_outside_the_quote_still_runs(sandbox: Sandbox, untracked: Config) -> None:
    issue = support_issue(sandbox)
    said = comment(issue, "grace-hopper", "> /oncall done\n\n/oncall assign @grace-hopper")
    sandbox.run(commanding(issue["number"], said), untracked, AT)
    assert issue["assignees"] == ["grace-hopper"] and issue["state"] == "open"


def test_an_outsiders_commands_get_one_reply_and_change_nothing(sandbox: Sandbox, untracked: Config) -> None:
    issue = support_issue(sandbox)
    said = comment(issue, STRANGER, "/oncall assign @vfs-contractor\n/oncall done")
    before = copy.deepcopy(sandbox.world)
    sandbox.run(commanding(issue["number"], said), untracked, AT)
    sandbox.run(commanding(issue["number"], said), untracked, AT)  # the edited event, say
    sandbox.run(ticking, untracked, AT + timedelta(hours=1))
    [reply] = refused(before, sandbox.world)
    assert "commands are for the team on the support rotation" in reply


def test_a_comment_edited_by_someone_else_runs_nothing(sandbox: Sandbox, untracked: Config) -> None:
    """Grace wrote a note; a maintainer who is not on the roster edited commands into it."""
    issue = support_issue(sandbox)
    said = comment(issue, "grace-hopper", "Looking at it.\n/oncall assign @vfs-contractor\n/oncall done",
                   edits=[{"editor": STRANGER, "edited_at": "2026-11-30T15:40:00Z"}],
                   updated_at="2026-11-30T15:40:00Z")
    before = copy.deepcopy(sandbox.world)
    sandbox.run(commanding(issue["number"], said), untracked, AT)
    sandbox.run(ticking, untracked, AT + timedelta(hours=1))
    [reply] = refused(before, sandbox.world)
    assert f"edited by @{STRANGER}, not by its author" in reply


def test_a_comment_its_author_edited_runs(sandbox: Sandbox, untracked: Config) -> None:
    issue = support_issue(sandbox)
    said = comment(issue, "grace-hopper", "/oncall assign @grace-hopper",
                   edits=[{"editor": "grace-hopper", "edited_at": "2026-11-30T15:40:00Z"}])
    sandbox.run(commanding(issue["number"], said), untracked, AT)
    assert issue["assignees"] == ["grace-hopper"]


def test_commands_on_a_closed_issue_are_refused_once(sandbox: Sandbox, untracked: Config) -> None:
    issue = support_issue(sandbox, state="closed", closed_at="2026-11-30T15:10:00Z")
    said = comment(issue, "grace-hopper", "/oncall assign @grace-hopper\n/oncall epic incident-response")
    before = copy.deepcopy(sandbox.world)
    sandbox.run(commanding(issue["number"], said), untracked, AT)
    sandbox.run(commanding(issue["number"], said), untracked, AT)
    [reply] = refused(before, sandbox.world)
    assert "This issue is closed" in reply


def test_time_spent_on_a_closed_issue_is_still_a_record(sandbox: Sandbox, untracked: Config) -> None:
    issue = support_issue(sandbox, state="closed", closed_at="2026-11-30T15:10:00Z")
    said = comment(issue, "grace-hopper", "/oncall spent 45m")
    before = copy.deepcopy(sandbox.world)
    sandbox.run(commanding(issue["number"], said), untracked, AT)
    assert refused(before, sandbox.world) == []  # a record needs no answer, and is no refusal


def pinned(config: Config, login: str, github_id: int) -> Config:
    roster = [m.model_copy(update={"github_id": github_id}) if m.github == login else m for m in config.roster]
    return config.model_copy(update={"roster": roster})


def test_a_renamed_members_old_login_claimed_by_someone_new_does_not_act(sandbox: Sandbox,
                                                                       untracked: Config) -> None:
    """Grace renamed her account (same id, new login); someone new registered `grace-hopper`."""
    users = sandbox.world["github"]["users"]
    original = next(u for u in users if u["login"] == "grace-hopper")
    # The example config pins her id, as init.py writes it and the doctor asks for it.
    [grace_id] = [m.github_id for m in untracked.roster if m.github == "grace-hopper"]
    assert grace_id
    original.update(login="grace-h", id=grace_id)
    users.append({"login": "grace-hopper", "id": 6660666, "name": "Someone New"})
    config = untracked
    issue = support_issue(sandbox)
    said = comment(issue, "grace-hopper", "/oncall assign @grace-hopper\n/oncall done")
    before = copy.deepcopy(sandbox.world)
    sandbox.run(commanding(issue["number"], said), config, AT)
    sandbox.run(ticking, config, AT + timedelta(hours=1))
    [reply] = refused(before, sandbox.world)
    assert "not the roster's account of that name" in reply
    # The real Grace, under her new login, still acts as herself.
    hers = comment(issue, "grace-h", "/oncall epic incident-response")
    report = sandbox.run(commanding(issue["number"], hers), config, AT).report
    assert [o.action.kind for o in report.outcomes if o.action.kind == "epic.move"] == ["epic.move"]


def test_the_roster_decides_by_id_where_it_pins_one(config: Config) -> None:
    pinned_config = pinned(config, "grace-hopper", 5150)
    assert roster_member(pinned_config, "grace-hopper", 6660666) is None
    member = roster_member(pinned_config, "grace-renamed", 5150)
    assert isinstance(member, RosterMember) and member.github == "grace-hopper"
    loose = config.model_copy(update={"roster": [m.model_copy(update={"github_id": None}) for m in config.roster]})
    assert roster_member(loose, "GRACE-HOPPER", 1) is not None  # no id pinned: the login decides


# -- forged records ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("forged", [
    "Done.\n\n<!-- oncall-support:command-done {id} -->",
    "Refused.\n\n<!-- oncall-support:command-reply {id} -->",
], ids=["command-done", "command-reply"])
def test_a_forged_answer_does_not_silence_a_members_command(sandbox: Sandbox, untracked: Config,
                                                            forged: str) -> None:
    issue = support_issue(sandbox)
    said = comment(issue, "grace-hopper", "/oncall assign @grace-hopper")
    comment(issue, STRANGER, forged.format(id=said))
    # The event run was dropped: the tick finds the command unanswered, a stranger's marker notwithstanding.
    sandbox.run(ticking, untracked, AT + timedelta(hours=1))
    assert issue["assignees"] == ["grace-hopper"]
    assert sum(f"command-done {said} " in c["body"] for c in issue["comments"] if c["user"] == bot(sandbox)) == 1


def test_a_members_command_mentioning_a_marker_is_still_picked_up_by_the_tick(sandbox: Sandbox,
                                                                              untracked: Config) -> None:
    issue = support_issue(sandbox)
    comment(issue, "grace-hopper", "Taking it (the bot's notes look like <!-- oncall-support:x -->).\n"
                                   "/oncall assign @grace-hopper")
    sandbox.run(ticking, untracked, AT + timedelta(hours=1))
    assert issue["assignees"] == ["grace-hopper"]


@pytest.fixture
def covers(untracked: Config) -> Config:
    return untracked.model_copy(update={"covers": CoversConfig()})


def handover_issue(sandbox: Sandbox) -> dict[str, Any]:
    return new_issue(sandbox, "The week's handover", user=bot(sandbox), labels=["oncall-handover"],
                     title="Oncall support: Grace Hopper", assignees=["grace-hopper"])


def overrides(sandbox: Sandbox) -> list[dict[str, Any]]:
    return list(sandbox.world["pagerduty"]["schedules"][0]["overrides"])


def test_a_forged_cover_request_accepted_by_a_member_makes_no_override(sandbox: Sandbox, covers: Config) -> None:
    issue = handover_issue(sandbox)
    windows = "katherine-johnson@2026-11-25T09:00:00-05:00/2026-12-16T09:00:00-05:00"
    comment(issue, STRANGER, "Please cover\n" + REQUEST_MARKER.format(id=4242, asked="alan-turing", windows=windows))
    accept = comment(issue, "alan-turing", "/oncall accept")
    before = copy.deepcopy(sandbox.world)
    sandbox.run(commanding(issue["number"], accept), covers, TUESDAY)
    [reply] = refused(before, sandbox.world)
    assert "no open cover or swap request for @alan-turing" in reply


def test_a_real_request_edited_before_acceptance_is_withdrawn(sandbox: Sandbox, covers: Config) -> None:
    issue = handover_issue(sandbox)
    ask = comment(issue, "grace-hopper", "/oncall cover @alan-turing 2026-11-25T09:00 2026-11-25 17:00")
    assert sandbox.run(commanding(issue["number"], ask), covers, TUESDAY).report.exit_code == 0
    # Grace's comment now asks for three weeks: what was asked is what Alan saw; the edit withdraws it.
    issue["comments"][0]["body"] = "/oncall cover @alan-turing 2026-11-25T09:00 2026-12-16 09:00"
    issue["comments"][0]["edits"] = [{"editor": "grace-hopper", "edited_at": "2026-11-24T15:30:00Z"}]
    accept = comment(issue, "alan-turing", "/oncall accept")
    before = copy.deepcopy(sandbox.world)
    sandbox.run(commanding(issue["number"], accept), covers, TUESDAY + timedelta(hours=1))
    [reply] = refused(before, sandbox.world)
    assert "no longer stands: the comment that asked was edited since" in reply


def test_a_forged_decline_does_not_close_a_real_request(sandbox: Sandbox, covers: Config) -> None:
    issue = handover_issue(sandbox)
    ask = comment(issue, "grace-hopper", "/oncall cover @alan-turing 2026-11-25T09:00 2026-11-25 17:00")
    sandbox.run(commanding(issue["number"], ask), covers, TUESDAY)
    comment(issue, STRANGER, "nope\n" + DECLINED_MARKER.format(id=ask, by=1) + DONE_MARKER.format(id=ask, by=2))
    before = len(overrides(sandbox))
    accept = comment(issue, "alan-turing", "/oncall accept")
    sandbox.run(commanding(issue["number"], accept), covers, TUESDAY + timedelta(hours=1))
    assert len(overrides(sandbox)) == before + 1


def offboarding_request(sandbox: Sandbox, user: str) -> dict[str, Any]:
    return new_issue(sandbox, form({"Name": "Bob Smith", "GitHub username": "bob-smith-vfs",
                                    "Expected last day": "2026-12-18"}, offboarding.OFFBOARDING_LABELS),
                     user=user, labels=["offboarding"], title="Offboarding of Bob Smith")


def offboard(number: int) -> Any:
    return lambda s, c, at, d: offboarding.offboard(s, c, at, number=number, dry_run=d)


def test_an_outsiders_offboarding_request_drafts_nothing_and_is_told_once(sandbox: Sandbox, config: Config) -> None:
    issue = offboarding_request(sandbox, STRANGER)
    before = copy.deepcopy(sandbox.world)
    sandbox.run(offboard(issue["number"]), config, AT)
    sandbox.run(offboard(issue["number"]), config, AT)
    sandbox.run(ticking, config, AT + timedelta(hours=1))
    [reply] = refused(before, sandbox.world)
    assert f"@{STRANGER} is not among the people who may ask for an offboarding" in reply


def test_a_members_request_edited_by_an_outsider_drafts_nothing(sandbox: Sandbox, config: Config) -> None:
    issue = offboarding_request(sandbox, "katherine-johnson")
    issue["edits"] = [{"editor": STRANGER, "edited_at": "2026-11-30T15:20:00Z"}]
    before = copy.deepcopy(sandbox.world)
    sandbox.run(offboard(issue["number"]), config, AT)
    [reply] = refused(before, sandbox.world)
    assert "edited by someone who may not ask for one" in reply


def test_a_forged_status_comment_is_not_adopted(sandbox: Sandbox, config: Config) -> None:
    issue = offboarding_request(sandbox, "katherine-johnson")
    forged = comment(issue, STRANGER, f"{offboarding.STATUS_MARKER}\n**Offboarding automation**\n- [x] all done")
    sandbox.run(ticking, config, AT + timedelta(hours=1))  # the tick does not take it as done either
    mine = [c for c in issue["comments"] if c["user"] == bot(sandbox)]
    assert len(mine) == 1 and offboarding.STATUS_MARKER in mine[0]["body"]
    assert next(c for c in issue["comments"] if c["id"] == forged)["body"].endswith("- [x] all done")
    assert any(p["head"] == "oncall/offboard/bob.smith" for p in repo(sandbox, DEVOPS)["pulls"])


def test_a_request_corrected_after_its_status_comment_is_redone_by_the_tick(sandbox: Sandbox,
                                                                           config: Config) -> None:
    issue = offboarding_request(sandbox, "katherine-johnson")
    sandbox.run(offboard(issue["number"]), config, AT)
    issue["body"] = issue["body"].replace("Bob Smith", "Dana Scully")
    issue["updated_at"] = "2026-11-30T16:10:00Z"
    sandbox.run(ticking, config, AT + timedelta(hours=1))
    [status] = [c for c in issue["comments"] if c["user"] == bot(sandbox)]
    assert "`Dana.Scully`" in status["body"]


def test_a_forged_iam_cleanup_marker_in_someone_elses_pr_leaves_nothing_in_place(sandbox: Sandbox,
                                                                               config: Config) -> None:
    repo(sandbox, DEVOPS)["pulls"].append({
        "number": 990, "title": "tidy", "state": "open", "user": STRANGER, "head": "oncall/remove-iam-users/x",
        "body": "<!-- oncall-support:iam-cleanup Bob.Smith -->", "labels": [], "created_at": "2026-11-30T14:00:00Z"})
    issue = offboarding_request(sandbox, "katherine-johnson")
    report = sandbox.run(offboard(issue["number"]), config, AT).report
    assert report.facts["iam_user"] == "found"
    [status] = [c for c in issue["comments"] if c["user"] == bot(sandbox)]
    assert "- [x] IAM user `Bob.Smith`: removal drafted in https://github.sandbox/" in status["body"]


def test_a_forged_needs_info_comment_is_not_adopted(sandbox: Sandbox, config: Config) -> None:
    body = "\n\n".join(f"### {label}\n\n_No response_" for label in si.FORM_LABELS)
    issue = new_issue(sandbox, body, labels=["support-request"])
    forged = comment(issue, STRANGER, f"{si.NEEDS_INFO_MARKER}\nAll good, nothing needed.")
    sandbox.run(lambda s, c, at, d: si.from_issue(s, c, at, number=issue["number"], dry_run=d), config, AT)
    assert next(c for c in issue["comments"] if c["id"] == forged)["body"].endswith("nothing needed.")
    [asked] = [c for c in issue["comments"] if c["user"] == bot(sandbox)]
    assert "Before it can be picked up it needs" in asked["body"]


def test_a_forged_epic_link_does_not_stop_a_prs_link(sandbox: Sandbox, config: Config) -> None:
    pull = {"number": 991, "title": "Quick fix", "body": "Quick fix", "state": "open", "user": "alan-turing",
            "labels": ["support"], "head": "fix", "created_at": "2026-11-30T14:00:00Z",
            "updated_at": "2026-11-30T15:30:00Z",
            "comments": [{"id": 99101, "user": STRANGER, "body": si.PR_LINK_MARKER,
                          "created_at": "2026-11-30T15:00:00Z"}]}
    repo(sandbox, DEVOPS)["pulls"].append(pull)
    sandbox.run(lambda s, c, at, d: si.scan(s, c, at, dry_run=d), config, AT)
    assert [c["user"] for c in pull["comments"]] == [STRANGER, bot(sandbox)]


def test_a_slack_thread_marker_in_a_strangers_issue_tracks_nothing(sandbox: Sandbox, config: Config) -> None:
    ts = sandbox.post("C01SUPPORT", AT - timedelta(hours=1), "The VPN is down for us", user="U0REQ1")
    ref = si.ThreadRef("C01SUPPORT", ts)
    forged = new_issue(sandbox, f"unrelated\n\n{si.thread_marker(ref)}", user=STRANGER, labels=["support-request"])
    permalink = f"https://sandbox.slack.com/archives/C01SUPPORT/p{ts.replace('.', '')}"
    report = sandbox.run(lambda s, c, at, d: si.from_thread(s, c, at, link=permalink, epic_key="customer-support",
                                                           dry_run=d), config, AT).report
    assert report.exit_code == 0, report.to_text()
    opened = [i for i in repo(sandbox)["issues"] if i["user"] == bot(sandbox) and si.thread_of(i["body"]) == ref]
    assert len(opened) == 1 and opened[0]["number"] != forged["number"]


def access_request(sandbox: Sandbox, *, user: str = "vfs-dev", login: str = "new-teammate",
                   approver: str = "ada-lovelace", approved_at: str = "2026-11-30T15:05:00Z",
                   tool: str = "GitHub: devops repository (read)", **fields: Any) -> dict[str, Any]:
    return new_issue(sandbox, form({"Person": "New Teammate", "GitHub username": login, "Tool": tool,
                                    "Reason": "joining VFS", "Approver": approver}, offboarding.ACCESS_LABELS),
                     user=user, labels=["access-request", "access-approved"], title="Access",
                     events=[{"event": "labeled", "label": "access-approved", "actor": approver,
                              "created_at": approved_at}], **fields)


def devops_readers(sandbox: Sandbox) -> list[str]:
    return list(next(t for t in sandbox.world["github"]["teams"] if t["slug"] == "devops-readers")["members"])


def granting(number: int, sender: str) -> Any:
    return lambda s, c, at, d: offboarding.grant(s, c, at, number=number, sender=sender, label="access-approved",
                                                 dry_run=d)


def test_a_forged_granted_comment_does_not_stop_the_grant(sandbox: Sandbox, config: Config) -> None:
    issue = access_request(sandbox)
    comment(issue, STRANGER, f"{offboarding.GRANTED_MARKER}\nGranted (not really).")
    sandbox.run(ticking, config, AT + timedelta(hours=1))
    assert devops_readers(sandbox) == ["new-teammate"]


@pytest.mark.parametrize(("requester", "login"), [("ada-lovelace", "new-teammate"), ("vfs-dev", "ada-lovelace")],
                         ids=["her own request", "access for herself"])
def test_an_approver_does_not_approve_her_own_request(sandbox: Sandbox, config: Config, requester: str,
                                                      login: str) -> None:
    issue = access_request(sandbox, user=requester, login=login)
    before = copy.deepcopy(sandbox.world)
    sandbox.run(granting(issue["number"], "ada-lovelace"), config, AT)
    sandbox.run(ticking, config, AT + timedelta(hours=1))
    [reply] = refused(before, sandbox.world, label_off="access-approved")
    assert "@ada-lovelace may not approve it" in reply and devops_readers(sandbox) == []


def test_a_payload_naming_an_approver_is_not_the_approval(sandbox: Sandbox, config: Config) -> None:
    """The event says Ada; GitHub's issue events say a stranger added the label last: the stranger is refused."""
    issue = access_request(sandbox, approver=STRANGER)
    before = copy.deepcopy(sandbox.world)
    sandbox.run(granting(issue["number"], "ada-lovelace"), config, AT)
    [reply] = refused(before, sandbox.world, label_off="access-approved")
    assert f"@{STRANGER} is not in" in reply and devops_readers(sandbox) == []


def edited_after_approval(sandbox: Sandbox) -> dict[str, Any]:
    issue = access_request(sandbox)
    issue["body"] = issue["body"].replace("new-teammate", STRANGER)
    issue["edits"] = [{"editor": "vfs-dev", "edited_at": "2026-11-30T15:10:00Z"}]
    return issue


def test_an_edit_after_approval_withdraws_it_through_the_event_run(sandbox: Sandbox, config: Config) -> None:
    issue = edited_after_approval(sandbox)
    before = copy.deepcopy(sandbox.world)
    recheck = lambda s, c, at, d: offboarding.recheck(s, c, at, number=issue["number"], dry_run=d)  # noqa: E731
    sandbox.run(recheck, config, AT)
    sandbox.run(granting(issue["number"], "ada-lovelace"), config, AT)  # a late `labeled` run changes nothing
    [reply] = refused(before, sandbox.world, label_off="access-approved")
    assert "@vfs-dev: this request was edited after @ada-lovelace approved it" in reply
    assert STRANGER not in devops_readers(sandbox) and "access-approved" not in issue["labels"]


def test_an_edit_after_approval_withdraws_it_through_the_tick(sandbox: Sandbox, config: Config) -> None:
    issue = edited_after_approval(sandbox)
    before = copy.deepcopy(sandbox.world)
    sandbox.run(ticking, config, AT + timedelta(hours=1))
    sandbox.run(ticking, config, AT + timedelta(hours=2))
    [reply] = refused(before, sandbox.world, label_off="access-approved")
    assert "edited after @ada-lovelace approved it" in reply and devops_readers(sandbox) == []
    assert "access-approved" not in issue["labels"]


def test_an_approval_given_again_after_the_edit_counts(sandbox: Sandbox, config: Config) -> None:
    issue = edited_after_approval(sandbox)
    issue["events"].append({"event": "labeled", "label": "access-approved", "actor": "grace-hopper",
                            "created_at": "2026-11-30T15:20:00Z"})
    sandbox.run(granting(issue["number"], "grace-hopper"), config, AT)
    assert devops_readers(sandbox) == [STRANGER]


# -- through the workflows, as GitHub delivers the events ----------------------------------------------------


def _world_file(tmp_path: Path, change: Any) -> Path:
    world = json.loads(EXAMPLE_WORLD.read_text())
    change(world)
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    return path


def _payload(action: str, issue: dict[str, Any], sender: str, repository: str = REPO) -> dict[str, Any]:
    owner, name = repository.split("/")
    return {"action": action, "issue": {"number": issue["number"], "title": issue["title"], "body": issue["body"],
                                        "state": issue["state"], "user": {"login": issue["user"], "type": "User"},
                                        "labels": [{"name": n} for n in issue["labels"]], "locked": False,
                                        "node_id": f"I_{issue.get('id', 1)}"},
            "repository": {"full_name": repository, "name": name, "owner": {"login": owner}},
            "sender": {"login": sender, "type": "User"}}


def _issue_in(world: dict[str, Any], number: int) -> dict[str, Any]:
    found = next(r for r in world["github"]["repos"] if r["full_name"] == REPO)
    return next(i for i in found["issues"] if i["number"] == number)


def _add(world: dict[str, Any], issue: dict[str, Any]) -> None:
    next(r for r in world["github"]["repos"] if r["full_name"] == REPO)["issues"].append(issue)


CODE_BLOCK = {"number": 7100, "title": "[Support] VPN", "state": "open", "user": "oncall-support-bot",
              "labels": ["support-request", "operations"], "assignees": ["alan-turing"], "body": "From Slack.",
              "created_at": "2026-11-30T15:00:00Z",
              "comments": [{"id": 710001, "user": "grace-hopper", "created_at": "2026-11-30T15:30:00Z",
                            "body": "The runbook says:\n```\n/oncall assign @vfs-contractor\n/oncall done\n```"}]}


@pytest.mark.parametrize("repository", [REPO, "department-of-veterans-affairs/oncall-support-automation"],
                         ids=["the support repository", "another repository"])
def test_the_command_workflow_runs_nothing_from_a_code_block_or_another_repository(tmp_path: Path,
                                                                                  repository: str) -> None:
    path = _world_file(tmp_path, lambda w: _add(w, copy.deepcopy(CODE_BLOCK)))
    before = json.loads(path.read_text())
    payload = _payload("created", CODE_BLOCK, "grace-hopper", repository)
    found = CODE_BLOCK["comments"][0]  # type: ignore[index]
    payload["comment"] = {"id": found["id"], "body": found["body"], "user": {"login": found["user"], "type": "User"}}
    if repository != REPO:  # the same comment's text, on an issue of another repository with that number
        payload["comment"]["body"] = "/oncall done"
    run = run_workflow(runner.WORKFLOWS / "support-issue-commands.yml", Event("issue_comment", payload),
                       world=path, workdir=tmp_path, at=AT.isoformat(), repository=repository)
    assert run.ok, run.explain()
    assert refused(before, json.loads(path.read_text())) == []


def test_the_access_workflow_withdraws_an_approval_edited_away(tmp_path: Path) -> None:
    issue = {"number": 7200, "title": "Access", "state": "open", "user": "vfs-dev",
             "labels": ["access-request", "access-approved"], "assignees": [], "comments": [],
             "created_at": "2026-11-30T15:00:00Z",
             "body": form({"Person": "New Teammate", "GitHub username": STRANGER,
                           "Tool": "GitHub: devops repository (read)", "Reason": "x"}, offboarding.ACCESS_LABELS),
             "events": [{"event": "labeled", "label": "access-approved", "actor": "ada-lovelace",
                         "created_at": "2026-11-30T15:05:00Z"}],
             "edits": [{"editor": "vfs-dev", "edited_at": "2026-11-30T15:10:00Z"}]}
    path = _world_file(tmp_path, lambda w: _add(w, issue))
    before = json.loads(path.read_text())
    for event in ("edited", "labeled"):  # the edit's run, then a late run of the approval's own event
        payload = _payload(event, issue, "vfs-dev" if event == "edited" else "ada-lovelace")
        if event == "labeled":
            payload["label"] = {"name": "access-approved"}
        run = run_workflow(runner.WORKFLOWS / "access.yml", Event("issues", payload), world=path, workdir=tmp_path,
                           at=AT.isoformat())
        assert run.ok and run.steps, run.explain()
    after = json.loads(path.read_text())
    [reply] = refused(before, after, label_off="access-approved")
    assert "edited after @ada-lovelace approved it" in reply
    team = next(t for t in after["github"]["teams"] if t["slug"] == "devops-readers")
    assert STRANGER not in team["members"]


def test_the_offboarding_workflow_drafts_nothing_for_an_outsider(tmp_path: Path) -> None:
    issue = {"number": 7300, "title": "Offboarding of Bob Smith", "state": "open", "user": STRANGER,
             "labels": ["offboarding"], "assignees": [], "comments": [], "created_at": "2026-11-30T15:00:00Z",
             "body": form({"Name": "Bob Smith", "GitHub username": "bob-smith-vfs"}, offboarding.OFFBOARDING_LABELS)}
    path = _world_file(tmp_path, lambda w: _add(w, issue))
    before = json.loads(path.read_text())
    run = run_workflow(runner.WORKFLOWS / "offboarding.yml", Event("issues", _payload("opened", issue, STRANGER)),
                       world=path, workdir=tmp_path, at=AT.isoformat())
    assert run.ok, run.explain()
    [reply] = refused(before, json.loads(path.read_text()))
    assert "may ask for an offboarding" in reply


def test_the_app_writes_as_its_bot_user_and_knows_it(sandbox: Sandbox, untracked: Config) -> None:
    """With the App's credentials the product is `<slug>[bot]`: its own replies are recognised as its own (one
    reply per command, however often it runs), and a stranger's marker is still just text."""
    from oncall_lib.sandbox import SandboxServer, sandbox_endpoints

    issue = support_issue(sandbox)
    said = comment(issue, STRANGER, "/oncall done")
    comment(issue, STRANGER, f"<!-- oncall-support:command-reply {said + 1} -->")
    for _ in range(2):
        with SandboxServer(sandbox.world, clock=lambda: AT) as server:
            services = Services(sandbox_endpoints(server, github_app=True))
            issue_commands.run(services, untracked, AT, number=issue["number"], comment_id=said, dry_run=False)
            me = services.github.identity()
    app = sandbox.world["github"]["app"]
    assert me.login == f"{app['slug']}[bot]" and me.user_id == stable_id("user", bot(sandbox).lower())
    assert [c["user"] for c in issue["comments"]].count(f"{app['slug']}[bot]") == 1
