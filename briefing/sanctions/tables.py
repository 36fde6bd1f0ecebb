"""Sanctions tables: one row per stored list (snapshot), one row per entry of a snapshot.

List-valued fields (programmes, aliases, addresses, countries) are stored newline-joined: the
values never contain line breaks (the parsers fold them) and a plain text column is portable
across SQLite and PostgreSQL and cheap to bulk-insert. ``fingerprint`` hashes the source rows
an entry came from, so the next list's unchanged entries are copied inside the database.
``referents`` and ``listings`` hold what an OpenSanctions entity says of the other lists that
name the same party (see :mod:`briefing.sanctions.parties`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from briefing.db import metadata

snapshots_table = Table(
    "sanctions_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_key", String(120), nullable=False),
    Column("source_title", String(200), nullable=False),
    Column("source_short", String(80), nullable=False),
    Column("source_url", String(500)),
    Column("list_date", Date, nullable=False),
    Column("date_basis", String(20), nullable=False),
    # Set by the database: nothing below the entry points reads the clock.
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("entry_count", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("files", Text, nullable=False),
    # Entries of old snapshots are pruned; the metadata row stays (dates, counts, hash).
    Column("entries_kept", Boolean, nullable=False, default=True),
    UniqueConstraint("source_key", "list_date", name="uq_sanctions_snapshots_source_date"),
)

entries_table = Table(
    "sanctions_entries",
    metadata,
    # No foreign key: PostgreSQL checks one row by row (a trigger per inserted row), which
    # doubled the cost of copying a list's unchanged entries to the next snapshot. Entries
    # are written and deleted only with their snapshot (store.py: insert_snapshot,
    # copy_entries, delete_snapshot, prune).
    Column("snapshot_id", Integer, primary_key=True),
    Column("entity_key", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("entity_type", String(40), nullable=False),
    Column("programmes", Text, nullable=False),
    Column("russia_programmes", Text, nullable=False),
    Column("countries", Text, nullable=False),
    Column("china_link", Boolean, nullable=False),
    Column("link_place", String(40)),
    Column("link_reason", Text),
    Column("aliases", Text, nullable=False),
    Column("addresses", Text, nullable=False),
    Column("remarks", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("listed_on", Date),
    Column("first_seen", Date),
    # A hash of the source rows the entry was read from (and of the reader's version): an
    # entry whose fingerprint is unchanged in the next list is copied, not read again.
    Column("fingerprint", BigInteger),
    # One party across lists (OpenSanctions): the ids other lists give the same party
    # (``referents``: ``ofac-16911``, ``gb-hmt-16273``…), and the lists that name it with
    # their listing dates (``listings``: ``dataset<TAB>YYYY-MM-DD`` lines, the date may be
    # empty). Newline-joined; NULL for lists that say nothing of other lists (OFAC).
    Column("referents", Text),
    Column("listings", Text),
)

Index(
    "ix_sanctions_snapshots_source_hash",
    snapshots_table.c.source_key,
    snapshots_table.c.content_hash,
)
