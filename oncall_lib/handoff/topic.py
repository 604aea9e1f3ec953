"""The support channel's topic: our segment replaced, everything else kept, within Slack's limit.

A topic is read as segments joined by a separator (" | " by default). The
segment the template produced last time is recognised by the template's
literal text, so the person's name can change while the rest stays.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TOPIC_LIMIT = 250
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def normalise(topic: str) -> str:
    """Undo Slack's rewriting (escaped &<>, URLs in angle brackets) so two topics compare as people see them."""
    unlinked = _SLACK_LINK.sub(lambda m: m.group(1).removeprefix("mailto:") if not m.group(2) else m.group(2), topic)
    return " ".join(html.unescape(unlinked).split())


def _segment_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"{\w*}", template)
    return re.compile("^" + ".+?".join(re.escape(p.strip()) if i in (0, len(parts) - 1) else re.escape(p)
                                        for i, p in enumerate(parts)) + "$")


@dataclass(frozen=True)
class TopicChange:
    topic: str
    dropped: tuple[str, ...]  # other segments that had to go to fit the limit


def compose_topic(current: str, template: str, values: dict[str, str], separator: str = " | ") -> TopicChange:
    ours = template.format(**values).strip()
    pattern = _segment_pattern(template)
    cleaned = normalise(current)
    segments = [s.strip() for s in cleaned.split(separator.strip())] if cleaned else []
    segments = [s for s in segments if s]
    index = next((i for i, s in enumerate(segments) if pattern.match(s)), None)
    if index is None:
        segments.insert(0, ours)
        index = 0
    else:
        segments[index] = ours
    dropped: list[str] = []
    while len(separator.join(segments)) > TOPIC_LIMIT and len(segments) > 1:
        victim = len(segments) - 1 if index != len(segments) - 1 else len(segments) - 2
        dropped.insert(0, segments.pop(victim))
        if victim < index:
            index -= 1
    topic = separator.join(segments)
    if len(topic) > TOPIC_LIMIT:
        topic = topic[: TOPIC_LIMIT - 1].rstrip() + "…"
    return TopicChange(topic, tuple(dropped))


def same_topic(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)
