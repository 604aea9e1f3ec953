"""Offboarding and access requests through PyGithub against the sandbox; the YAML editor on its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.errors import InputError
from oncall_lib.iam.terraform import remove_users
from oncall_lib.offboarding import requests as offboarding
from oncall_lib.offboarding.socks_yaml import remove_socks_entries
from oncall_lib.report import Report
from oncall_lib.services import Services
from tests.conftest import Sandbox

AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
REPO = "department-of-veterans-affairs/va.gov-team"
DEVOPS = "department-of-veterans-affairs/devops"
TF, YML = "terraform/environments/global/iam_users.tf", "ansible/global/config.yml"
STEPS = [offboarding.IAM_STEP, offboarding.SOCKS_STEP, "Remove from PagerDuty"]


def form(answers: dict[str, str], labels: tuple[str, ...]) -> str:
    parts = []
    for label in labels:
        if label == "Tier 2 steps":
            parts.append("### Tier 2 steps\n\n" + "\n".join(f"- [ ] {s}" for s in STEPS))
        else:
            parts.append(f"### {label}\n\n{answers.get(label) or '_No response_'}")
    return "\n\n".join(parts)


# Who files requests: an offboarding comes from someone the config names (a roster member here); an access
# request from anyone, approved by whoever added the label last (GitHub's `labeled` event, as recorded here).
REQUESTER = {"offboarding": "katherine-johnson"}


def file_issue(sandbox: Sandbox, body: str, labels: list[str], *, user: str | None = None,
               approver: str = "ada-lovelace") -> int:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    number = 6000 + len(repo["issues"])
    events = [{"event": "labeled", "label": label, "actor": approver if label == "access-approved" else "vfs-dev",
               "created_at": "2026-11-30T15:05:00Z"} for label in labels]
    repo["issues"].append({"number": number, "title": "request", "body": body, "state": "open",
                           "user": user or next((REQUESTER[label] for label in labels if label in REQUESTER),
                                                "vfs-dev"),
                           "labels": labels, "assignees": [], "created_at": "2026-11-30T15:00:00Z", "events": events})
    return number


def offboard(number: int) -> Any:
    return lambda s, c, at, d: offboarding.offboard(s, c, at, number=number, dry_run=d)


def devops_files(sandbox: Sandbox, branch: str) -> dict[str, str]:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    return repo["branches"][branch]["files"]  # type: ignore[no-any-return]


def test_one_pr_removes_both_entries_and_nothing_else(sandbox: Sandbox, config: Config) -> None:
    number = file_issue(sandbox, form({"Name": "Bob Smith", "GitHub username": "bob-smith-vfs",
                                       "Expected last day": "2026-12-18"}, offboarding.OFFBOARDING_LABELS),
                        ["offboarding"])
    base = dict(devops_files(sandbox, "master"))
    first = sandbox.run(offboard(number), config, AT).report
    assert first.exit_code == 0, first.to_text()
    assert first.facts["aws_username"] == "Bob.Smith"  # First.Last from the name, confirmed in iam_users.tf
    branch = devops_files(sandbox, "oncall/offboard/bob.smith")
    assert branch[TF] == remove_users(base[TF], ["Bob.Smith"]).text
    expected_yaml = base[YML].replace('    - name: Bob.Smith\n      key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBob '
                                      'bob@laptop"\n      expires: 2026-12-31\n', "")
    assert branch[YML] == expected_yaml and expected_yaml != base[YML]
    issue = sandbox.issue(REPO, number)
    [status] = issue["comments"]
    assert "- [x] IAM user `Bob.Smith`: removal drafted in https://github.sandbox/" in status["body"]
    assert "- [x] SOCKS key: removal drafted in" in status["body"]
    assert f"- [x] {offboarding.IAM_STEP}" in issue["body"] and f"- [x] {offboarding.SOCKS_STEP}" in issue["body"]
    assert "- [ ] Remove from PagerDuty" in issue["body"]

    again = sandbox.run(offboard(number), config, AT).report  # also the `edited` event from ticking the body
    assert again.outcomes == [] and again.total_calls("writes") == 0


def test_what_the_terraform_edit_cannot_do_is_left_to_the_reviewer(sandbox: Sandbox, config: Config) -> None:
    files = devops_files(sandbox, "master")
    files[TF] += ('\nmodule "alerts" {\n  source     = "./modules/alerts"\n  recipients = ["Bob.Smith", '
                  '"Ada.Lovelace"]\n}\n')
    number = file_issue(sandbox, form({"Name": "Bob Smith", "Expected last day": "2026-12-18"},
                                      offboarding.OFFBOARDING_LABELS), ["offboarding"])
    report = sandbox.run(offboard(number), config, AT).report
    [warning] = [w for w in report.warnings if "may not mean users" in w]
    assert 'module "alerts"' in warning and "Bob.Smith in `recipients`" in warning
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    [pull] = [p for p in repo["pulls"] if p["head"] == "oncall/offboard/bob.smith"]
    assert f"> **Check by hand:** {warning}" in pull["body"]


def test_a_role_that_served_only_the_user_is_listed_for_the_reviewer(sandbox: Sandbox, config: Config) -> None:
    """The edit removes a map entry that existed only for the user (a role they alone could assume): a person
    must confirm nothing else needed it, so the PR says so."""
    files = devops_files(sandbox, "master")
    files[TF] += ('\nmodule "partner_roles" {\n  source = "./modules/roles"\n  roles = {\n    "VendorReadOnly" = {\n'
                  '      principals = [aws_iam_user.bob_smith.arn]\n    }\n  }\n}\n')
    number = file_issue(sandbox, form({"Name": "Bob Smith", "Expected last day": "2026-12-18"},
                                      offboarding.OFFBOARDING_LABELS), ["offboarding"])
    report = sandbox.run(offboard(number), config, AT).report
    [warning] = [w for w in report.warnings if "removed whole" in w]
    assert 'roles["VendorReadOnly"] served only aws_iam_user.bob_smith (its `principals` list)' in warning
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    [pull] = [p for p in repo["pulls"] if p["head"] == "oncall/offboard/bob.smith"]
    assert f"> **Check by hand:** {warning}" in pull["body"]
    assert '"VendorReadOnly"' not in devops_files(sandbox, "oncall/offboard/bob.smith")[TF]


def test_a_user_missing_from_one_file(sandbox: Sandbox, config: Config) -> None:
    number = file_issue(sandbox, form({"Name": "Dana Scully", "Expected last day": "2026-12-18"},
                                      offboarding.OFFBOARDING_LABELS), ["offboarding"])
    report = sandbox.run(offboard(number), config, AT).report
    assert report.facts["iam_user"] == "not found" and report.facts["socks_key"] == "found"
    status = sandbox.issue(REPO, number)["comments"][0]["body"]
    assert "- [ ] IAM user `Dana.Scully`: not in iam_users.tf: needs a person to check" in status
    assert f"- [ ] {offboarding.IAM_STEP}" in sandbox.issue(REPO, number)["body"]
    assert sandbox.run(offboard(number), config, AT).report.total_calls("writes") == 0


def test_an_edit_that_changes_nothing_writes_nothing(sandbox: Sandbox, config: Config) -> None:
    number = file_issue(sandbox, form({"Name": "Bob Smith", "Expected last day": "2026-12-18"},
                                      offboarding.OFFBOARDING_LABELS), ["offboarding"])
    sandbox.run(offboard(number), config, AT)
    issue = sandbox.issue(REPO, number)
    issue["body"] = issue["body"].replace("2026-12-18", "2026-12-19")
    assert sandbox.run(offboard(number), config, AT).report.total_calls("writes") == 0


def access_issue(sandbox: Sandbox, tool: str, login: str = "new-teammate") -> int:
    return file_issue(sandbox, form({"Person": "New Teammate", "GitHub username": login, "Tool": tool,
                                     "Reason": "joining VFS", "Approver": "ada-lovelace"}, offboarding.ACCESS_LABELS),
                      ["access-request", "access-approved"])


def granting(sandbox: Sandbox, number: int, sender: str, label: str = "access-approved", bot: bool = False) -> Any:
    """The `labeled` event's run, after GitHub recorded who added the label (its issue events are what count)."""
    issue = sandbox.issue(REPO, number)
    if label in issue["labels"]:
        added = [e for e in issue.get("events", []) if e.get("event") == "labeled" and e.get("label") == label]
        if not added or added[-1]["actor"] != sender:
            issue.setdefault("events", []).append({"event": "labeled", "label": label, "actor": sender,
                                                   "created_at": "2026-11-30T15:06:00Z"})
        if bot and not any(u["login"] == sender for u in sandbox.world["github"]["users"]):
            sandbox.world["github"]["users"].append({"login": sender, "type": "Bot"})

    def job(s: Services, c: Config, at: datetime, d: bool) -> Report:
        return offboarding.grant(s, c, at, number=number, sender=sender, label=label, dry_run=d, sender_is_bot=bot)
    return job


def team(sandbox: Sandbox, slug: str) -> list[str]:
    return next(t for t in sandbox.world["github"]["teams"] if t["slug"] == slug)["members"]  # type: ignore[no-any-return]


def test_an_approver_grants_a_github_team(sandbox: Sandbox, config: Config) -> None:
    number = access_issue(sandbox, "GitHub: devops repository (read)")
    report = sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report
    assert report.facts["approved"] is True and report.exit_code == 0
    assert team(sandbox, "devops-readers") == ["new-teammate"]
    [told] = sandbox.issue(REPO, number)["comments"]
    assert "Granted: @new-teammate was added to department-of-veterans-affairs/devops-readers" in told["body"]
    assert sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report.total_calls("writes") == 0


def test_a_non_approver_is_reverted_and_nothing_is_granted(sandbox: Sandbox, config: Config) -> None:
    # The form's Approver field names an approver: it grants nothing; only who added the label counts.
    number = access_issue(sandbox, "GitHub: devops repository (read)")
    report = sandbox.run(granting(sandbox, number, "vfs-contractor"), config, AT).report
    assert [o.action.kind for o in report.outcomes] == ["github.remove_label", "github.comment"]
    issue = sandbox.issue(REPO, number)
    assert "access-approved" not in issue["labels"]
    assert "@vfs-contractor is not in department-of-veterans-affairs/vsp-operations" in issue["comments"][0]["body"]
    assert team(sandbox, "devops-readers") == []
    assert sandbox.run(granting(sandbox, number, "vfs-contractor"), config, AT).report.total_calls("writes") == 0


def test_a_tool_granted_by_hand_gets_its_checklist_once(sandbox: Sandbox, config: Config) -> None:
    number = access_issue(sandbox, "Grafana")
    sandbox.run(granting(sandbox, number, "grace-hopper"), config, AT)
    [comment] = sandbox.issue(REPO, number)["comments"]
    assert "- [ ] Add the user in Grafana" in comment["body"]
    assert sandbox.run(granting(sandbox, number, "grace-hopper"), config, AT).report.total_calls("writes") == 0


def test_usernames_are_checked_before_use(sandbox: Sandbox, config: Config) -> None:
    number = access_issue(sandbox, "GitHub: devops repository (read)", login="bad name; rm -rf")
    report = sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report
    assert report.exit_code == 0 and "incomplete: nothing granted" in report.warnings[0]
    [reply] = sandbox.issue(REPO, number)["comments"]
    assert "**GitHub username** “bad name; rm -rf” is not a GitHub username" in reply["body"]
    assert team(sandbox, "devops-readers") == []
    with pytest.raises(InputError, match="sender"):
        sandbox.run(granting(sandbox, number, "$(whoami)"), config, AT)


@pytest.mark.parametrize(("sender", "bot"), [("dependabot[bot]", False), ("renovate-app", True)],
                         ids=["an app's login", "a Bot account"])
def test_an_app_or_bot_adding_the_label_is_told_once_and_nothing_is_granted(sandbox: Sandbox, config: Config,
                                                                            sender: str, bot: bool) -> None:
    number = access_issue(sandbox, "GitHub: devops repository (read)")
    report = sandbox.run(granting(sandbox, number, sender, bot=bot), config, AT).report
    assert report.exit_code == 0 and report.facts["approved"] is False
    assert [o.action.kind for o in report.outcomes] == ["github.remove_label", "github.comment"]
    issue = sandbox.issue(REPO, number)
    [told] = issue["comments"]
    assert f"{sender} is an app or a bot: only a person in department-of-veterans-affairs/vsp-operations approves" \
        in told["body"]
    assert "access-approved" not in issue["labels"] and team(sandbox, "devops-readers") == []
    issue["labels"].append("access-approved")  # the bot adds it again: nothing more is said
    assert sandbox.run(granting(sandbox, number, sender, bot=bot), config, AT).report.total_calls("writes") == 1


@pytest.mark.parametrize("answers", [{}, {"Person": "New Teammate", "GitHub username": "new-teammate",
                                          "Tool": "Jira", "Reason": ""}], ids=["empty", "incomplete"])
def test_an_approval_of_an_incomplete_request_says_once_what_is_missing(sandbox: Sandbox, config: Config,
                                                                       answers: dict[str, str]) -> None:
    number = file_issue(sandbox, form(answers, offboarding.ACCESS_LABELS) if answers else "",
                        ["access-request", "access-approved"])
    report = sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report
    assert report.exit_code == 0 and report.facts["approved"] is True
    issue = sandbox.issue(REPO, number)
    [reply] = issue["comments"]
    missing = ["Person", "GitHub username", "Tool", "Reason"] if not answers else ["Reason"]
    for label in missing:
        assert f"**{label}** is empty" in reply["body"]
    if answers:
        assert "**Tool** “Jira” is not one of the tools granted here" in reply["body"]
    assert "access-approved" not in issue["labels"] and team(sandbox, "devops-readers") == []
    issue["labels"].append("access-approved")  # approved again without a fix: the same reply is not repeated
    assert sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report.total_calls("writes") == 1


def test_a_request_deleted_before_its_run_ends_it_green_in_one_line(sandbox: Sandbox, config: Config) -> None:
    number = access_issue(sandbox, "GitHub: devops repository (read)")
    sandbox.issue(REPO, number)["deleted"] = True
    report = sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report
    assert report.exit_code == 0 and report.total_calls("writes") == 0
    assert "HTTP 410" in report.skipped and "deleted before this run" in report.to_text()
    assert len(report.to_text().splitlines()) == 1


def test_other_labels_are_ignored(sandbox: Sandbox, config: Config) -> None:
    number = access_issue(sandbox, "Grafana")
    assert sandbox.run(granting(sandbox, number, "ada-lovelace", label="bug"), config, AT).report.api_calls == {}


def test_the_yaml_editor_keeps_every_other_byte() -> None:
    text = "socks:\n  # keep\n  - user: a\n    key: x\n\n  - user: b   # leaving\n    key: y\n  - user: c\n" \
           "other: 'b'\n"
    result = remove_socks_entries(text, ["B"])
    assert result.text == "socks:\n  # keep\n  - user: a\n    key: x\n\n  - user: c\nother: 'b'\n"
    assert remove_socks_entries(text, ["nobody"]).text == text


def test_a_grant_to_someone_outside_the_org_is_pending_and_not_redone(sandbox: Sandbox, config: Config) -> None:
    sandbox.world["github"]["org_members"] = ["ada-lovelace", "grace-hopper"]  # new-teammate is not in the org
    number = access_issue(sandbox, "GitHub: devops repository (read)")
    first = sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report
    assert first.exit_code == 0 and [o.action.kind for o in first.outcomes].count("github.add_team_member") == 1
    again = sandbox.run(granting(sandbox, number, "ada-lovelace"), config, AT).report
    assert again.total_calls("writes") == 0
    assert again.facts["membership"] == ("new-teammate is invited to department-of-veterans-affairs/devops-readers "
                                         "and has not accepted yet")


def _bob(sandbox: Sandbox) -> int:
    return file_issue(sandbox, form({"Name": "Bob Smith", "GitHub username": "bob-smith-vfs",
                                     "Expected last day": "2026-12-18"}, offboarding.OFFBOARDING_LABELS),
                      ["offboarding"])


def _cleanup(users: list[str], from_audit: bool = False) -> Any:
    from oncall_lib.iam import cleanup as iam_cleanup
    return lambda s, c, at, d: iam_cleanup.run(s, c, at, dry_run=d, users=users, from_audit=from_audit)


def _open_pulls(sandbox: Sandbox) -> list[dict[str, Any]]:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    return [p for p in repo["pulls"] if p.get("state", "open") == "open" and p["head"].startswith("oncall/")]


def test_an_offboarding_leaves_the_iam_user_to_the_cleanup_pr_that_removes_them(sandbox: Sandbox,
                                                                                 config: Config) -> None:
    base = dict(devops_files(sandbox, "master"))
    sandbox.run(_cleanup(["Bob.Smith"]), config, AT)
    [cleanup_pr] = _open_pulls(sandbox)
    number = _bob(sandbox)
    first = sandbox.run(offboard(number), config, AT).report
    assert first.exit_code == 0, first.to_text()
    branch = devops_files(sandbox, "oncall/offboard/bob.smith")
    assert branch[TF] == base[TF]  # the IAM user is the cleanup PR's: the two PRs cannot conflict
    assert branch[YML] != base[YML]  # the SOCKS key is still this PR's work
    [offboard_pr] = [p for p in _open_pulls(sandbox) if p["head"] == "oncall/offboard/bob.smith"]
    cleanup_url = f"https://github.sandbox/{DEVOPS}/pull/{cleanup_pr['number']}"
    assert f"The IAM user is left to {cleanup_url} (IAM cleanup)" in offboard_pr["body"]
    issue = sandbox.issue(REPO, number)
    [status] = issue["comments"]
    assert f"- [x] IAM user `Bob.Smith`: removal drafted in {cleanup_url} (IAM cleanup)" in status["body"]
    assert f"- [x] {offboarding.IAM_STEP}" in issue["body"]
    again = sandbox.run(offboard(number), config, AT).report
    assert again.total_calls("writes") == 0


def test_a_cleanup_leaves_out_a_user_an_offboarding_pr_removes(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(offboard(_bob(sandbox)), config, AT)
    [offboard_pr] = _open_pulls(sandbox)
    report = sandbox.run(_cleanup(["Bob.Smith", "Contractor.Build"]), config, AT).report
    assert report.facts["users"] == "Contractor.Build"
    [cleanup_pr] = [p for p in _open_pulls(sandbox) if p["head"].startswith("oncall/remove-iam-users/")]
    assert "Bob.Smith" not in cleanup_pr["title"]
    assert (f"- `Bob.Smith`: https://github.sandbox/{DEVOPS}/pull/{offboard_pr['number']} (offboarding) already "
            "removes them") in cleanup_pr["body"]
    assert sandbox.run(_cleanup(["Bob.Smith", "Contractor.Build"]), config, AT).report.total_calls("writes") == 0


def test_todays_audit_supersedes_an_older_cleanup_pr(sandbox: Sandbox, config: Config) -> None:
    """Yesterday's PR removed Alan.Turing, who has since logged in: today's audit PR replaces it, and the old one
    is closed with its branch deleted, so nobody merges the removal of an active user."""
    sandbox.run(_cleanup(["Alan.Turing"]), config, AT)
    [old] = _open_pulls(sandbox)
    today = sandbox.run(_cleanup([], from_audit=True), config, AT).report
    assert today.exit_code == 0, today.to_text()
    closing = [o for o in today.outcomes if o.action.kind == "github.close_pull"]
    assert [(o.action.params["number"], o.status.value) for o in closing] == [(old["number"], "applied")]
    assert old["state"] == "closed"
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    assert "oncall/remove-iam-users/alan.turing" not in repo["branches"]
    [new] = [p for p in _open_pulls(sandbox)]
    assert f"Superseded by https://github.sandbox/{DEVOPS}/pull/{new['number']}" in old["comments"][-1]["body"]
    again = sandbox.run(_cleanup([], from_audit=True), config, AT).report
    assert again.total_calls("writes") == 0
