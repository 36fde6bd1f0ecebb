"""Time as the database and the delivery rules hold it: aware, in UTC.

A leaf: it imports nothing of the project.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    """Aware UTC; SQLite hands timestamps back naive (they are stored as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def require_aware(now: datetime) -> datetime:
    """``now`` in UTC; a naive datetime is refused (its zone would be a guess)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)
