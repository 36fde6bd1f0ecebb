"""The per-user limit on expensive commands: the limiter itself, and through ``dispatch``."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from briefing.appstate import Context
from briefing.caller import Caller
from briefing.ratelimit import WINDOW_S, RateLimiter
from briefing.render.slack_blocks import render_blocks
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from handlers import COMMANDS, dispatch

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_five_a_minute_then_a_refusal_that_says_when() -> None:
    limiter = RateLimiter(5)
    key = ("slack", "T1", "U1")
    for i in range(5):
        assert limiter.take(key, at(i * 10)) is None
    refusal = limiter.take(key, at(45))
    assert refusal is not None
    assert refusal.count == 5
    assert refusal.retry_after_s == pytest.approx(15.0)  # the first one leaves the window at 60
    assert limiter.take(key, at(59.9)) is not None
    assert limiter.take(key, at(60)) is None  # one slot free again
    assert limiter.take(key, at(60.5)) is not None


def test_refusals_are_not_counted() -> None:
    limiter = RateLimiter(2)
    key = ("discord", "G1", "U1")
    assert limiter.take(key, at(0)) is None
    assert limiter.take(key, at(1)) is None
    for i in range(50):  # hammering does not push the next slot further away
        assert limiter.take(key, at(2 + i / 100)) is not None
    assert limiter.take(key, at(WINDOW_S)) is None


def test_users_workspaces_and_platforms_are_counted_apart() -> None:
    limiter = RateLimiter(1)
    keys = [
        ("slack", "T1", "U1"),
        ("slack", "T1", "U2"),
        ("slack", "T2", "U1"),
        ("discord", "T1", "U1"),
    ]
    for key in keys:
        assert limiter.take(key, at(0)) is None
    for key in keys:
        assert limiter.take(key, at(1)) is not None


def test_requests_arriving_out_of_order_keep_the_window_right() -> None:
    limiter = RateLimiter(3)
    key = ("slack", "T1", "U1")
    assert limiter.take(key, at(30)) is None
    assert limiter.take(key, at(10)) is None  # a slower thread's earlier arrival
    assert limiter.take(key, at(20)) is None
    refusal = limiter.take(key, at(31))
    assert refusal is not None
    assert refusal.retry_after_s == pytest.approx(39.0)  # the one at 10 s leaves first


def test_a_clock_that_goes_back_never_makes_a_negative_wait() -> None:
    limiter = RateLimiter(1)
    key = ("slack", "T1", "U1")
    assert limiter.take(key, at(100)) is None
    refusal = limiter.take(key, at(0))
    assert refusal is not None
    assert refusal.retry_after_s >= 0


def test_memory_stays_bounded_under_many_users() -> None:
    limiter = RateLimiter(5, max_users=100)
    for i in range(1000):
        limiter.take(("slack", "T1", f"U{i}"), at(i / 1000))
    assert len(limiter._accepted) <= 100


def test_the_limit_must_allow_something() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(0)


# -- through dispatch, as every platform calls it ----------------------------------------------


def _ctx(ctx: Context, *, platform: str = "slack", user: str = "U1", team: str = "T1") -> Context:
    caller = Caller(platform=platform, user_id=user, workspace_id=team, channel_id="C1")
    return dataclasses.replace(ctx, caller=caller, now=T0)


EXPENSIVE = [c.name for c in COMMANDS if c.expensive]


def test_expensive_commands_are_limited_per_user(ctx: Context) -> None:
    assert {"ask", "chart"} <= set(EXPENSIVE)
    slack = _ctx(ctx)
    questions = ["ask what was trade in 2024?", "chart trade", "what was trade in 2023?"]
    for i in range(5):
        reply = dispatch(questions[i % 3], slack)
        assert reply.kind is not ReplyKind.REFUSAL, render_text(reply)
    refused = dispatch("chart trade", dataclasses.replace(slack, now=at(30)))
    assert refused.kind is ReplyKind.REFUSAL
    text = render_text(refused)
    assert "You've asked for 5 slow answers (" in text
    assert "ask" in text
    assert "chart" in text
    assert "in the last minute; try again in 30 s." in text
    _blocks, fallback = render_blocks(refused)
    assert "try again in 30 s" in fallback

    # Quick commands still work, and other people are not affected.
    assert dispatch("trade 2024", slack).kind is ReplyKind.ANSWER
    assert dispatch("help", slack).kind is ReplyKind.HELP
    assert dispatch("ask trade in 2024", _ctx(ctx, user="U2")).kind is not ReplyKind.REFUSAL
    assert dispatch("chart trade", _ctx(ctx, team="T2")).kind is not ReplyKind.REFUSAL
    assert dispatch("chart trade", _ctx(ctx, platform="discord")).kind is not ReplyKind.REFUSAL
    # A minute after the first, the next is allowed.
    later = dataclasses.replace(slack, now=at(WINDOW_S))
    assert dispatch("chart trade", later).kind is not ReplyKind.REFUSAL


def test_the_console_is_never_limited(ctx: Context) -> None:
    console = dataclasses.replace(ctx, now=T0)
    for _ in range(12):
        assert dispatch("chart trade", console).kind is not ReplyKind.REFUSAL


def test_the_limit_comes_from_the_settings(ctx: Context) -> None:
    settings = ctx.brief.settings.model_copy(update={"expensive_commands_per_minute": 1})
    brief = dataclasses.replace(ctx.brief, settings=settings)
    limited = dataclasses.replace(_ctx(ctx, user="U9"), brief=brief)
    assert dispatch("chart trade", limited).kind is not ReplyKind.REFUSAL
    reply = dispatch("chart trade", limited)
    assert reply.kind is ReplyKind.REFUSAL
    assert "You've asked for 1 slow answer (" in render_text(reply)
