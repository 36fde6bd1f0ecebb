"""The console's digest days move into the delivery ledger; ``digest_days`` goes.

Revision ID: 0007
Revises: 0006
Created: 2026-11-29

The console (``bot.py run --platform console``) now delivers through the ledger like Slack and
Discord, to the channel ``console``. Each row of ``digest_days`` becomes a sent digest in the
ledger, once, so a day already printed (or posted, for the ``sub:…`` rows an older version left)
is not delivered again:

- ``console`` → the channel ``console`` (schedule ``sub:console:console:console``);
- ``sub:<platform>:<workspace>:<channel>`` (left by the version before the ledger) → that
  channel, when it has a subscription (without one, no digest of it is planned anyway);
- any other schedule id is not a channel's and is left out.

A day the ledger already holds is kept as it is. Then ``digest_days`` is dropped. The downgrade
creates it again with the console's sent digests. Plain SQL (``INSERT … SELECT``), so the
printed upgrade (``python -m briefing.migrations sql``) does the same.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CONSOLE_SCHEDULE = "sub:console:console:console"
IMPORTED_NOTE = "recorded before the ledger"


def _day_text(dialect: str, column: str) -> str:
    """A DATE column as ``YYYY-MM-DD`` (SQLite stores it so already)."""
    return f"to_char({column}, 'YYYY-MM-DD')" if dialect == "postgresql" else column


def _source(dialect: str) -> str:
    """Each ``digest_days`` row that is a channel's: its schedule, channel, day and time."""
    day = _day_text(dialect, "d.local_day")
    return f"""
        SELECT '{CONSOLE_SCHEDULE}' AS schedule_id, 'console' AS platform,
               'console' AS workspace_id, 'console' AS channel_id,
               d.local_day AS local_day, {day} AS period, d.fired_at AS fired_at
        FROM digest_days d
        WHERE d.schedule_id = 'console'
        UNION ALL
        SELECT d.schedule_id, s.platform, s.workspace_id, s.channel_id,
               d.local_day, {day}, d.fired_at
        FROM digest_days d
        JOIN subscriptions s
          ON d.schedule_id = 'sub:' || s.platform || ':' || s.workspace_id || ':' || s.channel_id
        WHERE d.schedule_id <> '{CONSOLE_SCHEDULE}'
    """


def import_statements(dialect: str) -> list[str]:
    """The SQL that records each channel's ``digest_days`` row as a sent digest (its
    deliveries first, then their runs: a day the ledger has a run of is left alone)."""
    source = _source(dialect)
    run_id = "src.schedule_id || ':' || src.period"
    return [
        f"""
        INSERT INTO deliveries (
            delivery_id, run_id, kind, topic, platform, workspace_id, channel_id, local_day,
            label, update_id, status, due_at, expires_at, next_attempt_at, attempts,
            message_id, last_error, created_at, finished_at, chart_attempts
        )
        SELECT {run_id}, {run_id}, 'digest', 'digest', src.platform, src.workspace_id,
               src.channel_id, src.local_day, NULL, NULL, 'sent', src.fired_at, src.fired_at,
               src.fired_at, 0, NULL, '{IMPORTED_NOTE}', CURRENT_TIMESTAMP, src.fired_at, 0
        FROM ({source}) src
        WHERE NOT EXISTS (SELECT 1 FROM delivery_runs r WHERE r.run_id = {run_id})
          AND NOT EXISTS (SELECT 1 FROM deliveries x WHERE x.delivery_id = {run_id})
        """,
        f"""
        INSERT INTO delivery_runs (
            run_id, kind, schedule_id, period, due_at, status, planned_at, planned_by
        )
        SELECT {run_id}, 'digest', src.schedule_id, src.period, src.fired_at, 'planned',
               CURRENT_TIMESTAMP, 'legacy'
        FROM ({source}) src
        WHERE NOT EXISTS (SELECT 1 FROM delivery_runs r WHERE r.run_id = {run_id})
        """,
    ]


def import_digest_days(conn: sa.Connection) -> None:
    """Run :func:`import_statements` on ``conn`` (a database that still has ``digest_days``)."""
    for statement in import_statements(conn.dialect.name):
        conn.execute(sa.text(statement))


def upgrade() -> None:
    if (
        not context.is_offline_mode()
        and "digest_days" not in sa.inspect(op.get_bind()).get_table_names()
    ):
        return
    for statement in import_statements(op.get_context().dialect.name):
        op.execute(statement)
    op.drop_table("digest_days")


def downgrade() -> None:
    op.create_table(
        "digest_days",
        sa.Column("schedule_id", sa.String(length=200), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("schedule_id", "local_day", name="uq_digest_days_schedule_day"),
    )
    op.execute(
        """
        INSERT INTO digest_days (schedule_id, local_day, fired_at)
        SELECT 'console', local_day, finished_at FROM deliveries
        WHERE kind = 'digest' AND platform = 'console' AND workspace_id = 'console'
          AND channel_id = 'console' AND status = 'sent'
          AND local_day IS NOT NULL AND finished_at IS NOT NULL
        """
    )
