"""Claims walk due deliveries by channel id.

Revision ID: 0005
Revises: 0004
Created: 2026-11-29

- ``deliveries``: the open-row index ``ix_deliveries_open`` becomes
  (``next_attempt_at``, ``channel_id``, ``delivery_id``): a batched claim walks it in that order,
  and channel ids interleave workspaces where delivery ids group them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OPEN = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_open")
        batch_op.create_index(
            "ix_deliveries_open",
            ["next_attempt_at", "channel_id", "delivery_id"],
            unique=False,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_open")
        batch_op.create_index(
            "ix_deliveries_open",
            ["next_attempt_at", "delivery_id"],
            unique=False,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        )
