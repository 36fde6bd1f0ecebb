"""Sanctions entries say which other lists name the same party.

Revision ID: 0008
Revises: 0007
Created: 2026-11-29

- ``sanctions_entries.referents``: the ids other lists give the same party, as OpenSanctions
  merges them (``ofac-16911``, ``gb-hmt-16273``…), newline-joined.
- ``sanctions_entries.listings``: the lists that name the party according to the entry's
  source, one ``dataset<TAB>YYYY-MM-DD`` line each (the date may be empty).

Both are NULL for rows stored before and for lists that say nothing of other lists (OFAC's).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sanctions_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referents", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("listings", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sanctions_entries", schema=None) as batch_op:
        batch_op.drop_column("listings")
        batch_op.drop_column("referents")
