"""Update records for ingested trade figures: a new period is news, a changed figure a revision.

Ids are deterministic (dataset, period and, for revisions, a digest of the new values), so loading
the same file twice never posts twice. The data date of an update is the figures' publication
date (or the ``--as-of`` date given to the ingest), so the digest shows it from that day on.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from briefing.replies import Line, Source, format_pct, format_usd_bn
from briefing.trade.index import TradeIndex
from briefing.trade.model import MONTH_ABBR, TOTAL_CHAPTER, Flow, Period, PeriodKind
from briefing.trade.queries import chapter_label, figure_for
from briefing.trade.tables import StoredFigure
from briefing.updates import Update

if TYPE_CHECKING:
    import pandas as pd

DATASET_LABELS = {"comtrade": "UN Comtrade", "customs": "China customs"}
_FLOW_WORDS = {Flow.TOTAL: "total", Flow.EXPORTS: "exports", Flow.IMPORTS: "imports"}


def _label(dataset: str) -> str:
    return DATASET_LABELS.get(dataset, dataset)


def _yoy(
    index: TradeIndex,
    period: Period,
    flow: Flow,
    value_usd_bn: float,
    as_of: date,
    *,
    chapter: str,
    dataset: str,
) -> str:
    previous = figure_for(
        index, period.previous_year(), flow, as_of, chapter, prefer_dataset=dataset
    )
    if previous is None or previous.value_usd_bn <= 0:
        return ""
    pct = (value_usd_bn / previous.value_usd_bn - 1) * 100
    return f"{format_pct(pct)} on {previous.period.label}"


def new_period_update(index: TradeIndex, figures: list[StoredFigure]) -> Update:
    """One update for the first figures of a (dataset, period). ``index`` holds at least the
    overall (TOTAL chapter) figures, these included: an update quotes no chapter's change."""
    first = figures[0]
    dataset, period = first.dataset, first.period
    data_date = max(f.published_on for f in figures)
    newest = max(figures, key=lambda f: f.published_on)
    source = Source(newest.source_title, newest.source_url, data_date)
    overall = {f.flow: f for f in figures if f.hs_chapter == TOTAL_CHAPTER}

    def stated(flow: Flow, value: float) -> str:
        text = format_usd_bn(value)
        yoy = _yoy(index, period, flow, value, data_date, chapter=TOTAL_CHAPTER, dataset=dataset)
        return f"{text}, YoY {yoy}" if yoy else text

    if Flow.TOTAL in overall:
        headline = (
            f"{_label(dataset)}: trade with Russia in {period.label} "
            f"{stated(Flow.TOTAL, overall[Flow.TOTAL].value_usd_bn)}"
        )
    elif overall:
        flow, figure = next(iter(sorted(overall.items())))
        headline = (
            f"{_label(dataset)}: {flow.label} in {period.label} {stated(flow, figure.value_usd_bn)}"
        )
    else:
        headline = f"{_label(dataset)}: China–Russia trade by HS chapter for {period.label}"
    if period.kind is PeriodKind.MONTH and period.first_month > 1:
        ytd = figure_for(
            index, Period(period.year, 1, period.first_month), Flow.TOTAL, data_date,
            prefer_dataset=dataset,
        )  # fmt: skip
        if ytd is not None:
            headline += (
                f"; Jan–{MONTH_ABBR[period.first_month - 1]} {format_usd_bn(ytd.value_usd_bn)}"
            )
            yoy = _yoy(
                index, ytd.period, Flow.TOTAL, ytd.value_usd_bn, data_date,
                chapter=TOTAL_CHAPTER, dataset=dataset,
            )  # fmt: skip
            if yoy:
                headline += f" ({yoy})"

    lines = [Line(headline, source)]
    split = [
        f"{flow.label} {stated(flow, overall[flow].value_usd_bn)}"
        for flow in (Flow.EXPORTS, Flow.IMPORTS)
        if flow in overall
    ]
    if split and Flow.TOTAL in overall:
        lines.append(Line(" · ".join(split), source))
    by_chapter = sorted(
        (f for f in figures if f.hs_chapter != TOTAL_CHAPTER and f.flow is not Flow.TOTAL),
        key=lambda f: -f.value_usd_bn,
    )
    if by_chapter:
        top = "; ".join(
            f"{chapter_label(f.hs_chapter)} {_FLOW_WORDS[f.flow]} {format_usd_bn(f.value_usd_bn)}"
            for f in by_chapter[:_TOP_CHAPTERS]
        )
        lines.append(Line(f"Largest HS chapters: {top}", source))
    return Update(
        update_id=f"trade:{dataset}:{period.key}:new",
        topic="trade",
        title=headline,
        lines=tuple(lines),
        data_date=data_date,
    )


# How many HS chapters a new period's update names.
_TOP_CHAPTERS = 4


def quoted_figures(new: pd.DataFrame) -> pd.DataFrame:
    """Of new figures (a frame with ``dataset``, ``period``, ``flow``, ``hs_chapter``,
    ``value_usd_bn``, ``published_on``), the rows :func:`new_period_update` reads, in their
    order: each period's overall (TOTAL chapter) figures, its largest chapter figures, and its
    first figure with the latest publication date. The update of the subset is the update of
    all the period's figures; tens of thousands of chapter figures need no objects."""
    # Cold start: pandas loads only when figures are ingested.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    if not len(new):
        return new
    position = np.arange(len(new))
    group, _ = pd.factorize(
        np.array(
            [
                f"{d}\x1f{p}"
                for d, p in zip(new["dataset"].tolist(), new["period"].tolist(), strict=True)
            ],
            dtype=object,
        )
    )
    overall = new["hs_chapter"].to_numpy(dtype=object) == TOTAL_CHAPTER
    # The largest chapter figures: by group, value descending, then order of appearance.
    chapters = np.nonzero(~overall & (new["flow"].to_numpy(dtype=object) != Flow.TOTAL.value))[0]
    value = new["value_usd_bn"].to_numpy(dtype=np.float64)
    ranked = chapters[np.lexsort((chapters, -value[chapters], group[chapters]))]
    starts = np.searchsorted(group[ranked], group[ranked], side="left")
    largest = ranked[np.arange(len(ranked)) - starts < _TOP_CHAPTERS]
    # The first figure of each group with the group's latest publication date.
    day, _ = pd.factorize(new["published_on"].to_numpy(dtype=object), sort=True)
    latest_day = np.full(group.max() + 1, -1, dtype=np.int64)
    np.maximum.at(latest_day, group, day)
    latest = position[day == latest_day[group]]
    _, first = np.unique(group[latest], return_index=True)
    keep = overall.copy()
    keep[largest] = True
    keep[latest[first]] = True
    quoted: pd.DataFrame = new[keep]
    return quoted


def revision_update(revised: list[tuple[StoredFigure, StoredFigure]]) -> Update:
    """One update for the changed figures of a (dataset, period): (new, was) pairs."""
    ordered = sorted(
        revised,
        key=lambda pair: (
            pair[0].hs_chapter != TOTAL_CHAPTER,
            pair[0].hs_chapter,
            list(Flow).index(pair[0].flow),
        ),
    )
    first = ordered[0][0]
    dataset, period = first.dataset, first.period
    data_date = max(new.published_on for new, _ in ordered)
    source = Source(first.source_title, first.source_url, data_date)

    def change(new: StoredFigure, was: StoredFigure) -> str:
        what = _FLOW_WORDS[new.flow]
        if new.hs_chapter != TOTAL_CHAPTER:
            what = f"{chapter_label(new.hs_chapter)} {what}"
        return (
            f"{period.label} {what} {format_usd_bn(new.value_usd_bn)} "
            f"(was {format_usd_bn(was.value_usd_bn)})"
        )

    digest = hashlib.sha256(
        "|".join(
            f"{n.flow}:{n.hs_chapter}:{n.value_usd_bn!r}:{n.published_on}" for n, _ in ordered
        ).encode()
    ).hexdigest()[:12]
    title = f"{_label(dataset)} revised: {change(*ordered[0])}"
    if len(ordered) > 1:
        title += f" and {len(ordered) - 1} more figure{'s' if len(ordered) > 2 else ''}"
    lines = [Line(f"revised: {change(new, was)}", source) for new, was in ordered]
    return Update(
        update_id=f"trade:{dataset}:{period.key}:revised:{digest}",
        topic="trade",
        title=title,
        lines=(Line(title, source), *lines),
        data_date=data_date,
    )


def updates_for(
    index: TradeIndex,
    new_periods: Iterable[tuple[str, Period]],
    new: list[StoredFigure],
    revised: list[tuple[StoredFigure, StoredFigure]],
) -> list[Update]:
    """The updates of one ingest: one per new (dataset, period), one per revised one."""
    fresh = set(new_periods)
    by_period: dict[tuple[str, Period], list[StoredFigure]] = defaultdict(list)
    for figure in new:
        if (figure.dataset, figure.period) in fresh:
            by_period[(figure.dataset, figure.period)].append(figure)
    changes: dict[tuple[str, Period], list[tuple[StoredFigure, StoredFigure]]] = defaultdict(list)
    for pair in revised:
        changes[(pair[0].dataset, pair[0].period)].append(pair)
    out = [new_period_update(index, figures) for figures in by_period.values()]
    out.extend(revision_update(pairs) for pairs in changes.values())
    out.sort(key=lambda u: (u.data_date, u.update_id))
    return out
