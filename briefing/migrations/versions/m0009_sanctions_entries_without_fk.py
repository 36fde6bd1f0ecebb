"""Sanctions entries without their foreign key to the snapshots.

Revision ID: 0009
Revises: 0008
Created: 2026-11-29

- ``sanctions_entries.snapshot_id`` no longer references ``sanctions_snapshots.id``.
  PostgreSQL checks a foreign key with a trigger per inserted row: copying a list's ~14,000
  unchanged entries to the next snapshot (one ``INSERT ... SELECT``) spent more time in those
  checks than in the copy itself. Entries are written and deleted only together with their
  snapshot (``briefing.sanctions.store``), which deletes them before it deletes a snapshot.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The foreign key was created unnamed: PostgreSQL named it, SQLite keeps no name.
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_SQLITE_NAME = "fk_sanctions_entries_snapshot_id_sanctions_snapshots"
_POSTGRESQL_NAME = "sanctions_entries_snapshot_id_fkey"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # By name, so that ``python -m briefing.migrations sql`` prints it too.
        op.execute(f"ALTER TABLE sanctions_entries DROP CONSTRAINT IF EXISTS {_POSTGRESQL_NAME}")
        return
    if not sa.inspect(bind).get_foreign_keys("sanctions_entries"):
        return
    with op.batch_alter_table("sanctions_entries", naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint(_SQLITE_NAME, type_="foreignkey")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("sanctions_entries", schema=None) as batch_op:
        batch_op.create_foreign_key(
            _POSTGRESQL_NAME if postgresql else _SQLITE_NAME,
            "sanctions_snapshots",
            ["snapshot_id"],
            ["id"],
            ondelete="CASCADE",
        )
