"""The PR review digest and failed-deploy triage through PyGithub (REST and GraphQL) and slack_sdk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from oncall_lib.config import Config
from oncall_lib.deploys import watch as deploy_watch
from oncall_lib.deploys.triage import codeowners, log_excerpt, owners_of
from oncall_lib.report import Report
from oncall_lib.reviews import digest as review_digest
from oncall_lib.services import Services
from tests.conftest import Sandbox

AT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
DEVOPS = "department-of-veterans-affairs/devops"
OPS, DEPLOYS = "C02VSPOPS", "C04DEPLOYS"


def digest(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return review_digest.run(s, c, at, dry_run=d)


def watching(s: Services, c: Config, at: datetime, d: bool) -> Report:
    return deploy_watch.run(s, c, at, dry_run=d)


def posts(sandbox: Sandbox, channel: str, event: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.channel(channel)["messages"] if (m.get("metadata") or {}).get("event_type") == event]


def test_the_digest_picks_the_prs_that_await_review(sandbox: Sandbox, config: Config) -> None:
    report = sandbox.run(digest, config, AT).report
    assert report.exit_code == 0, report.to_text()
    found = {p["url"].rsplit("/", 1)[1]: p for p in report.extra["pull_requests"]}
    # 110 is a draft, 111 approved after its last push, 114 waits on its author after changes were requested.
    assert set(found) == {"101", "112", "113", "115"}
    assert found["112"]["reason"] == "approval predates the last push" and found["112"]["approvals"] == 1
    assert found["115"]["reason"] == "updated since changes were requested"
    assert found["113"]["external"] and found["113"]["checks"] == "FAILURE" and found["113"]["code_owner_requested"]
    assert not found["101"]["external"] and found["101"]["age_days"] == 7
    [message] = posts(sandbox, OPS, review_digest.DIGEST_EVENT)
    assert "by vfs-contractor (external)" in message["text"] and ":x: checks fail" in message["text"]
    # One GraphQL read for the repository's open PRs; no per-PR calls.
    assert report.api_calls["github"] == {"reads": 1, "writes": 0}
    # The team's reviews go to a worksheet that does not exist yet: one read, then add it with its header (2), and
    # insert the rows with their keys and write their values (2).
    assert report.api_calls["sheets"] == {"reads": 1, "writes": 4}
    # Each review is credited to whoever reviewed, not to the person on support.
    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    reviews = next(w for w in sheet["worksheets"] if w["title"] == config.tracking.section("pr_review"))["rows"]
    assert all(row[11] == row[4].split(" reviewed ")[0] for row in reviews[1:]) and reviews[1:]


def test_the_teams_reviews_are_logged_once_for_the_report(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(digest, config, AT)
    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    rows = next(w for w in sheet["worksheets"] if w["title"] == "PR reviews")["rows"][1:]
    # Reviews on open PRs by roster members: 111 (Ada), 112 (Alan), 114 (Alan), 115 (Grace), all submitted in
    # Grace's week: the "On support" column is who was on support then, the summary names the reviewer.
    assert [r[2] for r in rows] == ["Grace Hopper"] * 4
    assert sorted(r[4].split(" reviewed ")[0] for r in rows) == ["Ada Lovelace", "Alan Turing", "Alan Turing",
                                                                 "Grace Hopper"]
    assert all(r[3] == "pr_review" for r in rows)
    again = sandbox.run(digest, config, AT + timedelta(hours=1)).report
    assert again.total_calls("writes") == 0


def test_the_days_digest_is_edited_in_place_and_a_rerun_writes_nothing(sandbox: Sandbox, config: Config) -> None:
    sandbox.run(digest, config, AT)
    assert sandbox.run(digest, config, AT + timedelta(hours=1)).report.total_calls("writes") == 0
    devops = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    next(p for p in devops["pulls"] if p["number"] == 112)["reviews"].append(
        {"user": "grace-hopper", "state": "APPROVED", "submitted_at": "2026-11-27T14:30:00Z"})
    updated = sandbox.run(digest, config, AT + timedelta(hours=2)).report
    assert [o.action.kind for o in updated.outcomes] == ["slack.update", "sheet.append"]  # and Grace's review is logged
    [message] = posts(sandbox, OPS, review_digest.DIGEST_EVENT)
    assert "#112" not in message["text"]
    tomorrow = sandbox.run(digest, config, AT + timedelta(days=1)).report
    assert [o.action.kind for o in tomorrow.outcomes] == ["slack.post"]


def test_the_person_on_support_can_be_asked_to_review(sandbox: Sandbox, config: Config) -> None:
    asking = config.model_copy(update={"reviews": config.reviews.model_copy(  # type: ignore[union-attr]
        update={"request_person_on_support": True})})
    report = sandbox.run(digest, asking, AT).report
    asked = sorted(o.action.target for o in report.outcomes if o.action.kind == "github.request_review")
    assert asked == [f"{DEVOPS}#101", f"{DEVOPS}#112"]  # nobody requested, and not authored by Grace
    again = sandbox.run(digest, asking, AT).report
    assert again.total_calls("writes") == 0


def _deploy_412_fails(sandbox: Sandbox, config: Config) -> tuple[str, dict[str, Any]]:
    """The deploy bot announces run 7002's failure; the watch explains it. The bot's ts and the failure found."""
    bot_ts = sandbox.post(DEPLOYS, AT - timedelta(hours=2), "Deploy #412 of devops failed: "
                          "https://github.sandbox/department-of-veterans-affairs/devops/actions/runs/7002", user=None,
                          bot_id="B0DEPLOY01", bot_profile={"name": "deploy-bot"})
    report = sandbox.run(watching, config, AT).report
    assert report.exit_code == 0, report.to_text()
    [failure] = report.extra["failures"]
    assert failure["job"] == "deploy" and failure["step"] == "Terraform apply"
    return bot_ts, failure


def test_a_failed_deploy_names_its_commits_authors_and_code_owners_once(sandbox: Sandbox, config: Config) -> None:
    bot_ts, failure = _deploy_412_fails(sandbox, config)
    assert failure["owners"] == ["grace-hopper", "vfs-contractor", "katherine-johnson"]
    assert len(failure["commits"]) == 2
    [post] = posts(sandbox, DEPLOYS, deploy_watch.TRIAGE_EVENT)
    assert post["thread_ts"] == bot_ts  # in the deploy bot's thread
    assert "##[error]Error: creating S3 Bucket (vfs-uploads): AccessDenied" in post["text"]
    assert "Likely owners: <@U0GRACE>, @vfs-contractor, <@U0KATH>" in post["text"]
    assert post["metadata"]["event_payload"]["logged"] is True  # its row went in first
    again = sandbox.run(watching, config, AT + timedelta(minutes=15)).report
    assert again.outcomes == [] and again.total_calls("writes") == 0
    assert "sheets" not in again.api_calls  # the marker says the row is in: no sheet read while it stays


def test_a_deploy_row_lost_with_the_sheet_is_logged_by_a_later_run(sandbox: Sandbox, config: Config) -> None:
    from oncall_lib.sandbox import Faults

    sandbox.run(watching, config, AT, faults=Faults(rate=1.0, kinds=("5xx",), services=("sheets",), seed=1))
    [post] = posts(sandbox, DEPLOYS, deploy_watch.TRIAGE_EVENT)
    assert post["metadata"]["event_payload"]["logged"] is False
    later = sandbox.run(watching, config, AT + timedelta(minutes=15)).report
    kinds = [o.action.kind for o in later.outcomes]
    assert kinds[-1] == "sheet.append" and "slack.post" not in kinds, later.to_text()
    assert len(posts(sandbox, DEPLOYS, deploy_watch.TRIAGE_EVENT)) == 1


def test_a_failure_on_the_same_commit_has_no_direct_owner(sandbox: Sandbox, config: Config) -> None:
    devops = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    runs = devops["workflows"][0]["runs"]
    runs[1]["head_sha"] = runs[0]["head_sha"]  # a flaky rerun of the commit that deployed fine
    devops["branches"]["master"]["files"].pop(".github/CODEOWNERS")
    sandbox.run(watching, config, AT)
    [post] = posts(sandbox, DEPLOYS, deploy_watch.TRIAGE_EVENT)
    assert "Same commit as the last success" in post["text"] and "Likely owners" not in post["text"]
    # Nobody chose to look: the triage says no owner was found and invites the person on support, never claims
    # that anyone is looking.
    assert "*No owner found* in the commits or CODEOWNERS. Person on support: if you look into it, say so in this " \
           "thread so others know" in post["text"]
    assert "is looking" not in post["text"]
    assert "thread_ts" not in post  # no deploy bot message to answer


def test_with_owners_found_the_triage_names_them_and_invites_nobody(sandbox: Sandbox, config: Config) -> None:
    _deploy_412_fails(sandbox, config)
    [post] = posts(sandbox, DEPLOYS, deploy_watch.TRIAGE_EVENT)
    assert "Likely owners:" in post["text"] and "No owner found" not in post["text"]
    assert "Person on support" not in post["text"] and "is looking" not in post["text"]


def test_the_digest_posts_nothing_when_nothing_waits(sandbox: Sandbox, config: Config) -> None:
    devops = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    for pull in devops["pulls"]:
        pull["draft"] = True  # every open PR still a draft: none awaits review
    report = sandbox.run(digest, config, AT).report
    assert report.exit_code == 0, report.to_text()
    assert report.facts["awaiting_review"] == 0
    assert report.facts["digest"] == "nothing waits for review: nothing posted"
    assert posts(sandbox, OPS, review_digest.DIGEST_EVENT) == []
    assert not [o for o in report.outcomes if o.action.kind.startswith("slack.")]
    assert report.api_calls.get("slack", {}).get("writes", 0) == 0


def test_a_digest_posted_today_says_so_when_everything_is_reviewed(sandbox: Sandbox, config: Config) -> None:
    """Posted in the morning with PRs waiting; by the afternoon none waits: the same message is edited, nothing
    new is posted."""
    sandbox.run(digest, config, AT)
    devops = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    for pull in devops["pulls"]:
        pull["draft"] = True
    later = sandbox.run(digest, config, AT + timedelta(hours=3)).report
    assert [o.action.kind for o in later.outcomes if o.action.kind.startswith("slack.")] == ["slack.update"]
    [message] = posts(sandbox, OPS, review_digest.DIGEST_EVENT)
    assert message["text"] == ":tada: *No pull request awaits review.*"


def test_codeowners_and_log_excerpts() -> None:
    rules = codeowners("* @alan-turing\nterraform/ @katherine-johnson\n/ansible/ @grace-hopper  # config\n*.md @docs\n")
    assert owners_of(["terraform/s3.tf", "modules/terraform/x.tf"], rules) == ["katherine-johnson"]
    assert owners_of(["ansible/site.yml"], rules) == ["grace-hopper"]
    assert owners_of(["docs/ansible/notes.txt"], rules) == ["alan-turing"]  # /ansible/ is anchored
    assert owners_of(["README.md", "src/app.py"], rules) == ["docs", "alan-turing"]
    log = "\n".join(f"2026-11-27T14:01:{i:02d}.0000000Z line {i}" for i in range(40)) + "\nERROR tail"
    assert log_excerpt(log.replace("line 20", "##[error]boom")).splitlines()[5] == "##[error]boom"
    assert log_excerpt(log).splitlines()[-1] == "ERROR tail"


def test_without_checks_permission_the_digest_degrades_instead_of_stopping(sandbox: Sandbox, config: Config) -> None:
    """GitHub answers statusCheckRollup with a partial FORBIDDEN error, on which PyGithub raises."""
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    repo["checks_forbidden"] = True
    report = sandbox.run(digest, config, AT).report
    assert report.exit_code == 0, report.to_text()
    assert any("Checks: read and Commit statuses: read" in w for w in report.warnings)
    [post] = posts(sandbox, OPS, review_digest.DIGEST_EVENT)
    assert "checks unknown" in post["text"] and "checks pass" not in post["text"]
    assert sandbox.run(digest, config, AT).report.total_calls("writes") == 0


def test_long_job_lists_and_long_comparisons_are_read_to_the_end(sandbox: Sandbox, config: Config) -> None:
    """GitHub pages a run's jobs (30 a page) and a comparison's commits (250 a page): the failed job on page two
    and the authors of commits on page two still reach the triage."""
    devops = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    failed_run = devops["workflows"][0]["runs"][1]
    failed_run["jobs"] = [{"id": 9000 + n, "name": f"matrix {n}", "conclusion": "success",
                           "steps": [{"name": "Test"}]} for n in range(40)] + failed_run["jobs"][-1:]
    commits = devops["commits"]
    filler = [{"sha": f"{n:040x}", "author": "alan-turing", "message": f"Step {n}", "files": ["README.md"]}
              for n in range(300)]
    devops["commits"] = commits[:1] + filler + commits[1:]  # the two real commits now sit past the first page
    _, failure = _deploy_412_fails(sandbox, config)
    assert len(failure["commits"]) == 302
    assert {"grace-hopper", "vfs-contractor"} <= set(failure["owners"])


def test_a_pr_reviewed_and_merged_between_two_digests_still_counts(sandbox: Sandbox, config: Config) -> None:
    """Reviewed Thursday afternoon, merged an hour later: the Friday digest no longer sees it open, but the same
    query's last-closed PRs still bring its review, logged with who was on support when it was submitted."""
    devops = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == DEVOPS)
    devops["pulls"].append({"number": 190, "title": "Rotate the Vault root token", "state": "closed", "merged": True,
                            "user": "vfs-contractor", "head": "vault-rotate", "base": "master",
                            "created_at": "2026-11-25T14:00:00Z", "updated_at": "2026-11-26T20:00:00Z",
                            "closed_at": "2026-11-26T20:00:00Z", "merged_at": "2026-11-26T20:00:00Z",
                            "reviews": [{"user": "katherine-johnson", "state": "APPROVED",
                                         "submitted_at": "2026-11-26T19:00:00Z"}]})
    report = sandbox.run(digest, config, AT).report
    assert report.exit_code == 0, report.to_text()
    sheet = sandbox.world["sheets"]["spreadsheets"][0]
    rows = next(w for w in sheet["worksheets"] if w["title"] == "PR reviews")["rows"][1:]
    [merged] = [r for r in rows if f"{DEVOPS}#190" in r[4]]
    assert merged[2] == "Grace Hopper" and merged[4].startswith("Katherine Johnson reviewed")
    # Still one GraphQL read for the repository: the closed PRs ride on the open PRs' query.
    assert sandbox.run(digest, config, AT + timedelta(hours=1)).report.total_calls("writes") == 0
