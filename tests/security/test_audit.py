"""The audit log of subscription changes: written by the store, shown to admins by
``subscriptions --log``, escaped and in UTC."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, timezone

from briefing.appstate import Context
from briefing.caller import Caller
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import ALL_TOPICS, SubscriptionStatus, SubscriptionStore
from briefing.render.slack_blocks import render_blocks
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from briefing.security import audit
from briefing.security.audit import AuditAction
from handlers import dispatch
from tests.fakes.fake_slack import iter_texts

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
C1 = ChannelRef("slack", "T1", "C1")
C2 = ChannelRef("slack", "T1", "C2")
OTHER_TEAM = ChannelRef("slack", "T2", "C1")


def slack_ctx(ctx: Context, *, admin: bool = True, team: str = "T1", user: str = "U1") -> Context:
    caller = Caller(
        platform="slack", user_id=user, workspace_id=team, channel_id="C1", is_admin=admin
    )
    return replace(ctx, caller=caller, now=T0)


def actions(ctx: Context, team: str = "T1") -> list[tuple[str, str | None, AuditAction, str]]:
    """(channel, user, action, details), oldest first."""
    entries = audit.recent(ctx.brief.engine, "slack", team, limit=100)
    return [(e.channel_id, e.user_id, e.action, e.details) for e in reversed(entries)]


def test_every_change_is_recorded_with_who_and_what(ctx: Context) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    store.subscribe(C1, at=time(8), tz="Europe/Berlin", topics=ALL_TOPICS, by_user="U1", now=T0)
    store.subscribe(
        C1,
        at=time(7, 30),
        tz="Europe/Berlin",
        topics=frozenset({"digest"}),
        by_user="U2",
        now=T0 + timedelta(hours=1),
    )
    assert store.pause(C1, "channel_not_found", T0 + timedelta(hours=2))
    assert not store.pause(C1, "again", T0 + timedelta(hours=3))  # nothing changed: no entry
    store.subscribe(
        C1, at=time(8), tz="UTC", topics=ALL_TOPICS, by_user="U3", now=T0 + timedelta(hours=4)
    )
    assert store.unsubscribe(C1, "U4", T0 + timedelta(hours=5))
    assert not store.unsubscribe(C1, "U4", T0 + timedelta(hours=6))
    assert actions(ctx) == [
        ("C1", "U1", AuditAction.SUBSCRIBE, "08:00 Europe/Berlin; topics digest,sanctions,trade"),
        (
            "C1",
            "U2",
            AuditAction.SUBSCRIBE,
            "07:30 Europe/Berlin; topics digest "
            "(was 08:00 Europe/Berlin; topics digest,sanctions,trade)",
        ),
        ("C1", None, AuditAction.PAUSE, "channel_not_found"),
        (
            "C1",
            "U3",
            AuditAction.RESUME,
            "08:00 UTC; topics digest,sanctions,trade (was paused: channel_not_found)",
        ),
        ("C1", "U4", AuditAction.UNSUBSCRIBE, ""),
    ]
    newest = audit.recent(ctx.brief.engine, "slack", "T1", limit=1)[0]
    assert newest.at == T0 + timedelta(hours=5)
    assert newest.at.tzinfo is not None


def test_pause_workspace_pauses_only_that_workspaces_active_subscriptions(ctx: Context) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    for channel in (C1, C2, OTHER_TEAM):
        store.subscribe(channel, at=time(8), tz="UTC", topics=ALL_TOPICS, by_user="U1", now=T0)
    store.unsubscribe(C2, "U1", T0)
    assert store.pause_workspace("slack", "T1", "app_uninstalled", T0 + timedelta(minutes=1)) == 1
    assert store.pause_workspace("slack", "T1", "app_uninstalled", T0 + timedelta(minutes=2)) == 0
    c1 = store.get(C1)
    assert c1 is not None
    assert (c1.status, c1.paused_reason) == (SubscriptionStatus.PAUSED, "app_uninstalled")
    c2 = store.get(C2)
    assert c2 is not None
    assert c2.status is SubscriptionStatus.REMOVED
    other = store.get(OTHER_TEAM)
    assert other is not None
    assert other.status is SubscriptionStatus.ACTIVE
    assert actions(ctx)[-1] == ("C1", None, AuditAction.PAUSE, "app_uninstalled")
    assert [a for _, _, a, _ in actions(ctx, "T2")] == [AuditAction.SUBSCRIBE]


def test_the_log_command_shows_the_last_20_of_this_workspace_to_admins(ctx: Context) -> None:
    admin = slack_ctx(ctx)
    berlin = timezone(timedelta(hours=1))
    for minute in range(25):
        when = datetime(2026, 11, 23, 10, minute, tzinfo=berlin)  # 09:MM UTC
        assert dispatch(f"subscribe daily 08:{minute:02d} UTC", replace(admin, now=when)).kind is (
            ReplyKind.ANSWER
        )
    other = replace(slack_ctx(ctx, team="T2", user="UOTHER"), now=T0)
    dispatch("subscribe", other)

    reply = dispatch("subscriptions --log", admin)
    assert reply.title == "Subscription log"
    lines = [line.text for section in reply.sections for line in section.lines]
    assert len(lines) == 20
    assert lines[0].startswith("2026-11-23 09:24 UTC · subscribe · C1 · by U1 — 08:24 UTC")
    assert lines[-1].startswith("2026-11-23 09:05 UTC · subscribe · C1 · by U1")
    assert not any("UOTHER" in line for line in lines)
    assert "Times are UTC" in render_text(reply)


def test_only_admins_read_the_log(ctx: Context) -> None:
    dispatch("subscribe", slack_ctx(ctx))
    reply = dispatch("subscriptions --log", slack_ctx(ctx, admin=False, user="U2"))
    assert reply.kind is ReplyKind.REFUSAL
    assert "admins" in render_text(reply)
    assert "U1" not in render_text(reply)


def test_an_empty_log_says_so(ctx: Context) -> None:
    reply = dispatch("subscriptions --log", slack_ctx(ctx, team="TEMPTY"))
    assert "No subscription changes" in render_text(reply)


def test_the_log_works_at_the_console(ctx: Context) -> None:
    dispatch("subscribe", replace(ctx, now=T0))
    reply = dispatch("subscriptions --log", ctx)
    assert "subscribe · console · by U1" in render_text(reply)


def test_log_entries_are_escaped_in_slack_blocks(ctx: Context) -> None:
    store = SubscriptionStore(ctx.brief.engine)
    hostile = "<!channel> <@U123> <https://evil.example|click>"
    store.subscribe(C1, at=time(8), tz="UTC", topics=ALL_TOPICS, by_user=hostile, now=T0)
    store.pause(C1, "<!here> & <#C123>", T0)
    blocks, fallback = render_blocks(dispatch("subscriptions --log", slack_ctx(ctx)))
    rendered = " ".join([*iter_texts(blocks), fallback])
    for raw in ("<!channel>", "<@U123>", "<https://evil.example", "<!here>", "<#C123>"):
        assert raw not in rendered
    assert "&lt;!channel&gt;" in rendered
    assert "&lt;!here&gt; &amp; &lt;#C123&gt;" in rendered
