"""init.py: a starter oncall.toml from a PagerDuty schedule and the support channel.

1. Check the inputs (duties, Super Epics, the schedule id, the channel, the output path) before any call.
2. Read the support channel (conversations.info by id, or the public channels by name), the schedule (the
   shift-based endpoint first, then the classic one, as rotation.schedule_kind = "auto" reads it), each
   user on the support layer (name, email) and Slack's lookup of each email.
3. Render the file (oncall_lib.setup.starter) and write it: whole or not at all, and never over a file that is
   already there.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from oncall_lib.config import TrackingConfig
from oncall_lib.errors import InputError, ServiceError
from oncall_lib.plan import Action, apply
from oncall_lib.report import Report
from oncall_lib.rotation.schedule import ScheduleProblem
from oncall_lib.services import Services
from oncall_lib.setup.starter import (
    ChannelWanted,
    Discovered,
    Epic,
    Member,
    SlackChannel,
    Starter,
    SupportLayer,
    channel_wanted,
    choose_layer,
    choose_rotation,
    known_zone,
    parse_duties,
    parse_epics,
    parse_logins,
    q,
    render,
    schedule_id,
)
from oncall_lib.tracking.layout import mapping, read_layout

# The schedule is read this far back and ahead: enough turns to see when they change hands.
WINDOW = timedelta(days=28)
STDOUT = "-"


@dataclass(frozen=True)
class InitRequest:
    """What init.py was asked for, as typed."""

    schedule: str
    support_channel: str
    layer: str | None = None
    duties: str = "handoff"
    epics: list[str] = field(default_factory=list)
    output: str = "oncall.toml"
    spreadsheet: str | None = None  # the tracking sheet's id or URL: its layout is read and shown
    github: list[str] = field(default_factory=list)  # WHO=LOGIN: roster members' GitHub logins


@dataclass(frozen=True)
class Checked:
    schedule_id: str
    channel: ChannelWanted
    layer: str | None
    duties: list[str]
    duty_notes: list[str]
    epics: list[Epic]
    output: Path | None  # None: standard output
    spreadsheet: str | None = None
    logins: list[tuple[str, str]] = field(default_factory=list)  # (name, email or PagerDuty id; GitHub login)


def check(request: InitRequest) -> Checked:
    """Every input checked before any API call: one line naming what is wrong (InputError)."""
    duties, notes = parse_duties(request.duties)
    output = None if request.output == STDOUT else Path(request.output)
    if output is not None:
        refuse_existing(output)
        if not output.parent.is_dir():
            raise InputError(f"--output {output}: the directory {output.parent} does not exist")
    layer = request.layer.strip() if request.layer else None
    spreadsheet = None
    if request.spreadsheet:
        found = re.search(r"/d/([A-Za-z0-9_-]{10,})|^([A-Za-z0-9_-]{10,})$", request.spreadsheet.strip())
        if not found:
            raise InputError(f"--spreadsheet {request.spreadsheet}: give the spreadsheet's id or its URL "
                             "(https://docs.google.com/spreadsheets/d/ID/edit)")
        spreadsheet = found.group(1) or found.group(2)
        if "tracking" not in duties:
            duties.append("tracking")
    return Checked(schedule_id(request.schedule), channel_wanted(request.support_channel), layer or None,
                   duties, notes, parse_epics(request.epics), output, spreadsheet, parse_logins(request.github))


def refuse_existing(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise InputError(f"{path} already exists: init.py never overwrites a file; pass --output NEW_PATH "
                         "(or --output - to print it)")


# -- observe -------------------------------------------------------------------------------------------


def support_channel(services: Services, wanted: ChannelWanted) -> SlackChannel:
    if wanted.id:
        found = services.slack.channel_if_any(wanted.id)
        if found is None:
            raise InputError(f"--support-channel {wanted.id}: Slack has no channel with that id that the app can "
                             "see (for a private channel, invite the app first)")
    else:
        found = services.slack.public_channel_named(wanted.name or "")
        if found is None:
            raise InputError(f"--support-channel #{wanted.name}: Slack has no public channel of that name (for a "
                             "private channel, invite the app and give its id: channel details > About)")
    return SlackChannel(found.id, found.name, found.is_member)


def read_schedule(services: Services, schedule: str, at: datetime) -> dict[str, Any]:
    """The shift-based schedule if it is one, else the classic one; `kind` says which."""
    since, until = at - WINDOW, at + WINDOW
    shifts = services.pagerduty.shift_schedule(schedule, since, until)
    if shifts is not None:
        return {**shifts, "kind": "shifts"}
    classic = services.pagerduty.schedule_if_any(schedule, since, until)
    if classic is None:
        raise InputError(f"--schedule {schedule}: PagerDuty has no schedule with that id (it is the P... part of "
                         "the schedule's URL)")
    return {**classic, "kind": "layers"}


def support_layer(schedule: dict[str, Any], wanted: str | None, at: datetime) -> SupportLayer:
    try:
        if schedule["kind"] == "shifts":
            return choose_rotation(schedule, wanted, at)
        return choose_layer(schedule, wanted, at)
    except ScheduleProblem as exc:
        raise InputError(f"--layer: {exc}" if wanted else str(exc)) from None


def members(services: Services, layer: SupportLayer, left_out: list[str]) -> list[Member]:
    """Each person on the layer: PagerDuty's name, email and id; Slack's id for the email."""
    found: list[Member] = []
    for user_id, shown in layer.members:
        try:
            user = services.pagerduty.user(user_id)
        except ServiceError as exc:
            # PagerDuty keeps deleted users on their layers; reading them answers 404.
            left_out.append(f"{q(shown or user_id)} ({user_id}) is on the layer but PagerDuty cannot read them "
                            f"({exc}); if they left, replace them on the layer")
            continue
        email = str(user.get("email") or "").strip() or None
        name = str(user.get("name") or "").strip() or shown or email or user_id
        slack = services.slack.user_id_by_email(email) if email else None
        missing = "" if slack else (f"Slack has no account with the email {q(email)}" if email
                                    else "PagerDuty has no email for them, so Slack could not be asked")
        found.append(Member(name, user_id, email, slack, missing))
    return found


def with_logins(services: Services, people: list[Member], logins: list[tuple[str, str]]) -> list[Member]:
    """Each --github login on its person, with the id of the account that holds it now (one GET /users each):
    the id, not the login, is what decides who may act as them."""
    given: dict[str, tuple[str, int]] = {}
    for who, login in logins:
        person = next((m for m in people if who.casefold() in {m.name.casefold(), (m.email or "").casefold(),
                                                              m.pagerduty_id.casefold()}), None)
        if person is None:
            raise InputError(f"--github {who}={login}: nobody on the support layer has that name, email or "
                             f"PagerDuty id (on it: {', '.join(q(m.name) for m in people)})")
        if person.pagerduty_id in given:
            raise InputError(f"--github {who}={login}: {q(person.name)} is given twice")
        account = services.github.user_id(login)
        if account is None:
            raise InputError(f"--github {who}={login}: GitHub has no user {login!r}")
        given[person.pagerduty_id] = (login, account)
    return [replace(m, github=given[m.pagerduty_id][0], github_id=given[m.pagerduty_id][1])
            if m.pagerduty_id in given else m for m in people]


def discover(services: Services, checked: Checked, at: datetime) -> Discovered:
    channel = support_channel(services, checked.channel)
    schedule = read_schedule(services, checked.schedule_id, at)
    layer = support_layer(schedule, checked.layer, at)
    left_out: list[str] = []
    people = with_logins(services, members(services, layer, left_out), checked.logins)
    if not people:
        raise InputError(f"the support layer {layer.label} of schedule {checked.schedule_id} has nobody PagerDuty "
                         "can read: the roster would be empty" + (f" ({left_out[0]})" if left_out else ""))
    found = Discovered(checked.schedule_id, str(schedule.get("name") or ""), known_zone(schedule.get("time_zone")),
                       layer, people, channel, checked.epics, checked.duties, at.date(), left_out)
    if checked.spreadsheet:
        # Where each kind's rows would go in the team's sheet, as the doctor shows it.
        tracking = TrackingConfig(spreadsheet_id=checked.spreadsheet)
        layout = read_layout(services.sheets.snapshot(checked.spreadsheet), tracking)
        found = replace(found, spreadsheet_id=checked.spreadsheet, sheet_mapping=mapping(layout, tracking))
    return found


# -- plan and apply ------------------------------------------------------------------------------------


def create_new_file(path: Path, text: str) -> None:
    """`text` in a new file at `path`: written whole to a temporary file, then linked into place, which fails
    if anything appeared there meanwhile. Nothing is ever overwritten or left half-written."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the team's config from the team
        os.link(temporary, path)
    except FileExistsError:
        refuse_existing(path)
        raise
    except OSError as exc:
        raise ServiceError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.unlink(temporary)


def facts(found: Discovered, starter: Starter, checked: Checked) -> dict[str, Any]:
    layer = found.layer
    return {
        "schedule": f"{q(found.schedule_name)} ({found.schedule_id}), " + (
            "shift-based" if layer.kind == "shifts" else "classic"),
        "support_layer": f"{layer.label}: {layer.why}",
        "handoff": layer.handoff.note if layer.handoff else "no turns in the weeks read",
        "support_channel": f"#{found.channel.name} ({found.channel.id})",
        "duties": ", ".join(found.duties),
        "super_epics": ", ".join(e.key for e in found.epics),
        "roster": len(found.members),
        "output": str(checked.output) if checked.output else "standard output",
        "blanks_to_fill": len(starter.blanks),
        "next": ("fill each TO FILL value (check_config.py names those left), then run "
                 "rotate_assignees.py (a dry run by default)") if starter.blanks else "run check_config.py",
        "people": [m.name for m in found.members],
        "github_ids": {m.name: f"{m.github} is account {m.github_id}" for m in found.members if m.github_id},
        **({"tracking_sheet": [line.removeprefix("tracking sheet: ") for _, line in found.sheet_mapping]}
           if found.spreadsheet_id else {}),
        "blanks": starter.blanks,
    }


def run(services: Services, request: InitRequest, at: datetime, *, dry_run: bool) -> tuple[Report, str]:
    """The report, and the TOML text (for standard output)."""
    checked = check(request)
    report = Report("init", dry_run, at)
    found = discover(services, checked, at)
    starter = render(found)
    tomllib.loads(starter.text)  # a bug in the writer must stop here, not in the team's first check_config
    report.facts = facts(found, starter, checked)
    report.warnings += checked.duty_notes + [f"left out of the roster: {note}" for note in found.left_out]
    report.warnings += [f"{m.name}: {m.slack_missing}; their slack is left blank" for m in found.members
                        if not m.slack]
    report.warnings += [line for ok, line in found.sheet_mapping if not ok]
    if not found.channel.is_member:
        report.warnings.append(f"the app is not in #{found.channel.name}: /invite it there before the first handoff")
    count = f"{len(found.members)} people, {len(starter.blanks)} blank(s) to fill"
    if checked.output is None:
        action = Action("config.print", "standard output", f"starter oncall.toml: {count}")
    else:
        action = Action("file.create", str(checked.output), f"starter oncall.toml: {count}",
                        {"path": checked.output})
    executors = {"file.create": lambda a: create_new_file(a.params["path"], starter.text),
                 "config.print": lambda a: None}  # the script prints it, after the report is made
    report.outcomes = apply([action], executors, dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report, starter.text
