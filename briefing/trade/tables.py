"""Trade figures loaded by ``bot.py ingest`` (UN Comtrade exports, customs figures typed in).

One table, ``trade_figure_history``: every version of each (dataset, period, flow, HS chapter)
ever ingested, numbered by ``revision`` (1 for the first figure, +1 per revision). A revision
never erases what was said before, so the bot can answer "as of" any date with the figure known
on that date; the current figure of a key is its row of highest revision. Each figure is written
once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    exists,
    select,
)

from briefing.db import bulk_insert_columns, metadata
from briefing.replies import Source
from briefing.trade.model import Flow, Period, TradeObservation, period_of

if TYPE_CHECKING:
    import pandas as pd


trade_figure_history = Table(
    "trade_figure_history",
    metadata,
    Column("dataset", String(40), nullable=False),  # comtrade | customs
    Column("period", String(20), nullable=False),  # Period.key: 2024 · 2024-10 · 2024-01/2024-10
    Column("flow", String(10), nullable=False),  # total | exports | imports
    Column("hs_chapter", String(10), nullable=False),  # TOTAL or a two-digit HS chapter
    Column("revision", Integer, nullable=False),  # 1 for the first figure, +1 per revision
    Column("value_usd_bn", Float, nullable=False),
    Column("published_on", Date, nullable=False),  # the data date (release or --as-of)
    Column("source_title", Text, nullable=False),
    Column("source_url", Text, nullable=True),
    Column("origin", Text, nullable=False),  # the file (and row) the figure came from
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("dataset", "period", "flow", "hs_chapter", "revision"),
)


@dataclass(frozen=True, slots=True)
class StoredFigure:
    dataset: str
    period: Period
    flow: Flow
    hs_chapter: str
    revision: int
    value_usd_bn: float
    published_on: date
    source_title: str
    source_url: str | None
    origin: str

    def observation(self) -> TradeObservation:
        return TradeObservation(
            period=self.period,
            flow=self.flow,
            value_usd_bn=self.value_usd_bn,
            source=_source(self.source_title, self.source_url, self.published_on),
            published_on=self.published_on,
            hs_chapter=self.hs_chapter,
            dataset=self.dataset,
        )


@lru_cache(maxsize=4096)
def _source(title: str, url: str | None, published_on: date) -> Source:
    """One :class:`Source` per outlet and date, shared by its figures."""
    return Source(title, url, published_on)


def _is_current() -> ColumnElement[bool]:
    """A history row is its key's current figure: no later revision of the key exists."""
    row = trade_figure_history.c
    later = trade_figure_history.alias("later").c
    return ~exists().where(
        later.dataset == row.dataset,
        later.period == row.period,
        later.flow == row.flow,
        later.hs_chapter == row.hs_chapter,
        later.revision > row.revision,
    )


def known_periods(conn: Connection, datasets: Iterable[str]) -> set[tuple[str, Period]]:
    """(dataset, period) pairs that already have at least one figure."""
    history = trade_figure_history.c
    stmt = (
        select(history.dataset, history.period)
        .where(history.dataset.in_(sorted(set(datasets))))
        .distinct()
    )
    return {(str(d), period_of(str(p))) for d, p in conn.execute(stmt)}


_WRITTEN = (
    "dataset",
    "period",
    "flow",
    "hs_chapter",
    "revision",
    "value_usd_bn",
    "published_on",
    "source_title",
    "source_url",
    "origin",
    "ingested_at",
)


# The columns of a figure frame as stored: the ingest's frames carry these (``period`` as
# ``Period.key``, ``flow`` as ``Flow.value``).
STORED_COLUMNS = _WRITTEN[:-1]
_KEY = ("dataset", "period", "flow", "hs_chapter", "revision")


def current_frame(conn: Connection, datasets: Iterable[str]) -> pd.DataFrame:
    """The current figure of every key in ``datasets``, as a frame of :data:`STORED_COLUMNS`."""
    # Cold start: pandas loads only when figures are ingested.
    import pandas as pd  # noqa: PLC0415

    history = trade_figure_history.c
    stmt = select(*(history[name] for name in STORED_COLUMNS)).where(
        history.dataset.in_(sorted(set(datasets))), _is_current()
    )
    frame = pd.DataFrame.from_records(
        [tuple(row) for row in conn.execute(stmt)],
        columns=list(STORED_COLUMNS),
        coerce_float=False,
    ).astype(object)
    return frame.astype({"revision": "int64", "value_usd_bn": "float64"})


def stored_figures(frame: pd.DataFrame) -> list[StoredFigure]:
    """The rows of a frame of :data:`STORED_COLUMNS` as figures."""
    flows = {flow.value: flow for flow in Flow}
    out: list[StoredFigure] = []
    for dataset, key, flow, chapter, revision, value, published_on, title, url, origin in zip(
        *(frame[name].tolist() for name in STORED_COLUMNS), strict=True
    ):
        out.append(
            StoredFigure(
                dataset=dataset,
                period=period_of(key),
                flow=flows[flow],
                hs_chapter=chapter,
                revision=int(revision),
                value_usd_bn=float(value),
                published_on=published_on,
                source_title=title,
                source_url=url,
                origin=origin,
            )
        )
    return out


def write_figures(
    conn: Connection,
    new: pd.DataFrame,
    revised: pd.DataFrame,
    ingested_at: datetime,
) -> None:
    """Add ``new`` figures (revision 1) and ``revised`` ones (the next revision of their key) to
    the history, frames of :data:`STORED_COLUMNS` (bulk: ``COPY`` on PostgreSQL,
    ``executemany`` on SQLite). The revised rows become their keys' current figures."""
    if not len(new) and not len(revised):
        return
    # Cold start: pandas loads only when figures are ingested.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    figures = pd.concat([new, revised], ignore_index=True) if len(revised) else new
    # Rows in primary-key order: each lands after the one before it in the table's B-tree.
    at = np.lexsort(
        [
            pd.factorize(figures[name].to_numpy(dtype=object), sort=True)[0]
            for name in reversed(_KEY)
        ]
    )
    bulk_insert_columns(
        conn,
        trade_figure_history,
        _WRITTEN,
        [
            *(figures[name].to_numpy(dtype=object)[at].tolist() for name in STORED_COLUMNS),
            [ingested_at] * len(figures),
        ],
    )


def load_observations(engine: Engine) -> list[TradeObservation]:
    """Every ingested figure version, oldest revision first, for the in-memory index (one
    plain cursor read; periods, flows and sources shared between rows)."""
    columns = (
        "dataset, period, flow, hs_chapter, value_usd_bn, published_on, source_title, source_url"
    )
    order = "dataset, period, flow, hs_chapter, revision"
    days: dict[object, date] = {}
    sources: dict[tuple[str, str | None, date], Source] = {}
    flows = {flow.value: flow for flow in Flow}
    out: list[TradeObservation] = []
    with engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        cursor = driver.cursor()
        try:
            cursor.execute(f"SELECT {columns} FROM {trade_figure_history.name} ORDER BY {order}")
            rows = cursor.fetchall()
        finally:
            cursor.close()
    for dataset, key, flow, chapter, value, published, title, url in rows:
        day = days.get(published)
        if day is None:
            day = days[published] = (
                published if isinstance(published, date) else date.fromisoformat(published)
            )
        source = sources.get((title, url, day))
        if source is None:
            source = sources[(title, url, day)] = Source(title, url, day)
        out.append(
            TradeObservation(
                period=period_of(key),
                flow=flows[flow],
                value_usd_bn=float(value),
                source=source,
                published_on=day,
                hs_chapter=chapter,
                dataset=dataset,
            )
        )
    return out
