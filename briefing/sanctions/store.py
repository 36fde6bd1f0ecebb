"""Reading and writing snapshots and their entries (SQLAlchemy Core, bulk inserts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select, update

from briefing.sanctions.model import Entry, ListSource, ParsedList, Snapshot
from briefing.sanctions.tables import entries_table, snapshots_table

# Entries are kept for the newest few lists of each source (enough to diff and to search);
# older snapshots keep their metadata row (date, count, hash) so re-ingests stay no-ops.
KEEP_ENTRIES_PER_SOURCE = 3
_BATCH = 5000


def _join(values: Iterable[str]) -> str:
    # The parsers fold line breaks inside values, so the join reads back as it was.
    return "\n".join(values)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def _entry_row(
    snapshot_id: int, entry: Entry, first_seen: Mapping[str, date | None] | None = None
) -> dict[str, Any]:
    return {
        "snapshot_id": snapshot_id,
        "entity_key": entry.entity_key,
        "name": entry.name,
        "entity_type": entry.entity_type,
        "programmes": _join(entry.programmes),
        "russia_programmes": _join(entry.russia_programmes),
        "countries": _join(entry.countries),
        "china_link": entry.china_link,
        "link_place": entry.link_place,
        "link_reason": entry.link_reason,
        "aliases": _join(entry.aliases),
        "addresses": _join(entry.addresses),
        "remarks": entry.remarks,
        "details": entry.details,
        "listed_on": entry.listed_on,
        "first_seen": entry.first_seen
        if entry.first_seen is not None or first_seen is None
        else first_seen.get(entry.entity_key),
    }


def _row_entry(row: RowMapping | Mapping[str, Any]) -> Entry:
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
        listed_on=row["listed_on"],
        first_seen=row["first_seen"],
    )


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


def load_entries(conn: Connection, snapshot_id: int) -> list[Entry]:
    stmt = (
        select(entries_table)
        .where(entries_table.c.snapshot_id == snapshot_id)
        .order_by(entries_table.c.entity_key)
    )
    return [_row_entry(row) for row in conn.execute(stmt).mappings()]


def insert_snapshot(
    conn: Connection,
    parsed: ParsedList,
    entries: Sequence[Entry],
    first_seen: Mapping[str, date | None] | None = None,
    progress: Callable[[int | None, int], None] | None = None,
) -> int:
    """Store a list and its entries; returns the snapshot id.

    ``first_seen`` supplies the date an entry was first seen when the entry has none (OFAC's
    files carry no dates: it is carried over from the previous list, or is this list's date
    for an addition).
    """
    result = conn.execute(
        snapshots_table.insert().values(
            source_key=parsed.source.key,
            source_title=parsed.source.title,
            source_short=parsed.source.short,
            source_url=parsed.source.url,
            list_date=parsed.list_date,
            date_basis=parsed.date_basis,
            entry_count=len(entries),
            content_hash=parsed.content_hash,
            files=", ".join(p.name for p in parsed.files),
            entries_kept=True,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    snapshot_id = int(key[0])
    total = len(entries)
    for start in range(0, total, _BATCH):
        rows = [_entry_row(snapshot_id, e, first_seen) for e in entries[start : start + _BATCH]]
        conn.execute(entries_table.insert(), rows)
        if progress:
            progress(total, min(start + _BATCH, total))
    return snapshot_id


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
