"""The console's record of the days it printed the digest: one row per (schedule, local day).

Table only (:mod:`.timer` claims the rows), so :mod:`briefing.schema` registers it without
importing the digest.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, String, Table, UniqueConstraint

from briefing.db import metadata

digest_days = Table(
    "digest_days",
    metadata,
    Column("schedule_id", String(200), nullable=False),
    Column("local_day", Date, nullable=False),
    Column("fired_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("schedule_id", "local_day", name="uq_digest_days_schedule_day"),
)
