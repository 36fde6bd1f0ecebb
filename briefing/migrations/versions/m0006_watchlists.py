"""Watchlists: watched names, their screening per list, rescreens.

Revision ID: 0006
Revises: 0005
Created: 2026-11-29

- ``watch_entries``: each channel's watched counterparties (name, type, country, date of birth,
  the channel's own reference), unique per (channel, folded name, reference).
- ``watch_status``: each entry's hits on each list source and the list version they were found
  on (removed with its entry).
- ``watch_rescreens``: one row per (channel, list source, list version) rescreened, with the
  alert it owes when something changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("workspace_id", sa.String(length=100), nullable=False),
        sa.Column("channel_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("entity_type", sa.String(length=10), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("dob", sa.String(length=10), nullable=True),
        sa.Column("ref", sa.String(length=100), server_default="", nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_entries")),
        sa.UniqueConstraint(
            "platform",
            "workspace_id",
            "channel_id",
            "name_key",
            "ref",
            name="uq_watch_entries_name",
        ),
    )
    with op.batch_alter_table("watch_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_watch_entries_channel", ["platform", "workspace_id", "channel_id"], unique=False
        )

    op.create_table(
        "watch_rescreens",
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("workspace_id", sa.String(length=100), nullable=False),
        sa.Column("channel_id", sa.String(length=100), nullable=False),
        sa.Column("source_key", sa.String(length=120), nullable=False),
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("list_date", sa.Date(), nullable=False),
        sa.Column("previous_date", sa.Date(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lines_json", sa.Text(), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "platform",
            "workspace_id",
            "channel_id",
            "source_key",
            "version",
            name=op.f("pk_watch_rescreens"),
        ),
    )
    with op.batch_alter_table("watch_rescreens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watch_rescreens_screened_at"), ["screened_at"], unique=False
        )

    op.create_table(
        "watch_status",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=120), nullable=False),
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("list_date", sa.Date(), nullable=False),
        sa.Column("hits_json", sa.Text(), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["watch_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entry_id", "source_key", name=op.f("pk_watch_status")),
    )


def downgrade() -> None:
    op.drop_table("watch_status")
    with op.batch_alter_table("watch_rescreens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watch_rescreens_screened_at"))

    op.drop_table("watch_rescreens")
    with op.batch_alter_table("watch_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_watch_entries_channel")

    op.drop_table("watch_entries")
