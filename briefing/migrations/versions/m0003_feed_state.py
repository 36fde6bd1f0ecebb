"""Feed state: the schedule, last outcome and validators of each live data feed.

Revision ID: 0003
Revises: 0002
Created: 2026-11-29

- ``feed_state``: one row per feed (docs/feeds.md): when it runs next and who is running it
  (a lease), the last attempt and its outcome, the last success, the version and date of the
  data it holds, the content hash and HTTP validators of its last good files, the failures in
  a row and whether the admins were told about them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_state",
        sa.Column("feed", sa.String(length=80), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_version", sa.String(length=200), nullable=True),
        sa.Column("data_date", sa.Date(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("validators_json", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failure_noticed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("running_by", sa.String(length=200), nullable=True),
        sa.Column("running_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_feed_state")),
    )


def downgrade() -> None:
    op.drop_table("feed_state")
