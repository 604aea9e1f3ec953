"""Long support requests become GitHub issues linked to a Super Epic.

Three ways in, one outcome: an issue in the configured repository, labelled,
assigned to the person on support, linked to the chosen Super Epic, pointing at
the Slack thread, and the thread pointing back at the issue.

- `from_issue`: an issue opened (or edited) from the support-request form;
- `from_thread`: the "Open support issue from a Slack thread" button;
- `scan`: a team member's ticket reaction on a request, found every 15 minutes;
  the same scan links support PRs to an epic and lists issues open too long.

One issue per Slack thread, ever: the issue body carries a hidden marker with
the channel and thread timestamp, looked up (through the issue list, which sees
new issues at once; search lags) before anything is created. The Slack reply
carries message metadata with the same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from oncall_lib.authorship import github_identity, github_wrote, marked, own
from oncall_lib.config import Config, SuperEpic, SupportIssuesConfig
from oncall_lib.errors import Gone, InputError, ServiceError
from oncall_lib.issue_forms import parse_form
from oncall_lib.offboarding import OFFBOARDING_LABEL
from oncall_lib.plan import Action, Executor, Outcome, Pending, Ref, Status, apply, filled
from oncall_lib.recorder import TaskRow, with_person
from oncall_lib.recorder import executors as tracking_executors
from oncall_lib.recorder import record as tracking_actions
from oncall_lib.report import Report
from oncall_lib.report_issue import REPORT_LABEL
from oncall_lib.requests.classify import TRACKED_EVENT, Identity, is_own
from oncall_lib.requests.waiting import scan_requests
from oncall_lib.rotation.on_support import Person, on_support
from oncall_lib.rotation.schedule import ScheduleProblem
from oncall_lib.services import Services
from oncall_lib.services.epics import EpicLinks
from oncall_lib.services.github import GitHubIdentity, IssueState
from oncall_lib.services.slack import Marker
from oncall_lib.slack_links import ThreadRef, parse_permalink, permalink
from oncall_lib.support_issues.followups import SUMMARY_LABEL, newly_past, plan_scoping, plan_summary_asks
from oncall_lib.support_issues.pending_links import relink_actions
from oncall_lib.untrusted import github_quote, github_text

JOB = "support-issues"
REPLY_EVENT = TRACKED_EVENT  # the "Tracked as" reply in the thread
_THREAD_MARKER = re.compile(
    r"<!--\s*oncall-support:slack-thread\s+(?P<channel>[CGD][A-Z0-9]+)/(?P<ts>\d{10}\.\d{6})\s*-->")
NEEDS_INFO_MARKER = "<!-- oncall-support:needs-info -->"

# The support-request form's labels (.github/ISSUE_TEMPLATE/support-request.yml says the same).
REQUESTER, TEAM, THREAD, NEEDED, EPIC, URGENCY = (
    "Requester", "Team", "Slack thread", "What is needed", "Super Epic", "Urgency")
FORM_LABELS = (REQUESTER, TEAM, THREAD, NEEDED, EPIC, URGENCY)
REQUIRED = (REQUESTER, NEEDED, EPIC)

SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")


def thread_marker(ref: ThreadRef) -> str:
    return f"<!-- oncall-support:slack-thread {ref.key} -->"


def thread_of(body: str) -> ThreadRef | None:
    """The thread a body's marker names, whoever wrote it: read it through `tracked_thread`."""
    match = _THREAD_MARKER.search(body or "")
    return ThreadRef(match["channel"], match["ts"]) if match else None


def tracked_thread(issue: IssueState, me: GitHubIdentity) -> ThreadRef | None:
    """The Slack thread an issue tracks, by its marker, where the product can vouch for it: an issue the product
    opened, or one whose own Slack link (the form's answer, the Slack app's link) names the same thread, which
    the product appended the marker for once it replied there. A marker in anyone else's text is just text."""
    ref = thread_of(issue.body)
    if ref is None or github_wrote(issue, me):
        return ref
    visible = _THREAD_MARKER.sub("", issue.body or "")
    for link in SLACK_MESSAGE_LINK.finditer(visible):
        try:
            named = parse_permalink(link.group(0))
        except InputError:
            continue
        if named.key == ref.key:
            return ref
    return None


def settings(config: Config) -> SupportIssuesConfig:
    return config.required(config.support_issues, "support_issues", "add one to use this job")


def intended_epic(issue: IssueState, config: Config) -> SuperEpic | None:
    """The Super Epic an issue was opened for: the product's own "Super Epic:" line, or the form's answer."""
    for line in issue.body.splitlines():
        if line.startswith("**Super Epic:** "):
            named = line.removeprefix("**Super Epic:** ").split(" ", 1)[0]
            return next((e for e in config.super_epics if e.issue == named), None)
    return epic_from_answer(parse_form(issue.body, FORM_LABELS).get(EPIC), config)


def epic_from_answer(answer: str | None, config: Config) -> SuperEpic | None:
    """The dropdown's choice, by key or title ("Incident Response", "incident-response: ...")."""
    if not answer:
        return None
    wanted = answer.strip().casefold()
    for epic in config.super_epics:
        names = {epic.key.casefold(), (epic.title or "").casefold()}
        if wanted in names or wanted.split(":", 1)[0].strip() in names:
            return epic
    return None


# -- what was observed about one request ------------------------------------------------------


@dataclass
class Draft:
    title: str
    body: str


@dataclass
class Target:
    """One support request and everything known about its issue, epic link and Slack reply."""

    epic: SuperEpic
    thread: ThreadRef | None = None
    thread_label: str = ""
    existing: IssueState | None = None
    draft: Draft | None = None
    linked: bool = False
    replied: bool = False
    person: Person | None = None
    add_marker: bool = False  # a form issue: append the thread marker to its body


def draft_issue(thread: list[dict[str, Any]], ref: ThreadRef, link: str, channel_label: str, epic: SuperEpic,
                names: dict[str, str], me: Identity, title: str | None = None) -> Draft:
    parent = thread[0]
    requester = names.get(str(parent.get("user")), (parent.get("bot_profile") or {}).get("name", "someone"))
    people = [names.get(str(m.get("user")), str(m.get("user"))) for m in thread[1:]
              if not is_own(m, me) and m.get("user") and m.get("user") != parent.get("user")]
    participants = ", ".join(github_text(p, one_line=True) for p in dict.fromkeys(people)) or "none yet"
    # People by name, never a raw id: "<@U0ADA> can you look" is titled "Ada Lovelace can you look".
    text = SLACK_MENTION.sub(lambda m: names.get(m[1]) or (m[2] or "").strip() or "someone",
                             str(parent.get("text", "")))
    first_line = next((line for line in text.splitlines() if line.strip()), "Support request")
    heading = github_text(title if title and title.strip() else first_line, 80 if not title else 200, one_line=True)
    body = "\n".join([
        f"**Requested by:** {github_text(requester, one_line=True)} in {channel_label}",
        f"**Slack thread:** {link}",
        f"**Participants:** {participants}",
        f"**Super Epic:** {epic.issue}" + (f" ({epic.title})" if epic.title else ""),
        "",
        "### Request",
        "",
        github_quote(text),
        "",
        "### Work log",
        "",
        "Track the work in comments: what was tried, what failed, and what solved it, so the next person "
        "can find it. If this runs past two hours, bring it to the team to scope as a project.",
        "",
        thread_marker(ref),
    ])
    return Draft(title=heading, body=body)


def reply_text(url: str, label: str, epic: SuperEpic, person: Person | None) -> str:
    who = f" {person.mention} is on support." if person else ""
    return f":ticket: Tracked as <{url}|{label}> on the {epic.title or epic.key} Super Epic.{who}"


# -- plan (pure) -------------------------------------------------------------------------------


def plan_target(target: Target, config: Config, start: int = 0) -> list[Action]:
    """Actions for one request; `start` is where they will sit in the run's whole plan (for Refs)."""
    rules = settings(config)
    epic, person = target.epic, target.person
    assignees = [person.github] if person and person.github else []
    actions: list[Action] = []
    marker = Marker(REPLY_EVENT, target.thread.key) if target.thread else None
    if target.existing is None:
        assert target.draft is not None
        actions.append(Action("github.create_issue", rules.repo, f"open “{target.draft.title}”",
                              {"repo": rules.repo, "title": target.draft.title, "body": target.draft.body,
                               "labels": list(rules.labels), "assignees": assignees}))
        actions.append(Action("epic.link", epic.issue, f"link the new issue to the {epic.key} Super Epic",
                              {"epic": epic.key, "repo": rules.repo, "number": Ref(start, "number"),
                               "id": Ref(start, "id")}, after=start))
        if target.thread and not target.replied:
            actions.append(Action("slack.reply", f"{target.thread_label} thread", "reply with the issue link",
                                  {"channel": target.thread.channel, "thread_ts": target.thread.ts,
                                   "text": reply_text("{url}", "{label}", epic, person),
                                   "url": Ref(start, "html_url"), "label": Ref(start, "label"), "marker": marker},
                                  after=start))
        return actions

    issue = target.existing
    where = f"{issue.repo}#{issue.number}"
    missing = [label for label in rules.labels if label not in issue.labels]
    if missing:
        actions.append(Action("github.add_labels", where, f"label {', '.join(missing)}",
                              {"repo": issue.repo, "number": issue.number, "labels": missing}))
    if not issue.assignees and assignees:
        actions.append(Action("github.assign", where, f"assign @{assignees[0]} (on support)",
                              {"repo": issue.repo, "number": issue.number, "logins": assignees}))
    if not target.linked:
        actions.append(Action("epic.link", epic.issue, f"link {where} to the {epic.key} Super Epic",
                              {"epic": epic.key, "repo": issue.repo, "number": issue.number, "id": issue.id}))
    reply = None
    if target.thread and not target.replied:
        reply = start + len(actions)
        actions.append(Action("slack.reply", f"{target.thread_label} thread", "reply with the issue link",
                              {"channel": target.thread.channel, "thread_ts": target.thread.ts,
                               "text": reply_text(issue.html_url, where, epic, person), "marker": marker}))
    if target.add_marker and target.thread:
        # Last, and only once the thread has its reply: an issue carrying the marker, its labels and an assignee
        # is complete, which is how the tick's intake tells it needs nothing without reading Slack.
        actions.append(Action("github.edit_body", where, "record the Slack thread in the issue",
                              {"repo": issue.repo, "number": issue.number,
                               "body": issue.body.rstrip() + "\n\n" + thread_marker(target.thread)}, after=reply))
    return actions


# -- shared observation ---------------------------------------------------------------------


@dataclass
class Context:
    """Reads shared by every request in one run (each made at most once)."""

    services: Services
    config: Config
    at: datetime
    links: EpicLinks
    warnings: list[str] = field(default_factory=list)
    _person: Person | None = None
    _person_known: bool = False
    _names: dict[str, str] = field(default_factory=dict)
    _support_issues: dict[str, IssueState] | None = None

    @property
    def me(self) -> GitHubIdentity:
        return github_identity(self.services)

    def person(self) -> Person | None:
        if not self._person_known:
            self._person_known = True
            try:
                found = on_support(self.services, self.config, self.at)
                self._person = found.person
                self.warnings += found.warnings
            except ScheduleProblem as exc:
                self.warnings.append(f"cannot tell who is on support, so nobody is assigned: {exc}")
        return self._person

    def name(self, user_id: str) -> str:
        if user_id not in self._names:
            # The roster's name first (no call); Slack's display name for anyone else.
            member = next((m for m in self.config.roster if m.slack == user_id), None)
            self._names[user_id] = member.name if member else self.services.slack.display_name(user_id)
        return self._names[user_id]

    def issues_by_thread(self, since: datetime) -> dict[str, IssueState]:
        """Support issues updated since `since`, by the Slack thread in their marker."""
        if self._support_issues is None:
            rules = settings(self.config)
            found = self.services.github.issues(rules.repo, labels=[rules.labels[0]], state="all", since=since)
            self._support_issues = {}
            for issue in reversed(found):  # oldest first: the first issue for a thread wins
                ref = tracked_thread(issue, self.me)
                if ref:
                    self._support_issues.setdefault(ref.key, issue)
        return self._support_issues


def recently_updated(services: Services, config: Config, at: datetime) -> tuple[datetime, list[IssueState]]:
    """Every issue of the support repository, open or closed, of any label, updated within
    `intake_lookback_hours`: one listing per run (`Services.once`), which the tick's intake and the scan share."""
    rules = settings(config)
    since = at - timedelta(hours=rules.intake_lookback_hours)
    return since, services.once(("issues updated", rules.repo, since),
                                lambda: services.github.updated_issues(rules.repo, since, state="all"))


def _by_thread(issues: list[IssueState], me: GitHubIdentity) -> dict[str, IssueState]:
    """Issues by the Slack thread their marker names, where the product can vouch for it (`tracked_thread`); of
    two for one thread, the first opened."""
    found: dict[str, IssueState] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        ref = tracked_thread(issue, me)
        if ref:
            found.setdefault(ref.key, issue)
    return found


def first_issue_for_thread(services: Services, repo: str, label: str, body: str, created: object) -> IssueState | None:
    """The oldest support issue carrying the same thread marker as `body`, read again right after a create.

    Only issues touched around the creation are read: an older one would have been found before creating."""
    ref = thread_of(body)
    if ref is None:
        return None
    since = created - timedelta(hours=1) if isinstance(created, datetime) else None
    recent = services.github.issues(repo, labels=[label], state="all", since=since)
    me = github_identity(services)
    same = [i for i in recent if (found := tracked_thread(i, me)) is not None and found.key == ref.key]
    return min(same, key=lambda i: i.number, default=None)


def _replied(thread: list[dict[str, Any]], ref: ThreadRef) -> bool:
    for message in thread:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == REPLY_EVENT and (metadata.get("event_payload") or {}).get("key") == ref.key:
            return True
    return False


def observe_thread(ctx: Context, ref: ThreadRef, epic: SuperEpic, *, title: str | None = None,
                   me: Identity | None = None, team_url: str | None = None) -> Target:
    """Everything about one Slack thread: its issue (or a draft of one), link and reply state."""
    services, config = ctx.services, ctx.config
    thread = services.slack.replies(ref.channel, ref.ts)
    if not thread:
        raise ServiceError(f"Slack thread {ref.key} has no messages")
    parent_time = datetime.fromtimestamp(float(ref.ts), tz=UTC)
    channel = next((c for c in config.slack.channels if c.id == ref.channel), None)
    label = channel.label if channel else f"<#{ref.channel}>"
    target = Target(epic=epic, thread=ref, thread_label=label, replied=_replied(thread, ref))
    target.existing = ctx.issues_by_thread(parent_time - timedelta(days=1)).get(ref.key)
    if target.existing is None:
        me = me or Identity()
        users = {str(m["user"]) for m in thread if m.get("user") and not is_own(m, me) and not m.get("bot_id")}
        mentioned = set(SLACK_MENTION.findall(str(thread[0].get("text", ""))))
        names = {user: ctx.name(user) for user in sorted(users)[:10] + sorted({u for u, _ in mentioned} - users)[:10]}
        url = team_url or "https://slack.com/"
        target.draft = draft_issue(thread, ref, permalink(url, ref.channel, ref.ts), label, epic, names, me, title)
        target.person = ctx.person()
    else:
        target.linked = ctx.links.is_linked(target.existing)
        if not target.existing.assignees or not target.replied:
            target.person = ctx.person()
    return target


# -- executors -------------------------------------------------------------------------------


def executors(services: Services, links: EpicLinks) -> dict[str, Executor]:
    def create(action: Action) -> dict[str, object]:
        p = action.params
        created = services.github.create_issue(p["repo"], title=p["title"], body=p["body"], labels=list(p["labels"]),
                                               assignees=list(p["assignees"]))
        first = first_issue_for_thread(services, p["repo"], list(p["labels"])[0], str(p["body"]),
                                       created["created_at"])
        if first is not None and first.number < int(str(created["number"])):
            # Another entry point opened an issue for this thread at the same moment: keep the first one.
            services.github.close_as_duplicate(p["repo"], int(str(created["number"])),
                                               f"Duplicate of #{first.number}, opened for the same Slack thread "
                                               "a moment earlier: the work is tracked there.")
            raise Pending(f"{p['repo']}#{first.number} was opened for this thread at the same moment; "
                          f"#{created['number']} was closed as its duplicate (the next run completes #{first.number})")
        return {**created, "label": f"{p['repo']}#{created['number']}"}

    def reply(action: Action) -> None:
        p = action.params
        services.slack.post(p["channel"], filled(p, "text"), thread_ts=p["thread_ts"], marker=p.get("marker"))

    def post(action: Action) -> None:
        services.slack.post(action.params["channel"], action.params["text"], marker=action.params["marker"])

    return {
        "github.create_issue": create,
        "github.edit_body": lambda a: services.github.edit_body(a.params["repo"], a.params["number"], a.params["body"]),
        "github.add_labels": lambda a: services.github.add_labels(a.params["repo"], a.params["number"],
                                                                  list(a.params["labels"])),
        "github.remove_label": lambda a: services.github.remove_label(a.params["repo"], a.params["number"],
                                                                      a.params["label"]),
        "github.assign": lambda a: services.github.add_assignees(a.params["repo"], a.params["number"],
                                                                 list(a.params["logins"])),
        "github.comment": lambda a: services.github.comment(a.params["repo"], a.params["number"], a.params["body"]),
        "github.edit_comment": lambda a: services.github.edit_comment(a.params["repo"], a.params["number"],
                                                                      a.params["comment_id"], a.params["body"]),
        "epic.link": lambda a: links.link(a.params["epic"], a.params["repo"], int(a.params["number"]),
                                          int(a.params["id"])),
        **links.executors(),
        "slack.reply": reply,
        "slack.post": post,
    }


def _finish(report: Report, services: Services, links: EpicLinks, actions: list[Action], *, dry_run: bool) -> Report:
    report.outcomes = apply(links.with_room(actions), {**executors(services, links), **tracking_executors(services)},
                            dry_run=dry_run)
    report.warnings += [w for w in dict.fromkeys(links.warnings) if w not in report.warnings]
    report.api_calls = services.calls.snapshot()
    return report


# -- entry point 1: the button ---------------------------------------------------------------


def from_thread(services: Services, config: Config, at: datetime, *, link: str, epic_key: str,
                title: str | None = None, dry_run: bool) -> Report:
    settings(config)
    ref = parse_permalink(link)  # InputError: exit 2, nothing read or written
    try:
        epic = config.epic(epic_key)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config, at)
    ctx = Context(services, config, at, links)
    team_url = link.split("/archives/", 1)[0] + "/"
    try:
        target = observe_thread(ctx, ref, epic, title=title, team_url=team_url)
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {"thread": ref.key, "epic": epic.key,
                    "issue": target.existing.html_url if target.existing else None}
    report.warnings = ctx.warnings
    return _finish(report, services, links, plan_target(target, config), dry_run=dry_run)


# -- entry point 2: the issue form -----------------------------------------------------------


@dataclass
class FormCheck:
    problems: list[str]
    epic: SuperEpic | None
    thread: ThreadRef | None


def check_form(answers: dict[str, str | None], config: Config) -> FormCheck:
    problems = [f"**{label}** is required" for label in REQUIRED if not answers.get(label)]
    epic = epic_from_answer(answers.get(EPIC), config)
    if answers.get(EPIC) and epic is None:
        choices = ", ".join(e.title or e.key for e in config.super_epics)
        answer = github_text(answers[EPIC], 80, one_line=True)
        problems.append(f"**{EPIC}**: '{answer}' is not one of: {choices}")
    thread = None
    if answers.get(THREAD):
        try:
            thread = parse_permalink(str(answers[THREAD]))
        except InputError as exc:
            problems.append(f"**{THREAD}**: {github_text(exc, 300, one_line=True)}")
    return FormCheck(problems, epic, thread)


def needs_info_text(problems: list[str]) -> str:
    bullets = "\n".join(f"- {p}" for p in problems)
    return (f"{NEEDS_INFO_MARKER}\nThanks for the request. Before it can be picked up it needs:\n\n{bullets}\n\n"
            "Edit the issue to fix these; the automation checks again on every edit.")


RESOLVED_TEXT = f"{NEEDS_INFO_MARKER}\nThanks, everything needed is here now."


def plan_needs_info(issue: IssueState, problems: list[str], comment: tuple[int, str] | None,
                    rules: SupportIssuesConfig) -> list[Action]:
    """The one bot comment (edited in place) and the needs-info label, both following the problems."""
    where = f"{issue.repo}#{issue.number}"
    params = {"repo": issue.repo, "number": issue.number}
    actions: list[Action] = []
    wanted = needs_info_text(problems) if problems else (RESOLVED_TEXT if comment else None)
    if wanted and comment is None:
        actions.append(Action("github.comment", where, "ask for what is missing", {**params, "body": wanted}))
    elif wanted and comment is not None and comment[1].strip() != wanted.strip():
        detail = "update the list of what is missing" if problems else "say everything needed is here"
        actions.append(Action("github.edit_comment", where, detail, {**params, "comment_id": comment[0],
                                                                        "body": wanted}))
    labelled = rules.needs_info_label in issue.labels
    if problems and not labelled:
        actions.append(Action("github.add_labels", where, f"label {rules.needs_info_label}",
                              {**params, "labels": [rules.needs_info_label]}))
    if not problems and labelled:
        actions.append(Action("github.remove_label", where, f"remove {rules.needs_info_label}",
                              {**params, "label": rules.needs_info_label}))
    return actions


# How requests arrive without the form: the GitHub for Slack app's "Create an issue" (a Slack message link in the
# body), Slack Workflow Builder's GitHub connector (the form's ### headings, no label: it cannot set one), or
# anyone titling an issue "[support] ...".
SLACK_MESSAGE_LINK = re.compile(r"https://[\w.-]*slack\.com/archives/[CGD][A-Z0-9]{2,}/p\d{16}[^\s)>\]|]*")
SUPPORT_TITLE = re.compile(r"^\s*\[support\]", re.IGNORECASE)


def arrival(issue: IssueState, config: Config, me: GitHubIdentity | None = None) -> str | None:
    """How a support request arrived: "form", "connector", "slack app", "title", "product" (opened by the button
    or a ticket reaction), or None (not one)."""
    rules = settings(config)
    others = {label.casefold() for label in _other_forms_labels(config)}
    if any(label.casefold() in others for label in issue.labels):
        return None  # an offboarding, access request, postmortem item or report, whatever its text says
    if (thread_of(issue.body) and (me is None or github_wrote(issue, me))
            and any(line.startswith("**Super Epic:** ") for line in issue.body.splitlines())):
        return "product"  # its own draft (draft_issue): never read as a form, so an edit is no "needs info"
    labelled = rules.labels[0] in issue.labels
    if labelled and _form_headings(issue.body):
        return "form"
    answers = parse_form(issue.body, FORM_LABELS)
    if answers.get(NEEDED) and sum(1 for value in answers.values() if value) >= 2:
        return "connector"
    # Labelled by the product once completed, the app's and the titled issues are still read as they arrived.
    if SLACK_MESSAGE_LINK.search(issue.body or ""):
        return "slack app"
    if SUPPORT_TITLE.match(issue.title or ""):
        return "title"
    return "form" if labelled else None


def _form_headings(body: str) -> bool:
    """Whether the body is written in the form's headings (GitHub renders every field's, even an empty one)."""
    wanted = {label.casefold() for label in FORM_LABELS}
    return any((m := re.match(r"^###\s+(.+?)\s*$", line)) and m.group(1).casefold() in wanted
               for line in (body or "").splitlines())


def _other_forms_labels(config: Config) -> list[str]:
    found = [REPORT_LABEL]
    if config.offboarding:
        # The form's label, not [offboarding] labels: those label the PR, and may be shared ("operations" is
        # also a support issue's label in the example), which made every completed support issue look like
        # an offboarding request to the next edit's run.
        found.append(OFFBOARDING_LABEL)
    if config.access:
        found += ["access-request", config.access.approved_label]
    if config.postmortems:
        found.append(config.postmortems.label)
    if config.handover:  # its body links the requests still waiting, which would read as a Slack request
        found.append(config.handover.label)
    return found


def request_check(issue: IssueState, how: str, config: Config) -> FormCheck:
    """What a support request says and lacks, read the way it arrived."""
    if how in ("form", "connector"):
        return check_form(parse_form(issue.body, FORM_LABELS), config)
    if how == "product":
        return FormCheck([], intended_epic(issue, config) or config.epic(settings(config).default_epic),
                         thread_of(issue.body))
    return slack_app_check(issue, config)


def slack_app_check(issue: IssueState, config: Config) -> FormCheck:
    """An issue from the GitHub for Slack app (or titled [support]): its Slack link, if any, is the thread;
    the epic is the default one (the app has no field for it)."""
    found = SLACK_MESSAGE_LINK.search(issue.body or "")
    thread = None
    if found:
        try:
            thread = parse_permalink(found.group(0))
        except InputError:
            thread = None
    return FormCheck([], config.epic(settings(config).default_epic), thread)


def from_issue(services: Services, config: Config, at: datetime, *, number: int, dry_run: bool) -> Report:
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config, at)
    ctx = Context(services, config, at, links)
    try:
        issue = services.github.issue(rules.repo, number)
        how = arrival(issue, config, ctx.me)
        if how is None:
            report.facts = {"issue": issue.html_url, "support_request": "no: not from the form, the Slack apps or a "
                                                                        "[support] title"}
            report.api_calls = services.calls.snapshot()
            return report
        check = request_check(issue, how, config)
        found = marked(services.github.comments(rules.repo, number), NEEDS_INFO_MARKER, ctx.me)
        comment = (found.id, found.body) if found else None
        replied = False
        if check.thread and not check.problems:
            try:
                replied = _replied(services.slack.replies(check.thread.channel, check.thread.ts), check.thread)
            except ServiceError as exc:
                check.problems.append(f"**{THREAD}**: the app cannot read that thread ({exc}); invite the app "
                                      "to the channel, or leave the link out")
            since = datetime.fromtimestamp(float(check.thread.ts), tz=UTC) - timedelta(days=1)
            other = ctx.issues_by_thread(since).get(check.thread.key)
            if other and other.number != number:
                check.problems.append(f"**{THREAD}**: that thread is already tracked in {other.html_url}")
        actions = plan_needs_info(issue, check.problems, comment, rules)
        report.facts = {"issue": issue.html_url, "arrived_by": how, "problems": len(check.problems),
                        "epic": check.epic.key if check.epic else None,
                        "thread": check.thread.key if check.thread else None}
        if not check.problems and check.epic:
            channel = next((c for c in config.slack.channels if check.thread and c.id == check.thread.channel), None)
            target = Target(epic=check.epic, thread=check.thread, existing=issue, replied=replied,
                            thread_label=channel.label if channel else "Slack",
                            linked=links.is_linked(issue),
                            add_marker=bool(check.thread) and tracked_thread(issue, ctx.me) is None)
            if not issue.assignees or (check.thread and not replied):
                target.person = ctx.person()
            actions += plan_target(target, config, start=len(actions))
    except Gone as exc:
        return report.gone(exc, services.calls.snapshot())
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.warnings = ctx.warnings
    return _finish(report, services, links, actions, dry_run=dry_run)


# -- entry point 3: the scheduled scan (ticket reactions, support PRs, long-running issues) -----

_SLACK_THREAD_LINK = re.compile(r"https://[\w.-]+\.slack\.com/archives/[CGD][A-Z0-9]+/p\d{16}")
_ISSUE_REF = re.compile(r"(?:https?://[^/\s]+/(?P<url_repo>[\w.-]+/[\w.-]+)/issues/|(?P<repo>[\w.-]+/[\w.-]+)#|"
                        r"(?<![\w/#])#)(?P<number>\d+)\b")
PR_LINK_MARKER = "<!-- oncall-support:epic-link -->"


def issue_references(body: str, pr_repo: str, support_repo: str) -> list[int]:
    """Numbers of issues in the support repository that a PR body points at."""
    numbers = []
    for match in _ISSUE_REF.finditer(body or ""):
        repo = match["url_repo"] or match["repo"] or pr_repo
        if repo.lower() == support_repo.lower():
            numbers.append(int(match["number"]))
    return list(dict.fromkeys(numbers))


def _ticketed_by(message: dict[str, Any], reaction: str, team: set[str]) -> list[str]:
    users: list[str] = []
    for item in message.get("reactions") or []:
        if str(item.get("name", "")).split("::", 1)[0] == reaction:
            users += [str(u) for u in item.get("users") or [] if str(u) in team]
    return users


def business_days_open(issue: IssueState, at: datetime, config: Config) -> float:
    clock = config.requests.business_hours.clock(config.team.tz)
    return clock.minutes_between(issue.created_at, at) / clock.day_minutes if issue.created_at else 0.0


def scan(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    rules = settings(config)
    report = Report(JOB, dry_run=dry_run, at=at)
    links = EpicLinks(services, config, at)
    ctx = Context(services, config, at, links)
    default_epic = config.epic(rules.default_epic)
    team = {m.slack for m in config.roster if m.slack}
    actions: list[Action] = []
    try:
        found = scan_requests(services, config, at)
        since = at - timedelta(hours=config.requests.lookback_hours)
        label = rules.labels[0]
        # Read once each: the open support issues, and what the repository saw lately (shared with the intake).
        open_issues = services.github.issues(rules.repo, labels=[label], state="open")
        recent_since, updated = recently_updated(services, config, at)
        recent = [i for i in updated if label in i.labels and not i.is_pull]
        known: dict[str, IssueState] | None = None  # built at the first ticketed thread (it reads who we are)
        ticketed = 0
        for channel in config.slack.watched:
            for message in found.messages.get(channel.id, []):
                if message.get("thread_ts") not in (None, message.get("ts")) or not _ticketed_by(
                        message, rules.ticket_reaction, team):
                    continue
                ticketed += 1
                ref = ThreadRef(channel.id, str(message["ts"]))
                if known is None:
                    known = _by_thread([*open_issues, *[i for i in recent if i.state != "open"]], ctx.me)
                existing = known.get(ref.key)
                if existing is None:
                    # Perhaps closed before the recent listing's window: every support issue touched since the
                    # thread could have been (one listing, only when a ticketed thread is not found above).
                    existing = ctx.issues_by_thread(since - timedelta(days=1)).get(ref.key)
                reply_users = [str(u) for u in message.get("reply_users") or []]
                certain = int(message.get("reply_users_count") or len(reply_users)) <= len(reply_users)
                if existing and found.me.user_id in reply_users:
                    target = Target(epic=links.epic_of(existing) or default_epic, thread=ref,
                                    thread_label=channel.label, existing=existing, replied=True)
                    target.linked = links.is_linked(existing)
                    if not existing.assignees:
                        target.person = ctx.person()
                elif existing and certain:
                    target = Target(epic=links.epic_of(existing) or default_epic, thread=ref,
                                    thread_label=channel.label, existing=existing, replied=False,
                                    person=ctx.person())
                    target.linked = links.is_linked(existing)
                else:
                    target = observe_thread(ctx, ref, default_epic, me=found.me, team_url=found.me.team_url)
                actions += plan_target(target, config, start=len(actions))
        actions += _plan_pull_requests(ctx, rules, default_epic)
        # Issues the button or the form opened whose link was left pending (or failed): linked now.
        planned = {f"{a.params['repo']}#{a.params['number']}" for a in actions
                   if a.kind == "epic.link" and isinstance(a.params.get("number"), int)}
        actions += relink_actions(links, [i for i in open_issues if f"{i.repo}#{i.number}" not in planned],
                                  lambda issue: intended_epic(issue, config) or default_epic)
        long_running = [i for i in open_issues if business_days_open(i, at, config) > rules.scoping_business_days]
        closed = recent if recent_since <= at - SUMMARY_WINDOW else None
        actions += _plan_followups(ctx, rules, long_running, closed, start=len(actions))
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts = {
        "ticketed_threads": ticketed,
        "open_support_issues": len(open_issues),
        "consider_scoping": len(long_running),
        "consider_scoping_as_a_project": [
            f"{i.html_url} “{i.title}”: open {business_days_open(i, at, config):.1f} business days"
            for i in long_running],
    }
    for issue in long_running:
        report.warnings.append(f"consider scoping as a project: {issue.repo}#{issue.number} “{issue.title}” has been "
                               f"open {business_days_open(issue, at, config):.1f} business days")
    actions += tracking_actions(services, config, issue_rows(open_issues, config), ctx.warnings, start=len(actions),
                                complete=with_person(services, config, at, ctx.warnings))
    report.warnings += ctx.warnings
    _finish(report, services, links, actions, dry_run=dry_run)
    # A second pass, so the run converges: the issues this scan opened are logged now, not by the next scan.
    opened = opened_issues(report.outcomes, at)
    if opened:
        logged = tracking_actions(services, config, issue_rows(opened, config), report.warnings,
                                  complete=with_person(services, config, at, report.warnings))
        report.outcomes += apply(logged, tracking_executors(services), dry_run=dry_run)
        report.api_calls = services.calls.snapshot()
    return report


def opened_issues(outcomes: list[Outcome], at: datetime) -> list[IssueState]:
    """The issues a run's plan opened (or, in a dry run, would open), as the listing would show them."""
    opened = []
    for outcome in outcomes:
        if outcome.action.kind != "github.create_issue" or outcome.status not in (Status.APPLIED, Status.PLANNED):
            continue
        params, result = outcome.action.params, outcome.result
        created = result.get("created_at")
        opened.append(IssueState(
            repo=str(params["repo"]), number=int(result.get("number") or 0), title=str(params["title"]),
            state="open", assignees=tuple(params["assignees"]), labels=tuple(params["labels"]),
            html_url=str(result.get("html_url") or "(the issue it opens)"), body=str(params["body"]),
            created_at=created if isinstance(created, datetime) else at))
    return opened


# Closed issues are checked for a summary for this long after they close (a few scans, whatever the schedule).
SUMMARY_WINDOW = timedelta(hours=6)


def _plan_followups(ctx: Context, rules: SupportIssuesConfig, long_running: list[IssueState],
                    recent: list[IssueState] | None, start: int) -> list[Action]:
    """Past the two-hour rule: one comment, the label, and a DM to the person on support. Closed without a
    summary: one comment asking for it. Reads comments only of issues closed in the last few hours, found in
    `recent` (support issues updated in a window that holds those hours) or else listed here."""
    services, at, config = ctx.services, ctx.at, ctx.config
    past = [(i, business_days_open(i, at, config)) for i in long_running]
    dm_channel, name = None, "the person on support"
    if newly_past(past):
        person = ctx.person()
        if person and person.slack:
            dm_channel, name = services.slack.open_dm(person.slack), person.name
    actions = plan_scoping(past, rules.scoping_business_days, dm_channel, name,
                           at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"), start=start)
    if recent is None:
        recent = services.github.issues(rules.repo, labels=[rules.labels[0]], state="closed",
                                        since=at - SUMMARY_WINDOW)
    recent = [i for i in recent if i.state == "closed" and i.closed_at and i.closed_at >= at - SUMMARY_WINDOW
              and SUMMARY_LABEL not in i.labels]
    closed = [(i, services.github.comments(i.repo, i.number)) for i in recent]
    return actions + plan_summary_asks(closed, start=start + len(actions))


def issue_rows(issues: list[IssueState], config: Config) -> list[TaskRow]:
    """Open support issues, for the sheet: whoever is assigned is the person on them."""
    logins = {m.github.casefold(): m.name for m in config.roster if m.github}
    rows = []
    for issue in issues:
        thread = thread_of(issue.body)
        channel = next((c.label for c in config.slack.channels if thread and c.id == thread.channel), "")
        person = next((logins[a.casefold()] for a in issue.assignees if a.casefold() in logins), "")
        day = (issue.created_at or datetime.now(UTC)).astimezone(config.team.tz).date()
        rows.append(TaskRow(key=issue.html_url, day=day, person=person, kind="support",
                            summary=f"Support issue: {issue.title}", link=issue.html_url, channel=channel,
                            by=person))
    return rows


def _plan_pull_requests(ctx: Context, rules: SupportIssuesConfig, default_epic: SuperEpic) -> list[Action]:
    """Support PRs onto an epic: a comment naming the epic (GitHub), or the ZenHub epic link."""
    services, links = ctx.services, ctx.links
    actions: list[Action] = []
    for repo in rules.pr_repos:
        for pull in services.github.recent_pulls(repo, ctx.at - timedelta(days=rules.pr_lookback_days)):
            referenced = issue_references(pull.body, repo, rules.repo)
            signals = rules.pr_label in pull.labels or referenced or _SLACK_THREAD_LINK.search(pull.body)
            if not signals:
                continue
            epic = default_epic
            for number in referenced[:3]:
                support_issue = services.github.issue(rules.repo, number)
                if rules.labels[0] in support_issue.labels:
                    epic = links.epic_of(support_issue) or epic
                    break
            where = f"{repo}#{pull.number}"
            if links.backend == "github":
                if any(PR_LINK_MARKER in c.body for c in own(services.github.comments(repo, pull.number), ctx.me)):
                    continue
                body = (f"Support work: part of the {epic.title or epic.key} Super Epic, {epic.issue}.\n"
                        f"{PR_LINK_MARKER}")
                actions.append(Action("github.comment", where, f"link to the {epic.key} Super Epic",
                                      {"repo": repo, "number": pull.number, "body": body}))
            elif not links.is_linked(pull):
                actions.append(Action("epic.link", epic.issue, f"link {where} to the {epic.key} Super Epic",
                                      {"epic": epic.key, "repo": repo, "number": pull.number, "id": pull.id}))
    return actions
