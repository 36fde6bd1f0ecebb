"""Trade answers shared by ``/brief trade``, ``/brief ask`` and the digest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from briefing.replies import (
    Line,
    Reply,
    ReplyKind,
    Section,
    format_pct,
    format_usd_bn,
    simple,
)
from briefing.trade.index import TradeIndex
from briefing.trade.model import TOTAL_CHAPTER, Flow, Period, PeriodKind, TradeObservation

TITLE_SUFFIX = "(China customs, USD)"


@dataclass(frozen=True, slots=True)
class TradeQuery:
    """``first``..``last`` inclusive; a single period when both are equal."""

    first: Period
    last: Period
    flows: tuple[Flow, ...] = (Flow.TOTAL, Flow.EXPORTS, Flow.IMPORTS)
    chapter: str = TOTAL_CHAPTER

    @property
    def is_single(self) -> bool:
        return self.first == self.last


_RANGE_RE = re.compile(r"^(\d{4}(?:-\d{2})?)\s*\.\.\s*(\d{4}(?:-\d{2})?)$")


def parse_period_range(text: str) -> tuple[Period, Period]:
    """``2024`` · ``2024-03`` · ``2023-01..2024-06`` · ``2019..2025``."""
    text = text.strip()
    if match := _RANGE_RE.match(text):
        first, last = Period.parse(match[1]), Period.parse(match[2])
        start = Period(first.year, first.first_month, first.first_month)
        end = Period(last.year, last.last_month, last.last_month)
        if end.end_ordinal() < start.end_ordinal():
            raise ValueError(f"{text!r}: the range ends before it starts")
        return start, end
    period = Period.parse(text)
    return period, period


def yoy_of(index: TradeIndex, obs: TradeObservation, as_of: date) -> tuple[float, str] | None:
    """Year-on-year change: as stated by the source, else computed over the same months."""
    if obs.yoy_pct is not None:
        return obs.yoy_pct, "stated"
    previous = index.best(obs.period.previous_year(), obs.flow, as_of, obs.hs_chapter)
    if previous is None or previous.value_usd_bn <= 0:
        return None
    return (obs.value_usd_bn / previous.value_usd_bn - 1) * 100, "computed"


def describe(
    index: TradeIndex, obs: TradeObservation, as_of: date, *, label: str | None = None
) -> Line:
    text = f"{label or obs.flow.label} {obs.period.label}: {format_usd_bn(obs.value_usd_bn)}"
    yoy = yoy_of(index, obs, as_of)
    if yoy is not None:
        value, how = yoy
        basis = f"on {obs.period.previous_year().label}"
        if how == "computed":
            basis += ", computed from the earlier figure"
        text += f", {format_pct(value)} {basis}"
    return Line(text, obs.source)


def no_data_reply(index: TradeIndex, what: str, as_of: date) -> Reply:
    coverage = index.coverage(as_of)
    if coverage is None:
        return simple(f"I have no China–Russia trade figure for {what}.", kind=ReplyKind.NO_DATA)
    span = f"{coverage.first.year} to {coverage.last.label}"
    return simple(
        f"I have no China–Russia trade figure for {what}.",
        f"The data covers {span} (China customs).",
        f"Try /brief trade {coverage.last.year} or /brief sources.",
        kind=ReplyKind.NO_DATA,
    )


def _lines_for(
    index: TradeIndex, period: Period, flows: tuple[Flow, ...], as_of: date, chapter: str
) -> list[Line]:
    lines: list[Line] = []
    for flow in flows:
        observations = index.get(period, flow, as_of, chapter)
        if len(observations) > 1:
            values = {round(o.value_usd_bn, 2) for o in observations}
            if len(values) > 1:
                lines.append(Line(f"{flow.label} {period.label} — sources differ:"))
        for obs in observations:
            lines.append(describe(index, obs, as_of))
    return lines


def trade_reply(
    index: TradeIndex, query: TradeQuery, as_of: date, command: str = "/brief"
) -> Reply:
    if query.is_single:
        return _single_period_reply(index, query, as_of, command)
    return _range_reply(index, query, as_of, command)


def _single_period_reply(index: TradeIndex, query: TradeQuery, as_of: date, command: str) -> Reply:
    period = query.first
    sections: list[Section] = []
    main = _lines_for(index, period, query.flows, as_of, query.chapter)
    if main:
        sections.append(Section(None, tuple(main)))
    if period.kind is PeriodKind.YEAR:
        within = [
            p
            for p in index.periods(as_of)
            if p.year == period.year and p.kind is not PeriodKind.YEAR
        ]
        points = [
            line for p in within for line in _lines_for(index, p, query.flows, as_of, query.chapter)
        ]
        if points:
            sections.append(
                Section(f"Monthly and year-to-date points in {period.year}", tuple(points))
            )
    if not sections:
        return no_data_reply(index, period.label, as_of)
    hints = [
        f"{command} trade {period.year - 1}",
        f"{command} trade {period.year - 1}..{period.year}",
    ]
    return Reply(
        title=f"China–Russia trade, {period.label} {TITLE_SUFFIX}",
        sections=tuple(sections),
        as_of=as_of,
        footer="Also: " + " · ".join(hints),
    )


def _range_reply(index: TradeIndex, query: TradeQuery, as_of: date, command: str) -> Reply:
    lo, hi = query.first.end_ordinal(), query.last.end_ordinal()
    years = [
        p
        for p in index.periods(as_of, PeriodKind.YEAR)
        if lo <= p.year * 12 and p.end_ordinal() <= hi
    ]
    points = [
        p
        for p in index.periods(as_of)
        if p.kind is not PeriodKind.YEAR
        and lo <= p.year * 12 + p.first_month - 1
        and p.end_ordinal() <= hi
    ]
    sections: list[Section] = []
    annual = [
        line for p in years for line in _lines_for(index, p, query.flows, as_of, query.chapter)
    ]
    if annual:
        sections.append(Section("Annual", tuple(annual)))
    monthly = [
        line for p in points for line in _lines_for(index, p, query.flows, as_of, query.chapter)
    ]
    if monthly:
        sections.append(Section("Monthly and year-to-date", tuple(monthly)))
    label = f"{query.first.label}–{query.last.label}"
    if not sections:
        return no_data_reply(index, label, as_of)
    return Reply(
        title=f"China–Russia trade, {label} {TITLE_SUFFIX}",
        sections=tuple(sections),
        as_of=as_of,
        footer=f"Also: {command} chart trade {query.first.year}..{query.last.year}",
    )


def latest_reply(index: TradeIndex, as_of: date, command: str = "/brief") -> Reply:
    """The newest annual total and the newest release, for ``/brief trade`` with no period."""
    years = index.periods(as_of, PeriodKind.YEAR)
    if not years:
        return no_data_reply(index, "any period", as_of)
    sections = [
        Section(
            "Latest full year",
            tuple(_lines_for(index, years[-1], tuple(Flow), as_of, TOTAL_CHAPTER)),
        )
    ]
    release = index.latest_release(as_of)
    if release and release[0].period != years[-1]:
        lines = [describe(index, o, as_of) for o in release if o.hs_chapter == TOTAL_CHAPTER]
        sections.append(Section("Latest release", tuple(lines)))
    return Reply(
        title=f"China–Russia trade — latest figures {TITLE_SUFFIX}",
        sections=tuple(sections),
        as_of=as_of,
        footer=f"Also: {command} trade {years[-1].year} · {command} trade {years[0].year}..{years[-1].year}",
    )
