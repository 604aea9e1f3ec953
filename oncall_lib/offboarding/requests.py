"""Offboarding and access requests from issue forms.

Offboarding (`offboard`): resolve the person's AWS username (the roster's, or
First.Last from the name, confirmed in iam_users.tf), draft one PR in the
devops repository removing the IAM user (the Terraform editor) and their SOCKS
key entry (the YAML editor), keep one bot comment on the issue with each step's
state, tick the body's checklist items the automation completed, and log it.
Nothing is removed without the PR a person merges.

Access (`grant`): on the approval label, check through the API that whoever
added it (the event's sender, never the issue text) is in the approvers team.
If not, the label comes off with a comment saying why. If so, a GitHub-team
tool is granted by adding the user to the team; any other tool gets its
checklist for a person. Usernames are checked against GitHub's and AWS's rules
before use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oncall_lib.authorship import github_identity, marked, own, roster_member
from oncall_lib.config import GITHUB_LOGIN, AccessConfig, Config, OffboardingConfig
from oncall_lib.draft_pr import DraftPr, observe_branch, plan_draft_pr
from oncall_lib.draft_pr import executors as draft_executors
from oncall_lib.errors import Gone, InputError, ServiceError
from oncall_lib.iam.inactivity import AWS_USERNAME
from oncall_lib.iam.removals import OFFBOARD_BRANCHES, OFFBOARD_MARKER, OpenRemoval, open_removals, removing
from oncall_lib.iam.terraform import TerraformEditError, remove_users
from oncall_lib.issue_forms import parse_form
from oncall_lib.offboarding.socks_yaml import remove_socks_entries
from oncall_lib.plan import Action, Executor, Ref, apply, filled
from oncall_lib.recorder import AUTOMATIC, TaskRow, with_person
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.recorder import record as tracking_actions
from oncall_lib.report import Report
from oncall_lib.rotation.on_support import support_person
from oncall_lib.services import Services
from oncall_lib.services.github import Comment, GitHubIdentity, IssueState, LabelEvent
from oncall_lib.untrusted import github_text

JOB = "offboarding"
ACCESS_JOB = "access"
STATUS_MARKER = "<!-- oncall-support:offboarding-status -->"
# The request's answers the status was made from: the tick redoes a request corrected since (an older status
# without it counts as current).
ANSWERS_MARKER = "<!-- oncall-support:offboarding-answers {digest} -->"
_ANSWERS = re.compile(r"<!-- oncall-support:offboarding-answers (?P<digest>[0-9a-f]{10}) -->")
REFUSED_MARKER = "<!-- oncall-support:offboarding-refused {author} -->"
DENIED_MARKER = "<!-- oncall-support:access-denied {sender} -->"
CHECKLIST_MARKER = "<!-- oncall-support:access-checklist -->"
OFFBOARDING_LABELS = ("Name", "Team", "Role", "Expected last day", "Company", "Emails", "GitHub username", "COR", "PM",
                      "Other access", "Tier 2 steps")
ACCESS_LABELS = ("Person", "GitHub username", "Tool", "Reason", "Approver")
IAM_STEP = "Draft the PR removing the IAM user from iam_users.tf"
SOCKS_STEP = "Draft the PR removing the SOCKS key from ansible/global/config.yml"


def _settings(config: Config) -> tuple[OffboardingConfig, str, str, str]:
    rules = config.required(config.offboarding, "offboarding", "offboarding and access requests need it")
    iam = config.required(config.iam, "iam", "offboarding drafts its PR in the devops repository named there")
    filed = config.required(config.support_issues, "support_issues", "offboarding reads requests from its repo")
    return rules, iam.repo, iam.base_branch, filed.repo


def requests_repo(config: Config) -> str:
    """Where offboarding and access requests are filed: the support issues' repository."""
    return config.required(config.support_issues, "support_issues", "requests are filed in its repo").repo


def aws_username_for(name: str, github: str | None, config: Config) -> str:
    """The roster's AWS username for this person, or First.Last from their name."""
    for member in config.roster:
        if member.aws_username and ((github and member.github and member.github.casefold() == github.casefold())
                                    or member.name.casefold() == name.strip().casefold()):
            return member.aws_username
    words = [w for w in re.split(r"\s+", name.strip()) if w]
    return ".".join(w[:1].upper() + w[1:] for w in (words[0], words[-1])) if len(words) > 1 else name.strip()


@dataclass
class Offboarding:
    issue: IssueState
    name: str
    github: str | None
    aws_username: str
    problems: list[str] = field(default_factory=list)
    answers_digest: str = ""
    refused: str | None = None  # why whoever filed (or edited) the request may not ask for an offboarding
    refused_before: bool = False  # the product already said so
    iam_removed: list[str] = field(default_factory=list)
    socks_removed: list[str] = field(default_factory=list)
    draft: DraftPr | None = None
    comment: Comment | None = None
    reviewer: str | None = None
    on_support: str | None = None  # their name, once looked up
    warnings: list[str] = field(default_factory=list)
    check_by_hand: list[str] = field(default_factory=list)  # what the Terraform edit could not do itself
    iam_elsewhere: OpenRemoval | None = None  # an open IAM cleanup PR that already removes the user


def answers_digest(body: str) -> str:
    """A digest of the answers the automation acts on (who leaves: the name and GitHub username)."""
    answers = parse_form(body, OFFBOARDING_LABELS)
    text = "\n".join(f"{k}={(answers.get(k) or '').strip()}" for k in ("Name", "GitHub username"))
    return hashlib.sha1(text.encode()).hexdigest()[:10]  # noqa: S324 - a marker, not security


def status_is_current(comments: list[Comment], issue: IssueState, me: GitHubIdentity) -> bool:
    """Whether the product's status comment (or its refusal) answers the request as it reads now."""
    if marked(comments, "<!-- oncall-support:offboarding-refused ", me) is not None:
        return True
    status = marked(comments, STATUS_MARKER, me)
    if status is None:
        return False
    found = _ANSWERS.search(status.body)
    return found is None or found["digest"] == answers_digest(issue.body)


def requester_refusal(services: Services, config: Config, login: str, user_id: int) -> str | None:
    """Why this GitHub account may not ask for an offboarding, or None: the config names who may (the roster, the
    access approvers, `[offboarding] requesters_team`)."""
    if roster_member(config, login, user_id) is not None:
        return None
    teams = [t for t in ((config.access.approvers_team if config.access else None),
                         (config.offboarding.requesters_team if config.offboarding else None)) if t]
    if any(services.github.team_member(team, login) for team in teams):
        return None
    named = ", ".join(["the roster", *teams])
    return (f"@{github_text(login, 40, one_line=True)} is not among the people who may ask for an offboarding "
            f"({named})")


def observe(services: Services, config: Config, at: datetime, number: int) -> Offboarding:
    rules, devops, base_branch, requests_repo = _settings(config)
    issue = services.github.issue(requests_repo, number)
    me = github_identity(services)
    comments = own(services.github.comments(requests_repo, number), me)
    refused = requester_refusal(services, config, issue.author, issue.author_id)
    if refused is None and issue.node_id:
        # Whoever changed what it asks must be allowed to ask too.
        for change in services.github.edit_history(requests_repo, issue.node_id).edited_by_others(me.user_id):
            refused = requester_refusal(services, config, change.editor, change.editor_id)
            if refused is not None:
                refused = f"the request was edited by someone who may not ask for one: {refused}"
                break
    if refused is not None:
        state = Offboarding(issue, "", None, "", refused=refused)
        state.refused_before = marked(comments, REFUSED_MARKER.format(author=issue.author_id), me) is not None
        return state
    answers = parse_form(issue.body, OFFBOARDING_LABELS)
    name = (answers["Name"] or "").strip()
    github = (answers["GitHub username"] or "").strip().lstrip("@") or None
    state = Offboarding(issue, name, github, aws_username_for(name, github, config) if name else "",
                        answers_digest=answers_digest(issue.body))
    if not name:
        state.problems.append("the request has no Name")
    if github and not GITHUB_LOGIN.match(github):
        state.problems.append(f"“{github_text(github, 80, one_line=True)}” is not a GitHub username")
        github = state.github = None
    if state.aws_username and not AWS_USERNAME.match(state.aws_username):
        state.problems.append(f"“{github_text(state.aws_username, 80, one_line=True)}” is not an AWS IAM user name")
    state.comment = marked(comments, STATUS_MARKER, me)  # the product's own; anyone else's is just text
    if state.problems:
        return state
    iam_file = config.iam.file if config.iam else ""
    files: dict[str, str] = {}
    blobs: dict[str, str] = {}
    slug = re.sub(r"[^a-z0-9.-]+", "-", state.aws_username.lower()).strip("-")
    branch = f"{OFFBOARD_BRANCHES}{slug}"
    state.iam_elsewhere = removing(open_removals(services, devops), state.aws_username, other_than=branch)
    terraform = services.github.file(devops, iam_file, base_branch) if state.iam_elsewhere is None else None
    if terraform is not None:
        try:
            edit = remove_users(terraform[0], [state.aws_username], path=iam_file)
            files[iam_file], blobs[iam_file], state.iam_removed = edit.text, terraform[1], edit.removed
            state.check_by_hand = edit.warnings
        except TerraformEditError as exc:
            state.warnings.append(str(exc))
    yaml = services.github.file(devops, rules.socks_file, base_branch)
    if yaml is not None:
        socks = remove_socks_entries(yaml[0], [n for n in (state.aws_username, github) if n], path=rules.socks_file)
        if socks.removed:
            files[rules.socks_file], blobs[rules.socks_file], state.socks_removed = socks.text, yaml[1], socks.removed
    if files:
        state.draft = observe_branch(services, DraftPr(
            repo=devops, branch=branch, base_branch=base_branch,
            title=f"Offboard {github_text(name, 80, one_line=True)}: remove the IAM user and SOCKS key", body="",
            files=files, base_blobs=blobs,
            labels=list(rules.labels)))
        if state.draft.pull is None or not state.draft.pull.reviewers:
            person = support_person(services, config, at, state.warnings, "no reviewer requested")
            state.reviewer = person.github if person else None
            state.on_support = person.name if person else None
    return state


def pr_body(state: Offboarding) -> str:
    removed = "\n".join(f"- {github_text(item, one_line=True)}" for item in [*state.iam_removed, *state.socks_removed])
    check = "".join(f"> **Check by hand:** {github_text(w, one_line=True)}\n\n" for w in state.check_by_hand)
    github = f", GitHub `{state.github}`" if state.github else ""
    name = github_text(state.name, 120, one_line=True)
    elsewhere = (f"The IAM user is left to {state.iam_elsewhere.pull.html_url} ({state.iam_elsewhere.why}), which "
                 "already removes it: one PR removes each user.\n\n" if state.iam_elsewhere else "")
    marker = f"\n\n{OFFBOARD_MARKER.format(user=state.aws_username)}" if state.iam_removed else ""
    return (f"Offboarding of {name} (AWS user `{state.aws_username}`{github}), requested in "
            f"{state.issue.html_url}.\n\n"
            f"What this removes (everything else in both files is unchanged, byte for byte):\n\n{removed}\n\n"
            f"{elsewhere}{check}Merge, then plan and apply the global environment. Nothing has been removed until "
            f"then.{marker}")


def status_text(state: Offboarding, pr_url: str) -> str:
    iam, socks = bool(state.iam_removed), bool(state.socks_removed)
    lines = [STATUS_MARKER + (f"\n{ANSWERS_MARKER.format(digest=state.answers_digest)}" if state.answers_digest
                              else ""), "**Offboarding automation**", ""]
    if state.problems:
        lines += [f"- [ ] Needs a person: {p}" for p in state.problems]
        return "\n".join(lines)
    if state.iam_elsewhere:
        lines.append(f"- [x] IAM user `{state.aws_username}`: removal drafted in {state.iam_elsewhere.pull.html_url} "
                     f"({state.iam_elsewhere.why}), which already removes them")
    else:
        lines.append(f"- [{'x' if iam else ' '}] IAM user `{state.aws_username}`: "
                     + (f"removal drafted in {pr_url}" if iam else "not in iam_users.tf: needs a person to check"))
    lines.append(f"- [{'x' if socks else ' '}] SOCKS key: "
                 + (f"removal drafted in {pr_url}" if socks else "no entry found: needs a person to check"))
    lines.append("- [ ] Everything else on the checklist needs a person; the PR must be merged and applied.")
    return "\n".join(lines)


def ticked_body(body: str, steps: list[str]) -> str:
    for step in steps:
        body = re.sub(rf"(?m)^(\s*[-*] )\[ \] {re.escape(step)}\s*$", rf"\1[x] {step}", body)
    return body


def plan(state: Offboarding, config: Config) -> list[Action]:
    _, _, _, requests_repo = _settings(config)
    actions: list[Action] = []
    if state.refused is not None:
        if state.refused_before:
            return []
        where = f"{requests_repo}#{state.issue.number}"
        return [Action("github.comment", where, "say why nothing is drafted",
                       {"repo": requests_repo, "number": state.issue.number,
                        "body": f"{REFUSED_MARKER.format(author=state.issue.author_id)}\n{state.refused}, so nothing "
                                "was drafted. Ask someone on the support rotation to file it."})]
    pr_url: Any = state.draft.pull.html_url if state.draft and state.draft.pull else "the PR"
    if state.draft is not None:
        state.draft.body = pr_body(state)
        state.draft.reviewer = state.reviewer
        actions += plan_draft_pr(state.draft)
        opened = next((i for i, a in enumerate(actions) if a.kind == "github.create_pull"), None)
        if opened is not None:
            # If the PR cannot be opened this run, the status still goes up; the next run opens the PR.
            pr_url = Ref(opened, "html_url", fallback="a branch whose PR could not be opened yet (the next run "
                                                      "retries)")
    text = status_text(state, "{pr_url}")
    where = f"{requests_repo}#{state.issue.number}"
    params = {"repo": requests_repo, "number": state.issue.number, "body": text, "pr_url": pr_url}
    if state.comment is None:
        actions.append(Action("github.status_comment", where, "post the steps' state", params))
    elif state.comment.body.strip() != text.replace("{pr_url}", str(pr_url)).strip():
        actions.append(Action("github.status_comment", where, "update the steps' state",
                              {**params, "comment_id": state.comment.id}))
    done = ([IAM_STEP] if state.iam_removed or state.iam_elsewhere else []) + (
        [SOCKS_STEP] if state.socks_removed else [])
    ticked = ticked_body(state.issue.body, done)
    if ticked != state.issue.body:
        actions.append(Action("github.edit_body", where, f"tick {len(done)} checklist step(s) the automation did",
                              {"repo": requests_repo, "number": state.issue.number, "body": ticked}))
    return actions


def executors(services: Services) -> dict[str, Executor]:
    def status(action: Action) -> None:
        p = action.params
        body = filled(p, "body")
        if "comment_id" in p:
            services.github.edit_comment(p["repo"], p["number"], p["comment_id"], body)
        else:
            services.github.comment(p["repo"], p["number"], body)

    return {
        **draft_executors(services),
        "github.status_comment": status,
        "github.comment": lambda a: services.github.comment(a.params["repo"], a.params["number"], a.params["body"]),
        "github.edit_body": lambda a: services.github.edit_body(a.params["repo"], a.params["number"], a.params["body"]),
    }


def offboard(services: Services, config: Config, at: datetime, *, number: int, dry_run: bool) -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    try:
        state = observe(services, config, at, number)
    except Gone as exc:
        return report.gone(exc, services.calls.snapshot())
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {"person": state.name or None, "aws_username": state.aws_username or None,
                    "iam_user": "found" if state.iam_removed else "not found",
                    "socks_key": "found" if state.socks_removed else "not found",
                    "pull_request": state.draft.pull.html_url if state.draft and state.draft.pull else None}
    report.warnings = state.warnings + state.problems + state.check_by_hand
    if state.refused is not None:
        report.warnings.append(f"{state.issue.repo}#{number}: refused: {state.refused}")
    actions = plan(state, config)
    report.warnings += state.draft.notes if state.draft else []
    row = TaskRow(key=f"offboarding/{state.issue.html_url}", day=at.astimezone(config.team.tz).date(), person="",
                  kind="offboarding", summary=f"Offboarding of {state.name}: "
                  + ("PR drafted" if state.draft else "nothing found to remove"), link=state.issue.html_url,
                  by=AUTOMATIC)
    if not state.problems and state.refused is None:
        actions += tracking_actions(services, config, [row], report.warnings, start=len(actions),
                                    complete=with_person(services, config, at, report.warnings, state.on_support))
    report.outcomes = apply(actions, {**executors(services), **tracking_executors(services)}, dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report


# -- access grants ---------------------------------------------------------------------------

GRANTED_MARKER = "<!-- oncall-support:access-granted -->"
WITHDRAWN_MARKER = "<!-- oncall-support:access-withdrawn {edited} -->"
INCOMPLETE_MARKER = "<!-- oncall-support:access-incomplete {digest} -->"
# The access form's required answers (.github/ISSUE_TEMPLATE/access-request.yml).
ACCESS_REQUIRED = ("Person", "GitHub username", "Tool", "Reason")


def _access(config: Config) -> tuple[AccessConfig, str]:
    return config.required(config.access, "access", "access grants need it"), requests_repo(config)


def access_problems(answers: dict[str, str | None], rules: AccessConfig) -> list[str]:
    """What keeps an access request from being granted as written: each required answer empty or not usable."""
    problems = [f"**{label}** is empty" for label in ACCESS_REQUIRED if not answers.get(label)]
    login = (answers.get("GitHub username") or "").strip().lstrip("@")
    if login and not GITHUB_LOGIN.match(login):
        problems.append(f"**GitHub username** “{github_text(login, 60, one_line=True)}” is not a GitHub username")
    if answers.get("Tool") and rules.tool(answers["Tool"]) is None:
        problems.append(f"**Tool** “{github_text(answers['Tool'] or '', 60, one_line=True)}” is not one of the tools "
                        f"granted here ({', '.join(t.name for t in rules.tools)})")
    return problems


def is_done(comments: list[Comment]) -> bool:
    """Whether an approved request was carried out: the grant's or the checklist's comment is there. `comments`:
    the product's own (authorship.py)."""
    return any(GRANTED_MARKER in c.body or CHECKLIST_MARKER in c.body for c in comments)


def grant(services: Services, config: Config, at: datetime, *, number: int, sender: str, label: str,
          dry_run: bool, sender_is_bot: bool = False) -> Report:
    """The `labeled` event's run: `sender` added `label` to request `number`."""
    rules, repo = _access(config)
    report = Report(ACCESS_JOB, dry_run=dry_run, at=at)
    if label != rules.approved_label:
        report.facts = {"skipped": f"label {label!r} is not {rules.approved_label!r}"}
        return report
    bot = sender_is_bot or sender.casefold().endswith("[bot]")
    if not bot and not GITHUB_LOGIN.match(sender or ""):
        raise InputError(f"the event's sender {sender!r} is not a GitHub login")
    try:
        issue = services.github.issue(repo, number)
        found = approval_of(services, config, issue)
    except Gone as exc:
        return report.gone(exc, services.calls.snapshot())
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    if found is None:
        report.facts = {"skipped": f"{repo}#{number}: no `labeled` event says who added {label!r}: nothing granted"}
        report.api_calls = services.calls.snapshot()
        return report
    if found.actor.casefold() != sender.casefold():
        # The API's word, not the payload's: the label was added again (or removed and added) since this event.
        report.warnings.append(f"{repo}#{number}: the event names {sender}, GitHub's events say {found.actor} added "
                               f"{label!r} last: {found.actor} is the approver")
    return carry_out(services, config, at, report, issue, found)


def approval_of(services: Services, config: Config, issue: IssueState) -> LabelEvent | None:
    """The `labeled` event of the approval label on the issue now (the last time it was added): who added it (an
    app or bot, a person; by id) and when. GitHub's issue events say, never the issue's text."""
    rules, _ = _access(config)
    added = [e for e in services.github.label_events(issue.repo, issue.number) if e.label == rules.approved_label]
    return added[-1] if added else None


def grant_from_events(services: Services, config: Config, at: datetime, *, issue: IssueState,
                      dry_run: bool) -> Report:
    """What the `labeled` event's run would have done, for an approved request it never reached (the tick)."""
    report = Report(ACCESS_JOB, dry_run=dry_run, at=at)
    try:
        found = approval_of(services, config, issue)
        issue = services.github.issue(issue.repo, issue.number)  # as it is now, not as listed
    except Gone as exc:
        return report.gone(exc, services.calls.snapshot())
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    if found is None:
        report.facts = {"skipped": f"{issue.repo}#{issue.number}: no event says who added the approval label"}
        report.api_calls = services.calls.snapshot()
        return report
    return carry_out(services, config, at, report, issue, found)


def recheck(services: Services, config: Config, at: datetime, *, number: int, dry_run: bool) -> Report:
    """The `edited` event's run: an approved request edited since its approval loses it (the label comes off, the
    requester is told once); one not approved, or already granted, is left alone."""
    rules, repo = _access(config)
    report = Report(ACCESS_JOB, dry_run=dry_run, at=at)
    try:
        issue = services.github.issue(repo, number)
    except Gone as exc:
        return report.gone(exc, services.calls.snapshot())
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    if rules.approved_label not in issue.labels:
        report.facts = {"skipped": f"{repo}#{number} is not approved (no {rules.approved_label!r} label)"}
        report.api_calls = services.calls.snapshot()
        return report
    return grant_from_events(services, config, at, issue=issue, dry_run=dry_run)


def not_theirs_to_approve(approval: LabelEvent, issue: IssueState, grantee: str) -> str | None:
    """Why the approver may not approve this request although in the approvers team, or None: nobody approves
    their own request, nor access for themselves."""
    same_account = bool(approval.actor_id) and approval.actor_id == issue.author_id
    if same_account or approval.actor.casefold() == issue.author.casefold():
        return "they filed this request: an approval comes from another approver"
    if grantee and grantee.casefold() == approval.actor.casefold():
        return "the access is for them: an approval comes from another approver"
    return None


def carry_out(services: Services, config: Config, at: datetime, report: Report, issue: IssueState,
              approval: LabelEvent) -> Report:
    """Check the approval (a person in the approvers team, not the requester nor the person granted, who added the
    label after the request's last edit) and the request (every required answer usable), then grant: the team
    membership, or the tool's checklist for a person. Each refusal is said once."""
    rules, repo = _access(config)
    sender, bot = approval.actor, approval.actor_is_bot or approval.actor.casefold().endswith("[bot]")
    number, dry_run = issue.number, report.dry_run
    where = f"{repo}#{number}"
    actions: list[Action] = []
    approved, tool, login, problems = False, None, "", []
    shown = github_text(sender, 60, one_line=True)
    try:
        comments = own(services.github.comments(repo, number), github_identity(services))
        answers = parse_form(issue.body, ACCESS_LABELS)
        login = (answers["GitHub username"] or "").strip().lstrip("@")
        tool = rules.tool(answers["Tool"])
        if not bot:
            approved = services.github.team_member(rules.approvers_team, sender)
        not_theirs = not_theirs_to_approve(approval, issue, login) if approved else None
        approved = approved and not_theirs is None
        edited = None
        if approved and not is_done(comments) and issue.node_id:
            last_edit = services.github.edit_history(repo, issue.node_id).last_edited_at
            if last_edit and (approval.created_at is None or last_edit >= approval.created_at):
                edited = last_edit
        report.facts = {"approver": sender, "approved": approved and edited is None,
                        "tool": tool.name if tool else answers["Tool"], "user": login or None}
        problems = access_problems(answers, rules) if approved and edited is None else []
        if (not approved or problems or edited) and rules.approved_label in issue.labels:
            actions.append(Action("github.remove_label", where, f"remove {rules.approved_label!r}",
                                  {"repo": repo, "number": number, "label": rules.approved_label}))
        if approved and edited is not None:
            approved = False
            marker = WITHDRAWN_MARKER.format(edited=edited.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            report.warnings.append(f"{where}: the request was edited after @{sender} approved it: the approval is "
                                   "withdrawn, nothing granted")
            if not any(marker in c.body for c in comments):
                requester = github_text(issue.author, 40, one_line=True)
                actions.append(Action("github.comment", where, "say the approval was withdrawn by the edit",
                                      {"repo": repo, "number": number,
                                       "body": f"{marker}\n@{requester}: this request was edited after @{shown} "
                                               "approved it, so the approval no longer holds and nothing was "
                                               f"granted. An approver reads it again and adds the "
                                               f"`{rules.approved_label}` label."}))
        elif not approved:
            marker = DENIED_MARKER.format(sender=sender)
            why = (f"{shown} is an app or a bot: only a person in {rules.approvers_team} approves access"
                   if bot else f"@{shown} may not approve it: {not_theirs}" if not_theirs
                   else f"@{shown} is not in {rules.approvers_team}")
            if bot:
                report.warnings.append(f"{where}: the approval label was added by {sender}, an app or bot; only a "
                                       "person approves: nothing granted")
            if not any(marker in c.body for c in comments):
                actions.append(Action("github.comment", where, f"say why {shown}'s approval does not count",
                                      {"repo": repo, "number": number,
                                       "body": f"{marker}\n{why}, so this approval does not count and nothing was "
                                               f"granted. Ask an approver to add the `{rules.approved_label}` "
                                               "label."}))
        elif problems:
            listed = "\n".join(f"- {p}" for p in problems)
            digest = hashlib.sha1(listed.encode()).hexdigest()[:10]  # noqa: S324 - a marker, not security
            marker = INCOMPLETE_MARKER.format(digest=digest)
            report.warnings.append(f"{where}: approved, but the request is incomplete: nothing granted")
            if not any(marker in c.body for c in comments):
                # The label comes off: an approval holds for the request as the approver read it, not for what
                # is filled in afterwards.
                actions.append(Action("github.comment", where, "say what the request is missing",
                                      {"repo": repo, "number": number,
                                       "body": f"{marker}\nNothing was granted: this request cannot be granted as "
                                               f"written.\n\n{listed}\n\nOnce the issue is edited to fill this in, "
                                               f"an approver adds the `{rules.approved_label}` label again."}))
        elif tool is not None and tool.github_team:
            membership = services.github.team_membership(tool.github_team, login)
            add = None
            if membership is None:
                add = len(actions)
                actions.append(Action("github.add_team_member", tool.github_team, f"add @{login} (approved by "
                                      f"@{sender})", {"team": tool.github_team, "login": login}))
            elif membership == "pending":
                # Granted: GitHub invited them to the organisation; it stays pending until they accept.
                report.facts["membership"] = f"{login} is invited to {tool.github_team} and has not accepted yet"
            if not is_done(comments):
                actions.append(Action("github.comment", where, f"say that @{login} was added",
                                      {"repo": repo, "number": number,
                                       "body": f"{GRANTED_MARKER}\nGranted: @{login} was added to "
                                               f"{tool.github_team} (approved by @{sender}). Someone outside the "
                                               "organisation is invited first, and is in the team once they accept "
                                               "the invitation."}, after=add))
        elif tool is not None and not is_done(comments):
            steps = "\n".join(f"- [ ] {step}" for step in tool.checklist) or "- [ ] Grant access by hand"
            actions.append(Action("github.comment", where, f"the {tool.name} checklist for a person",
                                  {"repo": repo, "number": number, "body": f"{CHECKLIST_MARKER}\nApproved by "
                                   f"@{sender}. {tool.name} is granted by hand:\n\n{steps}"}))
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    if approved and tool and not problems:
        row = TaskRow(key=f"access/{issue.html_url}", day=at.astimezone(config.team.tz).date(), person="",
                      kind="access", summary=f"Access to {tool.name} for {login} (approved by {sender})",
                      link=issue.html_url, by=AUTOMATIC)
        actions += tracking_actions(services, config, [row], report.warnings, start=len(actions),
                                    complete=with_person(services, config, at, report.warnings))
    github = services.github
    report.outcomes = apply(actions, {
        "github.remove_label": lambda a: github.remove_label(a.params["repo"], a.params["number"], a.params["label"]),
        "github.comment": lambda a: github.comment(a.params["repo"], a.params["number"], a.params["body"]),
        "github.add_team_member": lambda a: github.add_team_member(a.params["team"], a.params["login"]),
        **tracking_executors(services)}, dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
