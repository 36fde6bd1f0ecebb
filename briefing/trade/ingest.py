"""``bot.py ingest`` for trade files: UN Comtrade CSV/JSON exports and the customs CSV.

All trade files given in one run are read and validated first, then written in one database
transaction: a bad file (empty, truncated, wrong columns, a non-numeric value, not UTF-8) is
refused with the file, row and column named, and nothing is replaced. Every version of a figure is
kept (``trade_figure_history``); a new period produces an update, a changed figure a revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from briefing.appstate import Briefing
from briefing.db import paused_gc
from briefing.generation import current_generation
from briefing.ingest_types import Format, IngestError, IngestOptions, IngestResult, Seal
from briefing.trade.index import TradeIndex
from briefing.trade.ingest_files import (
    COMTRADE_DATASET,
    ParsedFigure,
    ParsedFile,
    read_comtrade_csv,
    read_comtrade_json,
    read_customs_csv,
    sniff,
)
from briefing.trade.ingest_updates import updates_for
from briefing.trade.model import TOTAL_CHAPTER, Flow, Period
from briefing.trade.tables import (
    FigureKey,
    StoredFigure,
    current_figures,
    known_periods,
    write_figures,
)

# A figure that moves by less than this (USD 1,000) is the same figure read twice.
_SAME_USD_BN = 1e-6

_READERS = {
    "comtrade-csv": read_comtrade_csv,
    "comtrade-json": read_comtrade_json,
    "customs-csv": read_customs_csv,
}


def claim(paths: Sequence[Path]) -> list[Path]:
    return [p for p in paths if sniff(p) is not None]


def read_files(paths: Sequence[Path], options: IngestOptions) -> list[ParsedFile]:
    """Read and validate every file; raise :class:`IngestError` at the first problem."""
    published_on = options.as_of or options.today
    out = []
    for number, path in enumerate(paths, start=1):
        kind = sniff(path)
        if kind is None:
            raise IngestError(f"{path}: not a UN Comtrade export or customs CSV")
        if options.progress:
            options.progress("Reading trade files", len(paths), number - 1)
        out.append(_READERS[kind](path, published_on))
    if options.progress:
        options.progress("Reading trade files", len(paths), len(paths))
    return out


def _merge(files: list[ParsedFile]) -> dict[FigureKey, ParsedFigure]:
    if len(files) == 1:  # a reader refuses a key twice in one file
        return {figure.key: figure for figure in files[0].figures}
    merged: dict[FigureKey, ParsedFigure] = {}
    for parsed in files:
        for figure in parsed.figures:
            earlier = merged.get(figure.key)
            if (
                earlier is not None
                and abs(earlier.value_usd_bn - figure.value_usd_bn) > _SAME_USD_BN
            ):
                raise IngestError(
                    f"{figure.origin}: {figure.period.key} {figure.flow} {figure.hs_chapter} is "
                    f"{figure.value_usd_bn:.3f} bn here but {earlier.value_usd_bn:.3f} bn at "
                    f"{earlier.origin}; load one file at a time to revise"
                )
            merged[figure.key] = figure
    return merged


def _derive_comtrade_totals(
    incoming: dict[FigureKey, ParsedFigure], current: dict[FigureKey, StoredFigure]
) -> None:
    """Comtrade has no total flow: total = exports + imports, over stored and incoming figures."""

    def state(key: FigureKey) -> tuple[float, date] | None:
        figure = incoming.get(key) or current.get(key)
        return None if figure is None else (figure.value_usd_bn, figure.published_on)

    touched = {(k[1], k[3]) for k in incoming if k[0] == COMTRADE_DATASET}
    for period, chapter in touched:
        exports = state((COMTRADE_DATASET, period, Flow.EXPORTS, chapter))
        imports = state((COMTRADE_DATASET, period, Flow.IMPORTS, chapter))
        if exports is None or imports is None:
            continue
        sample = (
            incoming.get((COMTRADE_DATASET, period, Flow.EXPORTS, chapter))
            or incoming[(COMTRADE_DATASET, period, Flow.IMPORTS, chapter)]
        )
        key: FigureKey = (COMTRADE_DATASET, period, Flow.TOTAL, chapter)
        incoming[key] = ParsedFigure(
            dataset=sample.dataset,
            period=sample.period,
            flow=Flow.TOTAL,
            hs_chapter=sample.hs_chapter,
            value_usd_bn=exports[0] + imports[0],
            published_on=max(exports[1], imports[1]),
            source_title=sample.source_title,
            source_url=sample.source_url,
            origin="exports + imports",
        )


def _stored(figure: ParsedFigure, revision: int) -> StoredFigure:
    return StoredFigure(
        dataset=figure.dataset,
        period=figure.period,
        flow=figure.flow,
        hs_chapter=figure.hs_chapter,
        revision=revision,
        value_usd_bn=figure.value_usd_bn,
        published_on=figure.published_on,
        source_title=figure.source_title,
        source_url=figure.source_url,
        origin=figure.origin,
    )


def load(brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal) -> IngestResult:
    with paused_gc():  # tens of thousands of figures, none in a reference cycle
        return _load(brief, paths, options, seal)


def _load(brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal) -> IngestResult:
    # The in-memory index is the database's state when no other process ingested since.
    built_on = brief.generation
    index_current = current_generation(brief.engine) == built_on
    files = read_files(paths, options)
    incoming = _merge(files)
    datasets = {key[0] for key in incoming}
    # ingested_at is bookkeeping (when this process wrote the row), not a data date.
    ingested_at = datetime.now(UTC)
    new: list[StoredFigure] = []
    revised: list[tuple[StoredFigure, StoredFigure]] = []
    unchanged = 0
    earlier = brief.trade.observations()
    try:
        with brief.engine.begin() as conn:
            current = current_figures(conn, datasets)
            seen_periods = known_periods(conn, datasets)
            _derive_comtrade_totals(incoming, current)
            for key in sorted(incoming, key=_order):
                figure = incoming[key]
                was = current.get(key)
                if was is None:
                    new.append(_stored(figure, 1))
                    continue
                if abs(was.value_usd_bn - figure.value_usd_bn) <= _SAME_USD_BN:
                    unchanged += 1
                    continue
                if figure.published_on < was.published_on:
                    raise IngestError(
                        f"{figure.origin}: revises {figure.period.key} {figure.flow} "
                        f"{figure.hs_chapter} but is dated {figure.published_on}, before the "
                        f"figure it replaces ({was.published_on}); give a later published_on "
                        "or --as-of"
                    )
                revised.append((_stored(figure, was.revision + 1), was))
            write_figures(conn, new, [n for n, _ in revised], ingested_at)
            new_periods = sorted(
                {(f.dataset, f.period) for f in new} - seen_periods,
                key=lambda dp: (dp[0], _order_p(dp[1])),
            )
            stored = [*new, *(n for n, _ in revised)]
            # An update quotes overall figures only (TOTAL chapter): their index is enough.
            totals = TradeIndex(
                [
                    *(o for o in earlier if o.hs_chapter == TOTAL_CHAPTER),
                    *(f.observation() for f in stored if f.hs_chapter == TOTAL_CHAPTER),
                ]
            )
            updates = updates_for(totals, new_periods, new, revised)
            seal(conn, updates)
    except IntegrityError:
        raise IngestError(
            "another ingest wrote the same trade figures at the same time; nothing was "
            "replaced, run this one again"
        ) from None
    if index_current:
        # The next query's index: what this ingest committed on top of what the index held,
        # built when that query comes.
        brief.prepare_trade(
            built_on,
            TradeIndex.deferred(lambda: [*earlier, *(f.observation() for f in stored)]),
        )
    as_of = max(f.published_on for f in incoming.values())
    summary = " · ".join(parsed.describe() for parsed in files)
    summary += (
        f" — {len(new)} new figures, {len(revised)} revised, {unchanged} unchanged"
        f"; {len(new_periods)} new period(s)"
    )
    if new_periods:
        summary += ": " + ", ".join(f"{p.label} ({ds})" for ds, p in new_periods[:12])
        if len(new_periods) > 12:
            summary += ", …"
    return IngestResult(
        source=", ".join(str(p) for p in paths),
        fmt=FORMAT.name,
        records=len(incoming),
        as_of=as_of,
        summary=summary,
        updates=tuple(updates),
    )


@lru_cache(maxsize=4096)
def _order_p(period: Period) -> tuple[int, int]:
    return (period.end_ordinal(), -period.months)


def _order(key: FigureKey) -> tuple[str, tuple[int, int], str, str]:
    return (key[0], _order_p(key[1]), key[3], key[2].value)


FORMAT = Format("trade (UN Comtrade CSV/JSON, customs CSV)", claim, load)
