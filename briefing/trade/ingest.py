"""``bot.py ingest`` for trade files: UN Comtrade CSV/JSON exports and the customs CSV.

All trade files given in one run are read and validated first, then written in one database
transaction: a bad file (empty, truncated, wrong columns, a non-numeric value, not UTF-8) is
refused with the file, row and column named, and nothing is replaced. Every version of a figure is
kept (``trade_figure_history``); a new period produces an update, a changed figure a revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from briefing.appstate import Briefing
from briefing.db import paused_gc
from briefing.generation import current_generation
from briefing.ingest_types import Format, IngestError, IngestOptions, IngestResult, Seal
from briefing.trade.index import TradeIndex
from briefing.trade.ingest_files import (
    COMTRADE_DATASET,
    FIGURE_COLUMNS,
    ParsedFile,
    read_comtrade_csv,
    read_comtrade_json,
    read_customs_csv,
    sniff,
)
from briefing.trade.ingest_updates import quoted_figures, updates_for
from briefing.trade.model import TOTAL_CHAPTER, Flow, Period, period_of
from briefing.trade.tables import (
    STORED_COLUMNS,
    current_frame,
    known_periods,
    stored_figures,
    write_figures,
)

if TYPE_CHECKING:
    import pandas as pd

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


_KEY = ["dataset", "period", "flow", "hs_chapter"]


def _merge(files: list[ParsedFile]) -> pd.DataFrame:
    """The figures of every file, one row per key (a reader refuses a key twice in one file);
    a key in two files must carry the same value in both, and the later file's row is kept."""
    # Cold start: pandas loads only when figures are ingested.
    import pandas as pd  # noqa: PLC0415

    if len(files) == 1:
        return files[0].frame
    frame = pd.concat([parsed.frame for parsed in files], ignore_index=True)
    twice = frame.duplicated(_KEY, keep=False)
    if twice.any():
        earlier: dict[tuple[str, str, str, str], tuple[float, str]] = {}
        for dataset, period, flow, chapter, value, origin in frame.loc[
            twice, [*_KEY, "value_usd_bn", "origin"]
        ].itertuples(index=False, name=None):
            key = (dataset, period, flow, chapter)
            if key in earlier and abs(earlier[key][0] - value) > _SAME_USD_BN:
                was, where = earlier[key]
                raise IngestError(
                    f"{origin}: {period} {flow} {chapter} is {value:.3f} bn here but "
                    f"{was:.3f} bn at {where}; load one file at a time to revise"
                )
            earlier[key] = (value, origin)
    return frame.drop_duplicates(_KEY, keep="last")


def _keys(frame: pd.DataFrame) -> list[str]:
    """Each figure's (dataset, period, flow, HS chapter) as one string, to match by."""
    return [
        f"{dataset}\x1f{period}\x1f{flow}\x1f{chapter}"
        for dataset, period, flow, chapter in zip(
            *(frame[name].tolist() for name in _KEY), strict=True
        )
    ]


def _derive_comtrade_totals(incoming: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Comtrade has no total flow: total = exports + imports, over stored and incoming figures
    (an incoming figure stands for the stored one); ``incoming`` with the totals added."""
    # Cold start: pandas loads only when figures are ingested.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    def split(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of Comtrade exports and imports: positions, (period, chapter) pairs, exports?"""
        flow = frame["flow"].to_numpy(dtype=object)
        exports = flow == Flow.EXPORTS.value
        rows = np.nonzero(
            (frame["dataset"].to_numpy(dtype=object) == COMTRADE_DATASET)
            & (exports | (flow == Flow.IMPORTS.value))
        )[0]
        pairs = (
            frame["period"].to_numpy(dtype=object)[rows]
            + "\x1f"
            + frame["hs_chapter"].to_numpy(dtype=object)[rows]
        )
        return rows, pairs, exports[rows]

    rows, pairs, is_exports = split(incoming)
    if not len(rows):
        return incoming
    pair, touched = pd.factorize(pairs)
    count = len(touched)
    # Per (period, chapter) and flow (0 exports, 1 imports): value, publication date, and the
    # row it comes from: -1 none, ≥ 0 incoming, below -1 stored (-2 - row).
    value = np.zeros((count, 2))
    published = np.empty((count, 2), dtype=object)
    source = np.full((count, 2), -1, dtype=np.int64)
    side = np.where(is_exports, 0, 1)
    stored_rows, stored_pairs, stored_exports = split(current)
    if len(stored_rows):
        stored_pair = pd.Index(touched).get_indexer(stored_pairs)
        hit = stored_pair >= 0
        at, flow_of = stored_pair[hit], np.where(stored_exports[hit], 0, 1)
        value[at, flow_of] = current["value_usd_bn"].to_numpy(dtype=np.float64)[stored_rows[hit]]
        published[at, flow_of] = current["published_on"].to_numpy(dtype=object)[stored_rows[hit]]
        source[at, flow_of] = -2 - stored_rows[hit]
    value[pair, side] = incoming["value_usd_bn"].to_numpy(dtype=np.float64)[rows]
    published[pair, side] = incoming["published_on"].to_numpy(dtype=object)[rows]
    source[pair, side] = rows
    both = np.nonzero((source[:, 0] != -1) & (source[:, 1] != -1))[0]
    if not len(both):
        return incoming
    # A total's sources are those of its incoming exports figure, else its imports one.
    sample = np.where(source[both, 0] >= 0, source[both, 0], source[both, 1])
    period, chapter = zip(*(key.split("\x1f") for key in touched[both].tolist()), strict=True)
    size = len(both)
    derived = pd.DataFrame(
        {
            "dataset": np.full(size, COMTRADE_DATASET, dtype=object),
            "period": np.array(period, dtype=object),
            "flow": np.full(size, Flow.TOTAL.value, dtype=object),
            "hs_chapter": np.array(chapter, dtype=object),
            "value_usd_bn": value[both, 0] + value[both, 1],
            "published_on": np.maximum(published[both, 0], published[both, 1]),
            "source_title": incoming["source_title"].to_numpy(dtype=object)[sample],
            "source_url": incoming["source_url"].to_numpy(dtype=object)[sample],
            "origin": np.full(size, "exports + imports", dtype=object),
        },
        columns=list(FIGURE_COLUMNS),
    )
    if (incoming["flow"] == Flow.TOTAL.value).any():
        # A derived total stands for a given one (no reader gives Comtrade totals).
        replaced = set(_keys(derived))
        incoming = incoming[[key not in replaced for key in _keys(incoming)]]
    return pd.concat([incoming, derived], ignore_index=True)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Figures in the order updates and messages use: dataset, period end (longer spans
    first), HS chapter, flow."""
    # Cold start: pandas loads only when figures are ingested.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    period_codes, period_keys = pd.factorize(frame["period"].to_numpy(dtype=object))
    order = [_order_p(period_of(key)) for key in period_keys.tolist()]
    end = np.array([o[0] for o in order], dtype=np.int64)[period_codes]
    span = np.array([o[1] for o in order], dtype=np.int64)[period_codes]
    codes = [
        pd.factorize(frame[name].to_numpy(dtype=object), sort=True)[0]
        for name in ("dataset", "hs_chapter", "flow")
    ]
    at = np.lexsort((codes[2], codes[1], span, end, codes[0]))
    return frame.iloc[at].reset_index(drop=True)


def load(brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal) -> IngestResult:
    with paused_gc():  # tens of thousands of figures, none in a reference cycle
        return _load(brief, paths, options, seal)


def _load(brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal) -> IngestResult:
    # Cold start: pandas loads only when figures are ingested.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    # The in-memory index is the database's state when no other process ingested since.
    built_on = brief.generation
    index_current = current_generation(brief.engine) == built_on
    files = read_files(paths, options)
    incoming = _merge(files)
    datasets = set(incoming["dataset"].tolist())
    # ingested_at is bookkeeping (when this process wrote the row), not a data date.
    ingested_at = datetime.now(UTC)
    earlier = brief.trade.observations()
    try:
        with brief.engine.begin() as conn:
            current = current_frame(conn, datasets)
            seen_periods = known_periods(conn, datasets)
            incoming = _sorted(_derive_comtrade_totals(incoming, current))
            # Each incoming figure's stored row, if any (-1: a new figure).
            at = (
                pd.Index(_keys(current), dtype=object).get_indexer(
                    pd.Index(_keys(incoming), dtype=object)
                )
                if len(current)
                else np.full(len(incoming), -1)  # the datasets' first figures
            )
            is_new = at < 0
            stored_at = np.where(is_new, 0, at)
            value = incoming["value_usd_bn"].to_numpy(dtype=np.float64)
            if len(current):
                before = current["value_usd_bn"].to_numpy(dtype=np.float64)[stored_at]
                revision = current["revision"].to_numpy(dtype=np.int64)[stored_at]
            else:
                before = revision = np.zeros(len(incoming), dtype=np.int64)
            unchanged = ~is_new & (np.abs(before - value) <= _SAME_USD_BN)
            is_revised = ~is_new & ~unchanged
            new_frame = incoming[is_new].assign(revision=1)[list(STORED_COLUMNS)]
            revised_frame = incoming[is_revised].assign(revision=revision[is_revised] + 1)[
                list(STORED_COLUMNS)
            ]
            was_frame = current.iloc[at[is_revised]]
            for origin, period, flow, chapter, published_on, was_published in zip(
                *(revised_frame[name].tolist() for name in ("origin", "period", "flow")),
                revised_frame["hs_chapter"].tolist(),
                revised_frame["published_on"].tolist(),
                was_frame["published_on"].tolist(),
                strict=True,
            ):
                if published_on < was_published:
                    raise IngestError(
                        f"{origin}: revises {period} {flow} {chapter} but is dated "
                        f"{published_on}, before the figure it replaces ({was_published}); give a "
                        "later published_on or --as-of"
                    )
            # The figures are written while the updates are worked out: the database's work
            # (PostgreSQL's COPY, SQLite's statements, which run without the GIL) overlaps
            # this process's.
            with ThreadPoolExecutor(1, thread_name_prefix="trade-write") as writer:
                written = writer.submit(write_figures, conn, new_frame, revised_frame, ingested_at)
                new_periods = sorted(
                    {
                        (dataset, period_of(key))
                        for dataset, key in set(
                            zip(
                                new_frame["dataset"].tolist(),
                                new_frame["period"].tolist(),
                                strict=True,
                            )
                        )
                    }
                    - seen_periods,
                    key=lambda dp: (dp[0], _order_p(dp[1])),
                )
                revised = list(
                    zip(
                        stored_figures(revised_frame),
                        stored_figures(was_frame),
                        strict=True,
                    )
                )
                totals_frame = new_frame[new_frame["hs_chapter"] == TOTAL_CHAPTER]
                # An update quotes overall figures only (TOTAL chapter): their index is enough.
                totals = TradeIndex(
                    [
                        *(o for o in earlier if o.hs_chapter == TOTAL_CHAPTER),
                        *(f.observation() for f in stored_figures(totals_frame)),
                        *(n.observation() for n, _ in revised if n.hs_chapter == TOTAL_CHAPTER),
                    ]
                )
                updates = updates_for(
                    totals, new_periods, stored_figures(quoted_figures(new_frame)), revised
                )
                written.result()  # its error, if any, here
            seal(conn, updates)
    except IntegrityError:
        raise IngestError(
            "another ingest wrote the same trade figures at the same time; nothing was "
            "replaced, run this one again"
        ) from None
    if index_current:
        # The next query's index: what this ingest committed on top of what the index held,
        # built when that query comes.
        stored = [new_frame, revised_frame]
        brief.prepare_trade(
            built_on,
            TradeIndex.deferred(
                lambda: [
                    *earlier,
                    *(f.observation() for frame in stored for f in stored_figures(frame)),
                ]
            ),
        )
    as_of = max(incoming["published_on"].tolist())
    summary = " · ".join(parsed.describe() for parsed in files)
    summary += (
        f" — {int(is_new.sum())} new figures, {len(revised)} revised, "
        f"{int(unchanged.sum())} unchanged; {len(new_periods)} new period(s)"
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


FORMAT = Format("trade (UN Comtrade CSV/JSON, customs CSV)", claim, load)
