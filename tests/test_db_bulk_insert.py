"""The bulk write path (COPY on PostgreSQL, executemany on SQLite) stores values as they were."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from briefing.appstate import Briefing
from briefing.db import bulk_insert
from briefing.trade.tables import trade_figure_history

COLUMNS = (
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


def test_bulk_insert_keeps_tabs_backslashes_line_breaks_and_nulls(brief: Briefing) -> None:
    engine = brief.engine
    awkward = ["tab\there", "back\\slash", "line\nbreak\r\nend", "\\N", "", "quote \" ' ;"]
    at = datetime(2026, 11, 29, 9, 40, 1, 123456, tzinfo=UTC)
    rows = [
        ("comtrade", "2024", "exports", f"{n:02d}", 1, 0.1 * n, date(2025, 1, n + 1), text,
         None if n % 2 else "https://example.org/", text, at)
        for n, text in enumerate(awkward)
    ]  # fmt: skip
    with engine.begin() as conn:
        bulk_insert(conn, trade_figure_history, COLUMNS, rows)
    with engine.connect() as conn:
        stored = conn.execute(
            select(*(trade_figure_history.c[name] for name in COLUMNS)).order_by(
                trade_figure_history.c.hs_chapter
            )
        ).all()
    assert len(stored) == len(rows)
    for got, want in zip(stored, rows, strict=True):
        assert got[:10] == want[:10]
        assert got[10].replace(tzinfo=UTC) == at
