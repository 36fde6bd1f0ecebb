"""Sanctions entries carry the fingerprint of the source rows they were read from.

Revision ID: 0004
Revises: 0003
Created: 2026-11-29

- ``sanctions_entries.fingerprint``: a 64-bit hash of the rows an entry was read from and of
  the reader's version. The next list's entries with the same fingerprint are copied inside
  the database instead of being read, stored and compared again. Rows stored before have none
  (NULL): they are compared field by field, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sanctions_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sanctions_entries", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
