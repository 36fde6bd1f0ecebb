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
    Source,
    format_pct,
    format_usd_bn,
    simple,
    usage_error,
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


def read_period_range(text: str) -> tuple[Period, Period] | Reply:
    """:func:`parse_period_range`, or the refusal every command gives for a period it cannot
    read (why, and the forms it takes)."""
    try:
        return parse_period_range(text)
    except ValueError as exc:
        return usage_error(
            f"I can't read {text!r} as a period.",
            str(exc),
            "Use a year (2024), a month (2024-12) or a range (2019..2025, 2023-01..2024-06).",
        )


def yoy_of(index: TradeIndex, obs: TradeObservation, as_of: date) -> tuple[float, str] | None:
    """Year-on-year change: as stated by the source, else computed over the same months."""
    if obs.yoy_pct is not None:
        return obs.yoy_pct, "stated"
    previous = figure_for(
        index,
        obs.period.previous_year(),
        obs.flow,
        as_of,
        obs.hs_chapter,
        prefer_dataset=obs.dataset,
    )
    if previous is None or previous.value_usd_bn <= 0:
        return None
    how = "computed from monthly figures" if previous.months_summed else "computed"
    return (obs.value_usd_bn / previous.value_usd_bn - 1) * 100, how


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
        elif how != "stated":
            basis += f", {how}"
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
        label = (
            flow.label if chapter == TOTAL_CHAPTER else f"{chapter_label(chapter)} — {flow.label}"
        )
        observations = index.get(period, flow, as_of, chapter)
        if len(observations) > 1:
            values = {round(o.value_usd_bn, 2) for o in observations}
            if len(values) > 1:
                lines.append(Line(f"{label} {period.label} — sources differ:"))
        for obs in observations:
            lines.append(describe(index, obs, as_of, label=label))
    return lines


def _periods(index: TradeIndex, as_of: date, chapter: str) -> list[Period]:
    if chapter == TOTAL_CHAPTER:
        return index.periods(as_of)
    return chapter_periods(index, chapter, as_of)


# More monthly points than this in a year's reply: show their totals only.
_MAX_POINT_LINES = 15


def trade_reply(
    index: TradeIndex, query: TradeQuery, as_of: date, command: str = "/brief"
) -> Reply:
    if query.is_single:
        return _single_period_reply(index, query, as_of, command)
    return _range_reply(index, query, as_of, command)


def _single_period_reply(index: TradeIndex, query: TradeQuery, as_of: date, command: str) -> Reply:
    period, chapter = query.first, query.chapter
    sections: list[Section] = []
    main = _lines_for(index, period, query.flows, as_of, chapter)
    if main:
        sections.append(Section(None, tuple(main)))
    if period.kind is PeriodKind.MONTH and period.first_month > 1:
        ytd = year_to_date_lines(
            index, period.year, period.first_month, query.flows, as_of, chapter=chapter
        )
        if ytd:
            sections.append(Section("Year to date, on the same months a year earlier", tuple(ytd)))
    if period.kind is PeriodKind.YEAR:
        if not main and (month := latest_complete_month(index, period.year, as_of, chapter)):
            ytd = year_to_date_lines(index, period.year, month, query.flows, as_of, chapter=chapter)
            if ytd:
                sections.append(Section(f"{period.year} so far", tuple(ytd)))
        within = [
            p
            for p in _periods(index, as_of, chapter)
            if p.year == period.year and p.kind is not PeriodKind.YEAR
        ]
        points = [
            line for p in within for line in _lines_for(index, p, query.flows, as_of, chapter)
        ]
        if len(points) > _MAX_POINT_LINES and Flow.TOTAL in query.flows:
            points = [
                line for p in within for line in _lines_for(index, p, (Flow.TOTAL,), as_of, chapter)
            ]
        if points:
            sections.append(
                Section(f"Monthly and year-to-date points in {period.year}", tuple(points))
            )
    if not sections:
        what = (
            period.label
            if chapter == TOTAL_CHAPTER
            else f"{chapter_label(chapter)} in {period.label}"
        )
        if chapter != TOTAL_CHAPTER:
            return _no_chapters_reply(index, what, as_of, command)
        return no_data_reply(index, what, as_of)
    hints = [
        f"{command} trade {period.year - 1}",
        f"{command} trade {period.year - 1}..{period.year}",
    ]
    if chapter == TOTAL_CHAPTER and _chapters_of(index, period, as_of):
        hints.append(f"{command} trade {period.year} chapters")
    if chapter != TOTAL_CHAPTER:
        return Reply(
            title=f"China–Russia trade in {chapter_label(chapter)}, {period.label} (USD)",
            sections=tuple(sections),
            as_of=as_of,
            footer=f"Also: {command} trade {period.year} chapters · {command} trade {period.year} movers",
        )
    return Reply(
        title=f"China–Russia trade, {period.label} {TITLE_SUFFIX}",
        sections=tuple(sections),
        as_of=as_of,
        footer="Also: " + " · ".join(hints),
    )


def _range_reply(index: TradeIndex, query: TradeQuery, as_of: date, command: str) -> Reply:
    lo, hi = query.first.end_ordinal(), query.last.end_ordinal()
    known = _periods(index, as_of, query.chapter)
    years = [
        p
        for p in known
        if p.kind is PeriodKind.YEAR and lo <= p.year * 12 and p.end_ordinal() <= hi
    ]
    points = [
        p
        for p in known
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
        if query.chapter != TOTAL_CHAPTER:
            return _no_chapters_reply(
                index, f"{chapter_label(query.chapter)} in {label}", as_of, command
            )
        return no_data_reply(index, label, as_of)
    subject = "" if query.chapter == TOTAL_CHAPTER else f" in {chapter_label(query.chapter)}"
    suffix = TITLE_SUFFIX if query.chapter == TOTAL_CHAPTER else "(USD)"
    return Reply(
        title=f"China–Russia trade{subject}, {label} {suffix}",
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


# --- HS chapters, year-to-date over the same months, top movers -------------------------------

CHAPTER_NAMES = {
    "27": "Mineral fuels",
    "84": "Machinery",
    "85": "Electrical machinery and electronics",
    "87": "Vehicles",
    "26": "Ores",
    "39": "Plastics",
    "40": "Rubber",
    "44": "Wood",
    "72": "Iron and steel",
    "73": "Articles of iron or steel",
    "74": "Copper",
    "76": "Aluminium",
    "03": "Fish",
    "15": "Fats and oils",
    "29": "Organic chemicals",
    "90": "Instruments",
}

# Words a user may type for a chapter: `trade 2024 vehicles`.
CHAPTER_WORDS = {
    "fuels": "27",
    "fuel": "27",
    "energy": "27",
    "oil": "27",
    "machinery": "84",
    "machines": "84",
    "electronics": "85",
    "electrical": "85",
    "vehicles": "87",
    "vehicle": "87",
    "cars": "87",
}


def chapter_label(chapter: str) -> str:
    if chapter == TOTAL_CHAPTER:
        return "All goods"
    name = CHAPTER_NAMES.get(chapter)
    return f"{name} (HS {chapter})" if name else f"HS {chapter}"


@dataclass(frozen=True, slots=True)
class Figure:
    """A value for a period: reported as such, or summed from the months of one dataset."""

    period: Period
    flow: Flow
    chapter: str
    value_usd_bn: float
    source: Source
    dataset: str
    months_summed: int = 0  # 0 when the figure was reported for the whole period
    stated_yoy_pct: float | None = None  # the change on a year earlier, as the source put it

    @property
    def basis(self) -> str:
        return "" if not self.months_summed else f"sum of {self.months_summed} monthly figures"


def _monthly_sum(
    index: TradeIndex,
    period: Period,
    flow: Flow,
    as_of: date,
    *,
    chapter: str,
    prefer_dataset: str | None,
) -> Figure | None:
    by_dataset: dict[str, dict[int, TradeObservation]] = {}
    for month in range(period.first_month, period.last_month + 1):
        for obs in index.get(Period.month_of(period.year, month), flow, as_of, chapter):
            by_dataset.setdefault(obs.dataset, {})[month] = obs  # newest last: keeps the latest
    complete = {ds: m for ds, m in by_dataset.items() if len(m) == period.months}
    if not complete:
        return None
    dataset = (
        prefer_dataset
        if prefer_dataset in complete
        else max(complete, key=lambda ds: max(o.published_on for o in complete[ds].values()))
    )
    months = complete[dataset]
    newest = max(months.values(), key=lambda o: o.published_on)
    return Figure(
        period=period,
        flow=flow,
        chapter=chapter,
        value_usd_bn=sum(o.value_usd_bn for o in months.values()),
        source=_joint_source([months[m].source for m in sorted(months)], newest.source),
        dataset=dataset,
        months_summed=period.months,
    )


def _joint_source(parts: list[Source], newest: Source) -> Source:
    """One citation for a sum whose months came from several pages: every outlet named (the
    common "China customs (GACC), as reported by" said once), dated by the newest page. No
    single page holds the sum, so it links none."""
    distinct = list(dict.fromkeys(p.title for p in parts))
    if len(distinct) == 1:
        return newest
    words = [t.split(" ") for t in distinct]
    shared = 0
    while all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
        shared += 1
    prefix = " ".join(words[0][:shared])
    named = "; ".join(" ".join(w[shared:]) for w in words)
    return Source(title=f"{prefix} {named}".strip(), url=None, as_of=newest.as_of)


def figure_for(
    index: TradeIndex,
    period: Period,
    flow: Flow,
    as_of: date,
    chapter: str = TOTAL_CHAPTER,
    *,
    prefer_dataset: str | None = None,
) -> Figure | None:
    """The reported figure for ``period``, else the sum of its months from one dataset.

    With ``prefer_dataset``, that dataset's own figure comes first, then the sum of its own
    months, and only then another dataset's reported figure: an update about one dataset never
    quotes another's year to date as its own.
    """
    reported = index.get(period, flow, as_of, chapter)
    preferred = [o for o in reported if o.dataset == prefer_dataset]
    if reported and not preferred and prefer_dataset is not None and period.months > 1:
        summed = _monthly_sum(
            index, period, flow, as_of, chapter=chapter, prefer_dataset=prefer_dataset
        )
        if summed is not None and summed.dataset == prefer_dataset:
            return summed
    if reported:
        obs = (preferred or reported)[-1]
        return Figure(
            period,
            flow,
            chapter,
            obs.value_usd_bn,
            obs.source,
            obs.dataset,
            stated_yoy_pct=obs.yoy_pct,
        )
    if period.months > 1:
        return _monthly_sum(
            index, period, flow, as_of, chapter=chapter, prefer_dataset=prefer_dataset
        )
    return None


@dataclass(frozen=True, slots=True)
class Comparison:
    current: Figure
    previous: Figure | None

    @property
    def change_usd_bn(self) -> float | None:
        if self.previous is None:
            return None
        return self.current.value_usd_bn - self.previous.value_usd_bn

    @property
    def change_pct(self) -> float | None:
        if self.previous is None or self.previous.value_usd_bn <= 0:
            return None
        return (self.current.value_usd_bn / self.previous.value_usd_bn - 1) * 100


def compare_year_on_year(
    index: TradeIndex, period: Period, flow: Flow, as_of: date, chapter: str = TOTAL_CHAPTER
) -> Comparison | None:
    """``period`` against the same months a year earlier, preferring the same dataset."""
    current = figure_for(index, period, flow, as_of, chapter)
    if current is None:
        return None
    previous = figure_for(
        index, period.previous_year(), flow, as_of, chapter, prefer_dataset=current.dataset
    )
    return Comparison(current, previous)


def describe_comparison(comparison: Comparison, label: str) -> Line:
    current = comparison.current
    text = f"{label} {current.period.label}: {format_usd_bn(current.value_usd_bn)}"
    if current.basis:
        text += f" ({current.basis})"
    if current.stated_yoy_pct is not None:
        # The source's own change beats one computed against another outlet's (or a revised)
        # figure for the year before.
        previous_label = current.period.previous_year().label
        text += f", {format_pct(current.stated_yoy_pct)} on {previous_label}"
        return Line(text, current.source)
    pct = comparison.change_pct
    if pct is not None and comparison.previous is not None:
        text += f", {format_pct(pct)} on {comparison.previous.period.label}"
        if comparison.previous.basis or current.basis:
            text += " (same months)"
    return Line(text, current.source)


def latest_complete_month(
    index: TradeIndex, year: int, as_of: date, chapter: str = TOTAL_CHAPTER
) -> int | None:
    """The last month M for which Jan–M of ``year`` has a total (reported or summed)."""
    for month in range(12, 0, -1):
        for flow in (Flow.TOTAL, Flow.EXPORTS, Flow.IMPORTS):
            if figure_for(index, Period(year, 1, month), flow, as_of, chapter) is not None:
                return month
    return None


def year_to_date_lines(
    index: TradeIndex,
    year: int,
    through_month: int,
    flows: tuple[Flow, ...],
    as_of: date,
    *,
    chapter: str = TOTAL_CHAPTER,
) -> list[Line]:
    """Jan–``through_month`` of ``year`` against the same months of the year before."""
    period = Period(year, 1, through_month)
    lines = []
    for flow in flows:
        comparison = compare_year_on_year(index, period, flow, as_of, chapter)
        if comparison is not None:
            label = flow.label if chapter == TOTAL_CHAPTER else f"{chapter_label(chapter)} —"
            if chapter != TOTAL_CHAPTER:
                label += f" {flow.label}"
            lines.append(describe_comparison(comparison, label))
    return lines


def chapter_periods(index: TradeIndex, chapter: str, as_of: date) -> list[Period]:
    """Periods with a figure for ``chapter`` published by ``as_of``, oldest first."""
    found = {
        o.period
        for o in index.observations()
        if o.hs_chapter == chapter and o.published_on <= as_of
    }
    return sorted(found, key=lambda p: (p.end_ordinal(), -p.months))


def latest_chapter_year(index: TradeIndex, as_of: date) -> int | None:
    years = [
        o.period.year
        for o in index.observations()
        if o.hs_chapter != TOTAL_CHAPTER and o.published_on <= as_of
    ]
    return max(years) if years else None


def _no_chapters_reply(index: TradeIndex, what: str, as_of: date, command: str) -> Reply:
    year = latest_chapter_year(index, as_of)
    hint = (
        f"Try {command} trade {year} chapters."
        if year is not None
        else "Chapter figures come from UN Comtrade files loaded with `python bot.py ingest`."
    )
    return simple(
        f"I have no HS-chapter breakdown of China–Russia trade for {what}.",
        hint,
        kind=ReplyKind.NO_DATA,
    )


def _chapter_period(index: TradeIndex, period: Period, as_of: date) -> Period:
    """For a year without annual chapter figures, the months of it that have them."""
    if period.kind is not PeriodKind.YEAR or index.chapters(period, as_of):
        return period
    for month in range(11, 0, -1):
        candidate = Period(period.year, 1, month)
        if any(
            figure_for(index, candidate, flow, as_of, ch) is not None
            for ch in CHAPTER_NAMES
            for flow in (Flow.EXPORTS, Flow.IMPORTS)
        ):
            return candidate
    return period


def _chapters_of(index: TradeIndex, period: Period, as_of: date) -> list[str]:
    chapters = set(index.chapters(period, as_of))
    if period.months > 1:
        for month in range(period.first_month, period.last_month + 1):
            chapters.update(index.chapters(Period.month_of(period.year, month), as_of))
    return sorted(chapters)


def chapters_reply(
    index: TradeIndex, period: Period, as_of: date, command: str = "/brief"
) -> Reply:
    """Trade by HS chapter for ``period``: exports and imports, YoY, share of the flow."""
    period = _chapter_period(index, period, as_of)
    rows: list[tuple[float, str, list[Line]]] = []
    totals = {flow: figure_for(index, period, flow, as_of) for flow in (Flow.EXPORTS, Flow.IMPORTS)}
    for chapter in _chapters_of(index, period, as_of):
        lines: list[Line] = []
        size = 0.0
        for flow in (Flow.EXPORTS, Flow.IMPORTS):
            comparison = compare_year_on_year(index, period, flow, as_of, chapter)
            if comparison is None:
                continue
            size += comparison.current.value_usd_bn
            line = describe_comparison(comparison, flow.label)
            total = totals[flow]
            if total is not None and total.value_usd_bn > 0:
                share = comparison.current.value_usd_bn / total.value_usd_bn * 100
                share_text = "<1%" if share < 1 else f"{share:.0f}%"
                line = Line(f"{line.text}; {share_text} of the flow", line.source)
            lines.append(line)
        if lines:
            rows.append((size, chapter, lines))
    if not rows:
        return _no_chapters_reply(index, period.label, as_of, command)
    rows.sort(key=lambda r: (-r[0], r[1]))
    shown = rows[:12]
    sections = [Section(chapter_label(chapter), tuple(lines)) for _, chapter, lines in shown]
    if len(rows) > len(shown):
        more = ", ".join(ch for _, ch, _ in rows[len(shown) :])
        sections.append(Section(None, (Line(f"Also in the data: HS {more}."),)))
    return Reply(
        title=f"China–Russia trade by HS chapter, {period.label} (USD)",
        sections=tuple(sections),
        as_of=as_of,
        footer=(
            f"Also: {command} trade {period.year} movers · "
            f"{command} trade {period.year} hs {shown[0][1]}"
        ),
    )


def movers_reply(
    index: TradeIndex, period: Period, as_of: date, command: str = "/brief", limit: int = 5
) -> Reply:
    """The chapters whose exports or imports changed most on the same months a year earlier."""
    period = _chapter_period(index, period, as_of)
    moves: list[tuple[float, str, Comparison]] = []
    for chapter in _chapters_of(index, period, as_of):
        for flow in (Flow.EXPORTS, Flow.IMPORTS):
            comparison = compare_year_on_year(index, period, flow, as_of, chapter)
            if comparison is not None and comparison.change_usd_bn is not None:
                moves.append((comparison.change_usd_bn, chapter, comparison))
    if not moves:
        if not _chapters_of(index, period, as_of):
            return _no_chapters_reply(index, period.label, as_of, command)
        return simple(
            f"I can't rank chapters for {period.label}: there are no chapter figures for "
            f"{period.previous_year().label} to compare with.",
            f"Try {command} trade {period.year} chapters.",
            kind=ReplyKind.NO_DATA,
        )

    def line(change: float, chapter: str, comparison: Comparison) -> Line:
        base = describe_comparison(
            comparison, f"{chapter_label(chapter)}, {comparison.current.flow.label}"
        )
        sign = "+" if change >= 0 else "−"
        return Line(f"{base.text} ({sign}${abs(change):,.2f} bn)", base.source)

    rises = sorted((m for m in moves if m[0] > 0), key=lambda m: -m[0])[:limit]
    falls = sorted((m for m in moves if m[0] < 0), key=lambda m: m[0])[:limit]
    sections = []
    if rises:
        sections.append(Section("Biggest rises", tuple(line(*m) for m in rises)))
    if falls:
        sections.append(Section("Biggest falls", tuple(line(*m) for m in falls)))
    return Reply(
        title=(
            f"China–Russia trade: top movers by HS chapter, {period.label} "
            f"vs {period.previous_year().label}"
        ),
        sections=tuple(sections),
        as_of=as_of,
        footer=f"Also: {command} trade {period.year} chapters",
    )
