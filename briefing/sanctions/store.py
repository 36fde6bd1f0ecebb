"""Reading and writing snapshots and their entries.

Entries move in bulk, as pandas frames of the stored columns (list-valued fields newline-joined,
dates as ISO text): the DB-API's ``executemany`` in large batches on SQLite, ``COPY`` on
PostgreSQL, and one plain cursor read back. The diff (:mod:`briefing.sanctions.diff`) compares
two such frames by key; :class:`~briefing.sanctions.model.Entry` objects are built only for
the rows a reply shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, RowMapping, delete, select, update

from briefing.db import copy_rows
from briefing.sanctions.model import Entry, ListSource, ParsedList, Snapshot
from briefing.sanctions.tables import entries_table, snapshots_table

# Entries are kept for the newest few lists of each source (enough to diff and to search);
# older snapshots keep their metadata row (date, count, hash) so re-ingests stay no-ops.
KEEP_ENTRIES_PER_SOURCE = 3
_BATCH = 50_000

# The stored columns of an entry, in the order of a frame (snapshot_id is added on insert).
ENTRY_COLUMNS = (
    "entity_key",
    "name",
    "entity_type",
    "programmes",
    "russia_programmes",
    "countries",
    "china_link",
    "link_place",
    "link_reason",
    "aliases",
    "addresses",
    "remarks",
    "details",
    "listed_on",
    "first_seen",
    "fingerprint",
)
# Optional stored columns (OpenSanctions: the same party on other lists): a frame may carry
# them; a frame without them stores NULL.
PARTY_COLUMNS = ("referents", "listings")
_DATE_COLUMNS = ("listed_on", "first_seen")
_MASK = (1 << 64) - 1
_KEYS_PER_STATEMENT = 900  # under SQLite's limit of bound parameters


def combine(*hashes: int) -> int:
    """Hashes combined in order, as a signed 64-bit integer (what a BIGINT column holds)."""
    value = 0
    for h in hashes:
        value = ((value * 1_000_003) ^ h) & _MASK
    return value - (1 << 64) if value >= 1 << 63 else value


def combine_columns(*hashes: int | np.ndarray) -> list[int]:
    """:func:`combine` element-wise over arrays of 64-bit hashes (plain ints broadcast), in
    one pass of numpy arithmetic per argument; signed Python ints, as :func:`combine` gives."""
    value = np.zeros(1, dtype=np.uint64)
    factor = np.uint64(1_000_003)
    with np.errstate(over="ignore"):
        for h in hashes:
            part = np.asarray(h & _MASK if isinstance(h, int) else h).astype(np.uint64)
            value = (value * factor) ^ part  # uint64 arithmetic wraps: the & _MASK of combine
    return value.view(np.int64).tolist()


# The hashing scheme is part of every fingerprint: another pandas may hash another way, and
# its entries are then derived again (never wrongly kept).
_HASH_SCHEME = f"pandas-{pd.__version__}"


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row of ``frame`` (its cells in column order), the same in every
    process: pandas' keyed SipHash of each cell, combined column by column, in C."""
    if not len(frame.columns):
        return np.zeros(len(frame), dtype=np.uint64)
    hashed = pd.util.hash_pandas_object(frame, index=False, categorize=False)
    return hashed.to_numpy(dtype=np.uint64)


def reader_tag(reader: str) -> int:
    """The hash a reader's fingerprints start from: its version and the hashing scheme."""
    return int(row_hashes(pd.DataFrame({"reader": [f"{reader}|{_HASH_SCHEME}"]}))[0])


class EntryRows:
    """A parsed list's entries before they are stored: their keys, a fingerprint each, and the
    stored columns of any of them, derived on demand.

    A reader that can derive entries lazily (OFAC, targets.simple.csv) fingerprints its source
    rows and derives only the entries whose fingerprint the previous list does not hold.
    """

    def __init__(
        self,
        keys: list[str],
        fingerprints: list[int],
        derive: Callable[[Sequence[int]], pd.DataFrame],
    ) -> None:
        self.keys = keys
        self.fingerprints = fingerprints
        self._derive = derive

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, reader: str) -> EntryRows:
        """Entries already derived: fingerprinted on their stored columns."""
        columns = [
            c for c in (*ENTRY_COLUMNS, *PARTY_COLUMNS) if c != "fingerprint" and c in frame.columns
        ]
        prints = combine_columns(reader_tag(reader), row_hashes(frame[columns]))
        frame = frame.assign(fingerprint=pd.Series(prints, dtype=object, index=frame.index))

        def derive(positions: Sequence[int]) -> pd.DataFrame:
            return frame.iloc[list(positions)].reset_index(drop=True)

        return cls(frame["entity_key"].tolist(), prints, derive)

    def __len__(self) -> int:
        return len(self.keys)

    def frame(self, positions: Sequence[int] | None = None) -> pd.DataFrame:
        """The stored columns of the entries at ``positions`` (all when None), in order."""
        return self._derive(range(len(self.keys)) if positions is None else positions)


def _join(values: Iterable[str]) -> str:
    # The parsers fold line breaks inside values, so the join reads back as it was.
    return "\n".join(values)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def _iso(value: date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def entry_frame(entries: Iterable[Entry]) -> pd.DataFrame:
    """Entries as a frame of the stored columns (with :data:`PARTY_COLUMNS`)."""
    rows = [
        (
            e.entity_key,
            e.name,
            e.entity_type,
            _join(e.programmes),
            _join(e.russia_programmes),
            _join(e.countries),
            e.link_place is not None,
            e.link_place,
            e.link_reason,
            _join(e.aliases),
            _join(e.addresses),
            e.remarks,
            e.details,
            _iso(e.listed_on),
            _iso(e.first_seen),
            None,
            _join(e.referents) or None,
            join_listings(e.listings) or None,
        )
        for e in entries
    ]
    return object_frame(rows, (*ENTRY_COLUMNS, *PARTY_COLUMNS))


def object_frame(rows: Sequence[tuple[Any, ...]], columns: Sequence[str]) -> pd.DataFrame:
    """Rows as a frame of plain Python objects (``None`` stays ``None``, text stays ``str``:
    no inferred string or float dtype, so values compare and read back as they were)."""
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pd.DataFrame(
        {name: pd.Series(list(v), dtype=object) for name, v in zip(columns, values, strict=True)}
    )


def join_listings(listings: Iterable[tuple[str, date | None]]) -> str:
    """Listings as stored: ``dataset<TAB>YYYY-MM-DD`` lines (the date may be empty)."""
    return "\n".join(f"{name}\t{_iso(day) or ''}" for name, day in listings)


def split_listings(text: str | None) -> tuple[tuple[str, date | None], ...]:
    out: list[tuple[str, date | None]] = []
    for line in _split(text):
        name, _, day = line.partition("\t")
        try:
            out.append((name, date.fromisoformat(day) if day else None))
        except ValueError:
            out.append((name, None))
    return tuple(out)


def row_entry(row: Mapping[str, Any]) -> Entry:
    """One stored row (a mapping of :data:`ENTRY_COLUMNS`, and :data:`PARTY_COLUMNS` when
    read) as an :class:`Entry`."""
    return Entry(
        entity_key=row["entity_key"],
        name=row["name"],
        entity_type=row["entity_type"],
        programmes=_split(row["programmes"]),
        russia_programmes=_split(row["russia_programmes"]),
        countries=_split(row["countries"]),
        aliases=_split(row["aliases"]),
        addresses=_split(row["addresses"]),
        remarks=row["remarks"],
        details=row["details"],
        link_place=row["link_place"],
        link_reason=row["link_reason"],
        listed_on=_day(row["listed_on"]),
        first_seen=_day(row["first_seen"]),
        referents=_split(row.get("referents")),
        listings=split_listings(row.get("listings")),
    )


def frame_entries(frame: pd.DataFrame) -> list[Entry]:
    """Every row of a frame of the stored columns as an :class:`Entry`, in order."""
    names = [*ENTRY_COLUMNS, *(c for c in PARTY_COLUMNS if c in frame.columns)]
    columns = [frame[c].tolist() for c in names]
    return [
        row_entry(dict(zip(names, values, strict=True))) for values in zip(*columns, strict=True)
    ]


def _snapshot(row: RowMapping) -> Snapshot:
    return Snapshot(
        snapshot_id=row["id"],
        source=ListSource(
            key=row["source_key"],
            title=row["source_title"],
            short=row["source_short"],
            url=row["source_url"],
        ),
        list_date=row["list_date"],
        ingested_at=row["ingested_at"],
        entry_count=row["entry_count"],
        content_hash=row["content_hash"],
        files=row["files"],
        entries_kept=bool(row["entries_kept"]),
    )


def list_snapshots(conn: Connection, source_key: str | None = None) -> list[Snapshot]:
    """Snapshots, by source then list date (oldest first)."""
    stmt = select(snapshots_table)
    if source_key is not None:
        stmt = stmt.where(snapshots_table.c.source_key == source_key)
    stmt = stmt.order_by(snapshots_table.c.source_key, snapshots_table.c.list_date)
    return [_snapshot(row) for row in conn.execute(stmt).mappings()]


def in_force(snapshots: Sequence[Snapshot], as_of: date) -> list[Snapshot]:
    """The newest snapshot of each source dated on or before ``as_of`` whose entries are kept."""
    latest: dict[str, Snapshot] = {}
    for snap in snapshots:
        if snap.list_date <= as_of and snap.entries_kept:
            current = latest.get(snap.source.key)
            if current is None or snap.list_date > current.list_date:
                latest[snap.source.key] = snap
    return sorted(
        latest.values(), key=lambda s: (not s.source.key.startswith("ofac"), s.source.key)
    )


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _placeholder(conn: Connection) -> str:
    return "%s" if _is_postgresql(conn) else "?"


@contextmanager
def _cursor(conn: Connection) -> Iterator[Any]:
    """A plain DB-API cursor in the connection's transaction: rows come as the driver's tuples,
    with no per-row objects of SQLAlchemy's."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()


def _select(
    conn: Connection,
    snapshot_id: int,
    columns: Sequence[str],
    keys: Sequence[str] | None = None,
    *,
    by_key: bool = False,
) -> list[tuple[Any, ...]]:
    """``columns`` of a snapshot's entries, or of those of ``keys`` (a few hundred keys per
    statement); ``by_key`` sorts the whole snapshot by entity key in the database."""
    mark = _placeholder(conn)
    sql = f"SELECT {', '.join(columns)} FROM {entries_table.name} WHERE snapshot_id = {mark}"
    with _cursor(conn) as cursor:
        if keys is None:
            cursor.execute(sql + (" ORDER BY entity_key" if by_key else ""), [snapshot_id])
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        rows = []
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), _KEYS_PER_STATEMENT):
            chunk = wanted[start : start + _KEYS_PER_STATEMENT]
            cursor.execute(
                sql + f" AND entity_key IN ({', '.join([mark] * len(chunk))})",
                [snapshot_id, *chunk],
            )
            rows.extend(cursor.fetchall())
        return rows


def load_frame(
    conn: Connection,
    snapshot_id: int,
    columns: Sequence[str] = ENTRY_COLUMNS,
    keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A snapshot's entries (or those of ``keys``) as a frame of ``columns``, by entity key."""
    rows = _select(conn, snapshot_id, columns, keys, by_key=True)
    if keys is not None:
        at = list(columns).index("entity_key")
        rows.sort(key=lambda r: r[at])
    frame = object_frame(rows, columns)
    for column in _DATE_COLUMNS:
        if column in frame.columns and _is_postgresql(conn):
            frame[column] = pd.Series([_iso(v) for v in frame[column].tolist()], dtype=object)
    if "china_link" in frame.columns:
        frame["china_link"] = pd.Series(
            [bool(v) for v in frame["china_link"].tolist()], dtype=object
        )
    return frame


def load_fingerprints(conn: Connection, snapshot_id: int) -> dict[str, int | None]:
    """Each entry's fingerprint in a snapshot, by entity key (read in no particular order)."""
    return dict(_select(conn, snapshot_id, ("entity_key", "fingerprint")))


def load_entries(conn: Connection, snapshot_id: int) -> list[Entry]:
    """A snapshot's entries, by entity key."""
    return frame_entries(load_frame(conn, snapshot_id, (*ENTRY_COLUMNS, *PARTY_COLUMNS)))


def load_entries_by_key(
    conn: Connection, snapshot_id: int, keys: Sequence[str]
) -> dict[str, Entry]:
    """The entries of ``keys`` in a snapshot (those it holds), each row made an
    :class:`Entry` as it comes (no frame: a screening reads a few hundred at most)."""
    names = (*ENTRY_COLUMNS, *PARTY_COLUMNS)
    entries = (
        row_entry(dict(zip(names, row, strict=True)))
        for row in _select(conn, snapshot_id, names, keys)
    )
    return {entry.entity_key: entry for entry in entries}


def insert_snapshot(
    conn: Connection,
    parsed: ParsedList,
    frame: pd.DataFrame,
    progress: Callable[[int | None, int], None] | None = None,
    count: int | None = None,
) -> int:
    """Store a list's metadata and the entries of ``frame`` (of :data:`ENTRY_COLUMNS`);
    returns the snapshot id. ``count`` is the list's size when ``frame`` holds only the
    entries not copied from the previous list (:func:`copy_entries`)."""
    result = conn.execute(
        snapshots_table.insert().values(
            source_key=parsed.source.key,
            source_title=parsed.source.title,
            source_short=parsed.source.short,
            source_url=parsed.source.url,
            list_date=parsed.list_date,
            date_basis=parsed.date_basis,
            entry_count=len(frame) if count is None else count,
            content_hash=parsed.content_hash,
            files=", ".join(p.name for p in parsed.files),
            entries_kept=True,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    snapshot_id = int(key[0])
    insert_frame(conn, snapshot_id, frame, progress)
    return snapshot_id


def insert_frame(
    conn: Connection,
    snapshot_id: int,
    frame: pd.DataFrame,
    progress: Callable[[int | None, int], None] | None = None,
) -> None:
    """Bulk-insert entry rows: ``COPY`` on PostgreSQL, ``executemany`` in large batches on
    SQLite, inside the caller's transaction."""
    total = len(frame)
    stored = (*ENTRY_COLUMNS, *(c for c in PARTY_COLUMNS if c in frame.columns))
    names = ("snapshot_id", *stored)
    columns: list[list[Any]] = [[snapshot_id] * total]
    for name in stored:
        values = frame[name].tolist()
        if name in _DATE_COLUMNS and _is_postgresql(conn):
            values = [_day(v) for v in values]
        elif name == "china_link":
            values = [bool(v) for v in values]
        columns.append(values)
    rows = list(zip(*columns, strict=True))
    driver = conn.connection.driver_connection
    if _is_postgresql(conn):
        for start in range(0, total, _BATCH):
            copy_rows(driver, entries_table.name, names, rows[start : start + _BATCH])
            if progress:
                progress(total, min(start + _BATCH, total))
    else:
        sql = (
            f"INSERT INTO {entries_table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        with _cursor(conn) as cursor:
            for start in range(0, total, _BATCH):
                cursor.executemany(sql, rows[start : start + _BATCH])
                if progress:
                    progress(total, min(start + _BATCH, total))
    if progress:
        progress(total, total)


def copy_entries(
    conn: Connection, source_id: int, target_id: int, except_keys: Sequence[str]
) -> None:
    """Copy a snapshot's entries to another but those of ``except_keys``, inside the database:
    one ``INSERT ... SELECT`` (the keys left out go as one array on PostgreSQL, one JSON
    array on SQLite)."""
    names = ", ".join((*ENTRY_COLUMNS, *PARTY_COLUMNS))
    table = entries_table.name
    if _is_postgresql(conn):
        sql = (
            f"INSERT INTO {table} (snapshot_id, {names}) "
            f"SELECT %s, {names} FROM {table} "
            "WHERE snapshot_id = %s AND NOT (entity_key = ANY(%s))"
        )
        params: list[object] = [target_id, source_id, list(except_keys)]
    else:
        sql = (
            f"INSERT INTO {table} (snapshot_id, {names}) "
            f"SELECT ?, {names} FROM {table} "
            "WHERE snapshot_id = ? AND entity_key NOT IN (SELECT value FROM json_each(?))"
        )
        params = [target_id, source_id, json.dumps(list(except_keys))]
    with _cursor(conn) as cursor:
        cursor.execute(sql, params)


def delete_snapshot(conn: Connection, snapshot_id: int) -> None:
    conn.execute(delete(entries_table).where(entries_table.c.snapshot_id == snapshot_id))
    conn.execute(delete(snapshots_table).where(snapshots_table.c.id == snapshot_id))


def prune(conn: Connection, source_key: str, keep: int = KEEP_ENTRIES_PER_SOURCE) -> int:
    """Drop the entries of all but the newest ``keep`` lists of a source; returns how many
    snapshots lost their entries."""
    kept = [s for s in list_snapshots(conn, source_key) if s.entries_kept]
    old = [s.snapshot_id for s in kept[:-keep]] if len(kept) > keep else []
    if old:
        conn.execute(delete(entries_table).where(entries_table.c.snapshot_id.in_(old)))
        conn.execute(
            update(snapshots_table).where(snapshots_table.c.id.in_(old)).values(entries_kept=False)
        )
    return len(old)
