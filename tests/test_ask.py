"""`/brief ask`: the question bank through the public command path, and the answer rules."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.answers import answer, event_line, fact_line, read_period
from briefing.core import Context
from briefing.render.text import render_text
from briefing.replies import Reply, ReplyKind
from briefing.trade.queries import yoy_of
from handlers import dispatch
from tests.question_bank import BANK, NO_ANSWER, BankQuestion

REQUIRED_ACCURACY = 0.90


def ask(ctx: Context, question: BankQuestion | str) -> Reply:
    if isinstance(question, str):
        return dispatch(f"ask {question}", ctx)
    return dispatch(question.text if question.bare else f"ask {question.text}", ctx)


def line_texts(reply: Reply) -> list[str]:
    return [line.text for section in reply.sections for line in section.lines]


def misses(ctx: Context, question: BankQuestion, reply: Reply) -> list[str]:
    """What the reply lacks for ``question`` (empty when it is right)."""
    if question.expect == (NO_ANSWER,):
        return [] if reply.kind is ReplyKind.NO_DATA else [f"expected no answer, got {reply.kind}"]
    if reply.kind is not ReplyKind.ANSWER:
        return [f"expected an answer, got {reply.kind}: {reply.title}"]
    facts = {f.fact_id: f for f in ctx.brief.facts}
    events = {e.event_id: e for e in ctx.brief.events}
    lines = line_texts(reply)
    text = render_text(reply)
    out = []
    for expected in question.expect:
        if expected.startswith("trade:"):
            if expected.removeprefix("trade:") not in text:
                out.append(expected)
        elif expected in facts:
            if fact_line(facts[expected]).text not in lines:
                out.append(expected)
        elif expected in events:
            if event_line(events[expected]).text not in lines:
                out.append(expected)
        else:
            raise AssertionError(f"question bank names unknown id {expected!r}")
    return out


def test_question_bank_accuracy(ctx: Context) -> None:
    assert len(BANK) >= 60
    assert sum(1 for b in BANK if b.expect == (NO_ANSWER,)) >= 10
    failures = []
    for question in BANK:
        missing = misses(ctx, question, ask(ctx, question))
        if missing:
            failures.append(f"  {question.text!r}: missing {', '.join(missing)}")
    right = len(BANK) - len(failures)
    score = f"question bank: {right}/{len(BANK)} = {100 * right / len(BANK):.1f}%"
    print(score)
    for failure in failures:
        print(failure)
    assert right / len(BANK) >= REQUIRED_ACCURACY, score + "\n" + "\n".join(failures)


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
    lines = [line for section in reply.sections for line in section.lines]
    for value, outlet in expected.items():
        matching = [ln for ln in lines if ln.text.startswith(f"{value} (")]
        assert matching, f"{value} missing from:\n{text}"
        assert matching[0].source is not None
        assert outlet in matching[0].source.title
    # sorted by period: the 2021 baselines first, January 2025 last
    periods = [re.search(r"\(([^)]*)\)", ln.text) for ln in reply.sections[0].lines]
    labels = [p[1] for p in periods if p]
    assert labels[0] == "2021"
    assert labels[-1] == "Jan 2025"


def test_one_period_narrows_the_disagreement(ctx: Context) -> None:
    reply = ask(ctx, "chinese brands' share of the russian car market in 2023")
    first = line_texts(reply)[: len(reply.sections[0].lines)]
    assert sorted(t.split(" (")[0] for t in first) == ["49%", "55%", "more than 56%"]
    assert reply.sections[0].heading is not None
    assert reply.sections[0].heading.startswith("Sources differ")


def test_a_trade_year_also_shows_other_reports_that_differ(ctx: Context) -> None:
    reply = ask(ctx, "what was china russia trade in 2024")
    also = next(s for s in reply.sections if s.heading == "Also reported")
    texts = [line.text for line in also.lines]
    assert any(t.startswith("about $245 bn (2024)") for t in texts)  # the rounded record
    assert any(t.startswith("1,740 bn yuan (2024)") for t in texts)
    # the China customs figure itself is not repeated as "also reported"
    assert not any(t.startswith("$244.81 bn") for t in texts)


def test_every_line_of_an_answer_carries_its_source(ctx: Context) -> None:
    for question in BANK:
        reply = ask(ctx, question)
        if reply.kind is not ReplyKind.ANSWER:
            continue
        for section in reply.sections:
            for line in section.lines:
                if re.search(r"\d", line.text) and not line.text.endswith(":"):
                    assert line.source is not None, (question.text, line.text)
                    assert line.source.as_of is not None


@pytest.mark.parametrize(
    "question",
    [
        "what was trade in 1995?",
        "how much does russia trade with india?",
        "what is the weather like in moscow",
        "what will trade be in 2031?",
        "qwertyuiop",
    ],
)
def test_questions_outside_the_data_get_a_plain_no(ctx: Context, question: str) -> None:
    reply = ask(ctx, question)
    text = render_text(reply)
    assert reply.kind is ReplyKind.NO_DATA
    assert "sources" in text
    assert not reply.sources
    assert "$" not in text.replace("$ ", "")


def test_no_answer_for_a_period_the_subject_lacks_names_the_periods_it_has(ctx: Context) -> None:
    reply = ask(ctx, "chinese car brands' share of russia's market in 2019")
    text = render_text(reply)
    assert reply.kind is ReplyKind.NO_DATA
    assert "2019" in text
    assert "2023" in text
    assert "%" not in text


def test_facts_published_after_the_as_of_date_are_not_used(ctx: Context) -> None:
    early = replace(ctx, today=date(2024, 1, 1))
    text = render_text(ask(early, "what share of Russia's car market do Chinese brands have?"))
    assert "55%" in text  # GlobalData, in an article of Dec 2023
    assert "56%" in text  # Reuters, data to end-2023
    for later in ("49%", "63%", "54.9%"):
        assert later not in text, f"{later} was published after 1 Jan 2024:\n{text}"
    assert "2024" not in text.replace("1 Jan 2024", "")


def test_as_of_date_hides_trade_and_events_not_yet_known(ctx: Context) -> None:
    early = replace(ctx, today=date(2024, 6, 1))
    reply = ask(early, "what was china russia trade in 2024")
    text = render_text(reply)
    assert "$244.8 bn" not in text
    assert "Jan–Feb 2024" in text  # the only 2024 figure known by June 2024
    reply = ask(early, "when did power of siberia hit its design capacity?")
    assert "38 bcm" not in render_text(reply)


def test_future_year_is_refused_without_a_figure(ctx: Context) -> None:
    reply = ask(ctx, f"how much gas will power of siberia carry in {ctx.today.year + 2}")
    assert reply.kind is ReplyKind.NO_DATA
    assert "forecast" in render_text(reply)


def test_what_happened_in_a_period_lists_the_timeline(ctx: Context) -> None:
    events = {e.event_id: e for e in ctx.brief.events}
    lines = line_texts(ask(ctx, "what happened in 2024?"))
    assert event_line(events["summit-putin-xi-43rd-meeting-2024-05"]).text in lines
    assert event_line(events["energy-power-of-siberia-design-capacity-2024-12-01"]).text in lines
    assert all("2024" in line.split(":")[0] for line in lines)
    # an event dated only "2022" is not placed in March 2022
    lines = line_texts(ask(ctx, "events in march 2022"))
    assert lines == [
        event_line(events["sanctions-bloomberg-cn-buyers-avoid-ru-energy-2022-03"]).text
    ]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("trade in 2024", "2024"),
        ("car market 2023", "2023"),  # "market" is not March
        ("did trade decline 2024", "2024"),  # nor "decline" December
        ("turnover in january-november 2023", "Jan–Nov 2023"),
        ("first nine months of 2025", "Jan–Sep 2025"),
        ("h1 2025", "Jan–Jun 2025"),
        ("trade in dec 2024", "Dec 2024"),
        ("trade 2019..2025", "2019–2025"),
        ("how did trade change last year", "2025"),
        ("what is the car share", None),
    ],
)
def test_reading_the_period_of_a_question(text: str, label: str | None) -> None:
    asked = read_period(text, date(2026, 11, 23))
    assert (asked.label if asked else None) == label


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=80))
def test_any_text_gets_an_answer_or_a_plain_no(ctx: Context, text: str) -> None:
    brief = ctx.brief
    reply = answer(
        text or "?",
        facts=brief.facts,
        events=brief.events,
        trade=brief.trade,
        as_of=ctx.today,
    )
    assert reply.kind in (ReplyKind.ANSWER, ReplyKind.NO_DATA)
    assert reply.title


def test_empty_ask_is_a_usage_error(ctx: Context) -> None:
    assert dispatch("ask", ctx).kind is ReplyKind.USAGE_ERROR


# --------------------------------------------------------------------- nothing invented

_URL = re.compile(r"<[^>]*>|https?://\S+|\b\d{3}_[0-9a-f]+\.txt\b")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in _NUMBER.findall(_URL.sub(" ", text))}


def known_numbers(ctx: Context) -> set[float]:
    """Every number the data states (not its URLs), with the roundings replies may show."""
    brief = ctx.brief
    raw: set[float] = set()
    for fact in brief.facts:
        cells = (fact.statement, fact.period, fact.outlet, fact.source_doc, fact.as_of.isoformat())
        raw |= numbers_in(" ".join(cells))
        raw |= {abs(v) for v in (fact.value, fact.value_high) if v is not None}
    for event in brief.events:
        cells = (event.title, event.detail, event.outlet, event.source_doc, event.day.isoformat())
        raw |= numbers_in(" ".join(cells))
    for obs in brief.trade.observations():
        raw |= {obs.value_usd_bn, obs.period.year, obs.published_on.day, obs.published_on.year}
        raw.add(obs.period.year - 1)  # "+3.4% on 2018": the year a change is measured from
        raw |= numbers_in(obs.source.title)
        yoy = yoy_of(brief.trade, obs, ctx.today)
        if yoy is not None:
            raw.add(abs(yoy[0]))
    out = set(raw)
    for value in raw:
        out |= {round(value, 0), round(value, 1), round(value, 2)}
    return out


def invented(text: str, question: str, known: set[float]) -> set[float]:
    return numbers_in(text) - known - numbers_in(question)


def test_the_invention_check_catches_a_made_up_figure(ctx: Context) -> None:
    known = known_numbers(ctx)
    assert invented("Total trade 2024: $244.8 bn — China customs", "", known) == set()
    assert invented("Total trade 2024: $251.3 bn — China customs", "", known) == {251.3}


def test_no_reply_states_a_number_the_data_does_not(ctx: Context) -> None:
    known = known_numbers(ctx)
    extra = [
        "what share of Russia's car market do Chinese brands have?",
        "trade 2019..2025 how did it change",
        "how much gas went through power of siberia each year",
        "what share of russian imports come from china",
    ]
    for question in [b.text for b in BANK] + extra:
        text = render_text(ask(ctx, question))
        assert not invented(text, question, known), (question, text)


# --------------------------------------------------------------------- speed


def test_answers_are_fast(ctx: Context) -> None:
    brief = ctx.brief
    questions = [b.text for b in BANK]

    def run(question: str) -> Reply:
        return answer(
            question,
            facts=brief.facts,
            events=brief.events,
            trade=brief.trade,
            as_of=ctx.today,
        )

    run(questions[0])  # the index is built on first use
    timings = []
    for _ in range(5):
        for question in questions:
            start = time.perf_counter()
            run(question)
            timings.append(time.perf_counter() - start)
    timings.sort()
    p99_ms = 1000 * timings[int(0.99 * (len(timings) - 1))]
    print(f"ask: p99 {p99_ms:.2f} ms over {len(timings)} answers")
    assert p99_ms <= 20, f"p99 {p99_ms:.2f} ms"
