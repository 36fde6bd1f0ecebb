"""Trade charts: annual and monthly China–Russia trade, China's exports vs imports, as PNG.

The data to plot is gathered from the index first; its content hash names the file, so the same
data gives the same file and an existing file is served without rendering (matplotlib is not even
imported then). Rendering uses matplotlib's Agg canvas on a ``Figure`` object (no pyplot state),
so charts can be drawn from any thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from briefing.replies import Chart, Source, format_date
from briefing.trade.index import TradeIndex
from briefing.trade.model import Flow, Period, PeriodKind

log = logging.getLogger(__name__)

# Bump when the drawing changes, so cached files of the old look are not served.
STYLE_VERSION = 5
COMMAND_SIZE = (1000, 600)  # pixels
DIGEST_SIZE = (720, 400)
_DPI = 100
EXPORTS_COLOUR = "#c0392b"  # China → Russia
IMPORTS_COLOUR = "#2471a3"  # Russia → China
TOTAL_COLOUR = "#7f8c8d"  # a total with no split reported
ALT_TEXT_LIMIT = 1500  # Slack accepts 2000 characters of alt text

DATASET_NAMES = {
    "bundled": "China customs (GACC) as reported in the press",
    "comtrade": "UN Comtrade (China's reported data)",
    "customs": "China customs (GACC) releases",
}


@dataclass(frozen=True, slots=True)
class Point:
    period: Period
    total: float | None
    exports: float | None
    imports: float | None
    source: Source | None = None  # the newest source among the point's figures

    @property
    def shown_total(self) -> float | None:
        if self.total is not None:
            return self.total
        if self.exports is not None and self.imports is not None:
            return self.exports + self.imports
        return None


@dataclass(frozen=True, slots=True)
class ChartData:
    title: str
    annual: tuple[Point, ...]
    monthly: tuple[Point, ...]
    sources: tuple[Source, ...]
    source_names: tuple[str, ...]
    data_date: date
    size: tuple[int, int]

    @property
    def source_line(self) -> str:
        names = "; ".join(self.source_names)
        return f"Source: {names}. Data as of {format_date(self.data_date)}."

    def digest(self) -> str:
        def pts(points: tuple[Point, ...]) -> list[Any]:
            return [[p.period.key, p.total, p.exports, p.imports] for p in points]

        payload = {
            "v": STYLE_VERSION,
            "title": self.title,
            "annual": pts(self.annual),
            "monthly": pts(self.monthly),
            "source": self.source_line,
            "size": self.size,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _point(
    index: TradeIndex, period: Period, as_of: date, used: list[tuple[str, Source]]
) -> Point | None:
    values: dict[Flow, float | None] = {}
    newest: Source | None = None
    for flow in Flow:
        obs = index.best(period, flow, as_of)
        values[flow] = None if obs is None else obs.value_usd_bn
        if obs is not None:
            used.append((obs.dataset, obs.source))
            # Newest wins; on a tie the total's page (Flow.TOTAL comes first) keeps the line.
            if newest is None or (newest.as_of or date.min) < obs.published_on:
                newest = obs.source
    if newest is None:
        return None
    return Point(period, values[Flow.TOTAL], values[Flow.EXPORTS], values[Flow.IMPORTS], newest)


def chart_data(
    index: TradeIndex,
    first: Period,
    last: Period,
    as_of: date,
    *,
    annual: bool = True,
    monthly: bool = True,
    size: tuple[int, int] = COMMAND_SIZE,
) -> ChartData | None:
    """The annual figures and single months between ``first`` and ``last`` known on ``as_of``."""
    lo, hi = first.year * 12 + first.first_month - 1, last.end_ordinal()
    used: list[tuple[str, Source]] = []
    years: list[Point] = []
    if annual:
        for year in range(first.year, last.year + 1):
            point = _point(index, Period.year_of(year), as_of, used)
            if point is not None:
                years.append(point)
    months: list[Point] = []
    if monthly:
        for ordinal in range(lo, hi + 1):
            point = _point(index, Period.month_of(ordinal // 12, ordinal % 12 + 1), as_of, used)
            if point is not None:
                months.append(point)
    if years and len(months) < 2:
        months = []  # one stray month makes a panel of a dot
    if not years and not months:
        return None
    # The title names the span actually drawn, not the one asked for.
    plotted = [p.period for p in (*years, *months)]
    lo_p = min(plotted, key=lambda p: (p.year, p.first_month))
    hi_p = max(plotted, key=Period.end_ordinal)
    if years:
        span = f"{lo_p.year}–{hi_p.year}" if lo_p.year != hi_p.year else str(lo_p.year)
    elif lo_p == hi_p:
        span = lo_p.label
    elif (lo_p.year, lo_p.first_month, hi_p.year, hi_p.last_month) == (
        first.year,
        1,
        first.year,
        12,
    ):
        span = f"{first.year} by month"
    else:
        span = f"{lo_p.label}–{hi_p.label}"
    title = f"China–Russia trade, {span}: China's exports vs imports"
    names: list[str] = []
    for dataset, source in used:
        name = DATASET_NAMES.get(dataset, source.title) if dataset != "customs" else source.title
        if name not in names:
            names.append(name)
    dates = [s.as_of for _, s in used if s.as_of is not None]
    unique = tuple({(s.title, s.url): s for _, s in used}.values())
    return ChartData(
        title, tuple(years), tuple(months), unique, tuple(names), max(dates, default=as_of), size
    )


def alt_text(data: ChartData) -> str:
    """The plotted values in words, for screen readers and text-only clients."""

    def describe(p: Point) -> str:
        parts = []
        total = p.shown_total
        if total is not None:
            parts.append(f"total {total:.1f}")
        if p.exports is not None:
            parts.append(f"China→Russia {p.exports:.1f}")
        if p.imports is not None:
            parts.append(f"Russia→China {p.imports:.1f}")
        return f"{p.period.label} " + ", ".join(parts)

    head = f"{data.title}, USD bn."
    if data.annual:
        head += " By year: " + "; ".join(describe(p) for p in data.annual) + "."
    tail = " " + data.source_line
    months = [describe(p) for p in data.monthly]
    shown = len(months)
    while True:
        text = head
        if shown == len(months) and months:
            text += " By month: " + "; ".join(months) + "."
        elif shown:
            text += f" By month (latest {shown} of {len(months)}): "
            text += "; ".join(months[-shown:]) + "."
        if len(text) + len(tail) <= ALT_TEXT_LIMIT or shown == 0:
            break
        shown -= 1  # the newest months matter most; the source line is always kept
    text += tail
    if len(text) > ALT_TEXT_LIMIT:
        keep = ALT_TEXT_LIMIT - len(tail) - 2
        text = text[:keep].rsplit(";", 1)[0] + " …" + tail
    return text


def render_chart(data: ChartData, chart_dir: Path) -> Chart:
    """The PNG for ``data`` under ``chart_dir``, drawn only when no file of that content exists."""
    path = chart_dir / f"trade-{data.digest()}.png"
    if not path.exists():
        chart_dir.mkdir(parents=True, exist_ok=True)
        _draw(data, path)
    return Chart(path=path, title=data.title, alt_text=alt_text(data))


def _draw(data: ChartData, path: Path) -> None:
    # Cold start: matplotlib loads only to draw.
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    # Cold start: matplotlib loads only to draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    width, height = data.size
    small = width < 900
    font = 8 if small else 10
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(fig)
    panels = [p for p in (data.annual, data.monthly) if p]
    grid = fig.add_gridspec(
        1,
        len(panels),
        left=0.07 if not small else 0.09,
        right=0.985,
        top=0.74 if not small else 0.70,
        bottom=0.19 if not small else 0.24,
        wspace=0.18,
        width_ratios=[2, 3] if len(panels) > 1 else [1],
    )
    fig.text(0.01, 0.975, data.title, ha="left", va="top", fontsize=font + 3, weight="bold")
    fig.text(
        0.01,
        0.905 if not small else 0.88,
        "USD bn · China → Russia = China's exports; Russia → China = China's imports",
        ha="left",
        va="top",
        fontsize=font,
        color="#444444",
    )
    # DejaVu Sans averages about 0.6 em per character; keep a margin on the right.
    wrap = int(width * 0.96 / ((font - 1) * 0.6 * _DPI / 72))
    fig.text(
        0.01,
        0.015,
        "\n".join(textwrap.wrap(data.source_line, wrap)),
        ha="left",
        va="bottom",
        fontsize=font - 1,
        color="#555555",
    )
    for column, points in enumerate(panels):
        ax = fig.add_subplot(grid[0, column])
        if points is data.annual:
            _annual_panel(ax, points, font)
        else:
            _monthly_panel(ax, points, font)
        ax.set_ylabel("USD bn" if column == 0 else "", fontsize=font)
        ax.tick_params(labelsize=font - 1)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_ylim(bottom=0)
    handles, labels = [], []
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.875 if not small else 0.845),
        ncol=len(labels),
        frameon=False,
        fontsize=font - 1,
    )
    # Write beside the target and rename: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=_DPI)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _stacked_bars(
    ax: Any, xs: list[int], points: list[Point | None], font: int, *, labels: bool
) -> None:
    """Exports and imports stacked per period; a hatched grey bar where only a total exists.

    Bars are added only where there is a value: empty slots cost nothing to draw.
    """
    split = [
        (x, p)
        for x, p in zip(xs, points, strict=True)
        if p is not None and p.exports is not None and p.imports is not None
    ]
    whole = [
        (x, p)
        for x, p in zip(xs, points, strict=True)
        if p is not None and (p.exports is None or p.imports is None) and p.shown_total
    ]
    split_x = [x for x, _ in split]
    exports = [p.exports or 0.0 for _, p in split]
    ax.bar(split_x, exports, color=EXPORTS_COLOUR, width=0.75, label="China → Russia")
    ax.bar(
        split_x,
        [p.imports or 0.0 for _, p in split],
        bottom=exports,
        color=IMPORTS_COLOUR,
        width=0.75,
        label="Russia → China",
    )
    if whole:
        ax.bar(
            [x for x, _ in whole],
            [p.shown_total or 0.0 for _, p in whole],
            color=TOTAL_COLOUR,
            width=0.75,
            hatch="//",
            edgecolor="white",
            linewidth=0,
            label="Total only (no split reported)",
        )
    top = max((p.shown_total or 0.0) for p in points if p is not None)
    ax.set_ylim(0, top * 1.14)
    if labels:
        for x, point in zip(xs, points, strict=True):
            if point is not None and point.shown_total is not None:
                ax.text(
                    x,
                    point.shown_total + top * 0.015,
                    f"{point.shown_total:.0f}",
                    ha="center",
                    va="bottom",
                    fontsize=font - 1,
                )


def _annual_panel(ax: Any, points: tuple[Point, ...], font: int) -> None:
    xs = list(range(len(points)))
    _stacked_bars(ax, xs, list(points), font, labels=True)
    ax.set_xticks(xs, [str(p.period.year) for p in points])
    ax.set_title("By year", fontsize=font, loc="left")


def _monthly_panel(ax: Any, points: tuple[Point, ...], font: int) -> None:
    first = points[0].period.end_ordinal()
    slots = list(range(first, points[-1].period.end_ordinal() + 1))
    by_slot = {p.period.end_ordinal(): p for p in points}
    xs = list(range(len(slots)))
    # Missing months stay empty: a gap says "not reported", never a zero.
    _stacked_bars(ax, xs, [by_slot.get(s) for s in slots], font, labels=len(slots) <= 14)
    step = max(1, -(-len(slots) // 10))  # about ten tick labels at most
    ticks = xs[::step]
    names = [Period.month_of(slots[x] // 12, slots[x] % 12 + 1).label for x in ticks]
    rotate = len(ticks) > 5
    ax.set_xticks(ticks, names, rotation=40 if rotate else 0, ha="right" if rotate else "center")
    ax.set_xlim(-0.7, len(slots) - 0.3)
    ax.set_title("By month", fontsize=font, loc="left")


def default_range(index: TradeIndex, as_of: date) -> tuple[Period, Period] | None:
    """All years with an annual figure, through the newest month known."""
    years = index.periods(as_of, PeriodKind.YEAR)
    periods = index.periods(as_of)
    if not periods:
        return None
    first_year = years[0].year if years else periods[0].year
    newest = periods[-1]
    return Period.year_of(first_year), Period.year_of(newest.year)


def trade_chart(
    index: TradeIndex,
    first: Period,
    last: Period,
    as_of: date,
    chart_dir: Path,
    *,
    annual: bool = True,
    size: tuple[int, int] = COMMAND_SIZE,
) -> tuple[Chart, ChartData] | None:
    data = chart_data(index, first, last, as_of, annual=annual, size=size)
    if data is None:
        return None
    return render_chart(data, chart_dir), data


def digest_chart(index: TradeIndex, as_of: date, chart_dir: Path) -> Chart | None:
    """The digest's small chart: the last three years by month when at least six months are
    known, else the annual figures of the last seven years. None when nothing can be drawn."""
    recent_first = Period.month_of(as_of.year - 2, 1)
    recent_last = Period.month_of(as_of.year, as_of.month)
    try:
        data = chart_data(index, recent_first, recent_last, as_of, annual=False, size=DIGEST_SIZE)
        if data is None or len(data.monthly) < 6:
            data = chart_data(
                index,
                Period.year_of(as_of.year - 6),
                Period.year_of(as_of.year),
                as_of,
                monthly=False,
                size=DIGEST_SIZE,
            )
        if data is None:
            return None
        return render_chart(data, chart_dir)
    except OSError:
        # A digest without its picture beats no digest: the chart directory may be read-only.
        log.exception("could not write the digest chart under %s", chart_dir)
        return None
