"""The application database: one SQLAlchemy ``MetaData`` shared by every table module.

SQLite (the default, WAL mode) for one process; PostgreSQL when several replicas share the work.
Table modules register on :data:`metadata`; :mod:`briefing.schema` imports them all. This
module imports none of them (nor anything else of the app), so any table module may import it.
The schema itself is created and changed by migrations (:mod:`briefing.migrations`):
:func:`briefing.migrations.upgrade` brings a database to the current revision at start.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for a bulk load.

    A bulk load creates hundreds of thousands of objects that live until it ends (rows, cells,
    figures, index postings) and no reference cycles worth collecting; each allocation burst
    would otherwise set off collections that walk every object made so far. Reference counting
    still frees everything as usual; the collector runs again when the block ends (a paused
    collector is left paused, so blocks nest).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows in the caller's transaction by the fastest path each database offers:
    ``COPY ... FROM STDIN`` on PostgreSQL (psycopg), multi-row ``INSERT`` statements on SQLite
    with values converted once per distinct value by the columns' own SQLAlchemy types."""
    if not rows:
        return
    bulk_insert_columns(conn, table, columns, [list(v) for v in zip(*rows, strict=True)])


def bulk_insert_columns(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    values: Sequence[Sequence[Any]],
) -> None:
    """:func:`bulk_insert` of rows given column by column (``values[i]`` holds every row's
    value of ``columns[i]``): no per-row tuples are built on PostgreSQL."""
    if not values or not len(values[0]):
        return
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        copy_columns(driver, table.name, columns, values)
        return
    cursor = driver.cursor()
    try:
        for rows, params in _sqlite_statements(conn, table, columns, values):
            cursor.execute(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {rows}", params)
    finally:
        cursor.close()


# Rows per multi-row INSERT on SQLite: statements of a few hundred rows run fastest. 20,370
# trade figures of 11 columns, best of eight on SQLite 3.40: 68-96 ms in statements of 250-500
# rows, 102-122 ms by executemany, 112-120 ms in statements near SQLite's limit of 32,766 bound
# parameters; a whole Comtrade ingest of 100,000 rows, 7-10% less time than by executemany.
_SQLITE_ROWS = 500
_SQLITE_PARAMS = 30_000


def _sqlite_statements(
    conn: Connection, table: Table, columns: Sequence[str], values: Sequence[Sequence[Any]]
) -> Iterator[tuple[str, list[Any]]]:
    """The rows (given column by column) as multi-row ``VALUES`` lists: each list's
    placeholders and its values in order, converted by :func:`_sqlite_values`. All lists but
    the last have the same text, so the driver prepares that statement once."""
    width = len(columns)
    per = max(1, min(_SQLITE_ROWS, _SQLITE_PARAMS // width))
    converted = _sqlite_values(conn, table, columns, values)
    flat = list(itertools.chain.from_iterable(zip(*converted, strict=True)))
    row = "(" + ", ".join(["?"] * width) + ")"
    full = ", ".join([row] * per)
    step = per * width
    for start in range(0, len(flat), step):
        params = flat[start : start + step]
        yield (full if len(params) == step else ", ".join([row] * (len(params) // width))), params


_temp_tables = itertools.count(1)


def insert_absent(
    conn: Connection,
    table: Table,
    key: str,
    columns: Sequence[str],
    values: Sequence[Sequence[Any]],
) -> list[Any]:
    """Insert the rows (given column by column, as :func:`bulk_insert_columns`) whose ``key``
    the table does not hold yet, in the caller's transaction; returns the keys inserted.

    PostgreSQL: ``COPY`` into a temporary table dropped at commit, then one ``INSERT ...
    SELECT ... ON CONFLICT DO NOTHING RETURNING``. SQLite: multi-row ``INSERT ... ON CONFLICT
    DO NOTHING RETURNING`` statements of one shape (prepared once by the driver), values
    converted once per distinct value by the columns' SQLAlchemy types. Either way a row
    another transaction inserted first is left out, and so is its key.
    """
    if not values or not len(values[0]):
        return []
    names = ", ".join(columns)
    driver: Any = conn.connection.driver_connection
    found: list[Any] = []
    if conn.dialect.name == "postgresql":
        temp = f"_absent_{table.name}_{next(_temp_tables)}"
        with driver.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} (LIKE {table.name} INCLUDING DEFAULTS) "
                "ON COMMIT DROP"
            )
        copy_columns(driver, temp, columns, values)
        with driver.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {temp} "
                f"ON CONFLICT DO NOTHING RETURNING {key}"
            )
            found = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"DROP TABLE {temp}")
        return found
    cursor = driver.cursor()
    try:
        for rows, params in _sqlite_statements(conn, table, columns, values):
            cursor.execute(
                f"INSERT INTO {table.name} ({names}) VALUES {rows} "
                f"ON CONFLICT DO NOTHING RETURNING {key}",
                params,
            )
            found.extend(row[0] for row in cursor.fetchall())
    finally:
        cursor.close()
    return found


def _sqlite_values(
    conn: Connection, table: Table, columns: Sequence[str], values: Sequence[Sequence[Any]]
) -> list[Sequence[Any]]:
    """Columns of values as SQLite stores them: each column's SQLAlchemy bind processor
    applied once per distinct value."""
    converted: list[Sequence[Any]] = []
    for name, given in zip(columns, values, strict=True):
        processor = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if processor is None:
            converted.append(given)
            continue
        memo: dict[Any, Any] = {}
        converted.append(
            [memo[v] if v in memo else memo.setdefault(v, processor(v)) for v in given]
        )
    return converted


_COPY_NULL = "\\N"


def _copy_text(values: Sequence[Any]) -> list[str]:
    """One column's values in ``COPY``'s text format (``\\N`` for NULL; backslash, tab and
    line breaks escaped); a value that repeats (a date, a timestamp) is formatted once."""
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "".join(values)
        if "\\" not in joined and "\t" not in joined and "\n" not in joined and "\r" not in joined:
            return list(values)  # text with nothing to escape, as it is
    elif kinds <= {int, float}:
        return list(map(str, values))  # numbers: nothing to escape, and rarely repeated
    elif not any(issubclass(kind, str) for kind in kinds) and type(None) not in kinds:
        # Dates, timestamps: nothing to escape; each distinct value formatted once.
        texts = {value: str(value) for value in set(values)}
        return list(map(texts.__getitem__, values))
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
    """``COPY table (columns) FROM STDIN`` on a psycopg connection, in the connection's
    transaction: the rows formatted as text column by column and sent in blocks."""
    if not rows:
        return
    copy_columns(driver, table, columns, list(zip(*rows, strict=True)))


# Rows formatted and sent per write of a COPY: the server parses and inserts one block while the
# next is formatted. 20,370 trade figures, best of ten: 107-119 ms in blocks of 1,000-2,500
# rows, 149-175 ms in blocks of 10,000 or all at once; a whole 100,000-row Comtrade ingest,
# best of ten interleaved: 367 ms in blocks of 1,000, 394 ms of 2,000, 420 ms in one block.
_COPY_ROWS = 1_000


def copy_columns(
    driver: Any, table: str, columns: Sequence[str], values: Sequence[Sequence[Any]]
) -> None:
    """:func:`copy_rows` of rows given column by column (``values[i]`` for ``columns[i]``),
    sent in blocks of :data:`_COPY_ROWS` rows."""
    if not values or not len(values[0]):
        return
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for start in range(0, len(values[0]), _COPY_ROWS):
            texts = [_copy_text(column[start : start + _COPY_ROWS]) for column in values]
            copy.write("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n")
