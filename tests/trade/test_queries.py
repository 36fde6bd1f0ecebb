"""`/brief trade` over ingested data: HS chapters, top movers, year to date on the same months."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from briefing.appstate import Briefing, Context
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from briefing.settings import PROJECT_ROOT
from briefing.trade.index import TradeIndex
from briefing.trade.model import Flow, Period
from briefing.trade.queries import figure_for
from handlers import dispatch, find

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "trade"
TODAY = date(2025, 12, 1)


@pytest.fixture
def loaded(brief: Briefing) -> Context:
    for name, as_of in (
        ("comtrade_cn_ru_annual.csv", date(2025, 6, 30)),
        ("comtrade_cn_ru_monthly.json", date(2025, 4, 20)),
        ("customs_releases.csv", None),
    ):
        ingest(
            brief,
            [FIXTURES / name],
            IngestOptions(as_of=as_of, today=TODAY),
            datetime(2025, 12, 1, tzinfo=UTC),
        )
    return Context(brief=brief, today=TODAY)


def say(ctx: Context, command: str) -> str:
    return render_text(dispatch(command, ctx))


def test_chapters_list_each_chapter_with_yoy_and_share(loaded: Context) -> None:
    reply = dispatch("trade 2024 chapters", loaded)
    text = render_text(reply)
    assert reply.title == "China–Russia trade by HS chapter, 2024 (USD)"
    headings = [s.heading for s in reply.sections]
    # Largest first: fuels (mostly imports), machinery, vehicles, electronics.
    assert headings[:4] == [
        "Mineral fuels (HS 27)",
        "Machinery (HS 84)",
        "Vehicles (HS 87)",
        "Electrical machinery and electronics (HS 85)",
    ]
    assert "Russia → China 2024: $95.80 bn, +1.4% on 2023; 74% of the flow" in text
    assert "China → Russia 2024: $18.60 bn, −20.2% on 2023; 16% of the flow" in text
    assert "Russia → China 2024: $0.04 bn, −20.0% on 2023; <1% of the flow" in text
    assert "UN Comtrade (China's reported trade with Russia), 30 Jun 2025" in text


@pytest.mark.parametrize("command", ["trade 2024 hs 87", "trade 2024 vehicles", "trade 2024 hs87"])
def test_one_chapter_by_number_or_word(loaded: Context, command: str) -> None:
    reply = dispatch(command, loaded)
    text = render_text(reply)
    assert reply.title == "China–Russia trade in Vehicles (HS 87), 2024 (USD)"
    assert "Vehicles (HS 87) — China → Russia 2024: $18.60 bn, −20.2% on 2023" in text
    assert "Vehicles (HS 87) — China → Russia Feb 2024: $1.50 bn" in text


def test_top_movers_rank_changes_by_size(loaded: Context) -> None:
    reply = dispatch("trade 2024 movers", loaded)
    assert reply.title == "China–Russia trade: top movers by HS chapter, 2024 vs 2023"
    falls = next(s for s in reply.sections if s.heading == "Biggest falls")
    rises = next(s for s in reply.sections if s.heading == "Biggest rises")
    assert falls.lines[0].text.startswith("Vehicles (HS 87), China → Russia 2024: $18.60 bn")
    assert falls.lines[0].text.endswith("(−$4.70 bn)")
    assert rises.lines[0].text.startswith("Mineral fuels (HS 27), Russia → China 2024")


def test_a_month_shows_year_to_date_over_the_same_months(loaded: Context) -> None:
    # No outlet reported Jan–Mar 2024 as such: the year to date is summed from the months.
    text = say(loaded, "trade 2024-03")
    assert "Year to date, on the same months a year earlier" in text
    assert (
        "Total trade Jan–Mar 2024: $57.21 bn (sum of 3 monthly figures), "
        "+6.3% on Jan–Mar 2023 (same months)"
    ) in text
    assert "China → Russia Jan–Mar 2024: $25.81 bn (sum of 3 monthly figures)" in text


def test_a_reported_year_to_date_keeps_its_stated_change(loaded: Context) -> None:
    # China customs reported Jan–Mar 2025 itself (−6.6%): that figure and its stated change
    # win over a sum of another dataset's months and over a change computed from them.
    text = say(loaded, "trade 2025-03")
    assert (
        "Total trade Jan–Mar 2025: $53.21 bn, −6.6% on Jan–Mar 2024 — China customs (GACC), "
        "as reported by Sputnik (Chinese service)"
    ) in text
    assert "sum of 3 monthly figures" not in text
    assert "Total trade Mar 2025 — sources differ:" in text


def test_a_year_without_an_annual_figure_shows_the_year_so_far(loaded: Context) -> None:
    text = say(loaded, "trade 2025")
    assert "2025 so far" in text
    assert "Total trade Jan–Oct 2025: $180.0 bn, −11.0% on Jan–Oct 2024" in text


def test_chapter_of_a_year_in_progress_sums_its_months(loaded: Context) -> None:
    text = say(loaded, "trade 2025 vehicles")
    assert (
        "Vehicles (HS 87) — China → Russia Jan–Mar 2025: $2.70 bn (sum of 3 monthly figures), "
        "−43.7% on Jan–Mar 2024 (same months)"
    ) in text


def test_movers_for_a_year_in_progress_use_the_same_months(loaded: Context) -> None:
    reply = dispatch("trade 2025 movers", loaded)
    assert reply.title.endswith("Jan–Mar 2025 vs Jan–Mar 2024")


def test_chapter_words_without_a_period_use_the_latest_year(loaded: Context) -> None:
    assert dispatch("trade chapters", loaded).title.endswith("Jan–Mar 2025 (USD)")


def test_without_chapter_data_the_reply_says_where_it_comes_from(ctx: Context) -> None:
    reply = dispatch("trade 2024 chapters", ctx)
    assert reply.kind is ReplyKind.NO_DATA
    assert "no HS-chapter breakdown" in render_text(reply)
    assert "bot.py ingest" in render_text(reply)


def test_bad_chapter_is_a_usage_error(ctx: Context) -> None:
    reply = dispatch("trade 2024 hs x7", ctx)
    assert reply.kind is ReplyKind.USAGE_ERROR
    assert dispatch("trade 2022..2024 movers", ctx).kind is ReplyKind.USAGE_ERROR


def test_bundled_replies_are_unchanged_without_ingested_data(ctx: Context) -> None:
    text = say(ctx, "trade 2024")
    assert "Total trade 2024: $244.8 bn, +1.9% on 2023" in text
    assert "chapters" not in text


def test_ingested_and_bundled_figures_for_one_period_are_both_shown(loaded: Context) -> None:
    text = say(loaded, "trade 2024")
    assert "Total trade 2024: $244.8 bn, +1.9% on 2023 — China customs (GACC)" in text
    assert "UN Comtrade (China's reported trade with Russia), 30 Jun 2025" in text
    assert "/brief trade 2024 chapters" in text


def test_help_lists_the_new_forms() -> None:
    command = find("trade")
    assert command is not None
    for form in ("chapters", "movers", "hs 87", "vehicles"):
        assert form in command.help_text
    chart = find("chart")
    assert chart is not None
    assert chart.expensive


def test_a_sum_of_months_from_several_pages_names_every_outlet(brief: Briefing) -> None:
    index = brief.trade
    quarter = Period(2023, 7, 9)
    months = [
        index.get(Period.month_of(2023, m), Flow.TOTAL, date(2024, 1, 1), "TOTAL")[-1]
        for m in (7, 8, 9)
    ]
    figure = figure_for(index, quarter, Flow.TOTAL, date(2024, 1, 1))
    assert figure is not None
    assert figure.months_summed == 3
    assert figure.value_usd_bn == pytest.approx(sum(o.value_usd_bn for o in months))
    outlets = {o.source.title.removeprefix("China customs (GACC), as reported by ") for o in months}
    assert len(outlets) > 1  # the bundled pack has these months from different pages
    for outlet in outlets:
        assert outlet in figure.source.title
    assert figure.source.url is None  # no single page holds the sum
    assert figure.source.as_of == max(o.source.as_of for o in months if o.source.as_of)


def test_the_index_an_ingest_leaves_is_the_one_read_back_from_the_database(
    loaded: Context,
) -> None:
    """Each ingest hands the next query an index of what it committed, built on first use;
    it answers as an index built from the database does."""
    brief = loaded.brief
    left = brief.trade
    brief._prepared_trade = None
    brief.refresh()  # read back from the database
    again = brief.trade
    assert left is not again
    assert len(left) == len(again)
    # Oldest first; figures published on one day in either order.
    assert Counter(left.observations()) == Counter(again.observations())
    assert [o.published_on for o in left.observations()] == [
        o.published_on for o in again.observations()
    ]
    for period in again.periods(TODAY):
        for flow in Flow:
            for chapter in ["TOTAL", *again.chapters(period, TODAY)]:
                assert left.get(period, flow, TODAY, chapter) == again.get(
                    period, flow, TODAY, chapter
                )
    deferred = TradeIndex.deferred(again.observations)
    assert deferred.latest_release(TODAY) == again.latest_release(TODAY)
    assert deferred.coverage(TODAY) == again.coverage(TODAY)
