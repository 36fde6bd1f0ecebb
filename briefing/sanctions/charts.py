"""The designation-history chart: OFAC additions per month under a scope, China/Hong Kong-linked
ones apart, and (for a country scope) the month-end count of listed entries with an address
there.

Same conventions as :mod:`briefing.trade.charts`: the data is gathered first and its hash names
the file, so the same data is never drawn twice; matplotlib's Agg canvas on a ``Figure`` (no
pyplot state); the title, units, source and data date are on the chart; the alt text gives the
values in words.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from briefing.replies import Chart, Source, format_date
from briefing.sanctions.history import (
    CountryMonth,
    MonthCount,
    SanctionsHistory,
    Scope,
    listed_by_country,
    monthly_designations,
)

STYLE_VERSION = 2
SIZE = (1000, 600)
_DPI = 100
LINKED_COLOUR = "#c0392b"  # linked to China / Hong Kong
OTHER_COLOUR = "#7f8c8d"
LISTED_COLOUR = "#2471a3"
ALT_TEXT_LIMIT = 1500
_PANEL_COUNTRY = {"china": "China", "hong kong": "Hong Kong", "russia": "Russia"}


@dataclass(frozen=True, slots=True)
class HistoryChartData:
    title: str
    scope: Scope
    months: tuple[MonthCount, ...]
    listed_country: str | None
    listed: tuple[CountryMonth, ...]
    sources: tuple[Source, ...]

    @property
    def data_date(self) -> date | None:
        dates = [s.as_of for s in self.sources if s.as_of is not None]
        return max(dates) if dates else None

    @property
    def source_line(self) -> str:
        parts = [
            f"{s.title}, to {format_date(s.as_of)}" if s.as_of else s.title for s in self.sources
        ]
        return f"Source: {'; '.join(parts)}."

    def digest(self) -> str:
        payload = {
            "v": STYLE_VERSION,
            "title": self.title,
            "months": [[m.month.isoformat(), m.added, m.apart] for m in self.months],
            "listed": [[m.month_end.isoformat(), m.listed] for m in self.listed],
            "source": self.source_line,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def history_chart_data(
    history: SanctionsHistory, scope: Scope, as_of: date
) -> HistoryChartData | None:
    months = tuple(monthly_designations(history, as_of, scope))
    country = _PANEL_COUNTRY.get(scope.kind)
    listed = tuple(listed_by_country(history, country, as_of)) if country else ()
    if not months and not listed:
        return None
    sources = []
    if months:
        sources.append(history.changes_source)
    if listed:
        sources.append(history.panel_source(as_of))
    title = f"OFAC designations {scope.label}, by month"
    return HistoryChartData(
        title, scope, months, country if listed else None, listed, tuple(sources)
    )


def alt_text(data: HistoryChartData) -> str:
    text = f"{data.title}."
    if data.months:
        text += f" Additions per month ({data.scope.apart} in brackets): " + "; ".join(
            f"{m.label} {m.added} ({m.apart})" for m in data.months if m.added
        )
        text += "; other months none."
    if data.listed:
        text += (
            f" Entries on OFAC's lists with an address in {data.listed_country}, at month end: "
            + "; ".join(f"{m.month_end:%b %Y} {m.listed}" for m in data.listed[::3])
            + f"; {data.listed[-1].month_end:%b %Y} {data.listed[-1].listed}."
        )
    text += " " + data.source_line
    if len(text) > ALT_TEXT_LIMIT:
        text = text[: ALT_TEXT_LIMIT - 1].rsplit(";", 1)[0] + " …"
    return text


def render_history_chart(data: HistoryChartData, chart_dir: Path) -> Chart:
    path = chart_dir / f"sanctions-history-{data.digest()}.png"
    if not path.exists():
        chart_dir.mkdir(parents=True, exist_ok=True)
        _draw(data, path)
    return Chart(path=path, title=data.title, alt_text=alt_text(data))


def _draw(data: HistoryChartData, path: Path) -> None:
    # Cold start: matplotlib loads only to draw.
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    # Cold start: matplotlib loads only to draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    width, height = SIZE
    font = 10
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(fig)
    panels = [p for p in ("months", "listed") if getattr(data, p)]
    grid = fig.add_gridspec(
        1,
        len(panels),
        left=0.07,
        right=0.985,
        top=0.76,
        bottom=0.2,
        wspace=0.2,
        width_ratios=[3, 2] if len(panels) > 1 else [1],
    )
    fig.text(0.01, 0.975, data.title, ha="left", va="top", fontsize=font + 3, weight="bold")
    fig.text(
        0.01,
        0.905,
        "Entries added to OFAC's SDN list per month; China/Hong Kong link read from the "
        "remarks (identifiers, places of birth, nationality)",
        ha="left",
        va="top",
        fontsize=font,
        color="#444444",
    )
    wrap = int(width * 0.96 / ((font - 1) * 0.6 * _DPI / 72))
    footer = data.source_line
    if data.data_date:
        footer += f" Data as of {format_date(data.data_date)}."
    fig.text(
        0.01,
        0.015,
        "\n".join(textwrap.wrap(footer, wrap)),
        ha="left",
        va="bottom",
        fontsize=font - 1,
        color="#555555",
    )
    column = 0
    if data.months:
        ax = fig.add_subplot(grid[0, column])
        column += 1
        _months_panel(ax, data.months, data.scope.apart, font)
    if data.listed:
        ax = fig.add_subplot(grid[0, column])
        _listed_panel(ax, data.listed, data.listed_country or "", font)
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
        bbox_to_anchor=(0.0, 0.87),
        ncol=len(labels),
        frameon=False,
        fontsize=font - 1,
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=_DPI)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _style(ax: Any, font: int) -> None:
    # Cold start: matplotlib loads only to draw.
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # entries are counted, never halved
    ax.tick_params(labelsize=font - 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def _months_panel(ax: Any, months: tuple[MonthCount, ...], apart: str, font: int) -> None:
    xs = list(range(len(months)))
    marked = [m.apart for m in months]
    other = [m.added - m.apart for m in months]
    ax.bar(xs, marked, color=LINKED_COLOUR, width=0.8, label=apart)
    ax.bar(xs, other, bottom=marked, color=OTHER_COLOUR, width=0.8, label="other additions")
    top = max((m.added for m in months), default=0)
    ax.set_ylim(0, max(top * 1.15, 1))
    for x, month in zip(xs, months, strict=True):
        if month.added and month.added >= top * 0.35:
            ax.text(
                x,
                month.added + top * 0.01,
                str(month.added),
                ha="center",
                va="bottom",
                fontsize=font - 2,
            )
    step = max(1, -(-len(months) // 10))
    ticks = xs[::step]
    ax.set_xticks(ticks, [months[x].label for x in ticks], rotation=40, ha="right")
    ax.set_xlim(-0.7, len(months) - 0.3)
    ax.set_ylabel("entries added", fontsize=font)
    ax.set_title("Additions per month", fontsize=font, loc="left")
    _style(ax, font)


def _listed_panel(ax: Any, listed: tuple[CountryMonth, ...], country: str, font: int) -> None:
    xs = list(range(len(listed)))
    ax.plot(
        xs,
        [m.listed for m in listed],
        color=LISTED_COLOUR,
        linewidth=2,
        label=f"listed with an address in {country} (SDN and non-SDN, all programmes)",
    )
    ax.set_ylim(0, max(m.listed for m in listed) * 1.15 or 1)
    step = max(1, -(-len(listed) // 8))
    ticks = xs[::step]
    ax.set_xticks(ticks, [f"{listed[x].month_end:%b %Y}" for x in ticks], rotation=40, ha="right")
    last = listed[-1]
    ax.annotate(
        f"{last.listed:,}",
        (xs[-1], last.listed),
        textcoords="offset points",
        xytext=(-4, 6),
        ha="right",
        fontsize=font - 1,
    )
    ax.set_ylabel("entries", fontsize=font)
    ax.set_title(f"Listed with an address in {country}", fontsize=font, loc="left")
    _style(ax, font)
