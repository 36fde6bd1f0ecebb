from __future__ import annotations

from briefing.appstate import Context
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from handlers import dispatch


def test_trade_year_gives_totals_flows_and_sources(ctx: Context) -> None:
    reply = dispatch("trade 2024", ctx)
    text = render_text(reply)
    assert reply.kind is ReplyKind.ANSWER
    assert "$244.8 bn" in text
    assert "+1.9% on 2023" in text
    assert "China → Russia 2024: $115.5 bn" in text
    assert "Russia → China 2024: $129.3 bn" in text
    assert "bne.eu" in text
    assert "Data as of 13 Jan 2025" in text


def test_trade_unknown_year_says_so(ctx: Context) -> None:
    reply = dispatch("trade 1995", ctx)
    assert reply.kind is ReplyKind.NO_DATA
    assert "no China–Russia trade figure for 1995" in render_text(reply)
    assert "$" not in render_text(reply)


def test_trade_bad_period_is_a_usage_error(ctx: Context) -> None:
    reply = dispatch("trade 2024-13", ctx)
    assert reply.kind is ReplyKind.USAGE_ERROR
    assert "month must be 01–12" in render_text(reply)


def test_trade_and_chart_refuse_a_period_in_the_same_words(ctx: Context) -> None:
    for text in ("2024-13", "2025..2019", "soon"):
        trade = dispatch(f"trade {text}", ctx)
        chart = dispatch(f"chart trade {text}", ctx)
        assert trade.kind is ReplyKind.USAGE_ERROR
        assert render_text(trade) == render_text(chart)
