"""``python bot.py ingest``: detect each file's format and hand it to its loader.

Formats are listed explicitly in :data:`FORMATS` (first match wins). A loader validates the whole
input before it replaces anything, so a bad file leaves the last good data serving. It stores
its data in one transaction and, last in it, calls the dispatcher's seal: the
:class:`~briefing.updates.Update` records its changes produced (which the running bot posts as
alerts) and the data generation's bump are written in that same transaction — data, alert and
the signal to other replicas land together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from briefing.appstate import Briefing
from briefing.generation import bump_generation_in
from briefing.ingest_types import Format, IngestError, IngestOptions, IngestResult
from briefing.sanctions import formats as sanctions_formats
from briefing.trade import ingest as trade_format
from briefing.updates import Update, record_updates_in
from briefing.watch.alerts import rescreen_new_lists, snapshot_ids

log = logging.getLogger(__name__)

# Explicit registration: one line per supported format (first match wins).
FORMATS: tuple[Format, ...] = (
    sanctions_formats.OFAC,
    sanctions_formats.OPENSANCTIONS_FTM,
    sanctions_formats.OPENSANCTIONS_SIMPLE,
    trade_format.FORMAT,
)


def ingest(
    brief: Briefing, paths: Sequence[Path], options: IngestOptions, now: datetime
) -> list[IngestResult]:
    """Load every path; raise :class:`IngestError` for the first file no format takes or that fails."""
    for path in paths:
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
    remaining = list(paths)
    groups: list[tuple[Format, list[Path]]] = []
    for fmt in FORMATS:
        taken = fmt.claim(remaining)
        if taken:
            groups.append((fmt, taken))
            remaining = [p for p in remaining if p not in taken]
    if remaining:
        names = ", ".join(str(p) for p in remaining)
        known = ", ".join(f.name for f in FORMATS) or "none"
        raise IngestError(f"{names}: not a format I can load (known formats: {known})")
    results: list[IngestResult] = []
    lists_before = snapshot_ids(brief.engine)

    def seal(conn: Connection, updates: Sequence[Update]) -> None:
        record_updates_in(conn, updates, now)
        bump_generation_in(conn)

    try:
        for fmt, taken in groups:
            results.append(fmt.load(brief, taken, options, seal))
    except IngestError as exc:
        if not results:
            raise
        # Each format loads in its own transaction: say plainly what did load before the refusal.
        loaded = "; ".join(f"{r.fmt}: {r.summary}" for r in results)
        raise IngestError(
            f"{exc}\nNothing from the refused file was replaced, but these loaded before it: {loaded}"
        ) from exc
    finally:
        brief.refresh()
        if results:
            # Where a new list version's update is recorded, every watchlist is screened on it
            # (the delivery planner catches up on a version this missed, e.g. after a crash).
            try:
                rescreen_new_lists(
                    brief.engine, lists_before, now, command=brief.settings.command_name
                )
            except Exception:
                log.exception("rescreening the watchlists failed; the planner will try again")
    return results
