"""The support topic: our segment replaced, the rest kept, within 250 characters."""

from __future__ import annotations

from oncall_lib.handoff.topic import TOPIC_LIMIT, compose_topic, normalise, same_topic

TEMPLATE = "On support: {name} ({mention})"
GRACE = {"name": "Grace Hopper", "mention": "<@U0GRACE>"}


def test_our_segment_is_replaced_in_place() -> None:
    change = compose_topic("Docs: x | On support: Ada Lovelace (<@U0ADA>) | Be kind", TEMPLATE, GRACE)
    assert change.topic == "Docs: x | On support: Grace Hopper (<@U0GRACE>) | Be kind"
    assert change.dropped == ()


def test_without_our_segment_it_goes_first() -> None:
    assert compose_topic("Ask here", TEMPLATE, GRACE).topic == "On support: Grace Hopper (<@U0GRACE>) | Ask here"
    assert compose_topic("", TEMPLATE, GRACE).topic == "On support: Grace Hopper (<@U0GRACE>)"


def test_slack_rewrites_are_undone_before_comparing() -> None:
    stored = "On support: Grace Hopper (<@U0GRACE>) | Q&amp;A <https://x.example/faq> | <https://y.example|y>"
    assert normalise(stored) == "On support: Grace Hopper (<@U0GRACE>) | Q&A https://x.example/faq | y"
    change = compose_topic(stored, TEMPLATE, GRACE)
    assert same_topic(change.topic, stored)


def test_other_segments_give_way_from_the_end_to_fit() -> None:
    current = "On support: Ada (<@U0ADA>) | keep me | " + "a" * 120 + " | " + "b" * 120
    change = compose_topic(current, TEMPLATE, GRACE)
    assert len(change.topic) <= TOPIC_LIMIT
    assert change.topic == "On support: Grace Hopper (<@U0GRACE>) | keep me | " + "a" * 120
    assert change.dropped == ("b" * 120,)


def test_our_segment_alone_too_long_is_cut() -> None:
    change = compose_topic("", "{name}", {"name": "n" * 300})
    assert len(change.topic) == TOPIC_LIMIT and change.topic.endswith("…")


def test_our_segment_is_recognised_again_on_the_next_run() -> None:
    first = compose_topic("Docs", "Support: {name}", {"name": "Ada"}).topic
    second = compose_topic(first, "Support: {name}", {"name": "Grace"}).topic
    assert second == "Support: Grace | Docs"
