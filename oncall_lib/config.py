"""The team's `oncall.toml`, validated.

Every problem in the file is reported at once, one line each, naming the key
and (where the TOML layout lets us find it) the line number, so a person can
fix the whole file in one pass. Nothing here calls an API.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from oncall_lib.business_time import BusinessHours
from oncall_lib.errors import InputError

Section = TypeVar("Section")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _working_week() -> list[Weekday]:
    return ["monday", "tuesday", "wednesday", "thursday", "friday"]
# GitHub's rules: an owner is up to 39 letters, digits and inner hyphens; a repository name is up to 100 letters,
# digits, '.', '_' and '-', and never '.' or '..' (which would climb out of the owner in an API path).
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_REPO = r"(?!\.\.?(?:[#]|$))[A-Za-z0-9._-]{1,100}"
ISSUE_REF = re.compile(rf"^(?P<owner>{_OWNER})/(?P<repo>{_REPO})#(?P<number>[1-9][0-9]*)$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# A PagerDuty schedule's page, as pasted from the browser: https://acme.pagerduty.com/schedules/PSUPPRT (or #PSUPPRT).
PAGERDUTY_SCHEDULE_URL = re.compile(r"pagerduty\.com/schedules?(?:/|#)(?P<id>[A-Z0-9]+)")
SHEET_URL = re.compile(r"docs\.google\.com/spreadsheets/(?:u/\d+/)?d/(?P<id>[A-Za-z0-9_-]{10,})")


def id_or_pasted_url(value: object, url: re.Pattern[str], id_shape: str, what_is_wrong: str) -> object:
    """An id as given, or the id inside a pasted URL; anything else is a one-line error saying what to give."""
    if not isinstance(value, str):
        return value
    found = url.search(value)
    if found:
        return found["id"]
    if not re.fullmatch(id_shape, value):
        raise ValueError(f"{value!r} {what_is_wrong}")
    return value
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")

# What the start-of-turn DM adds to its own lines (what to do first, the epics, the channels, the issues, the
# sheet, each a link): the role's rules that no link carries.
DEFAULT_CHECKLIST = (
    "Acknowledge every request within about an hour; delegate freely, and unless it is an emergency, discuss "
    "assignments at standup.",
)


class ConfigError(Exception):
    """A configuration file that cannot be used; `problems` holds one line per problem."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Model(BaseModel):
    # Python's re, not the default Rust engine: the repository-name rules need a look-ahead.
    # strict: a string where a number belongs ("45") is an error naming the key, not silently converted.
    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re", strict=True)


class TeamConfig(_Model):
    name: str = "Operations"
    time_zone: str = "America/New_York"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as America/New_York)") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class RosterMember(_Model):
    name: str = Field(min_length=1)
    github: str | None = None
    # Their GitHub account's numeric id: logins change and are re-claimed, the id does not. With it, only that
    # account acts as this member (`/oncall` commands, covers); without it, whoever holds the login does.
    github_id: int | None = Field(default=None, gt=0)
    slack: str | None = None
    pagerduty_email: str | None = None
    pagerduty_id: str | None = None
    aws_username: str | None = None
    # Members who are on the team but not in the support rotation (a PM, say)
    # are never unassigned from the Super Epics by the handoff.
    rotation: bool = True

    @field_validator("github")
    @classmethod
    def _github_login(cls, value: str | None) -> str | None:
        if value is not None and not GITHUB_LOGIN.match(value):
            raise ValueError(f"{value!r} is not a valid GitHub login")
        return value

    @field_validator("slack")
    @classmethod
    def _slack_id(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_USER_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack user id (like U012AB3CD; find it in the profile menu)")
        return value

    @field_validator("pagerduty_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"{value!r} is not an email address")
        return value.lower() if value else value


class SuperEpic(_Model):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    issue: str
    title: str = ""
    # With [epics] link_with = "zenhub": the epic's ZenHub id (from the epic's URL or the GraphQL explorer).
    zenhub_epic_id: str | None = None

    @field_validator("issue")
    @classmethod
    def _issue_ref(cls, value: str) -> str:
        if not ISSUE_REF.match(value):
            raise ValueError(f"{value!r} is not an issue reference like owner/repo#123")
        return value

    @property
    def repo(self) -> str:
        match = ISSUE_REF.match(self.issue)
        assert match
        return f"{match['owner']}/{match['repo']}"

    @property
    def number(self) -> int:
        match = ISSUE_REF.match(self.issue)
        assert match
        return int(match["number"])


# Message subtypes that are never requests: membership, channel settings, pins, reminders.
DEFAULT_IGNORED_SUBTYPES = (
    "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name", "channel_archive",
    "channel_unarchive", "group_join", "group_leave", "group_topic", "group_purpose", "group_name",
    "bot_add", "bot_remove", "pinned_item", "unpinned_item", "reminder_add", "thread_broadcast",
    "channel_convert_to_private", "channel_posting_permissions",
)


class Channel(_Model):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    id: str
    name: str = ""
    # The request watch reads channels with watch = true.
    watch: bool = False
    # Bot posts are requests only from these bots (bot id, bot name or username; "*" for any bot).
    request_bots: list[str] = Field(default_factory=list)
    # Top-level posts by roster members count as requests only where this is true.
    team_posts: bool = False
    ignore_subtypes: list[str] = Field(default_factory=lambda: list(DEFAULT_IGNORED_SUBTYPES))
    # Every request in an urgent channel is urgent: it ages in wall-clock time and may reach the team at any hour.
    urgent: bool = False
    # A person's post is a request only when it asks (a question, a request, a problem); false: any post from
    # someone the team serves that is not thanks, an FYI or announcement, emoji or a "+1".
    asks_only: bool = True

    @field_validator("id")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        if not SLACK_CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Slack channel id (like C012AB3CD; "
                "channel details > About shows it)"
            )
        return value

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.name else self.id


class SlackConfig(_Model):
    # Every setting that names a channel takes a [[slack.channels]] key or a channel id (resolve_channel_ids).
    support_channel: str
    operations_channel: str | None = None
    channels: list[Channel] = Field(default_factory=list)

    def channel(self, key: str) -> Channel:
        return next(c for c in self.channels if c.key == key)

    @property
    def watched(self) -> list[Channel]:
        return [c for c in self.channels if c.watch]

    @property
    def operations(self) -> Channel | None:
        return self.channel(self.operations_channel) if self.operations_channel else None

    @property
    def support(self) -> Channel:
        return self.channel(self.support_channel)


class BusinessHoursConfig(_Model):
    opens: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "09:00"
    closes: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "17:00"
    weekdays: list[Weekday] = Field(default_factory=_working_week, min_length=1)
    holidays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _opens_before_closes(self) -> BusinessHoursConfig:
        if self.opens >= self.closes:
            raise ValueError(f"opens ({self.opens}) must be before closes ({self.closes})")
        return self

    def clock(self, tz: ZoneInfo) -> BusinessHours:
        return BusinessHours(
            tz=tz,
            opens=time.fromisoformat(self.opens),
            closes=time.fromisoformat(self.closes),
            weekdays=frozenset(WEEKDAYS.index(d) for d in self.weekdays),
            holidays=frozenset(self.holidays),
        )


# Words that make a request urgent by default: an outage or an emergency, said in so many words.
DEFAULT_URGENT_WORDS = ("outage", "emergency", "sev1", "sev-1", "sev 1", "p1", "production is down",
                        "production down", "prod is down", "prod down", "site is down", "site down")


class RequestsConfig(_Model):
    """The request watch: what acknowledges a request, and when to escalate."""

    ack_reactions: list[str] = Field(default_factory=lambda: ["eyes", "white_check_mark", "ack"])
    warn_minutes: Annotated[int, Field(ge=1)] = 45
    limit_minutes: Annotated[int, Field(ge=1)] = 60
    # How far back a run looks for requests still waiting (covers a long weekend by default).
    lookback_hours: Annotated[int, Field(ge=1, le=24 * 14)] = 96
    # Reply in the requester's thread when a request passes the limit (off: nudge only the team).
    nudge_in_thread: bool = False
    # Words (or phrases) that make a request urgent in any watched channel: whole words, any case.
    urgent_words: list[str] = Field(default_factory=lambda: list(DEFAULT_URGENT_WORDS))
    # The support form's Urgency answers that make its post urgent (an answer that starts with one of them).
    urgent_form_values: list[str] = Field(default_factory=lambda: ["High", "Emergency"])
    # The team's standup (team time): one digest of what still waits, once a business day, at the first tick
    # from this time on; nothing when nothing waits.
    standup: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "09:30"
    # The digest's channel (a [[slack.channels]] key or a channel id; default: [slack] operations_channel). "off": no
    # digest.
    digest_channel: str | None = None
    business_hours: BusinessHoursConfig = BusinessHoursConfig()

    @model_validator(mode="after")
    def _warn_before_limit(self) -> RequestsConfig:
        if self.warn_minutes >= self.limit_minutes:
            raise ValueError(
                f"warn_minutes ({self.warn_minutes}) must be less than limit_minutes ({self.limit_minutes})"
            )
        return self

    @field_validator("ack_reactions")
    @classmethod
    def _plain_names(cls, value: list[str]) -> list[str]:
        return [name.strip(":") for name in value]


class EpicsConfig(_Model):
    """How issues are linked to a Super Epic: GitHub sub-issues, or ZenHub's GraphQL API."""

    link_with: Literal["github", "zenhub"] = "github"


REPO_NAME = rf"^{_OWNER}/{_REPO}$"


class SupportIssuesConfig(_Model):
    """Long support requests become GitHub issues linked to a Super Epic."""

    repo: Annotated[str, Field(pattern=REPO_NAME)]
    labels: list[str] = Field(default_factory=lambda: ["support-request"], min_length=1)
    needs_info_label: str = "needs-info"
    default_epic: str
    # A team member adds this reaction to a request to turn it into an issue.
    ticket_reaction: str = "ticket"
    # Open longer than this many business days: listed as "consider scoping as a project".
    scoping_business_days: Annotated[int, Field(ge=1)] = 2
    # Recently updated PRs here that carry pr_label, or link a support issue or a Slack thread, go on an epic.
    pr_repos: list[Annotated[str, Field(pattern=REPO_NAME)]] = Field(default_factory=list)
    pr_label: str = "support"
    pr_lookback_days: Annotated[int, Field(ge=1, le=30)] = 2
    # The tick's intake (intake.py) reads issues and comments updated this far back: longer than any stretch of
    # late or dropped ticks it should still make up for.
    intake_lookback_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 24
    # With the caller workflow in this repository, event runs do the work in seconds: the intake leaves anything
    # updated in the last this-many minutes to them (0: no event runs here, the tick does everything at once).
    event_grace_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 0

    @field_validator("ticket_reaction")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return value.strip(":")


class IamConfig(_Model):
    """The IAM inactivity audit and the Terraform PRs that remove users."""

    region: str = "us-gov-west-1"
    partition: Literal["aws", "aws-us-gov", "aws-cn"] = "aws-us-gov"
    limit_days: Annotated[int, Field(ge=1)] = 90
    warning_days: Annotated[int, Field(ge=1)] = 75
    # The scheduled audit acts only at this local hour (cron is UTC; both candidate hours are scheduled).
    audit_hour: Annotated[int, Field(ge=0, le=23)] = 11
    repo: Annotated[str, Field(pattern=REPO_NAME)]
    file: RepoPath = "terraform/environments/global/iam_users.tf"
    base_branch: str = "master"
    # AWS username -> owner (a roster member's name, GitHub login or Slack id, or any text).
    owners: dict[str, str] = Field(default_factory=dict)
    pr_labels: list[str] = Field(default_factory=lambda: ["iam-cleanup"])
    # False where the team's own audit (a Lambda) already posts in the operations channel: the product posts
    # nothing, and the cleanup from the audit takes its users from that post's thread.
    post_audit: bool = True
    # Who posts the team's own audit: its bot id (B...), app id (A...), user id, or bot name.
    audit_poster: str | None = None

    @model_validator(mode="after")
    def _warning_before_limit(self) -> IamConfig:
        if self.warning_days >= self.limit_days:
            raise ValueError(f"warning_days ({self.warning_days}) must be less than limit_days ({self.limit_days})")
        return self


TaskKind = Literal["support", "access", "offboarding", "deploy", "pr_review", "iam", "postmortem", "rotation",
                   "answer", "other"]
TASK_KINDS: tuple[str, ...] = ("support", "access", "offboarding", "deploy", "pr_review", "iam", "postmortem",
                               "rotation", "answer", "other")


def _default_sections() -> dict[TaskKind, str]:
    return {"support": "Support requests", "access": "Access", "offboarding": "Offboarding", "deploy": "Deploys",
            "pr_review": "PR reviews", "iam": "IAM", "postmortem": "Postmortem items", "rotation": "Rotations",
            "answer": "Answers", "other": "Other"}


# What a row of the tracking sheet says, each placed under the header cell that names it (see
# oncall_lib.tracking.layout for the names each is known by).
RowField = Literal["key", "date", "on_support", "done_by", "kind", "summary", "link", "channel", "requester",
                   "minutes_to_acknowledge", "minutes_spent", "acknowledged_how"]


class TrackingConfig(_Model):
    """The Support Incidents Spreadsheet: the team's own tabs and sections, one place per kind of task."""

    spreadsheet_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{10,}$")]
    # Kind of task -> the tab, or the heading row of a section inside a tab, its rows go to.
    sections: dict[TaskKind, str] = Field(default_factory=_default_sections)
    # A row's field -> the team's header cell(s) for it, besides the names known already ("Who" for done_by...);
    # an empty list: never written, even under a header cell of a known name.
    columns: dict[RowField, str | list[str]] = Field(default_factory=dict)
    # Add a tab for a kind that has no place: "auto" only in a spreadsheet that is empty or the product's own.
    add_tabs: bool | Literal["auto"] = "auto"
    # Add a header cell (right of the team's) for each field the team's header lacks.
    add_columns: bool = False

    def header_names(self, field: str) -> list[str] | None:
        """The team's names for a field's column, or None when the team named none."""
        names = self.columns.get(field)  # type: ignore[call-overload]
        return None if names is None else [names] if isinstance(names, str) else list(names)

    @field_validator("spreadsheet_id", mode="before")
    @classmethod
    def _id_from_url(cls, value: object) -> object:
        """A pasted sheet URL is taken for the id it holds; anything else that is not an id says what to give."""
        return id_or_pasted_url(value, SHEET_URL, r"[A-Za-z0-9_-]{10,}",
                                "is not a spreadsheet id: give the part of the sheet's URL between /d/ and /edit "
                                "(or paste the whole URL)")

    def section(self, kind: str) -> str:
        return self.sections.get(kind, self.sections.get("other", "Other"))  # type: ignore[call-overload]


class PostmortemsConfig(_Model):
    """Postmortem action items: labelled, linked to the incident-response epic, never lost."""

    label: str = "Postmortem Action Item"
    epic: str = "incident-response"
    # An issue whose title starts with one of these, or whose body links a postmortem document, is an item.
    title_prefixes: list[str] = Field(default_factory=lambda: ["postmortem", "[postmortem]", "pm:"])
    document_link_patterns: list[str] = Field(default_factory=lambda: [r"/postmortems?/[^\s)]+\.md"])
    # Where the postmortem documents live (Markdown, each with an "Action Items" table or checklist).
    documents_repo: Annotated[str, Field(pattern=REPO_NAME)] | None = None
    documents_path: RepoPath = "postmortems"
    documents_branch: str = "master"


class ReviewsConfig(_Model):
    """The PR review digest."""

    repos: list[Annotated[str, Field(pattern=REPO_NAME)]] = Field(min_length=1)
    # GitHub logins counted as the team besides the roster's (authors outside it are marked external).
    team_logins: list[str] = Field(default_factory=list)
    # Ask the person on support to review PRs that have nobody requested.
    request_person_on_support: bool = False


class DeployWorkflow(_Model):
    repo: Annotated[str, Field(pattern=REPO_NAME)]
    workflow: str = Field(min_length=1, description="the workflow file name, like deploy.yml")


class DeploysConfig(_Model):
    """Failed-deploy triage."""

    workflows: list[DeployWorkflow] = Field(min_length=1)
    channel: str = "deploys"
    # Bots whose messages in the channel announce deploys (a failure is answered in that message's thread).
    bots: list[str] = Field(default_factory=lambda: ["github-actions", "deploy-bot"])
    lookback_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 24


class OffboardingConfig(_Model):
    """Offboarding requests: one PR in the devops repository removing the IAM user and the SOCKS key."""

    socks_file: RepoPath = "ansible/global/config.yml"
    labels: list[str] = Field(default_factory=lambda: ["offboarding"])
    # Who may ask for an offboarding besides the roster and the access approvers: members of this GitHub team
    # ("org/team-slug"). Anyone else's request gets one reply and nothing is drafted.
    requesters_team: Annotated[str, Field(pattern=rf"^{_OWNER}/{_REPO}$")] | None = None


TEAM_REF = rf"^{_OWNER}/{_REPO}$"


class AccessTool(_Model):
    name: str = Field(min_length=1)
    # A tool that is a GitHub team membership ("org/team-slug"); otherwise `checklist` says what a person does.
    github_team: Annotated[str, Field(pattern=TEAM_REF)] | None = None
    checklist: list[str] = Field(default_factory=list)


class AccessConfig(_Model):
    """Access grants: an approver (a member of this GitHub team) adds `approved_label`."""

    approvers_team: Annotated[str, Field(pattern=TEAM_REF)]
    approved_label: str = "access-approved"
    tools: list[AccessTool] = Field(min_length=1)

    def tool(self, name: str | None) -> AccessTool | None:
        return next((t for t in self.tools if name and t.name.casefold() == name.strip().casefold()), None)


TOPIC_PLACEHOLDERS = ("name", "mention", "github", "until")


def checked_template(value: str, allowed: Sequence[str], *, must_have: Sequence[str] = ()) -> str:
    """A str.format template that formats with the documented placeholders only (no attributes, no indexes)."""
    named = ", ".join("{" + p + "}" for p in allowed)
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
    except ValueError as exc:
        raise ValueError(f"{exc} (write a literal brace as {{{{ or }}}})") from None
    unknown = sorted({f for f in fields if f not in allowed})
    if unknown:
        raise ValueError(f"unknown placeholder(s) {unknown}; use {named}")
    try:
        value.format(**{p: p for p in allowed})
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"cannot be formatted: {exc}") from None
    if must_have and not set(fields) & set(must_have):
        raise ValueError(f"must contain {' or '.join('{' + m + '}' for m in must_have)} so the topic names the "
                         "person on support")
    return value


def _inside_repository(value: str) -> str:
    """A path in a repository: relative, with no '..' and no backslashes, so it cannot climb out."""
    parts = value.split("/")
    if not value.strip() or value.startswith("/") or "\\" in value or ".." in parts or "" in parts[:-1]:
        raise ValueError(f"{value!r} is not a path inside the repository (like dir/file.tf, no '..', no leading /)")
    return value


RepoPath = Annotated[str, AfterValidator(_inside_repository)]


class ReviewConfig(_Model):
    """Who reviews each rotation with the outgoing and the next person: roster names, GitHub logins or Slack ids."""

    pm: str | None = None
    tech_lead: str | None = None
    # The channel (a [[slack.channels]] key) the report's summary goes to: the team's, not the requesters'.
    channel: str | None = None


class AnswersConfig(_Model):
    """Answers to repeat questions: the request watch replies once in a new request's thread when it matches an
    answer in `file` closely, and asks for a thumbs up or down."""

    # The answers file, relative to oncall.toml's folder (oncall_lib/answers/matching.py describes its format).
    file: RepoPath = "answers.toml"
    # How close a request must be to an answer (0-100: how much of the request the answer explains, and how much
    # of its closest example the request says; oncall_lib/answers/matching.py). Measured: benchmarks/answers.py.
    min_score: Annotated[float, Field(ge=50, le=100)] = 75
    # Channel keys where requests are answered (default: every watched channel that is not urgent).
    channels: list[str] = Field(default_factory=list)
    # How long after an answer its thumbs up or down are read and logged.
    feedback_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 24
    # How close two unanswered requests must be to count as the same question in the report (token-sort ratio).
    group_score: Annotated[float, Field(ge=50, le=100)] = 75


class HandoverConfig(_Model):
    """One GitHub issue per turn in the support repository, prefilled with what waits, acknowledged by the incoming
    person; the previous turn's issue closed with a link to its report."""

    label: str = "oncall-handover"
    # Not acknowledged within this many business hours of the handoff: one DM to the incoming person.
    ack_business_hours: Annotated[float, Field(gt=0, le=40)] = 2


class CoversConfig(_Model):
    """Covers and swaps asked for in a comment (`/oncall cover`, `/oncall swap`), made as PagerDuty overrides when
    the person asked accepts. Needs a PagerDuty key that may create overrides (the doctor checks)."""

    # How far ahead a cover or a swap may reach (the schedule window read).
    lookahead_days: Annotated[int, Field(ge=7, le=90)] = 35
    # An unaccepted request expires when its window starts; with this, also this many hours after it was asked.
    expire_after_hours: Annotated[float, Field(ge=0, le=24 * 90)] = 0
    # The label an issue carries while a request on it waits for an answer: the hourly tick lists it to expire them.
    asked_label: Annotated[str, Field(min_length=1, max_length=50)] = "oncall-cover-asked"

class AutomationConfig(_Model):
    """The product itself: its own repository (whose workflows the doctor checks), and its dead man's switch."""

    # Default: $GITHUB_REPOSITORY, which Actions sets to the repository the workflow runs in.
    repo: Annotated[str, Field(pattern=REPO_NAME)] | None = None
    # Each tick keeps one Slack message scheduled this many hours ahead, saying the automation has stopped; a tick
    # replaces it, so Slack posts it only when the ticks stop. 0 turns the switch off.
    heartbeat_hours: Annotated[float, Field(ge=0, le=24 * 119)] = 3
    # The channel (a [[slack.channels]] key) it posts in; default: [slack] operations_channel, else support_channel.
    heartbeat_channel: str | None = None

    @field_validator("heartbeat_hours")
    @classmethod
    def _longer_than_a_tick(cls, value: float) -> float:
        if 0 < value < 1:
            raise ValueError("give at least 1 hour (ticks are up to an hour apart), or 0 to turn the switch off")
        return value


def product_repo(config: Config) -> str | None:
    """The product's own repository: [automation] repo, else the one Actions runs the workflow in."""
    return config.automation.repo or os.environ.get("GITHUB_REPOSITORY") or None




class RotationConfig(_Model):
    pagerduty_schedule: str = Field(min_length=1)
    support_layer: str = Field(min_length=1, description="layer id or name")
    handoff_weekday: Weekday = "monday"
    handoff_hour: Annotated[int, Field(ge=0, le=23)] = 9
    # "layers" (PagerDuty's classic schedules, /schedules), "shifts" (shift-based schedules, /v3/schedules), or
    # "auto": try the shift-based endpoint, then the classic one (one extra call a run for a classic schedule).
    schedule_kind: Literal["layers", "shifts", "auto"] = "layers"
    # An override moves the role (epics, topic, handoff) when it covers the rest of the turn or at least this
    # many hours of support time; a shorter cover only receives the request watch's escalations meanwhile.
    min_override_hours: Annotated[float, Field(gt=0, le=24 * 28)] = 24
    # A Slack user group (its handle, like "oncall-support", or its id) that always holds just the person on
    # support, so @oncall-support reaches them. Optional; paid Slack plans only; needs usergroups:read and :write.
    slack_user_group: str | None = None
    topic_template: str = "Oncall support this week: {name} ({mention})"
    topic_separator: str = " | "
    handoff_checklist: list[str] = Field(default_factory=lambda: list(DEFAULT_CHECKLIST))
    # Where the handoff's two messages go ([[slack.channels]] keys or channel ids). The announcement (who is on
    # support, from when until when) is for requesters: default, the support channel. The team's message (the
    # handover issue, the outgoing person's notes, what waits, normal oncall's incidents, postmortem items) is
    # internal: default, the operations channel; with neither, it is not posted in a channel (the start-of-turn DM
    # and the handover issue carry what waits).
    announce_channel: str | None = None
    team_channel: str | None = None

    @field_validator("pagerduty_schedule", mode="before")
    @classmethod
    def _schedule_id(cls, value: object) -> object:
        """A pasted schedule URL is taken for the id it holds; anything else that is not an id says what to give
        (the client would otherwise fail mid-run on a path it cannot build)."""
        return id_or_pasted_url(value, PAGERDUTY_SCHEDULE_URL, r"[A-Z0-9]+",
                                "is not a PagerDuty schedule id: give the id at the end of the schedule's URL "
                                "(like PABC123)")

    @field_validator("topic_template")
    @classmethod
    def _template_fields(cls, value: str) -> str:
        return checked_template(value, TOPIC_PLACEHOLDERS, must_have=("name", "mention"))


class Config(_Model):
    team: TeamConfig = TeamConfig()
    rotation: RotationConfig
    super_epics: list[SuperEpic] = Field(min_length=1)
    slack: SlackConfig
    roster: list[RosterMember] = Field(min_length=1)
    requests: RequestsConfig = RequestsConfig()
    epics: EpicsConfig = EpicsConfig()
    support_issues: SupportIssuesConfig | None = None
    iam: IamConfig | None = None
    tracking: TrackingConfig | None = None
    postmortems: PostmortemsConfig | None = None
    reviews: ReviewsConfig | None = None
    offboarding: OffboardingConfig | None = None
    access: AccessConfig | None = None
    deploys: DeploysConfig | None = None
    covers: CoversConfig | None = None
    handover: HandoverConfig | None = None
    answers: AnswersConfig | None = None
    review: ReviewConfig = ReviewConfig()
    automation: AutomationConfig = AutomationConfig()
    # Repositories whose labels follow .github/labels.yml (default: the support and devops repositories).
    label_repos: list[Annotated[str, Field(pattern=REPO_NAME)]] = Field(default_factory=list)
    _source: str = PrivateAttr(default="oncall.toml")  # the file it was read from, for error messages

    @property
    def source(self) -> str:
        """The file it was read from."""
        return self._source

    @property
    def folder(self) -> Path:
        """The folder of the file the configuration was read from (files it names are relative to it)."""
        return Path(self._source).parent

    def required(self, section: Section | None, table: str, purpose: str) -> Section:
        """An optional table a job cannot run without; a one-line error naming the file when it is absent."""
        if section is None:
            raise InputError(f"{self._source} has no [{table}] table: {purpose} (see docs/configuration.md)")
        return section

    def epic(self, key: str) -> SuperEpic:
        for epic in self.super_epics:
            if epic.key == key:
                return epic
        raise KeyError(f"no Super Epic with key {key!r} (configured: {', '.join(e.key for e in self.super_epics)})")


@dataclass(frozen=True)
class _Located:
    """Line numbers of keys and tables in a TOML file, by their path."""

    lines: dict[tuple[str | int, ...], int]

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        path = tuple(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


_TABLE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def _locate_keys(text: str) -> _Located:
    """Map each key path to its line: enough for the plain TOML layout people write."""
    lines: dict[tuple[str | int, ...], int] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    current: tuple[str | int, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        table = _TABLE.match(line)
        if table:
            names = tuple(part.strip().strip('"') for part in table[2].split("."))
            if table[1] == "[[":
                index = array_counts.get(names, 0)
                array_counts[names] = index + 1
                # A nested array of tables hangs off the latest element of its parent.
                prefix: tuple[str | int, ...] = ()
                for depth, name in enumerate(names[:-1]):
                    prefix += (name,)
                    parent = names[: depth + 1]
                    if parent in array_counts:
                        prefix += (array_counts[parent] - 1,)
                current = (*prefix, names[-1], index)
            else:
                current = names
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*current, key[1]), number)
    return _Located(lines)


def _format_loc(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


# Every setting that names a Slack channel, by its path; each takes a [[slack.channels]] key or a channel id. An
# id with no entry gets one (the key on the right, or the id itself when that key is taken), so the rest of the
# product reads channels by key only.
CHANNEL_SETTINGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("slack", "support_channel"), "support"),
    (("slack", "operations_channel"), "operations"),
    (("rotation", "announce_channel"), "announce"),
    (("rotation", "team_channel"), "team"),
    (("review", "channel"), "review"),
    (("automation", "heartbeat_channel"), "heartbeat"),
    (("deploys", "channel"), "deploys"),
    (("answers", "channels"), ""),
    (("requests", "digest_channel"), "digest"),
)
# What a channel setting may say instead of a channel: the request watch's digest may be turned "off".
NOT_A_CHANNEL = {("requests", "digest_channel"): ("off",)}
CHANNEL_RULE = "a [[slack.channels]] key or a channel id (like C012AB3CD)"


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def resolve_channel_ids(data: dict[str, Any]) -> dict[str, Any]:
    """The raw config with every channel given by id turned into the key of its [[slack.channels]] entry."""
    slack = _dict(data.get("slack"))
    channels = list(slack.get("channels", [])) if isinstance(slack.get("channels", []), list) else None
    if not slack or channels is None:
        return data
    data = {**data, "slack": {**slack}}
    entries = _dicts(channels)

    def key_for(value: str, preferred: str) -> str:
        if any(c.get("key") == value for c in entries) or not SLACK_CHANNEL_ID.match(value):
            return value
        same = next((c for c in entries if c.get("id") == value and isinstance(c.get("key"), str)), None)
        if same is not None:
            return str(same["key"])
        key = next(k for k in (preferred, value.lower(), f"{value.lower()}-channel") if k
                   and all(c.get("key") != k for c in entries))
        entries.append({"key": key, "id": value})
        channels.append(entries[-1])
        return key

    for (table, field), preferred in CHANNEL_SETTINGS:
        section = _dict(data.get(table))
        value = section.get(field)
        if value in NOT_A_CHANNEL.get((table, field), ()):
            continue
        if isinstance(value, str):
            section = {**section, field: key_for(value, preferred)}
        elif isinstance(value, list):
            section = {**section, field: [key_for(v, "") if isinstance(v, str) else v for v in value]}
        else:
            continue
        data[table] = section if table != "slack" else {**data["slack"], **section}
    data["slack"]["channels"] = channels
    return data


Problem = tuple[tuple[str | int, ...], str]


def cross_table_problems(data: dict[str, Any]) -> list[Problem]:
    """What refers from one table to another (channel keys, epic keys, roster people), checked on the raw data so
    these problems are listed with the format errors, in the same pass. Each: (key path, message)."""
    found: list[Problem] = []
    slack = _dict(data.get("slack"))
    channels = _dicts(slack.get("channels"))
    keys = [str(c["key"]) for c in channels if isinstance(c.get("key"), str)]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        found.append((("slack", "channels"), f"channel keys must be unique; repeated: {', '.join(repeated)}"))
    known = ", ".join(str(k) for k in keys) or "none yet"
    for (table, field), _ in CHANNEL_SETTINGS:
        value = _dict(data.get(table)).get(field)
        if value is None and table == "deploys" and isinstance(data.get("deploys"), dict):
            value = "deploys"  # DeploysConfig's default
        for index, each in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(each, str) and each not in keys and each not in NOT_A_CHANNEL.get((table, field), ()):
                loc: tuple[str | int, ...] = (table, field, index) if isinstance(value, list) else (table, field)
                found.append((loc, f"{table}.{field} = {each!r} is not the key of any [[slack.channels]] entry "
                                   f"({known}) nor a channel id: give {CHANNEL_RULE}"))
    epics = _dicts(data.get("super_epics"))
    epic_keys = [str(e["key"]) for e in epics if isinstance(e.get("key"), str)]
    if len(set(epic_keys)) != len(epic_keys):
        found.append((("super_epics",), "super_epics keys must be unique"))
    if _dict(data.get("epics")).get("link_with") == "zenhub":
        for index, epic in enumerate(epics):
            if not epic.get("zenhub_epic_id"):
                found.append((("super_epics", index), '[epics] link_with = "zenhub" needs zenhub_epic_id on '
                                                      f"Super Epic {epic.get('key')!r}"))
    for table, field in (("postmortems", "epic"), ("support_issues", "default_epic")):
        section = data.get(table)
        value = _dict(section).get(field, "incident-response" if table == "postmortems" else None)
        if isinstance(section, dict) and isinstance(value, str) and value not in epic_keys:
            found.append(((table, field), f"{table}.{field} = {value!r} is not a Super Epic key "
                                          f"({', '.join(map(str, epic_keys)) or 'none'})"))
    if "handover" in data and "support_issues" not in data:
        found.append((("handover",), "[handover] needs [support_issues]: the handover issue is opened in its repo"))
    roster = _dicts(data.get("roster"))
    names = [" ".join(str(m.get("name", "")).split()).casefold() for m in roster]
    for index, name in enumerate(names):
        if name and name in names[:index]:
            # Two entries for one person would both be assigned (or one kept off the rotation and the other not).
            found.append((("roster", index, "name"), f"roster name repeated: {roster[index].get('name')} (one "
                                                     "[[roster]] entry per person: merge them)"))
    for attr in ("github", "github_id", "slack", "pagerduty_email", "aws_username", "pagerduty_id"):
        # GitHub logins, emails and AWS user names are case-insensitive: Ada and ada are one person.
        values = [str(m.get(attr)).casefold() for m in roster if m.get(attr)]
        for index, member in enumerate(roster):
            value = str(member.get(attr, "")).casefold()
            if value and values.count(value) > 1 and value not in [str(m.get(attr, "")).casefold()
                                                                    for m in roster[:index]]:
                found.append((("roster", index, attr), f"roster {attr} repeated: {value}"))
    people = {str(m.get(a, "")).casefold() for m in roster for a in ("name", "github", "slack") if m.get(a)}
    for role in ("pm", "tech_lead"):
        value = _dict(data.get("review")).get(role)
        if not isinstance(value, str):
            continue
        bare = value.strip().lstrip("@")
        if bare.casefold() not in people and not GITHUB_LOGIN.match(bare) and not SLACK_USER_ID.match(bare):
            found.append((("review", role), f"review.{role} = {value!r} is not a roster name, a GitHub login or a "
                                            "Slack id: add them to [[roster]] (rotation = false keeps them out of "
                                            "the rotation), or give their GitHub login"))
    return found


def _problem_line(path: Path, located: _Located, loc: Sequence[str | int], message: str) -> str:
    line = located.line_of(loc)
    return f"{f'{path}:{line}' if line else path}: {_format_loc(loc)}: {message}"


def _pattern_message(value: object, pattern: str, loc: list[Any]) -> str:
    """A value that does not have its key's form, said in words (a regular expression helps nobody fixing it)."""
    if pattern == REPO_NAME:
        form = "a team like org/team-slug" if any("team" in str(p) for p in loc) else "a repository like owner/name"
    elif ":[0-5][0-9]" in pattern:
        form = "a time like 09:30"
    elif pattern.startswith("^[a-z0-9]"):
        form = "a key of lowercase letters, digits and dashes" + (" or underscores" if "_" in pattern else "")
    else:
        form = "in the form docs/configuration.md gives"
    return f"{value!r} is not {form}"


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML text; raise ConfigError with one line per problem, every problem in one pass: the format
    of each value and what refers from one table to another, each with its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"{path}: not valid TOML: {exc}"]) from None
    data = resolve_channel_ids(data)
    located = _locate_keys(text)
    problems: list[str] = []
    config = None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            # pydantic puts the validator's name in loc for some errors; keep the data path.
            loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (check the spelling against docs/configuration.md)"
            elif error["type"] == "missing":
                message = "required key is missing"
            elif error["type"] == "string_pattern_mismatch":
                message = _pattern_message(error["input"], error["ctx"]["pattern"], loc)
            problems.append(_problem_line(path, located, loc, message))
    problems += [_problem_line(path, located, loc, message) for loc, message in cross_table_problems(data)]
    if problems or config is None:
        # In the file's order, so a person fixes it from the top.
        def line(problem: str) -> int:
            head = problem.removeprefix(f"{path}:").split(":", 1)[0]
            return int(head) if head.isdigit() else 0
        raise ConfigError(path, sorted(problems, key=line))
    config._source = str(path)
    return config


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [f"{path}: no such file (pass --config PATH)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"{path}: cannot read: {exc}"]) from None
    return parse_config(text, path)
