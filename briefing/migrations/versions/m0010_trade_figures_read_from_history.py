"""Trade figures: the current value of a figure is its latest revision in the history.

Revision ID: 0010
Revises: 0009
Created: 2026-11-29

``trade_figures`` held a copy of each figure's latest row of ``trade_figure_history``, so every
figure was written twice (on PostgreSQL the copy took the database nearly as long as the
history's ``COPY`` of a Comtrade ingest). The current figure of a (dataset, period, flow, hs_chapter) is now its
row of highest revision in the history (``briefing.trade.tables``).

A current row the history lacks (a database of 0.1.0 could hold one) is copied into it first,
then ``trade_figures`` is dropped. The downgrade builds it again from the history's latest rows.
Plain SQL (``INSERT … SELECT``), so the printed upgrade (``python -m briefing.migrations sql``)
does the same.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = (
    "dataset, period, flow, hs_chapter, revision, value_usd_bn, published_on, source_title, "
    "source_url, origin, ingested_at"
)
_SAME_KEY = (
    "h.dataset = t.dataset AND h.period = t.period AND h.flow = t.flow "
    "AND h.hs_chapter = t.hs_chapter"
)


def upgrade() -> None:
    if (
        not context.is_offline_mode()
        and "trade_figures" not in sa.inspect(op.get_bind()).get_table_names()
    ):
        return
    op.execute(
        f"""
        INSERT INTO trade_figure_history ({_COLUMNS})
        SELECT {_COLUMNS} FROM trade_figures t
        WHERE NOT EXISTS (
            SELECT 1 FROM trade_figure_history h WHERE {_SAME_KEY} AND h.revision >= t.revision
        )
        """
    )
    op.drop_table("trade_figures")


def downgrade() -> None:
    op.create_table(
        "trade_figures",
        sa.Column("dataset", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("flow", sa.String(length=10), nullable=False),
        sa.Column("hs_chapter", sa.String(length=10), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value_usd_bn", sa.Float(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("source_title", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "dataset", "period", "flow", "hs_chapter", name=op.f("pk_trade_figures")
        ),
    )
    op.execute(
        f"""
        INSERT INTO trade_figures ({_COLUMNS})
        SELECT {_COLUMNS} FROM trade_figure_history t
        WHERE NOT EXISTS (
            SELECT 1 FROM trade_figure_history h WHERE {_SAME_KEY} AND h.revision > t.revision
        )
        """
    )
