"""The bulk write paths (COPY on PostgreSQL, multi-row INSERT statements on SQLite) store values
as they were, each row once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from briefing.appstate import Briefing
from briefing.db import bulk_insert, insert_absent
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


def test_many_rows_go_in_whole_statements_and_a_last_shorter_one(brief: Briefing) -> None:
    # More rows than one statement holds on SQLite (500) and one block of COPY on PostgreSQL
    # (1,000), with some left over: each stored once.
    count = 2 * 1_000 + 37
    rows = [
        ("comtrade", f"{2000 + n // 97}", "exports", f"{n % 97:02d}", 1, n / 7, date(2025, 1, 1),
         "UN Comtrade", None, f"row {n}", datetime(2026, 11, 29, tzinfo=UTC))
        for n in range(count)
    ]  # fmt: skip
    with brief.engine.begin() as conn:
        bulk_insert(conn, trade_figure_history, COLUMNS, rows)
    with brief.engine.connect() as conn:
        stored = conn.execute(
            select(*(trade_figure_history.c[name] for name in COLUMNS[:10]))
        ).all()
    assert sorted(tuple(row) for row in stored) == sorted(row[:10] for row in rows)


def test_insert_absent_inserts_and_returns_only_the_keys_not_there(brief: Briefing) -> None:
    table = Table(
        "bulk_insert_probe",
        MetaData(),
        Column("key", String(20), primary_key=True),
        Column("value", Integer, nullable=False),
    )
    table.create(brief.engine)
    try:
        with brief.engine.begin() as conn:
            first = insert_absent(
                conn, table, "key", ("key", "value"), [[f"k{n}" for n in range(0, 1200, 2)],
                                                        [0] * 600]
            )  # fmt: skip
        with brief.engine.begin() as conn:
            second = insert_absent(
                conn, table, "key", ("key", "value"), [[f"k{n}" for n in range(1200)], [1] * 1200]
            )
        with brief.engine.connect() as conn:
            stored = dict(conn.execute(select(table.c.key, table.c.value)).all())
    finally:
        table.drop(brief.engine)
    assert sorted(first) == sorted(f"k{n}" for n in range(0, 1200, 2))
    assert sorted(second) == sorted(f"k{n}" for n in range(1, 1200, 2))
    assert stored == {f"k{n}": n % 2 for n in range(1200)}
