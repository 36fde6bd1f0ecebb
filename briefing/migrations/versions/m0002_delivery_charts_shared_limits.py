"""Delivery charts, and the replay guard and rate limits shared by replicas.

Revision ID: 0002
Revises: 0001
Created: 2026-11-29

- ``deliveries``: the chart part of a delivery (``chart_status``, ``chart_id``,
  ``chart_attempts``, ``chart_error``). Rows delivered before have none (NULL): done as they are.
- ``delivery_runs``: an index on ``due_at`` (the repair pass and the doctor look at recent runs).
- ``replay_signatures``, ``rate_limits``: the replay guard and the per-user limit on slow
  commands, in the database every replica shares.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("hits", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    with op.batch_alter_table("rate_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limits_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "replay_signatures",
        sa.Column("signature_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature_hash", name=op.f("pk_replay_signatures")),
    )
    with op.batch_alter_table("replay_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_replay_signatures_expires_at"), ["expires_at"], unique=False
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chart_status", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("chart_id", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("chart_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("chart_error", sa.Text(), nullable=True))

    with op.batch_alter_table("delivery_runs", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_runs_due_at", ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_runs_due_at")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("chart_error")
        batch_op.drop_column("chart_attempts")
        batch_op.drop_column("chart_id")
        batch_op.drop_column("chart_status")

    with op.batch_alter_table("replay_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replay_signatures_expires_at"))

    op.drop_table("replay_signatures")
    with op.batch_alter_table("rate_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limits_updated_at"))

    op.drop_table("rate_limits")
