"""Answers to parsed trade questions, from the trade index (China customs) and the facts.

Reads the trade data only through its public functions (:class:`~briefing.trade.index.TradeIndex`,
:func:`~briefing.trade.queries.figure_for`, :func:`~briefing.trade.queries.yoy_of`). A period the
data does not hold is never replaced by another one: the answer says so and names the nearest
periods it holds. Values the answer computes (a balance, a sum of the two flows, a change
between two periods) say how they were computed and cite the figures they come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from briefing.ask.compose import Answer, fact_line, fact_span, no_answer, shape
from briefing.ask.grammar import Asked, Claim, Measure, Span, TradeQuestion
from briefing.facts import Fact
from briefing.replies import Line, Reply, Source, format_pct, format_usd_bn
from briefing.trade.index import TradeIndex
from briefing.trade.model import Flow, Period, PeriodKind
from briefing.trade.queries import figure_for, yoy_of

_FLOW = {Measure.TOTAL: Flow.TOTAL, Measure.EXPORTS: Flow.EXPORTS, Measure.IMPORTS: Flow.IMPORTS}
_LABEL = {
    Flow.TOTAL: "China–Russia trade",
    Flow.EXPORTS: "China's exports to Russia",
    Flow.IMPORTS: "China's imports from Russia",
}
_LABEL_SHORT = {
    Flow.TOTAL: "Total trade",
    Flow.EXPORTS: "China → Russia",
    Flow.IMPORTS: "Russia → China",
}
# Facts that restate whole-trade figures (other outlets' totals and growth rates, yuan totals).
AGGREGATE_SUBJECTS = ("trade-total-", "trade-growth-")


@dataclass(frozen=True, slots=True)
class Value:
    """A figure for a period and flow: as reported, or computed, with the sources it rests on."""

    period: Period
    flow: Flow
    usd_bn: float
    sources: tuple[Source, ...]
    basis: str = ""  # how it was computed; empty when reported as such
    yoy: tuple[float, str] | None = None  # change on the same months a year earlier, and how


class TradeAnswers:
    def __init__(
        self, index: TradeIndex, facts: tuple[Fact, ...], as_of: date, command: str
    ) -> None:
        self.index = index
        self.facts = facts
        self.as_of = as_of
        self.command = command

    # ------------------------------------------------------------------ look-ups

    def value(self, period: Period, flow: Flow) -> Value | None:
        figure = figure_for(self.index, period, flow, self.as_of)
        if figure is not None:
            yoy = None
            if not figure.months_summed:
                obs = self.index.best(period, flow, self.as_of)
                if obs is not None:
                    yoy = yoy_of(self.index, obs, self.as_of)
            basis = f"sum of {figure.months_summed} monthly figures" if figure.months_summed else ""
            return Value(period, flow, figure.value_usd_bn, (figure.source,), basis, yoy)
        if flow is Flow.TOTAL:
            exports = self.value(period, Flow.EXPORTS)
            imports = self.value(period, Flow.IMPORTS)
            if exports is not None and imports is not None:
                return Value(
                    period,
                    flow,
                    exports.usd_bn + imports.usd_bn,
                    _sources(exports, imports),
                    f"exports {format_usd_bn(exports.usd_bn)} + imports "
                    f"{format_usd_bn(imports.usd_bn)}",
                )
        return None

    def held(self, flow: Flow) -> list[Period]:
        return [p for p in self.index.periods(self.as_of) if self.value(p, flow) is not None]

    def nearest(self, span: Span, flow: Flow, count: int = 3) -> list[Period]:
        """The held periods closest to ``span``: overlapping ones first, then by distance."""

        def distance(p: Period) -> tuple[int, int, int]:
            first, last = p.year * 12 + p.first_month - 1, p.end_ordinal()
            overlap = first <= span.last and span.first <= last
            gap = 0 if overlap else min(abs(first - span.last), abs(span.first - last))
            return (0 if overlap else 1, gap, abs((last - first) - (span.last - span.first)))

        return sorted(self.held(flow), key=distance)[:count]

    # ------------------------------------------------------------------ answers

    def answer(self, q: TradeQuestion) -> Reply:
        if q.currency == "cny":
            return self._in_yuan(q)
        if q.asked in (Asked.HIGHEST, Asked.LOWEST):
            return self._extreme(q)
        if q.measure is Measure.BALANCE:
            return self._balance(q)
        if not q.periods:
            return self._latest(q)
        future = [p for p in q.periods if p.first_year > self.as_of.year]
        if future:
            return no_answer(
                f"I have no China–Russia trade figure for {future[0].label}: it is after today's "
                f"data, and I don't forecast.",
                self._coverage_line(),
                command=self.command,
            )
        if q.asked is Asked.COMPARE and len(q.periods) >= 2:
            return self._compare(q, q.periods[0], q.periods[1])
        span = q.periods[0]
        if span.period() is None:
            if q.asked is Asked.CHANGE:
                return self._compare(q, Span.year(span.first_year), Span.year(span.last_year))
            return self._years(q, span)
        if q.claim is not None:
            return self._premise(q, span)
        return self._single(q, span)

    def _flow(self, q: TradeQuestion) -> Flow:
        return _FLOW.get(q.measure or Measure.TOTAL, Flow.TOTAL)

    def _coverage_line(self) -> str:
        coverage = self.index.coverage(self.as_of)
        if coverage is None:
            return "No trade figures are loaded."
        return f"The data covers {coverage.first.year} to {coverage.last.label} (China customs)."

    def _missing(self, span: Span, flow: Flow, what: str | None = None) -> Reply:
        nearest = self.nearest(span, flow)
        label = what or f"{_LABEL[flow]} in {span.label}"
        lines = []
        if nearest:
            lines.append("Nearest periods held: " + ", ".join(p.label for p in nearest) + ".")
        else:
            lines.append(self._coverage_line())
        lines.append(f"See `{self.command} trade {span.first_year}`.")
        return no_answer(f"I have no figure for {label}.", *lines, command=self.command)

    def _describe(self, value: Value, *, with_change: bool = True) -> Line:
        text = f"{_LABEL_SHORT[value.flow]} {value.period.label}: {format_usd_bn(value.usd_bn)}"
        if value.basis:
            text += f" ({value.basis})"
        if with_change and value.yoy is not None:
            change, how = value.yoy
            text += f", {format_pct(change)} on {value.period.previous_year().label}"
            if how != "stated":
                text += " (computed)"
        return Line(text, value.sources[0])

    def _also_reported(self, span: Span, shown: list[Value]) -> list[Line]:
        """Other reports of whole-trade figures for the same period that differ from the ones
        shown (a rounded $245bn beside $244.81bn; a total in yuan)."""
        totals = [v.usd_bn for v in shown]
        changes = [v.yoy[0] for v in shown if v.yoy is not None]
        lines = []
        for fact in self.facts:
            if (
                not fact.fact_id.startswith(AGGREGATE_SUBJECTS)
                or fact.value is None
                or fact.as_of > self.as_of
                or fact_span(fact)[0] != span
            ):
                continue
            same = totals if fact.unit == "usd_bn" else changes if fact.unit == "pct" else []
            if any(abs(fact.value - v) < 0.005 for v in same):
                continue
            lines.append(fact_line(fact))
        return lines

    def _single(self, q: TradeQuestion, span: Span) -> Reply:
        period = span.period()
        assert period is not None
        flow = self._flow(q)
        value = self.value(period, flow)
        if value is None:
            return self._missing(span, flow)
        direct = [self._describe(value)]
        if q.asked is Asked.CHANGE and value.yoy is None:
            direct.append(
                Line(f"The data has no figure for {period.previous_year().label} to compare with.")
            )
        support = [
            self._describe(other)
            for f in Flow
            if f is not flow and (other := self.value(period, f)) is not None
        ]
        if flow is Flow.TOTAL:
            support = self._also_reported(span, [value]) + support
        return shape(
            Answer(
                title=f"{_LABEL[flow]}, {period.label}",
                direct=direct,
                support=support,
                support_heading="Also",
                more=f"trade {_command_period(period)}",
            ),
            self.as_of,
            self.command,
        )

    def _premise(self, q: TradeQuestion, span: Span) -> Reply:
        period = span.period()
        assert period is not None
        assert q.claim is not None
        flow = self._flow(q)
        value = self.value(period, flow)
        if value is None or value.yoy is None:
            return self._missing(span, flow, f"the change in {_LABEL[flow]} in {span.label}")
        change = value.yoy[0]
        rose = change > 0
        moved = "rose" if rose else "fell"
        figure = f"{format_pct(change)} on {period.previous_year().label}, to {format_usd_bn(value.usd_bn)}"
        if (q.claim is Claim.FALL) == rose:
            claimed = "fall" if q.claim is Claim.FALL else "rise"
            first = Line(
                f"{_LABEL[flow]} did not {claimed} in {period.label}: it {moved} ({figure}).",
                value.sources[0],
            )
        else:
            first = Line(f"{_LABEL[flow]} {moved} in {period.label} ({figure}).", value.sources[0])
        return shape(
            Answer(
                title=f"{_LABEL[flow]}, {period.label}",
                direct=[first, Line("The data holds the figures, not the reasons behind them.")],
                support=self._also_reported(span, [value]) if flow is Flow.TOTAL else [],
                support_heading="Also",
                more=f"trade {_command_period(period)}",
            ),
            self.as_of,
            self.command,
        )

    def _years(self, q: TradeQuestion, span: Span) -> Reply:
        """A range of years: each full year held."""
        flow = self._flow(q)
        values = [
            v for year in span.years() if (v := self.value(Period.year_of(year), flow)) is not None
        ]
        if not values:
            return self._missing(span, flow)
        first, last = values[0], values[-1]
        direct = [self._describe(first, with_change=False)]
        if last is not first:
            direct.append(self._describe(last, with_change=False))
            direct.append(Line(_change_text(first, last)))
        missing = [y for y in span.years() if y not in {v.period.year for v in values}]
        support = [self._describe(v) for v in values[1:-1]]
        if missing:
            support.append(Line("No full-year figure for " + ", ".join(map(str, missing)) + "."))
        return shape(
            Answer(
                title=f"{_LABEL[flow]}, {span.label}",
                direct=direct,
                support=support,
                support_heading="Years between",
                more=f"trade {span.first_year}..{span.last_year}",
            ),
            self.as_of,
            self.command,
        )

    def _compare(self, q: TradeQuestion, a: Span, b: Span) -> Reply:
        flow = self._flow(q)
        first, second = sorted((a, b))
        values = []
        for span in (first, second):
            period = span.period()
            value = self.value(period, flow) if period is not None else None
            if value is None:
                return self._missing(span, flow)
            values.append(value)
        direct = [
            self._describe(values[0], with_change=False),
            self._describe(values[1], with_change=False),
        ]
        direct.append(Line(_change_text(values[0], values[1])))
        return shape(
            Answer(
                title=f"{_LABEL[flow]}: {first.label} and {second.label}",
                direct=direct,
                more=f"trade {first.first_year}..{second.last_year}",
            ),
            self.as_of,
            self.command,
        )

    def _extreme(self, q: TradeQuestion) -> Reply:
        flow = self._flow(q)
        years = [
            v
            for p in self.index.periods(self.as_of, PeriodKind.YEAR)
            if (v := self.value(p, flow)) is not None
        ]
        if q.periods:
            years = [
                v for v in years if any(v.period.year in s.years() for s in q.periods)
            ] or years
        if not years:
            return self._missing(Span.year(self.as_of.year), flow)
        highest = q.asked is Asked.HIGHEST
        ranked = sorted(years, key=lambda v: v.usd_bn, reverse=highest)
        best = ranked[0]
        word = "highest" if highest else "lowest"
        direct = [
            Line(
                f"The {word} full year the data holds: {best.period.year}, "
                f"{format_usd_bn(best.usd_bn)}.",
                best.sources[0],
            ),
            Line(
                f"Full years held: {years[0].period.year}–{years[-1].period.year}; partial years "
                "(year to date) are not ranked."
            ),
        ]
        support = [self._describe(v, with_change=False) for v in ranked[1:]]
        return shape(
            Answer(
                title=f"{_LABEL[flow]}: the {word} year",
                direct=direct,
                support=support,
                support_heading="Other years",
                more=f"trade {years[0].period.year}..{years[-1].period.year}",
            ),
            self.as_of,
            self.command,
        )

    def _balance(self, q: TradeQuestion) -> Reply:
        if not q.periods:
            held = [p for p in self.index.periods(self.as_of, PeriodKind.YEAR) if self._both(p)]
            if not held:
                return self._missing(
                    Span.year(self.as_of.year), Flow.EXPORTS, "China's trade balance with Russia"
                )
            spans = [Span.months(held[-1].year, 1, 12)]
        else:
            spans = list(q.periods)
        span = spans[0]
        period = span.period()
        both = self._both(period) if period is not None else None
        if both is None:
            nearest = [
                p for p in self.nearest(span, Flow.EXPORTS, 12) if self._both(p) is not None
            ][:3]
            lines = (
                [
                    "Periods with both exports and imports: "
                    + ", ".join(p.label for p in nearest)
                    + "."
                ]
                if nearest
                else [self._coverage_line()]
            )
            return no_answer(
                f"I have no trade balance for {span.label}: it needs both China's exports to "
                "and imports from Russia.",
                *lines,
                command=self.command,
            )
        exports, imports = both
        balance = exports.usd_bn - imports.usd_bn
        assert period is not None
        if balance >= 0:
            text = (
                f"China ran a surplus of {format_usd_bn(balance)} with Russia in {period.label} "
                f"(Russia's deficit)"
            )
        else:
            text = (
                f"China ran a deficit of {format_usd_bn(-balance)} with Russia in {period.label} "
                f"(Russia's surplus)"
            )
        text += f": exports {format_usd_bn(exports.usd_bn)} minus imports {format_usd_bn(imports.usd_bn)}."
        direct = [Line(text, exports.sources[0])]
        if imports.sources[0] != exports.sources[0]:
            direct.append(self._describe(imports, with_change=False))
        return shape(
            Answer(
                title=f"China's trade balance with Russia, {period.label}",
                direct=direct,
                more=f"trade {_command_period(period)}",
            ),
            self.as_of,
            self.command,
        )

    def _both(self, period: Period) -> tuple[Value, Value] | None:
        exports = self.value(period, Flow.EXPORTS)
        imports = self.value(period, Flow.IMPORTS)
        return (exports, imports) if exports is not None and imports is not None else None

    def _latest(self, q: TradeQuestion) -> Reply:
        flow = self._flow(q)
        held = [p for p in self.held(flow) if p.kind is PeriodKind.YEAR] or self.held(flow)
        if not held:
            return no_answer("I have no China–Russia trade figures.", command=self.command)
        year = held[-1]
        value = self.value(year, flow)
        assert value is not None
        direct = [self._describe(value)]
        newer = [p for p in self.held(flow) if p.end_ordinal() > year.end_ordinal()]
        if newer:
            later = self.value(newer[-1], flow)
            if later is not None:
                direct.append(self._describe(later))
        return shape(
            Answer(
                title=f"{_LABEL[flow]}: the latest figures",
                direct=direct,
                more=f"trade {year.year}",
            ),
            self.as_of,
            self.command,
        )

    def _in_yuan(self, q: TradeQuestion) -> Reply:
        found = [
            f
            for f in self.facts
            if f.unit == "cny_bn"
            and f.fact_id.startswith(AGGREGATE_SUBJECTS)
            and f.as_of <= self.as_of
        ]
        spans = list(q.periods)
        chosen = [f for f in found if not spans or any(fact_span(f)[0] == s for s in spans)]
        if not chosen:
            held = ", ".join(when_label(f) for f in found) or "no period"
            what = spans[0].label if spans else "that period"
            return no_answer(
                f"I have no yuan figure for China–Russia trade in {what}.",
                f"Trade in yuan is held for {held}; `{self.command} trade` gives the USD figures.",
                command=self.command,
            )
        chosen.sort(key=lambda f: f.period)
        direct = [fact_line(f) for f in chosen[-3:]]
        support = []
        for fact in chosen[-3:]:
            period = fact_span(fact)[0].period()
            value = self.value(period, Flow.TOTAL) if period is not None else None
            if value is not None:
                support.append(self._describe(value))
        return shape(
            Answer(
                title="China–Russia trade in yuan",
                direct=direct,
                support=support,
                support_heading="In US dollars (China customs)",
                more=f"trade {fact_span(chosen[-1])[0].first_year}",
            ),
            self.as_of,
            self.command,
        )


def when_label(fact: Fact) -> str:
    return fact_span(fact)[0].label


def _sources(*values: Value) -> tuple[Source, ...]:
    return tuple(dict.fromkeys(s for v in values for s in v.sources))


def _change_text(first: Value, second: Value) -> str:
    delta = second.usd_bn - first.usd_bn
    sign = "+" if delta >= 0 else "−"
    text = f"Change from {first.period.label} to {second.period.label}: {sign}{format_usd_bn(abs(delta))}"
    if first.usd_bn > 0:
        text += f" ({format_pct((second.usd_bn / first.usd_bn - 1) * 100)}, computed)"
    return text + "."


def _command_period(period: Period) -> str:
    if period.kind is PeriodKind.YEAR:
        return str(period.year)
    if period.kind is PeriodKind.MONTH:
        return period.key
    return f"{period.year}-{period.first_month:02d}..{period.year}-{period.last_month:02d}"
