"""Draft PRs that remove IAM users, through PyGithub against the sandbox; and the local `edit` command."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oncall_lib.config import Config
from oncall_lib.errors import InputError
from oncall_lib.iam import cleanup as iam_cleanup
from oncall_lib.iam.terraform import remove_users
from oncall_lib.report import Report
from oncall_lib.services import Services
from tests.conftest import Sandbox

ROOT = Path(__file__).resolve().parent.parent
DEVOPS = "department-of-veterans-affairs/devops"
TF = "terraform/environments/global/iam_users.tf"
AT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def cleanup(users: list[str] | None = None, from_audit: bool = False) -> Any:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return iam_cleanup.run(services, config, at, dry_run=dry_run, users=users or [], from_audit=from_audit)
    return job


def repo(sandbox: Sandbox) -> dict[str, Any]:
    return next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)


def test_from_the_audit_one_branch_one_draft_pr_and_a_second_run_writes_nothing(sandbox: Sandbox,
                                                                                 config: Config) -> None:
    base = repo(sandbox)["branches"]["master"]["files"][TF]
    first = sandbox.run(cleanup(from_audit=True), config, AT).report
    assert first.exit_code == 0, first.to_text()
    assert [o.action.kind for o in first.outcomes] == [
        "github.create_branch", "github.commit_file", "github.create_pull", "github.add_labels",
        "github.request_review", "sheet.add_worksheet", "sheet.append"]
    branch = "oncall/remove-iam-users/bob.smith-contractor.build"
    assert repo(sandbox)["branches"][branch]["files"][TF] == remove_users(base, ["Bob.Smith", "Contractor.Build"]).text
    assert repo(sandbox)["branches"]["master"]["files"][TF] == base  # the base branch is never touched
    [pull] = [p for p in repo(sandbox)["pulls"] if p["head"] == branch]
    assert pull["draft"] and pull["base"] == "master"
    assert pull["labels"] == ["iam-cleanup", "operations"] and pull["requested_reviewers"] == ["alan-turing"]
    assert "| `Bob.Smith` | " in pull["body"] and "| 95 | @katherine-johnson |" in pull["body"]
    assert "| `Contractor.Build` | " in pull["body"] and "never used (counted from creation)" in pull["body"]
    assert '- resource "aws_iam_user_ssh_key" "bob_smith"' in pull["body"]

    second = sandbox.run(cleanup(from_audit=True), config, AT + timedelta(minutes=10)).report
    assert second.outcomes == [] and second.total_calls("writes") == 0
    assert len([p for p in repo(sandbox)["pulls"] if p["head"] == branch]) == 1


def test_named_users_in_any_order_reuse_the_branch_and_another_set_gets_its_own(sandbox: Sandbox,
                                                                                 config: Config) -> None:
    sandbox.run(cleanup(["Bob.Smith", "Contractor.Build"]), config, AT)
    again = sandbox.run(cleanup(["Contractor.Build", "Bob.Smith"]), config, AT).report
    assert again.outcomes == []
    [first] = [p for p in repo(sandbox)["pulls"] if p["head"].startswith("oncall/remove-iam-users/")]
    # One removal per user: Bob is in the open PR already, so naming him again opens nothing...
    taken = sandbox.run(cleanup(["Bob.Smith"]), config, AT).report
    assert taken.outcomes == [] and taken.facts["already_removed_by"] == {
        "Bob.Smith": f"https://github.sandbox/{DEVOPS}/pull/{first['number']}"}
    # ...and a set with someone new gets its own branch for the new person only, saying who is left out.
    other = sandbox.run(cleanup(["Bob.Smith", "Alan.Turing"]), config, AT).report
    assert other.facts["branch"] == "oncall/remove-iam-users/alan.turing"
    [second] = [p for p in repo(sandbox)["pulls"] if p["head"] == "oncall/remove-iam-users/alan.turing"]
    assert f"- `Bob.Smith`: https://github.sandbox/{DEVOPS}/pull/{first['number']} (IAM cleanup)" in second["body"]


def test_a_branch_left_behind_by_a_failed_run_is_completed(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(cleanup(["Bob.Smith"]), config, AT)
    pulls = repo(sandbox)["pulls"]
    pulls[:] = [p for p in pulls if p["head"] != "oncall/remove-iam-users/bob.smith"]  # the PR never got created
    report = sandbox.run(cleanup(["Bob.Smith"]), config, AT).report
    assert [o.action.kind for o in report.outcomes] == ["github.create_pull", "github.add_labels",
                                                         "github.request_review"]


def test_a_user_missing_from_the_file_is_named_and_nothing_is_written(sandbox: Sandbox, config: Config) -> None:
    with pytest.raises(InputError, match="no IAM user named Nobody.Here"):
        sandbox.run(cleanup(["Bob.Smith", "Nobody.Here"]), config, AT)
    assert set(repo(sandbox)["branches"]) == {"master"}


def test_usernames_are_checked_before_use(sandbox: Sandbox, config: Config) -> None:
    with pytest.raises(InputError, match="not an AWS IAM user name: 'bob; rm -rf /'"):
        sandbox.run(cleanup(["bob; rm -rf /"]), config, AT)


def test_long_sets_of_users_get_a_bounded_branch_name() -> None:
    users = [f"Contractor.Number{i}" for i in range(12)]
    branch = iam_cleanup.branch_for(users)
    assert len(branch) <= 90 and branch == iam_cleanup.branch_for(list(reversed(users)))
    assert branch != iam_cleanup.branch_for(users[:-1])


def edit_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "iam_cleanup.py"), "edit", *args],
                          capture_output=True, text=True, timeout=60)


def test_the_edit_command_writes_or_shows_a_diff(tmp_path: Path, sandbox: Sandbox) -> None:
    path = tmp_path / "iam_users.tf"
    original = repo(sandbox)["branches"]["master"]["files"][TF]
    path.write_text(original)
    diff = edit_cli("--file", str(path), "--user", "Bob.Smith", "--diff")
    assert diff.returncode == 0 and diff.stdout.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert '-resource "aws_iam_user" "bob_smith" {' in diff.stdout
    assert path.read_text() == original
    written = edit_cli("--file", str(path), "--user", "Bob.Smith")
    assert written.returncode == 0 and "removed 5 item(s) for Bob.Smith" in written.stdout
    assert path.read_text() == remove_users(original, ["Bob.Smith"]).text
    missing = edit_cli("--file", str(path), "--user", "Bob.Smith")
    assert missing.returncode == 2 and missing.stderr.strip().endswith("no IAM user named Bob.Smith (nothing changed)")


def test_where_drafts_are_refused_a_normal_pr_says_do_not_merge(sandbox: Sandbox, config: Config) -> None:
    repo(sandbox)["drafts"] = False  # a plan without draft pull requests: GitHub answers 422
    first = sandbox.run(cleanup(users=["Bob.Smith"]), config, AT).report
    assert first.exit_code == 0, first.to_text()
    [pull] = [p for p in repo(sandbox)["pulls"] if p["head"].startswith("oncall/remove-iam-users/")]
    assert pull["title"].startswith("[Do not merge] Remove inactive IAM user") and pull["draft"] is False
    again = sandbox.run(cleanup(users=["Bob.Smith"]), config, AT).report
    assert again.total_calls("writes") == 0, again.to_text()


def test_the_reviewer_is_asked_once_even_after_github_forgets_the_request(sandbox: Sandbox, config: Config) -> None:
    first = sandbox.run(cleanup(users=["Bob.Smith"]), config, AT).report
    assert first.exit_code == 0, first.to_text()
    [pull] = [p for p in repo(sandbox)["pulls"] if p["head"].startswith("oncall/remove-iam-users/")]
    [reviewer] = pull["requested_reviewers"]
    pull.setdefault("reviews", []).append({"user": reviewer, "state": "COMMENTED",
                                           "submitted_at": "2026-11-30T17:00:00Z"})  # GitHub drops the request
    again = sandbox.run(cleanup(users=["Bob.Smith"]), config, AT).report
    assert "github.request_review" not in [o.action.kind for o in again.outcomes]
    assert again.total_calls("writes") == 0


def test_a_reviewer_who_is_not_a_collaborator_is_named(sandbox: Sandbox, config: Config) -> None:
    repo(sandbox)["collaborators"] = ["grace-hopper"]  # the person on support cannot be asked here
    report = sandbox.run(cleanup(users=["Bob.Smith"]), config, AT).report
    [failed] = [o for o in report.outcomes if o.status.value == "failed"]
    assert failed.action.kind == "github.request_review"
    assert "request a review from @alan-turing" in failed.error and "not a collaborator" in failed.error


def test_a_persons_edit_survives_a_rerun_and_no_reviewer_is_asked_twice(sandbox: Sandbox, config: Config) -> None:
    """A person rewrites the PR description, dropping the product's section and its hidden memory of who was
    asked, after the reviewer reviewed (so GitHub no longer lists the request). The re-run leaves their words as
    they are, asks nobody again (GitHub's reviews stand in for the lost memory), and puts the memory back."""
    from oncall_lib.preview import github_visible

    sandbox.run(cleanup(from_audit=True), config, AT)
    [pull] = [p for p in repo(sandbox)["pulls"] if p["head"].startswith("oncall/remove-iam-users/")]
    assert "<!-- oncall-support:begin " in pull["body"] and "<!-- oncall-support:end -->" in pull["body"]
    [reviewer] = pull["requested_reviewers"]
    pull.setdefault("reviews", []).append({"user": reviewer, "state": "APPROVED",
                                           "submitted_at": "2026-11-30T17:00:00Z"})
    pull["body"] = "LGTM, merging after lunch.\r\n\r\nKeep Contractor.Build until Friday."
    pull["title"] = "IAM cleanup (Ada's notes)"
    report = sandbox.run(cleanup(from_audit=True), config, AT + timedelta(minutes=10)).report
    assert "github.request_review" not in [o.action.kind for o in report.outcomes]
    assert [o.action.kind for o in report.outcomes] == ["github.edit_pull"]  # the memory, and nothing else
    assert github_visible(pull["body"]) == "LGTM, merging after lunch.\r\n\r\nKeep Contractor.Build until Friday."
    assert pull["title"] == "IAM cleanup (Ada's notes)"
    assert any("left as they wrote it" in w for w in report.warnings)
    again = sandbox.run(cleanup(from_audit=True), config, AT + timedelta(minutes=20)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0
    assert pull["requested_reviewers"] == [reviewer] and len(pull["reviews"]) == 1


def test_with_the_teams_own_audit_the_pr_comes_from_its_thread(sandbox: Sandbox, config: Config) -> None:
    """The team's Lambda posts the day's audit and lists the users in its thread; the product posts nothing and
    drafts the PR for the users that thread names and the credential report shows past the limit. A user only a
    person's reply names is not taken, nor a user the report does not show past the limit."""
    assert config.iam is not None
    quiet = config.model_copy(update={"iam": config.iam.model_copy(
        update={"post_audit": False, "audit_poster": "iam-activity-audit"})})
    lambda_post = {"user": None, "bot_id": "B0IAMLAMBDA", "bot_profile": {"name": "iam-activity-audit"}}
    ops = "C02VSPOPS"
    none_today = sandbox.run(cleanup(from_audit=True), quiet, AT).report
    assert none_today.facts["users_from"] == "no post by iam-activity-audit in the operations channel today"
    assert none_today.facts["users"] == "none past the limit: no PR"
    parent = sandbox.post(ops, AT - timedelta(minutes=50), "IAM users approaching 90 days of inactivity: 3",
                          **lambda_post)
    sandbox.post(ops, AT - timedelta(minutes=49), "Bob.Smith (95 days), Alan.Turing (80 days)", thread_ts=parent,
                 **lambda_post)
    sandbox.post(ops, AT - timedelta(minutes=30), "Contractor.Build is still in use, cc @bob", thread_ts=parent,
                 user="U0ADA")
    report = sandbox.run(cleanup(from_audit=True), quiet, AT).report
    assert report.exit_code == 0, report.to_text()
    assert report.facts["users"] == "Bob.Smith"  # Alan.Turing is in the warning band; Contractor.Build not named
    assert report.facts["users_from"] == f"the thread of iam-activity-audit's post {parent}"
    assert [p for p in repo(sandbox)["pulls"] if p["head"] == "oncall/remove-iam-users/bob.smith"]
