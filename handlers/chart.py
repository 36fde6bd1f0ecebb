"""chart trade [FROM..TO] — a chart of China–Russia trade: China's exports vs imports, USD bn.

Years (`2019..2025`, the default: every year known) give annual bars with the monthly figures
beside them; months (`2024-01..2025-06`) or one year (`2024`) give the months alone. The chart
carries its title, units, sources and data date; the reply lists the plotted values.
Examples: `chart trade`, `chart trade 2019..2025`, `chart trade 2024-01..2025-06`.
"""

from __future__ import annotations

from briefing.appstate import Context
from briefing.replies import Line, Reply, Section, format_usd_bn, usage_error
from briefing.trade.charts import ChartData, Point, default_range, trade_chart
from briefing.trade.model import Period, PeriodKind
from briefing.trade.queries import no_data_reply, read_period_range

_MONTH_LINES = 6  # the newest months listed in the reply; the chart shows them all


def handle(text: str, ctx: Context) -> Reply:
    words = text.lower().split()
    if not words or words[0] != "trade":
        return usage_error(
            "I can chart trade: China's exports to and imports from Russia.",
            f"Try `{ctx.command} chart trade` or `{ctx.command} chart trade 2019..2025`.",
        )
    index = ctx.brief.trade
    if len(words) > 2:
        return usage_error(
            f"I read one range, not {' '.join(words[1:])!r}.",
            f"Try `{ctx.command} chart trade 2019..2025` or `{ctx.command} chart trade 2024`.",
        )
    annual = True
    if len(words) == 1:
        found = default_range(index, ctx.today)
        if found is None:
            return no_data_reply(index, "any period", ctx.today)
        first, last = found
    else:
        found_range = read_period_range(words[1])
        if isinstance(found_range, Reply):
            return found_range
        first, last = found_range
        single_year = first == last and first.kind is PeriodKind.YEAR
        by_year = "-" not in words[1]
        if single_year or not by_year:
            annual = False
            if single_year:
                first, last = Period.month_of(first.year, 1), Period.month_of(first.year, 12)
        else:
            first, last = Period.year_of(first.year), Period.year_of(last.year)
    made = trade_chart(index, first, last, ctx.today, ctx.brief.settings.chart_dir, annual=annual)
    if made is None:
        what = f"{first.label}–{last.label}" if first != last else first.label
        return no_data_reply(index, what, ctx.today)
    chart, data = made
    return Reply(
        title=data.title + " (USD bn)",
        sections=_sections(data),
        as_of=ctx.today,
        chart=chart,
        extra_sources=data.sources,  # every page behind a drawn figure, not only the listed ones
        footer=f"Also: {ctx.command} trade {last.year}"
        + (f" · {ctx.command} trade {first.year}..{last.year}" if first.year != last.year else ""),
    )


def _line(point: Point) -> Line:
    parts = []
    if point.shown_total is not None:
        parts.append(format_usd_bn(point.shown_total))
    split = []
    if point.exports is not None:
        split.append(f"China → Russia {format_usd_bn(point.exports)}")
    if point.imports is not None:
        split.append(f"Russia → China {format_usd_bn(point.imports)}")
    if split:
        parts.append(" · ".join(split))
    return Line(f"{point.period.label}: " + " — ".join(parts), point.source)


def _sections(data: ChartData) -> tuple[Section, ...]:
    sections = []
    if data.annual:
        sections.append(Section("By year", tuple(_line(p) for p in data.annual)))
    if data.monthly:
        newest = data.monthly[-_MONTH_LINES:]
        heading = "By month" if len(newest) == len(data.monthly) else "Newest months"
        sections.append(Section(heading, tuple(_line(p) for p in newest)))
    return tuple(sections)
