"""Alembic's environment: runs the revisions on the connection :mod:`briefing.migrations` hands
it (already in a transaction, holding the schema lock), or renders SQL offline (``--sql``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from briefing.schema import schema_metadata

config = context.config
target_metadata = schema_metadata()


def run_online(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot alter most of a table in place: autogenerate copy-and-move batches.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run migrations through briefing.migrations (python -m briefing.migrations), "
            "which takes the schema lock first"
        )
    run_online(connection)
