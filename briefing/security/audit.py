"""The audit log of subscription and watchlist changes: who changed which channel's
subscription or watchlist, and when.

:class:`~briefing.delivery.subscriptions.SubscriptionStore` writes one row per change in the
same transaction as the change itself; ``/brief subscriptions --log`` shows a workspace's latest
entries to its admins. Rows are never updated; nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
)

from briefing.db import metadata


class AuditAction(StrEnum):
    SUBSCRIBE = "subscribe"  # a new subscription, or a changed one
    UNSUBSCRIBE = "unsubscribe"
    PAUSE = "pause"  # delivery failed for good, or the app was uninstalled
    RESUME = "resume"  # a paused subscription subscribed again
    WATCH_ADD = "watch add"  # names added to the channel's watchlist
    WATCH_REMOVE = "watch remove"
    WATCH_IMPORT = "watch import"  # names added from a CSV file


MAX_DETAILS_CHARS = 500

subscription_audit_table = Table(
    "subscription_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(100), nullable=False),
    Column("channel_id", String(100), nullable=False),
    Column("user_id", String(100), nullable=True),  # None: the bot itself (a pause)
    Column("action", String(20), nullable=False),
    Column("details", Text, nullable=False),
    Index("ix_subscription_audit_workspace", "platform", "workspace_id", "id"),
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime  # aware, UTC
    platform: str
    workspace_id: str
    channel_id: str
    user_id: str | None
    action: AuditAction
    details: str


def record(
    conn: Connection,
    *,
    at: datetime,
    platform: str,
    workspace_id: str,
    channel_id: str,
    user_id: str | None,
    action: AuditAction,
    details: str = "",
) -> None:
    """Add one entry, inside the caller's transaction."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    conn.execute(
        insert(subscription_audit_table).values(
            at=at.astimezone(UTC),
            platform=platform,
            workspace_id=workspace_id,
            channel_id=channel_id,
            user_id=user_id,
            action=action.value,
            details=details[:MAX_DETAILS_CHARS],
        )
    )


def recent(engine: Engine, platform: str, workspace_id: str, limit: int = 20) -> list[AuditEntry]:
    """The workspace's latest ``limit`` entries, newest first."""
    t = subscription_audit_table.c
    stmt = (
        select(subscription_audit_table)
        .where(t.platform == platform, t.workspace_id == workspace_id)
        .order_by(t.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    entries: list[AuditEntry] = []
    for row in rows:
        at: datetime = row["at"]
        entries.append(
            AuditEntry(
                at=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
                platform=str(row["platform"]),
                workspace_id=str(row["workspace_id"]),
                channel_id=str(row["channel_id"]),
                user_id=str(row["user_id"]) if row["user_id"] is not None else None,
                action=AuditAction(str(row["action"])),
                details=str(row["details"]),
            )
        )
    return entries
