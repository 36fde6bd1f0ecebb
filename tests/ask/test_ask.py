"""`/brief ask`: answer rules beyond the bank — disagreements, as-of dates, honesty, any text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.appstate import Context
from briefing.ask.answer import answer
from briefing.ask.compose import event_line
from briefing.render.slack_blocks import MORE_ACTION_ID, render_blocks
from briefing.render.text import render_text
from briefing.replies import Reply, ReplyKind
from handlers import dispatch


def ask(ctx: Context, question: str) -> Reply:
    return dispatch(f"ask {question}", ctx)


def line_texts(reply: Reply) -> list[str]:
    return [line.text for section in reply.sections for line in section.lines]


def test_car_share_shows_every_source_with_sources_differ(ctx: Context) -> None:
    reply = ask(ctx, "what share of Russia's car market do Chinese brands have?")
    text = render_text(reply)
    assert "Sources differ" in text
    expected = {
        "55%": "GlobalData Automotive",
        "49%": "Xinhua (Otkritie Auto)",
        "more than 56%": "Reuters",
        "63%": "CNA (CPCA)",
        "54.9%": "Avtostat",
    }
    differ = next(s for s in reply.sections if (s.heading or "").startswith("Sources differ"))
    for value, outlet in expected.items():
        matching = [ln for ln in differ.lines if ln.text.startswith(f"{value} (")]
        assert matching, f"{value} missing from:\n{text}"
        assert matching[0].source is not None
        assert outlet in matching[0].source.title
    labels = [m[1] for ln in differ.lines if (m := re.search(r"\(([^)]*)\)", ln.text))]
    assert labels[0] == "2021"
    assert labels[-1] == "Jan 2025"
    # the answer leads with the latest figure
    assert "54.9%" in reply.sections[0].lines[-1].text


def test_one_period_narrows_the_disagreement(ctx: Context) -> None:
    reply = ask(ctx, "chinese brands' share of the russian car market in 2023")
    first = [t.split(" (")[0] for t in line_texts(reply)[:3]]
    assert sorted(first) == ["49%", "55%", "more than 56%"]
    assert "sources differ" in reply.title


def test_a_trade_year_also_shows_other_reports_that_differ(ctx: Context) -> None:
    reply = ask(ctx, "what was china russia trade in 2024")
    assert reply.sections[0].lines[0].text.startswith("Total trade 2024: $244.8 bn")
    texts = line_texts(reply)
    assert any(t.startswith("about $245 bn (2024)") for t in texts)  # the rounded record
    assert not any(t.startswith("$244.81 bn") for t in texts)
    assert reply.footer == "More: /brief trade 2024"
    assert reply.more == "trade 2024"


@pytest.mark.parametrize(
    "question",
    [
        "what was trade in 1995?",
        "how much does russia trade with india?",
        "what is the weather like in moscow",
        "what will trade be in 2031?",
        "qwertyuiop",
        "what is the capacity of power of siberia 2?",
    ],
)
def test_questions_outside_the_data_get_a_plain_no(ctx: Context, question: str) -> None:
    reply = ask(ctx, question)
    text = render_text(reply)
    assert reply.kind is ReplyKind.NO_DATA, text
    assert "sources" in text
    assert not reply.sources
    assert "$" not in text


def test_a_period_not_held_names_the_nearest_ones(ctx: Context) -> None:
    # The pack holds Jan–Jun and Jan–Sep 2020 but no single month of that quarter.
    reply = ask(ctx, "china russia trade in the third quarter of 2020")
    text = render_text(reply)
    assert reply.kind is ReplyKind.NO_DATA
    assert "Jul–Sep 2020" in text
    assert "Jan–Sep 2020" in text  # held, and overlapping
    assert "$" not in text


def test_a_subject_lacking_the_period_names_the_periods_it_has(ctx: Context) -> None:
    reply = ask(ctx, "chinese car brands' share of russia's market in 2019")
    text = render_text(reply)
    assert reply.kind is ReplyKind.NO_DATA
    assert "2019" in text
    assert "2023" in text
    assert "%" not in text


def test_a_false_premise_is_corrected_from_the_data(ctx: Context) -> None:
    reply = ask(ctx, "why did trade collapse in 2023?")
    first = reply.sections[0].lines[0]
    assert first.text.startswith("China–Russia trade did not fall in 2023: it rose (+26.3%")
    assert first.source is not None


def test_balance_is_computed_and_cited(ctx: Context) -> None:
    reply = ask(ctx, "china's trade surplus with russia in 2024")
    first = reply.sections[0].lines[0]
    assert "deficit of $13.83 bn" in first.text
    assert "exports $115.5 bn minus imports $129.3 bn" in first.text
    assert first.source is not None


def test_facts_published_after_the_as_of_date_are_not_used(ctx: Context) -> None:
    early = replace(ctx, today=date(2024, 1, 1))
    text = render_text(ask(early, "what share of Russia's car market do Chinese brands have?"))
    assert "55%" in text  # GlobalData, in an article of Dec 2023
    for later in ("49%", "63%", "54.9%"):
        assert later not in text, f"{later} was published after 1 Jan 2024:\n{text}"


def test_as_of_date_hides_trade_not_yet_known(ctx: Context) -> None:
    early = replace(ctx, today=date(2024, 6, 1))
    text = render_text(ask(early, "what was china russia trade in 2024"))
    assert "$244.8 bn" not in text
    assert "Jan–Feb 2024" in text  # the nearest period known by June 2024
    text = render_text(ask(early, "when did power of siberia hit its design capacity?"))
    assert "38 bcm" not in text


def test_what_happened_in_a_period_lists_the_timeline(ctx: Context) -> None:
    events = {e.event_id: e for e in ctx.brief.events}
    lines = line_texts(ask(ctx, "what happened in 2024?"))
    assert event_line(events["tariffs-cn-reintroduces-ru-coal-tariffs-2024-01"]).text in lines
    assert all("2024" in line.split(":")[0] for line in lines)
    # an event dated only "2022" is not placed in March 2022
    lines = line_texts(ask(ctx, "events in march 2022"))
    assert lines == [
        event_line(events["sanctions-bloomberg-cn-buyers-avoid-ru-energy-2022-03"]).text
    ]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=80))
def test_any_text_gets_an_answer_or_a_plain_no(ctx: Context, text: str) -> None:
    reply = answer(text or "?", ctx.brief, ctx.today)
    assert reply.kind in (ReplyKind.ANSWER, ReplyKind.NO_DATA)
    assert reply.title


def test_empty_ask_is_a_usage_error(ctx: Context) -> None:
    assert dispatch("ask", ctx).kind is ReplyKind.USAGE_ERROR


def test_slack_shows_more_as_a_button(ctx: Context) -> None:
    blocks, _ = render_blocks(ask(ctx, "trade in 2023"), share_value="ask trade in 2023")
    actions = next(b for b in blocks if b["type"] == "actions")
    more = next(e for e in actions["elements"] if e["action_id"] == MORE_ACTION_ID)
    assert more["value"] == "trade 2023"
    assert more["text"]["text"] == "More"
