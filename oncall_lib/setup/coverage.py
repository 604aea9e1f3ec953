"""What the enabled duties will touch, and what they will quietly leave out, read from the config alone.

The doctor checks the app's membership of every channel a duty reads or posts to (`channel_uses`), and both it and
check_config.py warn about every setting whose absence turns a step off without an error at run time
(`steps_left_out`): the run would succeed and the step would simply never happen.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall_lib.config import Config
from oncall_lib.duties import duty


@dataclass(frozen=True)
class LeftOut:
    """A step an enabled duty skips with this config, and the setting that turns it on."""

    duty: str
    # The step, in a few words: the doctor's check is named after it ("setting: the escalation").
    what: str
    step: str
    fix: str

    @property
    def line(self) -> str:
        return f"{duty(self.duty).name}: {self.step}; {self.fix}"


def _on(config: Config, key: str) -> bool:
    return duty(key).is_on(config)


def channel_uses(config: Config) -> dict[str, list[str]]:
    """Each [[slack.channels]] key the enabled duties read or post to, with what for (in the duties' order)."""
    uses: dict[str, list[str]] = {}

    def use(key: str | None, why: str) -> None:
        if key and why not in uses.setdefault(key, []):
            uses[key].append(why)

    slack = config.slack
    use(slack.support_channel, "the handoff sets its topic")
    use(config.rotation.announce_channel or slack.support_channel, "the handoff's announcement")
    use(config.rotation.team_channel or slack.operations_channel, "the handoff's message to the team")
    if _on(config, "requests"):
        for channel in slack.watched:
            use(channel.key, "the request watch reads it")
        use(slack.operations_channel, f"the request watch's {config.requests.limit_minutes}-minute escalation of "
                                      "urgent requests")
        use(digest_key(config), "the request watch's standup digest")
    if _on(config, "support_issues"):
        for channel in slack.watched:
            use(channel.key, "support issues: :ticket: reactions read, \"Tracked as\" replied")
    if _on(config, "answers") and config.answers:
        for key in config.answers.channels:
            use(key, "answers are replied in its threads")
    if _on(config, "iam"):
        use(slack.operations_channel, "the IAM audit's findings")
    if _on(config, "reviews"):
        use(slack.operations_channel, "the review digest")
    if _on(config, "deploys") and config.deploys:
        use(config.deploys.channel, "failed deploys are explained there")
    if _on(config, "tracking"):
        use(summary_channel_key(config), "the rotation report's summary")
    if config.automation.heartbeat_hours:
        use(heartbeat_channel_key(config), "the dead man's switch (a message kept scheduled there)")
    return uses


def digest_key(config: Config) -> str | None:
    """The request watch's standup digest: [requests] digest_channel, else the operations channel; None: none."""
    key = config.requests.digest_channel
    return None if key == "off" else key or config.slack.operations_channel


def summary_channel_key(config: Config) -> str | None:
    """The team's channel for the report's summary; None when there is none (it never goes to the requesters')."""
    return config.review.channel or config.slack.operations_channel


def heartbeat_channel_key(config: Config) -> str:
    return config.automation.heartbeat_channel or config.slack.operations_channel or config.slack.support_channel


def steps_left_out(config: Config) -> list[LeftOut]:
    """Every step an enabled duty will silently skip with this config, one line each with the setting to add."""
    found: list[LeftOut] = []
    ops = config.slack.operations_channel
    set_ops = "set [slack] operations_channel (a [[slack.channels]] key or a channel id)"
    rules = config.requests
    if _on(config, "requests") and not ops:
        found.append(LeftOut("requests", "the escalation", f"the {rules.limit_minutes}-minute escalation of urgent "
                             f"requests to the team is skipped (only the person on support hears, at "
                             f"{rules.warn_minutes} minutes)", set_ops))
    if _on(config, "requests") and digest_key(config) is None and rules.digest_channel != "off":
        found.append(LeftOut("requests", "the standup digest", "the standup digest of what still waits is not posted",
                             "set [slack] operations_channel or [requests] digest_channel (or digest_channel = "
                             '"off" to say so)'))
    if _on(config, "iam") and not ops:
        found.append(LeftOut("iam", "the IAM findings", "the audit's findings are not posted (they stay in the job's "
                             "report)", set_ops))
    if _on(config, "reviews") and not ops:
        found.append(LeftOut("reviews", "the review digest", "the digest is not posted (it stays in the job's report)",
                             set_ops))
    if _on(config, "tracking"):
        if summary_channel_key(config) is None:
            found.append(LeftOut("tracking", "the report's summary", "the rotation report's summary is not posted in "
                                 "Slack (never in the support channel, where requesters read)",
                                 "set [review] channel or [slack] operations_channel"))
        for role, title in (("pm", "PM"), ("tech_lead", "tech lead")):
            if not getattr(config.review, role):
                found.append(LeftOut("tracking", f"the review's {title}",
                                     f"the report invites no {title} to the review", f"set [review] {role}"))
    if not (config.rotation.team_channel or ops):
        found.append(LeftOut("handoff", "the team's handoff message", "the handoff's message to the team (the "
                             "handover issue, the notes, what waits, incidents) is not posted in a channel",
                             "set [rotation] team_channel or [slack] operations_channel"))
    if config.automation.heartbeat_hours and heartbeat_channel_key(config) == config.slack.support_channel:
        found.append(LeftOut("handoff", "the dead man's switch", "the dead man's switch would tell the support "
                             "channel, where requesters read, that the automation stopped",
                             "set [automation] heartbeat_channel or [slack] operations_channel"))
    for member in config.roster:
        if member.rotation and not member.github:
            found.append(LeftOut("handoff", f"{member.name}'s GitHub login", f"{member.name} cannot be assigned to the "
                                 "Super Epics in their turn (no GitHub login)",
                                 f"set github for {member.name} in [[roster]]"))
    return found
