"""A data generation counter: every successful ingest bumps it.

A running bot (any replica) compares it with the generation its in-memory indexes were built
from and rebuilds them when another process has loaded new data.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Engine, Integer, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from briefing.db import metadata

generation_table = Table(
    "data_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
)


def current_generation(engine: Engine) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(generation_table.c.generation).where(generation_table.c.id == 1)
        ).scalar()
    return int(value or 0)


def bump_generation(engine: Engine) -> None:
    with engine.begin() as conn:
        bump_generation_in(conn)


def bump_generation_in(conn: Connection) -> None:
    """One more generation, in the caller's transaction (the row is made by the first bump;
    two processes bumping at once both count)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(generation_table).values(id=1, generation=1)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[generation_table.c.id],
            set_={"generation": generation_table.c.generation + 1},
        )
    )
