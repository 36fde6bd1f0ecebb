"""Watchlist tables: the watched names of each channel, each name's last screening per list,
and one row per (channel, list version) rescreened.

- ``watch_entries``: a channel's watched counterparties (name and optional hints: type,
  country, date of birth, the channel's own reference). ``ref`` is ``""`` when none was given,
  so (channel, folded name, ref) is unique on both databases.
- ``watch_status``: for each entry and list source, the hits of its last screening (JSON) and the
  list version they were found on. A rescreen compares a new list with these, so what a channel
  is told is what changed since it was last told.
- ``watch_rescreens``: one row per (channel, list source, list version) rescreened, written in
  the same transaction as the statuses it changed; ``changes`` > 0 rows carry the alert (title
  and lines as JSON) that the delivery planner turns into one ledger delivery each.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from briefing.db import metadata

watch_entries_table = Table(
    "watch_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(100), nullable=False),
    Column("channel_id", String(100), nullable=False),
    Column("name", Text, nullable=False),
    Column("name_key", String(300), nullable=False),  # folded, for duplicates
    Column("entity_type", String(10), nullable=True),  # person | entity | vessel
    Column("country", String(2), nullable=True),  # ISO 3166-1 alpha-2, upper case
    Column("dob", String(10), nullable=True),  # YYYY, YYYY-MM or YYYY-MM-DD
    Column("ref", String(100), nullable=False, server_default=""),
    Column("added_by", String(100), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "platform", "workspace_id", "channel_id", "name_key", "ref", name="uq_watch_entries_name"
    ),
    Index("ix_watch_entries_channel", "platform", "workspace_id", "channel_id"),
)

watch_status_table = Table(
    "watch_status",
    metadata,
    Column(
        "entry_id",
        Integer,
        ForeignKey("watch_entries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("source_key", String(120), primary_key=True),
    Column("version", String(80), nullable=False),  # list date and content hash
    Column("list_date", Date, nullable=False),
    Column("hits_json", Text, nullable=False),
    Column("screened_at", DateTime(timezone=True), nullable=False),
)

watch_rescreens_table = Table(
    "watch_rescreens",
    metadata,
    Column("platform", String(20), primary_key=True),
    Column("workspace_id", String(100), primary_key=True),
    Column("channel_id", String(100), primary_key=True),
    Column("source_key", String(120), primary_key=True),
    Column("version", String(80), primary_key=True),
    Column("list_date", Date, nullable=False),
    Column("previous_date", Date, nullable=True),
    Column("changes", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("lines_json", Text, nullable=False),
    Column("screened_at", DateTime(timezone=True), nullable=False, index=True),
)
