"""A data generation counter: every successful ingest bumps it.

A running bot (any replica) compares it with the generation its in-memory indexes were built
from and rebuilds them when another process has loaded new data.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, Table, select, update
from sqlalchemy.exc import IntegrityError

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
        changed = conn.execute(
            update(generation_table)
            .where(generation_table.c.id == 1)
            .values(generation=generation_table.c.generation + 1)
        ).rowcount
    if changed:
        return
    try:
        with engine.begin() as conn:
            conn.execute(generation_table.insert().values(id=1, generation=1))
    except IntegrityError:  # another process created the row first
        bump_generation(engine)
