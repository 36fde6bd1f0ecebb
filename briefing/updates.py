"""Updates: what changed when new data was ingested (sanctions lists, trade releases).

An update is written once per detected change with a deterministic id, feeds the daily digest
("since yesterday") and the update alerts posted to subscribed channels.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    RowMapping,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from briefing.db import metadata
from briefing.replies import Line, Source

updates_table = Table(
    "updates",
    metadata,
    Column("update_id", String(200), primary_key=True),
    Column("topic", String(40), nullable=False),  # "sanctions" | "trade"
    Column("title", Text, nullable=False),
    Column("lines_json", Text, nullable=False),
    Column("data_date", Date, nullable=False, index=True),
    Column("detected_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Update:
    update_id: str
    topic: str
    title: str
    lines: tuple[Line, ...]
    data_date: date


def line_to_dict(line: Line) -> dict[str, str | None]:
    """A line as stored (JSON): its text and its source's title, address and date."""
    src = line.source
    return {
        "text": line.text,
        "source_title": src.title if src else None,
        "source_url": src.url if src else None,
        "source_as_of": src.as_of.isoformat() if src and src.as_of else None,
    }


def line_from_dict(raw: dict[str, str | None]) -> Line:
    """A line as :func:`line_to_dict` stored it."""
    source = None
    if raw.get("source_title"):
        as_of = raw.get("source_as_of")
        source = Source(
            title=str(raw["source_title"]),
            url=raw.get("source_url"),
            as_of=date.fromisoformat(as_of) if as_of else None,
        )
    return Line(text=str(raw["text"]), source=source)


def record_update(engine: Engine, update: Update, detected_at: datetime) -> bool:
    """Store ``update`` unless one with its id exists; True when it was new."""
    return record_updates(engine, [update], detected_at) == 1


def record_updates(engine: Engine, updates: Sequence[Update], detected_at: datetime) -> int:
    """Store each of ``updates`` whose id is new, in one transaction; how many were new."""
    if not updates:
        return 0
    with engine.begin() as conn:
        return record_updates_in(conn, updates, detected_at)


# Updates per INSERT statement (six bound values each: under SQLite's limit of parameters).
_RECORD_BATCH = 500


def record_updates_in(conn: Connection, updates: Sequence[Update], detected_at: datetime) -> int:
    """Store each of ``updates`` whose id is new, in the caller's transaction (one statement
    per few hundred updates); how many were new."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    # Stored in UTC: SQLite keeps no offset, and readers compare against UTC times.
    detected = detected_at.astimezone(UTC)
    rows = [
        {
            "update_id": update.update_id,
            "topic": update.topic,
            "title": update.title,
            "lines_json": json.dumps([line_to_dict(line) for line in update.lines]),
            "data_date": update.data_date,
            "detected_at": detected,
        }
        for update in updates
    ]
    new = 0
    for start in range(0, len(rows), _RECORD_BATCH):
        stmt = insert(updates_table).values(rows[start : start + _RECORD_BATCH])
        new += conn.execute(stmt.on_conflict_do_nothing()).rowcount
    return new


def updates_between(
    engine: Engine, after: date, until: date, topic: str | None = None
) -> list[Update]:
    """Updates whose data date lies in ``(after, until]``, oldest first."""
    stmt = select(updates_table).where(
        updates_table.c.data_date > after, updates_table.c.data_date <= until
    )
    if topic is not None:
        stmt = stmt.where(updates_table.c.topic == topic)
    stmt = stmt.order_by(updates_table.c.data_date, updates_table.c.update_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [_from_row(row) for row in rows]


def load_update(engine: Engine, update_id: str) -> Update | None:
    """The update ``update_id``, or None when there is none."""
    stmt = select(updates_table).where(updates_table.c.update_id == update_id)
    with engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return _from_row(row) if row is not None else None


def _from_row(row: RowMapping) -> Update:
    return Update(
        update_id=row["update_id"],
        topic=row["topic"],
        title=row["title"],
        lines=tuple(line_from_dict(d) for d in json.loads(row["lines_json"])),
        data_date=row["data_date"],
    )
