"""Subscriptions: the store, the subscribe/unsubscribe/subscriptions commands, who may change them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from briefing.appstate import Context
from briefing.caller import Caller
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import (
    ALL_TOPICS,
    SubscriptionStatus,
    SubscriptionStore,
    channel_of,
)
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from handlers import dispatch
from handlers.subscribe import ParseError, SubscribeRequest, parse_request

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SLACK_C1 = ChannelRef("slack", "T1", "C1")
CONSOLE = ChannelRef("console", "console", "console")


def slack_ctx(
    ctx: Context, *, channel: str = "C1", admin: bool = True, user: str = "U1"
) -> Context:
    caller = Caller(
        platform="slack", user_id=user, workspace_id="T1", channel_id=channel, is_admin=admin
    )
    return replace(ctx, caller=caller)


# -- the store ----------------------------------------------------------------------------------


def test_store_subscribe_updates_the_one_row(ctx: Context) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    first = store.subscribe(
        SLACK_C1, at=time(8), tz="Europe/Berlin", topics=ALL_TOPICS, by_user="U1", now=T0
    )
    later = T0.replace(day=2)
    second = store.subscribe(
        SLACK_C1,
        at=time(7, 30),
        tz="America/New_York",
        topics=frozenset({"sanctions"}),
        by_user="U2",
        now=later,
    )
    assert first.status is SubscriptionStatus.ACTIVE
    assert (second.at, second.tz, second.topics) == (
        time(7, 30),
        "America/New_York",
        frozenset({"sanctions"}),
    )
    assert second.created_at == T0
    assert second.updated_at == later
    assert second.created_by == "U2"
    assert store.list_for_workspace("slack", "T1") == [second]
    assert second.schedule_id == "sub:slack:T1:C1"


def test_store_pause_unsubscribe_and_listing(ctx: Context) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    for channel_id in ("C1", "C2", "C3"):
        store.subscribe(
            ChannelRef("slack", "T1", channel_id),
            at=time(8),
            tz="UTC",
            topics=ALL_TOPICS,
            by_user="U1",
            now=T0,
        )
    store.subscribe(
        ChannelRef("slack", "T2", "C9"),
        at=time(8),
        tz="UTC",
        topics=ALL_TOPICS,
        by_user="U",
        now=T0,
    )
    assert store.pause(ChannelRef("slack", "T1", "C2"), "channel_not_found", T0)
    assert not store.pause(ChannelRef("slack", "T1", "C2"), "again", T0)
    assert store.unsubscribe(ChannelRef("slack", "T1", "C3"), "U1", T0)
    assert not store.unsubscribe(ChannelRef("slack", "T1", "C3"), "U1", T0)
    assert not store.unsubscribe(ChannelRef("slack", "T1", "C404"), "U1", T0)

    assert [s.channel.channel_id for s in store.active()] == ["C1", "C9"]
    listed = store.list_for_workspace("slack", "T1")
    assert [(s.channel.channel_id, s.status) for s in listed] == [
        ("C1", SubscriptionStatus.ACTIVE),
        ("C2", SubscriptionStatus.PAUSED),
    ]
    assert listed[1].paused_reason == "channel_not_found"
    removed = store.get(ChannelRef("slack", "T1", "C3"))
    assert removed is not None
    assert removed.status is SubscriptionStatus.REMOVED
    assert store.get(ChannelRef("slack", "T1", "C404")) is None


def test_store_rejects_bad_zone_topics_and_naive_time(ctx: Context) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    with pytest.raises(ValueError, match="Berln"):
        store.subscribe(
            SLACK_C1, at=time(8), tz="Europe/Berln", topics=ALL_TOPICS, by_user="U", now=T0
        )
    with pytest.raises(ValueError, match="topics"):
        store.subscribe(
            SLACK_C1, at=time(8), tz="UTC", topics=frozenset({"weather"}), by_user="U", now=T0
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        store.subscribe(
            SLACK_C1,
            at=time(8),
            tz="UTC",
            topics=ALL_TOPICS,
            by_user="U",
            now=T0.replace(tzinfo=None),
        )
    assert store.get(SLACK_C1) is None


def test_channel_of_caller() -> None:
    assert channel_of(Caller(platform="console")) == CONSOLE
    assert channel_of(Caller(platform="slack", workspace_id="T1", channel_id="C1")) == SLACK_C1
    assert channel_of(Caller(platform="slack", workspace_id="T1")) is None


# -- parsing ------------------------------------------------------------------------------------

ALERTS = frozenset({"sanctions", "trade"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SubscribeRequest()),
        ("daily", SubscribeRequest()),
        ("daily 08:00 Europe/Berlin", SubscribeRequest(time(8), "Europe/Berlin")),
        (
            "7:30 America/New_York sanctions",
            SubscribeRequest(time(7, 30), "America/New_York", frozenset({"digest", "sanctions"})),
        ),
        ("sanctions trade", SubscribeRequest(topics=ALERTS)),
        ("sanctions, trade", SubscribeRequest(topics=ALERTS)),
        ("alerts", SubscribeRequest(topics=ALERTS)),
        ("digest", SubscribeRequest(topics=frozenset({"digest"}))),
        ("europe/berlin 8:05", SubscribeRequest(time(8, 5), "Europe/Berlin")),
        ("Europe/Berlin daily at 18.45", SubscribeRequest(time(18, 45), "Europe/Berlin")),
        ("7pm utc", SubscribeRequest(time(19), "UTC")),
        ("8:30 am Asia/Shanghai", SubscribeRequest(time(8, 30), "Asia/Shanghai")),
        ("12am UTC", SubscribeRequest(time(0), "UTC")),
        ("DAILY 06:00 Europe/Moscow ALL", SubscribeRequest(time(6), "Europe/Moscow", ALL_TOPICS)),
    ],
)
def test_parse_request(text: str, expected: SubscribeRequest) -> None:
    assert parse_request(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00", "'25:00' is not a time of day"),
        ("daily 8:75", "'8:75' is not a time of day"),
        ("13pm", "'13pm' is not a time of day"),
        ("8:5", "I can't read '8:5' as a time of day"),
        ("08:00 09:00", "two times, 08:00 and 09:00"),
        ("Europe/Berlin Asia/Tokyo", "two time zones"),
        ("08:00 Europe/Berln", "I don't know the time zone 'Europe/Berln'"),
        ("weekly", "I can't read 'weekly'"),
        ("daily 08:00 Mars/Olympus", "'Mars/Olympus'"),
    ],
)
def test_parse_errors_name_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_request(text)
    assert message in raised.value.message


def test_misspelt_zone_gets_a_suggestion() -> None:
    with pytest.raises(ParseError) as raised:
        parse_request("08:00 Europe/Berln")
    assert raised.value.hints == ("Did you mean Europe/Berlin?",)


# -- the commands -------------------------------------------------------------------------------


def test_subscribe_with_defaults_at_the_console(ctx: Context) -> None:
    reply = dispatch("subscribe", ctx)
    text = render_text(reply)
    assert reply.kind is ReplyKind.ANSWER
    assert "daily digest at 08:00 UTC; sanctions and trade alerts" in text
    assert "Next digest:" in text
    sub = SubscriptionStore(ctx.brief.engine).get(CONSOLE)
    assert sub is not None
    assert (sub.at, sub.tz, sub.topics, sub.created_by) == (time(8), "UTC", ALL_TOPICS, "U1")


def test_subscribe_in_slack_and_resubscribe_updates(ctx: Context) -> None:
    admin = slack_ctx(ctx)
    reply = dispatch("subscribe daily 08:00 Europe/Berlin", admin)
    assert "daily digest at 08:00 Europe/Berlin" in render_text(reply)
    reply = dispatch("subscribe 7:30 America/New_York sanctions", admin)
    assert "daily digest at 07:30 America/New_York; sanctions alerts" in render_text(reply)
    store = SubscriptionStore(ctx.brief.engine)
    subs = store.list_for_workspace("slack", "T1")
    assert len(subs) == 1
    assert subs[0].topics == frozenset({"digest", "sanctions"})

    reply = dispatch("subscribe sanctions trade", admin)
    assert render_text(reply).startswith("This channel now gets the sanctions and trade alerts.")
    assert "Next digest" not in render_text(reply)


def test_subscribe_usage_errors_are_helpful(ctx: Context) -> None:
    reply = dispatch("subscribe daily 25:00 Europe/Berlin", ctx)
    assert reply.kind is ReplyKind.USAGE_ERROR
    assert "'25:00' is not a time of day" in render_text(reply)
    assert "/brief help subscribe" in render_text(reply)

    reply = dispatch("subscribe every morning please", ctx)
    assert reply.kind is ReplyKind.USAGE_ERROR
    assert "I can't read 'morning'" in render_text(reply)
    assert SubscriptionStore(ctx.brief.engine).get(CONSOLE) is None


REFUSAL = (
    "Only workspace admins or the bot's configured admins can change this channel's subscription."
)


@pytest.mark.parametrize("command", ["subscribe daily 08:00 Europe/Berlin", "unsubscribe"])
def test_non_admins_get_a_private_refusal(ctx: Context, command: str) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    store.subscribe(SLACK_C1, at=time(9), tz="UTC", topics=ALL_TOPICS, by_user="U1", now=T0)

    reply = dispatch(command, slack_ctx(ctx, admin=False, user="U2"))

    assert reply.kind is ReplyKind.REFUSAL
    text = render_text(reply)
    assert text.startswith(REFUSAL)
    assert "Ask an admin, or see `/brief subscriptions` for what this channel receives." in text
    sub = store.get(SLACK_C1)
    assert sub is not None
    assert (sub.at, sub.status) == (time(9), SubscriptionStatus.ACTIVE)


def test_unsubscribe_everything_or_some_topics(ctx: Context) -> None:
    admin = slack_ctx(ctx)
    store = SubscriptionStore(ctx.brief.engine)
    reply = dispatch("unsubscribe", admin)
    assert "no subscription" in render_text(reply)

    dispatch("subscribe 08:00 Europe/Berlin", admin)
    reply = dispatch("unsubscribe trade", admin)
    assert "only the daily digest at 08:00 Europe/Berlin; sanctions alerts" in render_text(reply)
    sub = store.get(SLACK_C1)
    assert sub is not None
    assert sub.topics == frozenset({"digest", "sanctions"})

    reply = dispatch("unsubscribe 08:00", admin)
    assert reply.kind is ReplyKind.USAGE_ERROR

    reply = dispatch("unsubscribe", admin)
    assert "no more digests or alerts" in render_text(reply)
    sub = store.get(SLACK_C1)
    assert sub is not None
    assert sub.status is SubscriptionStatus.REMOVED
    assert store.active() == []


def test_subscriptions_shows_this_channel_and_the_workspace(ctx: Context) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    viewer = slack_ctx(ctx, admin=False, user="U7")
    text = render_text(dispatch("subscriptions", viewer))
    assert "Nothing yet" in text

    store.subscribe(
        SLACK_C1, at=time(8), tz="Europe/Berlin", topics=ALL_TOPICS, by_user="U1", now=T0
    )
    store.subscribe(
        ChannelRef("slack", "T1", "C2"),
        at=time(8),
        tz="UTC",
        topics=frozenset({"trade"}),
        by_user="U1",
        now=T0,
    )
    store.subscribe(
        ChannelRef("slack", "T1", "C3"),
        at=time(6),
        tz="UTC",
        topics=ALL_TOPICS,
        by_user="U1",
        now=T0,
    )
    store.pause(ChannelRef("slack", "T1", "C3"), "not_in_channel", T0)
    store.subscribe(
        ChannelRef("slack", "T2", "C9"),
        at=time(8),
        tz="UTC",
        topics=ALL_TOPICS,
        by_user="U",
        now=T0,
    )

    text = render_text(dispatch("subscriptions", viewer))
    assert "Daily digest at 08:00 Europe/Berlin; sanctions and trade alerts." in text
    assert "C2: trade alerts" in text
    assert "C3: paused since 1 Mar 2024 (not_in_channel)" in text
    assert "C9" not in text  # another workspace
    assert "C1:" not in text  # this channel is described above, not listed again


def test_help_lists_the_subscription_commands(ctx: Context) -> None:
    text = render_text(dispatch("help", ctx))
    for usage in ("/brief subscribe [daily HH:MM]", "/brief unsubscribe", "/brief subscriptions"):
        assert usage in text
    detail = render_text(dispatch("help subscribe", ctx))
    assert "Admins only" in detail
    assert "subscribe daily 08:00 Europe/Berlin" in detail


def test_slack_caller_without_a_channel_is_told_where_to_run_it(ctx: Context) -> None:
    caller = Caller(platform="slack", user_id="U1", workspace_id="T1", is_admin=True)
    reply = dispatch("subscribe", replace(ctx, caller=caller))
    assert reply.kind is ReplyKind.USAGE_ERROR
    assert "belong to a channel" in render_text(reply)
