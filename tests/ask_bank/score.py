"""Scoring a reply against a bank question's checks, reading expected values from the data.

Used by ``tests/ask/test_bank.py`` and ``bench/bench_ask.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from briefing.appstate import Context
from briefing.render.text import render_text
from briefing.replies import Line, Reply, ReplyKind, format_pct, format_usd_bn
from briefing.sanctions.search import sanctions
from briefing.trade.model import Flow, Period, PeriodKind
from briefing.trade.queries import figure_for, yoy_of
from tests.ask_bank.checks import (
    Added,
    Balance,
    BankQuestion,
    Change,
    Check,
    Compare,
    Events,
    Extreme,
    Facts,
    LinkedAdded,
    Listed,
    NoAnswer,
    NotListed,
    NotLoaded,
    Premise,
    Trade,
    TradeOrNearest,
)

Ask = Callable[[BankQuestion], Reply]


def lines_of(reply: Reply) -> list[Line]:
    return [line for section in reply.sections for line in section.lines]


def direct_lines(reply: Reply) -> list[Line]:
    return list(reply.sections[0].lines) if reply.sections else []


def _period(text: str) -> Period:
    return Period.parse(text)


def _value(ctx: Context, period: Period, flow: Flow) -> tuple[float, str] | None:
    figure = figure_for(ctx.brief.trade, period, flow, ctx.today)
    return (figure.value_usd_bn, figure.source.title) if figure is not None else None


def _cited(reply: Reply, needle: str, source_title: str | None, lines: list[Line]) -> bool:
    for line in lines:
        if needle in line.text and (
            source_title is None or (line.source is not None and line.source.title == source_title)
        ):
            return True
    return needle in reply.title and source_title is None


def _honest_no(reply: Reply, mentions: tuple[str, ...] = ()) -> str | None:
    if reply.kind is not ReplyKind.NO_DATA:
        return f"expected an honest no-answer, got {reply.kind}: {reply.title}"
    if reply.sources:
        return "a no-answer cites sources"
    text = render_text(reply)
    for mention in mentions:
        if mention not in text:
            return f"no-answer does not mention {mention!r}"
    return None


def check(c: Check, reply: Reply, ctx: Context) -> str | None:
    """Why ``reply`` fails check ``c`` (None when it passes)."""
    brief, as_of = ctx.brief, ctx.today
    lines = lines_of(reply)
    text = render_text(reply)
    if isinstance(c, NoAnswer):
        return _honest_no(reply, c.mentions)
    if isinstance(c, Facts | Events):
        if reply.kind is not ReplyKind.ANSWER:
            return f"expected an answer, got {reply.kind}: {reply.title}"
        items = (
            {f.fact_id: (f.statement, f.source) for f in brief.facts}
            if isinstance(c, Facts)
            else {e.event_id: (e.title, e.source) for e in brief.events}
        )
        for key in c.ids:
            statement, cited = items[key]
            if not any(statement in ln.text and ln.source == cited for ln in lines):
                return f"missing {key}"
        return None
    if isinstance(c, Trade | TradeOrNearest):
        period, flow = _period(c.period), Flow(c.flow)
        expected = _value(ctx, period, flow)
        if expected is None:
            if isinstance(c, Trade):
                raise AssertionError(f"the data holds no {flow} figure for {c.period}")
            failure = _honest_no(reply)
            if failure:
                return failure
            held = {p.label for p in brief.trade.periods(as_of)}
            if not any(label in text for label in held):
                return "no-answer names no period the data holds"
            return None
        value, title = expected
        if reply.kind is not ReplyKind.ANSWER:
            return f"expected {format_usd_bn(value)}, got {reply.kind}: {reply.title}"
        if not _cited(reply, format_usd_bn(value), title, lines[:11]):
            return f"missing {format_usd_bn(value)} cited to {title}"
        return None
    if isinstance(c, Change | Premise):
        period, flow = _period(c.period), Flow(c.flow)
        obs = brief.trade.best(period, flow, as_of)
        assert obs is not None, c
        yoy = yoy_of(brief.trade, obs, as_of)
        assert yoy is not None, c
        wanted = format_pct(yoy[0])
        if reply.kind is not ReplyKind.ANSWER or not _cited(
            reply, wanted, obs.source.title, direct_lines(reply)
        ):
            return f"missing the change {wanted} in the direct answer"
        if isinstance(c, Premise):
            word = "rose" if yoy[0] > 0 else "fell"
            if word not in " ".join(ln.text for ln in direct_lines(reply)):
                return f"the correction does not say trade {word}"
        return None
    if isinstance(c, Balance):
        period = _period(c.period)
        exports = _value(ctx, period, Flow.EXPORTS)
        imports = _value(ctx, period, Flow.IMPORTS)
        assert exports is not None, c
        assert imports is not None, c
        wanted = format_usd_bn(abs(exports[0] - imports[0]))
        word = "surplus" if exports[0] >= imports[0] else "deficit"
        first = " ".join(ln.text for ln in direct_lines(reply))
        if reply.kind is not ReplyKind.ANSWER or wanted not in first or word not in first:
            return f"missing the {word} of {wanted}"
        if not any(ln.source is not None for ln in direct_lines(reply)):
            return "the balance cites no source"
        return None
    if isinstance(c, Compare):
        for key in (c.first, c.second):
            expected = _value(ctx, _period(key), Flow(c.flow))
            assert expected is not None, c
            if not _cited(reply, format_usd_bn(expected[0]), expected[1], direct_lines(reply)):
                return f"missing {key}: {format_usd_bn(expected[0])}"
        return None
    if isinstance(c, Extreme):
        flow = Flow(c.flow)
        years = [
            (v, p)
            for p in brief.trade.periods(as_of, PeriodKind.YEAR)
            if (v := _value(ctx, p, flow)) is not None
        ]
        (top, top_title), period = (max if c.which == "high" else min)(years, key=lambda t: t[0][0])
        lead = direct_lines(reply)
        if not _cited(reply, format_usd_bn(top), top_title, lead) or not any(
            str(period.year) in ln.text for ln in lead
        ):
            return f"missing {period.year} at {format_usd_bn(top)}"
        return None
    data = sanctions(brief)
    held_named = any(s.source.title in text for s in data.in_force(as_of))
    if isinstance(c, Listed):
        if reply.kind is not ReplyKind.ANSWER:
            return f"expected a listing, got {reply.kind}: {reply.title}"
        if c.name.upper() not in " ".join(ln.text.upper() for ln in direct_lines(reply)):
            return f"{c.name} not in the direct answer"
        return None if held_named else "the list is not named"
    if isinstance(c, NotListed):
        failure = _honest_no(reply)
        if failure:
            return failure
        return None if held_named else "the lists searched are not named"
    if isinstance(c, NotLoaded):
        first = " ".join([reply.title, *[ln.text for ln in direct_lines(reply)][:1]])
        if c.list_word not in first or "not loaded" not in first:
            return f"does not say first that the {c.list_word} list is not loaded"
        return None if held_named else "the lists held are not named"
    if isinstance(c, Added | LinkedAdded):
        day = date.fromisoformat(c.list_date)
        current = next(s for s in data.snapshots if s.list_date == day)
        base = max(
            (s for s in data.snapshots if s.source == current.source and s.list_date < day),
            key=lambda s: s.list_date,
        )
        diff = data.diff(base, current)
        if isinstance(c, Added):
            count = len(diff.removed if c.removed else diff.added)
            if not any(
                re.search(rf"\b{count:,}\b", ln.text) and ln.source is not None
                for ln in direct_lines(reply)
            ):
                return f"missing the count {count:,}"
            return None if held_named else "the list is not named"
        places = {"China", "Hong Kong"} if c.place == "any" else {c.place}
        parties = sorted((e for e in diff.added if e.link_place in places), key=lambda e: e.name)
        said = " ".join(ln.text for ln in direct_lines(reply))
        if not parties:
            return None if re.search(r"\b(?:none|no)\b", said, re.I) else "does not say none"
        if not re.search(rf"\b{len(parties)}\b", said):
            return f"missing the number {len(parties)}"
        if parties[0].name not in text:
            return f"missing {parties[0].name}"
        return None
    raise AssertionError(f"unknown check {c!r}")


@dataclass(frozen=True, slots=True)
class Score:
    right: int
    total: int
    unanswerable_right: int
    unanswerable: int
    # Kept out of the repr: a failed assertion on a held-out score must not print its failures.
    failures: tuple[str, ...] = field(repr=False)

    @property
    def ratio(self) -> float:
        return self.right / self.total if self.total else 0.0

    def summary(self, name: str) -> str:
        return (
            f"{name}: {self.right}/{self.total} = {100 * self.ratio:.1f}% "
            f"(unanswerable {self.unanswerable_right}/{self.unanswerable} honest)"
        )


def score(bank: tuple[BankQuestion, ...], ask: Ask, ctx: Context) -> Score:
    right = unanswerable_right = unanswerable = 0
    failures = []
    for question in bank:
        reply = ask(question)
        problems = [p for c in question.checks if (p := check(c, reply, ctx)) is not None]
        if reply.kind is ReplyKind.ANSWER and not reply.sources:
            problems.append("a positive answer with no source")
        if question.unanswerable:
            unanswerable += 1
        if problems:
            failures.append(f"  {question.text!r}: {'; '.join(problems)}")
        else:
            right += 1
            unanswerable_right += question.unanswerable
    return Score(right, len(bank), unanswerable_right, unanswerable, tuple(failures))
