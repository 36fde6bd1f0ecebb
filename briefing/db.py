"""The application database: one SQLAlchemy ``MetaData`` shared by every table module.

SQLite (the default, WAL mode) for one process; PostgreSQL when several replicas share the work.
Table modules register on :data:`metadata`; :mod:`briefing.schema` imports them all. This
module imports none of them (nor anything else of the app), so any table module may import it.
The schema itself is created and changed by migrations (:mod:`briefing.migrations`):
:func:`briefing.migrations.upgrade` brings a database to the current revision at start.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event
from sqlalchemy.engine import make_url

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows in the caller's transaction by the fastest path each database offers:
    ``COPY ... FROM STDIN`` on PostgreSQL (psycopg), the DB-API's ``executemany`` on SQLite
    with values converted once per distinct value by the columns' own SQLAlchemy types."""
    if not rows:
        return
    names = ", ".join(columns)
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    processors = [
        table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        for name in columns
    ]
    if any(p is not None for p in processors):
        converted: list[list[Any]] = []
        for at, processor in enumerate(processors):
            values = [row[at] for row in rows]
            if processor is not None:
                memo: dict[Any, Any] = {}
                values = [
                    memo[v] if v in memo else memo.setdefault(v, processor(v)) for v in values
                ]
            converted.append(values)
        rows = list(zip(*converted, strict=True))
    marks = ", ".join("?" for _ in columns)
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


_COPY_NULL = "\\N"


def _copy_text(values: Sequence[Any]) -> list[str]:
    """One column's values in ``COPY``'s text format (``\\N`` for NULL; backslash, tab and
    line breaks escaped); a value that repeats (a date, a timestamp) is formatted once."""
    out: list[str] = []
    formatted: dict[Any, str] = {}
    for value in values:
        if value is None:
            out.append(_COPY_NULL)
        elif isinstance(value, str):
            if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
                out.append(
                    value.replace("\\", "\\\\")
                    .replace("\t", "\\t")
                    .replace("\n", "\\n")
                    .replace("\r", "\\r")
                )
            else:
                out.append(value)
        else:
            text = formatted.get(value)
            if text is None:
                text = formatted[value] = str(value)
            out.append(text)
    return out


def copy_rows(
    driver: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``COPY table (columns) FROM STDIN`` on a psycopg connection, the rows written as one
    block of text (column by column, then joined), in the connection's transaction."""
    if not rows:
        return
    texts = [_copy_text(values) for values in zip(*rows, strict=True)]
    block = "\n".join("\t".join(line) for line in zip(*texts, strict=True)) + "\n"
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        copy.write(block)
