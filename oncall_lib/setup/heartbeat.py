"""The dead man's switch: a Slack message that posts only if the ticks stop. No server needed.

Each tick schedules one message (chat.scheduleMessage) `[automation]
heartbeat_hours` ahead in the operations channel, saying the automation has
not run since this tick and what to check, and deletes the one the previous
tick scheduled. While ticks keep coming, the message is always replaced before
its time; when they stop, Slack posts the last one.

The product finds its own pending message through chat.scheduledMessages.list
(which lists only this app's) by the text's fixed opening: Slack's docs warn
that a message scheduled with metadata is not posted, so no marker is attached.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oncall_lib.config import Channel, Config, product_repo
from oncall_lib.errors import ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.services.slack import ScheduledMessage

JOB = "heartbeat"
# How the product recognises its own scheduled message: the text always opens with this.
OPENING = ":rotating_light: The oncall support automation has not run since"


def alarm_channel(config: Config) -> Channel:
    key = config.automation.heartbeat_channel or config.slack.operations_channel or config.slack.support_channel
    return config.slack.channel(key)


def alarm_text(config: Config, last_run: datetime) -> str:
    """What Slack posts if no tick replaces it: since when, and what to look at."""
    when = last_run.astimezone(config.team.tz)
    repo = product_repo(config)
    actions = f"<https://github.com/{repo}/actions|the Actions tab>" if repo else "the Actions tab"
    return (f"{OPENING} {when:%a %d %b %H:%M} ({when.tzname()}): no tick has replaced this message, so the "
            f"request watch, the support-issue scan and the weekly handoff have stopped too.\n"
            f"What to check: {actions} (failed or missing Tick runs), the Doctor workflow (credentials, and every "
            "workflow GitHub has turned off), and whether the Tick is disabled: GitHub turns a schedule off after 60 "
            "days without activity in a public repository, and when the person who last committed its cron line "
            "leaves the organisation.")


def is_alarm(message: ScheduledMessage) -> bool:
    return message.text.startswith(OPENING)


def plan(pending: list[ScheduledMessage], channel: Channel, text: str, post_at: int | None,
         shown: str = "") -> list[Action]:
    """Keep exactly one alarm, at `post_at` with `text` (none when `post_at` is None): schedule the new one first,
    then delete the others, so that a failure never leaves the channel without one."""
    ours = [m for m in pending if is_alarm(m)]
    keep = next((m for m in ours if post_at is not None and m.post_at == post_at and m.text == text), None)
    actions = []
    if post_at is not None and keep is None:
        actions.append(Action("slack.schedule", channel.label,
                              f"schedule the stopped-automation alarm for {shown or post_at}",
                              {"channel": channel.id, "text": text, "post_at": post_at}))
    for message in ours:
        if message is not keep:
            actions.append(Action("slack.delete_scheduled", channel.label,
                                  f"delete the alarm scheduled for Unix {message.post_at} ({message.id})",
                                  {"channel": channel.id, "id": message.id}))
    return actions


def executors(services: Services) -> dict[str, Executor]:
    def schedule(action: Action) -> dict[str, str]:
        p = action.params
        return {"id": services.slack.schedule(p["channel"], p["text"], p["post_at"])}

    def delete(action: Action) -> None:
        services.slack.delete_scheduled(action.params["channel"], action.params["id"])  # already posted: nothing

    return {"slack.schedule": schedule, "slack.delete_scheduled": delete}


def run(services: Services, config: Config, at: datetime, *, dry_run: bool) -> Report:
    report = Report(JOB, dry_run=dry_run, at=at)
    channel = alarm_channel(config)
    hours = config.automation.heartbeat_hours
    # Whole seconds, and a tick's own time: a second run at the same time plans nothing.
    post_at = int((at + timedelta(hours=hours)).timestamp()) if hours else None
    shown = f"{datetime.fromtimestamp(post_at, config.team.tz):%a %d %b %H:%M %Z}" if post_at else ""
    report.facts = {"channel": channel.label, "alarm_at": shown or "off (heartbeat_hours = 0)"}
    try:
        pending = services.slack.scheduled_messages(channel.id)
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.facts["alarms_pending_before"] = sum(1 for m in pending if is_alarm(m))
    report.outcomes = apply(plan(pending, channel, alarm_text(config, at), post_at, shown), executors(services),
                            dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
