"""Autocomplete suggestions for ``/brief`` options: sanctioned names, time zones, topics.

Discord asks for suggestions on each keystroke and allows at most 25, each ≤ 100 characters, in
under 3 seconds; these functions are synchronous and bounded (the adapter runs the database one
in a worker thread).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from sqlalchemy import case, func, or_, select

from briefing.sanctions.search import sanctions
from briefing.sanctions.tables import entries_table

if TYPE_CHECKING:
    from briefing.appstate import Briefing

MAX_CHOICES = 25
MAX_CHOICE_CHARS = 100

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


def sanctioned_names(
    brief: Briefing, typed: str, as_of: date, limit: int = MAX_CHOICES
) -> list[str]:
    """Names on the lists in force on ``as_of`` whose name or an alias contains ``typed``.

    Case-insensitive, names starting with ``typed`` first: a scan of the lists in force (tens of
    thousands of rows), fast enough per keystroke. Empty when no list is loaded.
    """
    ids = [s.snapshot_id for s in sanctions(brief).in_force(as_of)]
    typed = " ".join(typed.split())
    if not ids or not typed:
        return []
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name, aliases = entries_table.c.name, entries_table.c.aliases
    starts = name.ilike(f"{escaped}%", escape="\\")
    stmt = (
        select(name)
        .where(entries_table.c.snapshot_id.in_(ids))
        .where(
            or_(
                name.ilike(f"%{escaped}%", escape="\\"),
                aliases.ilike(f"%{escaped}%", escape="\\"),
            )
        )
        .group_by(name)
        .order_by(func.min(case((starts, 0), else_=1)), name)
        .limit(limit)
    )
    with brief.engine.connect() as conn:
        return [str(row[0]) for row in conn.execute(stmt)]


def similar_names(brief: Briefing, typed: str, as_of: date, limit: int = MAX_CHOICES) -> list[str]:
    """Names the sanctions search ranks for ``typed`` (word order, typos, legal forms)."""
    found: list[str] = []
    for match in sanctions(brief).index(as_of).search(typed, limit=limit):
        if match.entry.name not in found:
            found.append(match.entry.name)
    return found


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
