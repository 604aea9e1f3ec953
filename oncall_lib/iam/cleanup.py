"""Draft PRs that remove IAM users from the Terraform file in the devops repository.

observe: the file on the base branch, the edit (oncall_lib.iam.terraform), this
change's branch and open PR if they exist, and the audit data for the table.
plan: create the branch (named for the users, so the same users always map to
the same branch and PR, and other users get their own), commit the edited file
if the branch does not already hold it, open the draft PR (labels, the person on
support as reviewer) or bring its title and body up to date. Nothing is ever
merged or applied: a person does that.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from oncall_lib.config import Config
from oncall_lib.draft_pr import DraftPr, observe_branch, plan_draft_pr
from oncall_lib.draft_pr import executors as draft_executors
from oncall_lib.errors import InputError, ServiceError
from oncall_lib.iam.audit import findings_for, settings, team_audit_names
from oncall_lib.iam.inactivity import AWS_USERNAME, Finding, validate_usernames  # noqa: F401 - re-exported
from oncall_lib.iam.removals import OpenRemoval, open_removals
from oncall_lib.iam.terraform import EditResult, owners, remove_users
from oncall_lib.plan import Action, Ref, apply, filled
from oncall_lib.recorder import AUTOMATIC, TaskRow, with_person
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.recorder import record as tracking_actions
from oncall_lib.report import Report
from oncall_lib.rotation.on_support import support_person
from oncall_lib.services import Services
from oncall_lib.services.github import PullInfo
from oncall_lib.untrusted import github_text

JOB = "iam-cleanup"
def branch_for(users: list[str]) -> str:
    """One branch per set of users, whatever the order they were given in."""
    names = sorted(u.lower() for u in users)
    slug = re.sub(r"[^a-z0-9.-]+", "-", "-".join(names)).strip("-")
    if len(slug) > 60:
        digest = hashlib.sha1("\n".join(names).encode()).hexdigest()[:8]  # noqa: S324 - a name, not security
        slug = f"{slug[:48].rstrip('-.')}-{digest}"
    return f"oncall/remove-iam-users/{slug}"


@dataclass
class CleanupState:
    users: list[str]
    branch: str
    edit: EditResult
    draft: DraftPr | None = None
    reviewer: str | None = None
    findings: dict[str, Finding] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Users another open PR already removes (an offboarding, or another cleanup), left to it.
    left_out: dict[str, OpenRemoval] = field(default_factory=dict)
    # Other open cleanup PRs that today's audit replaces: closed, their branches deleted.
    superseded: list[OpenRemoval] = field(default_factory=list)

    @property
    def pull(self) -> PullInfo | None:
        return self.draft.pull if self.draft else None


def owner_login(user: str, config: Config, tagged: dict[str, str]) -> str:
    """The owner as a GitHub @mention where the roster knows their login."""
    for member in config.roster:
        if member.aws_username and member.aws_username.casefold() == user.casefold() and member.github:
            return f"@{member.github}"
    named = settings(config).owners.get(user) or tagged.get(user)
    if not named:
        return "unknown"
    for member in config.roster:
        if member.github and named.casefold() in {member.name.casefold(), member.github.casefold(),
                                                  (member.slack or "").casefold()}:
            return f"@{member.github}"
    # An owner tag in iam_users.tf is anyone's text: shown, never a mention.
    return github_text(named, 80, one_line=True)


def pr_title(users: list[str]) -> str:
    return f"Remove inactive IAM user{'s' if len(users) > 1 else ''}: {', '.join(users)}"


def pr_body(state: CleanupState, config: Config) -> str:
    rules = settings(config)
    rows = []
    for user in state.users:
        finding = state.findings.get(user)
        last = f"{finding.last_activity.date().isoformat()} ({finding.basis})" if finding else "not audited"
        days = str(finding.days_inactive) if finding else "?"
        rows.append(f"| `{user}` | {last} | {days} | {state.owners.get(user, 'unknown')} |")
    # IAM user names may hold '@' (bob@example.com): what the file says is text, never a mention.
    removed = "\n".join(f"- {github_text(item, one_line=True)}" for item in state.edit.removed)
    warnings = "".join(f"\n> **Check by hand:** {github_text(w, one_line=True)}" for w in state.edit.warnings)
    left_out = "".join(f"\n- `{github_text(user, one_line=True)}`: {r.pull.html_url} ({r.why}) already removes them"
                       for user, r in sorted(state.left_out.items()))
    return "\n".join([
        f"Removes IAM user(s) from `{rules.file}`. ATO compliance: no IAM user stays inactive past "
        f"{rules.limit_days} days.",
        "",
        "| User | Last activity | Days inactive | Owner |",
        "|---|---|---|---|",
        *rows,
        "",
        "What the edit removes (everything else in the file is unchanged, byte for byte):",
        "",
        removed,
        warnings,
        *(["", "Left out, so that one PR removes each user:", left_out.lstrip("\n")] if left_out else []),
        "",
        "Before merging: confirm with each owner that the account is no longer needed. After merging, "
        "plan and apply the global environment.",
        "",
        f"<!-- oncall-support:iam-cleanup {' '.join(sorted(state.users))} -->",
    ]).replace("\n\n\n", "\n\n")


def observe(services: Services, config: Config, at: datetime, users: list[str],
            findings: dict[str, Finding]) -> CleanupState:
    rules = settings(config)
    base = services.github.file(rules.repo, rules.file, rules.base_branch)
    if base is None:
        raise ServiceError(f"GitHub {rules.repo}: no {rules.file} on branch {rules.base_branch} (check [iam] repo, "
                           "file and base_branch)")
    edit = remove_users(base[0], users, path=rules.file)  # TerraformEditError: exit 2, nothing written
    state = CleanupState(users, branch_for(users), edit, findings=findings)
    tagged = terraform_owners_from(base[0], rules.file)
    state.owners = {u: owner_login(u, config, tagged) for u in users}
    state.draft = observe_branch(services, DraftPr(
        repo=rules.repo, branch=state.branch, base_branch=rules.base_branch, title=pr_title(users), body="",
        files={rules.file: edit.text}, base_blobs={rules.file: base[1]}, labels=list(rules.pr_labels)))
    if state.draft.pull is None or not state.draft.pull.reviewers:
        person = support_person(services, config, at, state.warnings, "no reviewer requested")
        state.reviewer = person.github if person else None
    return state


def terraform_owners_from(text: str, path: str) -> dict[str, str]:
    try:
        return owners(text, path=path)
    except InputError:
        return {}


def plan(state: CleanupState, config: Config) -> list[Action]:
    assert state.draft is not None
    state.draft.body = pr_body(state, config)
    state.draft.reviewer = state.reviewer
    actions = plan_draft_pr(state.draft)
    opened = next((i for i, a in enumerate(actions) if a.kind == "github.create_pull"), None)
    new_pr: Any = (Ref(opened, "html_url", fallback=f"branch {state.branch}") if opened is not None
                   else state.pull.html_url if state.pull else f"branch {state.branch}")
    rules = settings(config)
    for old in state.superseded:
        actions.append(Action("github.close_pull", f"{rules.repo}#{old.pull.number}",
                              "close it and delete its branch: today's audit replaces it",
                              {"repo": rules.repo, "number": old.pull.number, "branch": old.branch, "new": new_pr,
                               "comment": "Superseded by {new}: today's IAM audit lists who is past the limit now "
                                          f"({github_text(', '.join(state.users), one_line=True)}). Closed, and "
                                          f"branch `{old.branch}` deleted, "
                                          "so that one PR removes each user."},
                              after=opened))
    return actions


def choose_users(users: list[str], removals: list[OpenRemoval],
                 from_audit: bool) -> tuple[list[str], dict[str, OpenRemoval], list[OpenRemoval]]:
    """Who this PR removes, who is left to another open PR, and which open cleanup PRs it supersedes.

    An offboarding PR always keeps its user. Another cleanup PR keeps its users when users are named by hand;
    from the audit, today's list replaces every other cleanup PR (a user active again must not be removed)."""
    left_out: dict[str, OpenRemoval] = {}
    for user in users:
        offboarding = next((r for r in removals if r.why == "offboarding" and r.names(user)), None)
        if offboarding:
            left_out[user] = offboarding
    chosen = [u for u in users if u not in left_out]
    others = [r for r in removals if r.why == "IAM cleanup" and r.branch != branch_for(chosen)] if chosen else []
    if from_audit:
        return chosen, left_out, others
    for user in chosen:
        taken = next((r for r in others if r.names(user)), None)
        if taken:
            left_out[user] = taken
    return [u for u in chosen if u not in left_out], left_out, []


def run(services: Services, config: Config, at: datetime, *, dry_run: bool, users: list[str],
        from_audit: bool = False, report_file: Path | None = None) -> Report:
    settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        findings: dict[str, Finding] = {}
        if from_audit or report_file:
            audited = findings_for(services, config, at, report_file)
            findings = {f.user: f for f in audited}
            if from_audit:
                users = [f.user for f in audited if f.status == "over_limit"]
                if not settings(config).post_audit:
                    # The team's own audit posted today's list: the PR removes the users its thread names that
                    # the credential report shows past the limit (a word of the post is never taken on trust).
                    named, post_ts = team_audit_names(services, config, at)
                    users = [u for u in users if u.casefold() in named]
                    report.facts["users_from"] = (f"the thread of {settings(config).audit_poster}'s post {post_ts}"
                                                  if post_ts else f"no post by {settings(config).audit_poster} "
                                                  "in the operations channel today")
                if not users:
                    report.facts = {"users": "none past the limit: no PR", **report.facts}
                    report.api_calls = services.calls.snapshot()
                    return report
        # The same users in any order are the same change: same branch, same title, same table.
        users = sorted(validate_usernames(users), key=str.casefold)
        users, left_out, superseded = choose_users(users, open_removals(services, settings(config).repo), from_audit)
        if not users:
            report.facts = {"users": "none: another open PR already removes each one",
                            "already_removed_by": {u: r.pull.html_url for u, r in left_out.items()}}
            report.api_calls = services.calls.snapshot()
            return report
        state = observe(services, config, at, users, findings)
        state.left_out, state.superseded = left_out, superseded
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {**report.facts, "users": ", ".join(state.users), "branch": state.branch,
                    "pull_request": state.pull.html_url if state.pull else None,
                    "removed": len(state.edit.removed)}
    report.warnings = state.warnings + state.edit.warnings
    actions = plan(state, config)
    report.warnings += state.draft.notes if state.draft else []
    rules = settings(config)
    row = TaskRow(key=f"iam-cleanup/{state.branch}", day=at.astimezone(config.team.tz).date(), person="", kind="iam",
                  by=AUTOMATIC, summary=f"Draft PR: {pr_title(state.users)}",
                  link=f"https://github.com/{rules.repo}/compare/{rules.base_branch}...{state.branch}")
    actions += tracking_actions(services, config, [row], report.warnings, start=len(actions),
                                complete=with_person(services, config, at, report.warnings))
    close = {"github.close_pull": lambda a: services.github.close_pull(
        a.params["repo"], a.params["number"], a.params["branch"],
        filled(a.params, "comment"))}
    report.outcomes = apply(actions, {**draft_executors(services), **tracking_executors(services), **close},
                            dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report

