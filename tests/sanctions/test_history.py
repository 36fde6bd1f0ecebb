"""OFAC designation history: counts per month, "when was X designated?", the chart, the ask
hooks — and nothing after the as-of date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from briefing.appstate import Briefing, Context
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from briefing.sanctions.history import (
    RUSSIA,
    HistoryError,
    SanctionsHistory,
    Scope,
    designations_in,
    entity_history,
    listed_by_country,
    load_history,
    monthly_designations,
    parse_scope,
)
from briefing.sanctions.list_replies import answer_sanctions_question, history_count_reply
from briefing.settings import PROJECT_ROOT
from handlers import dispatch
from tests.conftest import OFAC_SNAPSHOTS

DATA = PROJECT_ROOT / "data"
END = date(2024, 2, 23)


@pytest.fixture(scope="module")
def history() -> SanctionsHistory:
    return load_history(DATA)


def test_the_bundled_history_loads(history: SanctionsHistory) -> None:
    assert history.baseline == date(2021, 8, 18)
    assert history.last == END
    assert len(history.changes) == 17_190
    assert load_history(DATA) is history  # read once per process


def test_russia_designations_per_month_with_china_links_apart(history: SanctionsHistory) -> None:
    months = monthly_designations(history, date(2024, 3, 1))
    assert months[0].month == date(2021, 8, 1)
    assert months[-1].month == date(2024, 2, 1)
    feb = months[-1]
    # The 23 Feb 2024 action: 552 under RUSSIA-EO14024 that day, 10 linked to China/HK.
    assert (feb.added, feb.apart) == (557, 10)
    march_2022 = next(m for m in months if m.month == date(2022, 3, 1))
    assert march_2022.added == 549
    # The first scrape is the list as it stood, not 9,000 designations in a day.
    assert months[0].added < 100


def test_scopes(history: SanctionsHistory) -> None:
    assert parse_scope("", history) == RUSSIA
    assert parse_scope("Hong Kong", history) == Scope("hong kong")
    assert parse_scope("hk", history) == Scope("hong kong")
    assert parse_scope("china", history) == Scope("china")
    assert parse_scope("russia-eo14024", history) == Scope("programme", "RUSSIA-EO14024")
    assert parse_scope("vladimir putin", history) is None
    china = monthly_designations(history, date(2024, 3, 1), Scope("china"))
    # For a China scope the Russia-programme designations are the ones counted apart.
    assert next(m for m in china if m.month == date(2023, 12, 1)).apart == 22
    hk = sum(m.added for m in monthly_designations(history, date(2024, 3, 1), Scope("hong kong")))
    assert 0 < hk < sum(m.added for m in china)
    assert designations_in(history, date(2023, 1, 1), date(2023, 12, 31), END) == (1682, 38)


def test_point_in_time(history: SanctionsHistory) -> None:
    as_of = date(2022, 2, 25)
    months = monthly_designations(history, as_of)
    assert months[-1].month == date(2022, 2, 1)
    assert all(c.day <= as_of for c in history.known(as_of))
    assert entity_history(history, "Vladimir Putin", as_of) == []
    found = entity_history(history, "Vladimir Putin", date(2022, 2, 26))
    assert found[0].ent_num == "35096"
    assert [(c.day, c.change) for c in found[0].changes] == [(date(2022, 2, 26), "added")]
    assert listed_by_country(history, "China", date(2022, 5, 30))[-1].month_end == date(2022, 4, 30)
    assert listed_by_country(history, "china", date(2024, 2, 29))[-1].listed == 570


def test_history_command_draws_a_chart_and_a_table(ctx: Context) -> None:
    reply = dispatch("sanctions history", ctx)
    text = render_text(reply)
    assert reply.kind is ReplyKind.ANSWER
    assert reply.title.startswith("OFAC designations under Russia-related programmes, by month")
    assert (
        "4,069 entries added under Russia-related programmes from 18 Aug 2021 to 23 Feb 2024"
        in text
    )
    assert "Feb 2024: 557 added, 10 linked to China or Hong Kong; 1 removed" in text
    assert "The change history ends on 23 Feb 2024" in text
    chart = reply.chart
    assert chart is not None
    assert chart.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Feb 2024 557 (10)" in chart.alt_text
    assert "jeffallen13/ofac" in chart.alt_text
    china = dispatch("sanctions history china", ctx)
    assert (
        "1,138 OFAC-listed entries (SDN and non-SDN, all programmes) had an address in China at the end of Mar 2026"
        in render_text(china)
    )
    assert china.chart is not None
    assert china.chart.path != chart.path


def test_history_as_of_a_past_day_knows_nothing_later(ctx: Context) -> None:
    earlier = replace(ctx, today=date(2022, 3, 31))
    text = render_text(dispatch("sanctions history china", earlier))
    assert "to 31 Mar 2022" in text
    assert "Mar 2026" not in text
    assert "2023" not in text
    before = dispatch("sanctions history", replace(ctx, today=date(2021, 1, 1)))
    assert before.kind is ReplyKind.NO_DATA


def test_when_was_it_designated(ctx: Context) -> None:
    reply = dispatch("sanctions history wuhan maiwe", ctx)
    assert (
        reply.title
        == "WUHAN MAIWE COMMUNICATION CO LTD was added to the OFAC SDN list on 23 Feb 2024"
    )
    text = render_text(reply)
    assert "added to the SDN list on 23 Feb 2024 under RUSSIA-EO14024" in text
    assert "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=47995" in text
    old = render_text(dispatch("sanctions history banco nacional de cuba", ctx))
    assert "already on the SDN list when the history starts (18 Aug 2021)" in old
    unknown = dispatch("sanctions history zyxwv qqq", ctx)
    assert unknown.kind is ReplyKind.NO_DATA


def test_search_hits_show_when_they_were_first_seen(ctx: Context) -> None:
    now = datetime(2024, 3, 1, tzinfo=UTC)
    ingest(ctx.brief, [OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"], IngestOptions(today=END), now)
    text = render_text(dispatch("sanctions sergei lavrov", ctx))
    assert "first seen 26 Feb 2022 (SDN change history)" in text
    cuba = render_text(dispatch("sanctions banco nacional de cuba", ctx))
    assert "on the SDN list since before 18 Aug 2021 (change history)" in cuba


def test_ask_hooks_cite_the_history(brief: Briefing) -> None:
    today = date(2024, 3, 1)
    reply = answer_sanctions_question(brief, "When was Vladimir Putin sanctioned?", today)
    assert reply is not None
    assert (
        reply.title == "PUTIN, Vladimir Vladimirovich was added to the OFAC SDN list on 26 Feb 2022"
    )
    count = history_count_reply(
        brief, "How many Chinese companies were designated by OFAC in 2023?", today
    )
    assert count is not None
    text = render_text(count)
    assert "144 entries were added to the SDN list linked to China or Hong Kong in 2023" in text
    assert "OFAC SDN change history" in text
    coded = history_count_reply(
        brief, "how many sdn entries were added under eo14024 in february 2024", today
    )
    assert coded is not None
    assert coded.title == "OFAC SDN additions under RUSSIA-EO14024, Feb 2024"
    assert "557 entries were added" in render_text(coded)
    assert "the history covers 1 Feb 2024 to 23 Feb 2024 of it" in render_text(coded)
    none = history_count_reply(brief, "How many entities were designated by OFAC in 2019?", today)
    assert none is not None
    assert none.kind is ReplyKind.NO_DATA


def test_a_missing_history_is_said_plainly(ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(HistoryError):
        load_history(tmp_path)
    ctx.brief.settings = ctx.brief.settings.model_copy(update={"data_dir": tmp_path})
    reply = dispatch("sanctions history", ctx)
    assert reply.kind is ReplyKind.NO_DATA
    assert "not available" in reply.title
