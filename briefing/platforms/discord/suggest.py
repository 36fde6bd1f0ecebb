"""Autocomplete suggestions for ``/brief`` options: sanctioned names, time zones, topics.

Discord asks for suggestions on each keystroke and allows at most 25, each ≤ 100 characters, in
under 3 seconds; these functions are synchronous and bounded (the adapter runs the database one
in a worker thread).
"""

from __future__ import annotations

import logging
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import Engine, case, column, func, select, table
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

MAX_CHOICES = 25
MAX_CHOICE_CHARS = 100

# The sanctions store's tables, named here rather than imported: suggestions only need three
# columns, and a database without sanctions lists yet simply has no suggestions.
_snapshots = table(
    "sanctions_snapshots",
    column("id"),
    column("source_key"),
    column("entries_kept"),
)
_entries = table("sanctions_entries", column("snapshot_id"), column("name"))

TOPIC_SUGGESTIONS = (
    "digest sanctions trade",
    "digest",
    "sanctions",
    "trade",
    "sanctions trade",
    "digest sanctions",
    "digest trade",
)


def clip(text: str, limit: int = MAX_CHOICE_CHARS) -> str:
    """``text`` on one line and at most ``limit`` characters (Discord's choice limit)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def sanctioned_names(engine: Engine, typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """Names in the latest stored list of each source containing ``typed``, prefix matches first.

    Case-insensitive; empty when no list is stored yet.
    """
    typed = " ".join(typed.split())
    latest = (
        select(func.max(_snapshots.c.id))
        .where(_snapshots.c.entries_kept.is_(True))
        .group_by(_snapshots.c.source_key)
    )
    name = _entries.c.name
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        select(name)
        .where(_entries.c.snapshot_id.in_(latest))
        .where(name.ilike(f"%{escaped}%", escape="\\"))
        .group_by(name)
        .order_by(case((name.ilike(f"{escaped}%", escape="\\"), 0), else_=1), name)
        .limit(limit)
    )
    try:
        with engine.connect() as conn:
            return [str(row[0]) for row in conn.execute(stmt)]
    except SQLAlchemyError:
        # No sanctions tables yet (nothing ingested): no suggestions, not an error to the user.
        log.debug("no sanctioned names to suggest", exc_info=True)
        return []


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def time_zones(typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """IANA zones containing ``typed`` (any case, ``new york`` finds America/New_York)."""
    needle = typed.strip().lower().replace(" ", "_")
    if not needle:
        common = ("UTC", "Europe/Berlin", "Europe/London", "Europe/Moscow", "Asia/Shanghai")
        return list(common[:limit])
    prefix = [z for z in _zones() if z.lower().startswith(needle)]
    inner = [z for z in _zones() if needle in z.lower() and z not in prefix]
    return (prefix + inner)[:limit]


def topics(typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """Topic combinations for ``subscribe``/``unsubscribe`` that start with what was typed."""
    needle = " ".join(typed.lower().split())
    # Free text stays possible: Discord sends what was typed when no suggestion is picked.
    found = [t for t in TOPIC_SUGGESTIONS if t.startswith(needle) or needle in t.split()]
    found.sort(key=lambda t: (t != needle, not t.startswith(needle)))  # stable: keeps order
    return found[:limit]
