"""Channel subscriptions: which channels get the daily digest and which update alerts.

One row per (platform, workspace, channel). A subscription is ``active``, ``paused`` (delivery
failed for good, e.g. the bot was removed from the channel; an admin resumes it by subscribing
again) or ``removed`` (unsubscribed; the row stays so a later subscribe keeps its history).
Times are passed in (``now``), never read from the clock here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Select,
    String,
    Table,
    Text,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from briefing.caller import Caller
from briefing.clock import require_aware, utc
from briefing.db import metadata
from briefing.delivery.poster import ChannelRef
from briefing.security import audit
from briefing.security.audit import AuditAction

log = logging.getLogger(__name__)

TOPIC_DIGEST = "digest"
TOPIC_SANCTIONS = "sanctions"
TOPIC_TRADE = "trade"
ALL_TOPICS: frozenset[str] = frozenset({TOPIC_DIGEST, TOPIC_SANCTIONS, TOPIC_TRADE})
# Display order.
TOPIC_ORDER = (TOPIC_DIGEST, TOPIC_SANCTIONS, TOPIC_TRADE)


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    REMOVED = "removed"


subscriptions_table = Table(
    "subscriptions",
    metadata,
    Column("platform", String(20), primary_key=True),
    Column("workspace_id", String(100), primary_key=True),
    Column("channel_id", String(100), primary_key=True),
    Column("digest_time", String(5), nullable=False),  # local HH:MM
    Column("tz", String(64), nullable=False),  # IANA zone
    Column("topics", String(100), nullable=False),  # comma-separated, sorted
    Column("status", String(10), nullable=False, index=True),
    Column("paused_reason", Text, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Subscription:
    channel: ChannelRef
    at: time  # local digest time in ``tz``
    tz: str
    topics: frozenset[str]
    status: SubscriptionStatus
    paused_reason: str | None
    created_by: str  # the admin who last (re)subscribed; told when delivery is paused
    created_at: datetime
    updated_at: datetime  # last change: when an active subscription was last (re)configured

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def schedule_id(self) -> str:
        """The key of this channel's daily digest in the ``digest_days`` ledger."""
        return schedule_id_for(self.channel)

    @property
    def is_active(self) -> bool:
        return self.status is SubscriptionStatus.ACTIVE

    def wants(self, topic: str) -> bool:
        return topic in self.topics


def schedule_id_for(channel: ChannelRef) -> str:
    return f"sub:{channel.platform}:{channel.workspace_id}:{channel.channel_id}"


def format_topics(topics: frozenset[str]) -> str:
    return ", ".join(t for t in TOPIC_ORDER if t in topics)


def _key(channel: ChannelRef) -> tuple[ColumnElement[bool], ...]:
    t = subscriptions_table.c
    return (
        t.platform == channel.platform,
        t.workspace_id == channel.workspace_id,
        t.channel_id == channel.channel_id,
    )


def _from_row(row: dict[str, Any]) -> Subscription:
    hours, minutes = str(row["digest_time"]).split(":")
    topics = frozenset(t for t in str(row["topics"]).split(",") if t)
    reason = row["paused_reason"]
    return Subscription(
        channel=ChannelRef(
            platform=str(row["platform"]),
            workspace_id=str(row["workspace_id"]),
            channel_id=str(row["channel_id"]),
        ),
        at=time(int(hours), int(minutes)),
        tz=str(row["tz"]),
        topics=topics,
        status=SubscriptionStatus(str(row["status"])),
        paused_reason=str(reason) if reason is not None else None,
        created_by=str(row["created_by"]),
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )


class SubscriptionStore:
    """Typed access to the ``subscriptions`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def subscribe(
        self,
        channel: ChannelRef,
        *,
        at: time,
        tz: str,
        topics: frozenset[str],
        by_user: str,
        now: datetime,
    ) -> Subscription:
        """Create or update ``channel``'s subscription and make it active.

        Raises ValueError for an unknown zone, unknown or no topics, or a naive ``now``.
        """
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{tz!r} is not an IANA time zone") from exc
        unknown = topics - ALL_TOPICS
        if unknown or not topics:
            raise ValueError(f"topics must be a non-empty subset of {sorted(ALL_TOPICS)}")
        now = require_aware(now)
        values = {
            "digest_time": f"{at.hour:02d}:{at.minute:02d}",
            "tz": tz,
            "topics": ",".join(sorted(topics)),
            "status": SubscriptionStatus.ACTIVE.value,
            "paused_reason": None,
            "created_by": by_user,
            "updated_at": now,
        }
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = (
            insert(subscriptions_table)
            .values(
                platform=channel.platform,
                workspace_id=channel.workspace_id,
                channel_id=channel.channel_id,
                created_at=now,
                **values,
            )
            .on_conflict_do_update(
                index_elements=["platform", "workspace_id", "channel_id"], set_=values
            )
        )
        with self.engine.begin() as conn:
            before = conn.execute(select(subscriptions_table).where(*_key(channel))).mappings()
            action, details = _subscribe_audit(before.first(), values)
            conn.execute(stmt)
            _audit(conn, channel, user_id=by_user, action=action, details=details, now=now)
        subscription = self.get(channel)
        assert subscription is not None
        log.info(
            "subscription %s set by %s: %s %s, topics %s",
            subscription.schedule_id,
            by_user,
            values["digest_time"],
            tz,
            values["topics"],
        )
        return subscription

    def unsubscribe(self, channel: ChannelRef, by_user: str, now: datetime) -> bool:
        """Stop all delivery to ``channel``; False when it had no active or paused subscription."""
        now = require_aware(now)
        stmt = (
            update(subscriptions_table)
            .where(*_key(channel))
            .where(subscriptions_table.c.status != SubscriptionStatus.REMOVED.value)
            .values(status=SubscriptionStatus.REMOVED.value, paused_reason=None, updated_at=now)
        )
        with self.engine.begin() as conn:
            changed = conn.execute(stmt).rowcount
            if changed:
                _audit(
                    conn,
                    channel,
                    user_id=by_user,
                    action=AuditAction.UNSUBSCRIBE,
                    details="",
                    now=now,
                )
        if changed:
            log.info("subscription %s removed by %s", schedule_id_for(channel), by_user)
        return bool(changed)

    def pause(self, channel: ChannelRef, reason: str, now: datetime) -> bool:
        """Pause an active subscription (delivery failed for good); False when not active."""
        now = require_aware(now)
        stmt = (
            update(subscriptions_table)
            .where(*_key(channel))
            .where(subscriptions_table.c.status == SubscriptionStatus.ACTIVE.value)
            .values(status=SubscriptionStatus.PAUSED.value, paused_reason=reason, updated_at=now)
        )
        with self.engine.begin() as conn:
            changed = conn.execute(stmt).rowcount
            if changed:
                _audit(
                    conn, channel, user_id=None, action=AuditAction.PAUSE, details=reason, now=now
                )
        return bool(changed)

    def pause_workspace(self, platform: str, workspace_id: str, reason: str, now: datetime) -> int:
        """Pause every active subscription in a workspace (the app was uninstalled there).

        Returns how many were paused; an admin resumes each by subscribing again.
        """
        now = require_aware(now)
        t = subscriptions_table.c
        active = (
            t.platform == platform,
            t.workspace_id == workspace_id,
            t.status == SubscriptionStatus.ACTIVE.value,
        )
        with self.engine.begin() as conn:
            channels = conn.execute(select(t.channel_id).where(*active)).scalars().all()
            conn.execute(
                update(subscriptions_table)
                .where(*active, t.channel_id.in_(channels))
                .values(
                    status=SubscriptionStatus.PAUSED.value, paused_reason=reason, updated_at=now
                )
            )
            for channel_id in channels:
                ref = ChannelRef(platform, workspace_id, str(channel_id))
                _audit(conn, ref, user_id=None, action=AuditAction.PAUSE, details=reason, now=now)
        return len(channels)

    def get(self, channel: ChannelRef) -> Subscription | None:
        """``channel``'s subscription in any status, or None if it never had one."""
        stmt = select(subscriptions_table).where(*_key(channel))
        with self.engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        return _from_row(dict(row)) if row is not None else None

    def get_many(self, channels: Iterable[ChannelRef]) -> dict[ChannelRef, Subscription]:
        """The subscriptions of ``channels`` (any status) in one query; absent ones left out."""
        t = subscriptions_table.c
        wanted = list(dict.fromkeys(channels))
        found: dict[ChannelRef, Subscription] = {}
        for start in range(0, len(wanted), 300):
            keys = [(c.platform, c.workspace_id, c.channel_id) for c in wanted[start : start + 300]]
            stmt = select(subscriptions_table).where(
                tuple_(t.platform, t.workspace_id, t.channel_id).in_(keys)
            )
            for sub in self._many(stmt):
                found[sub.channel] = sub
        return found

    def list_for_workspace(self, platform: str, workspace_id: str) -> list[Subscription]:
        """Active and paused subscriptions in one workspace, by channel id."""
        t = subscriptions_table.c
        stmt = (
            select(subscriptions_table)
            .where(t.platform == platform, t.workspace_id == workspace_id)
            .where(t.status != SubscriptionStatus.REMOVED.value)
            .order_by(t.channel_id)
        )
        return self._many(stmt)

    def active(self) -> list[Subscription]:
        """Every active subscription, in a stable order."""
        t = subscriptions_table.c
        stmt = (
            select(subscriptions_table)
            .where(t.status == SubscriptionStatus.ACTIVE.value)
            .order_by(t.platform, t.workspace_id, t.channel_id)
        )
        return self._many(stmt)

    def _many(self, stmt: Select[Any]) -> list[Subscription]:
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [_from_row(dict(row)) for row in rows]


def _subscribe_audit(before: Any | None, values: dict[str, Any]) -> tuple[AuditAction, str]:
    """The audit action and details of a subscribe: new, changed, or resuming a paused one."""
    now_set = f"{values['digest_time']} {values['tz']}; topics {values['topics']}"
    if before is None or before["status"] == SubscriptionStatus.REMOVED.value:
        return AuditAction.SUBSCRIBE, now_set
    was = f"{before['digest_time']} {before['tz']}; topics {before['topics']}"
    if before["status"] == SubscriptionStatus.PAUSED.value:
        return AuditAction.RESUME, f"{now_set} (was paused: {before['paused_reason'] or '-'})"
    return AuditAction.SUBSCRIBE, now_set if was == now_set else f"{now_set} (was {was})"


def _audit(
    conn: Connection,
    channel: ChannelRef,
    *,
    user_id: str | None,
    action: AuditAction,
    details: str,
    now: datetime,
) -> None:
    audit.record(
        conn,
        at=now,
        platform=channel.platform,
        workspace_id=channel.workspace_id,
        channel_id=channel.channel_id,
        user_id=user_id,
        action=action,
        details=details,
    )


def channel_of(caller: Caller) -> ChannelRef | None:
    """The channel a command came from; at the console, the one channel ``console``."""
    if caller.platform == "console":
        return ChannelRef("console", "console", "console")
    if not caller.workspace_id or not caller.channel_id:
        return None
    return ChannelRef(caller.platform, caller.workspace_id, caller.channel_id)


def describe(sub: Subscription) -> str:
    """``daily digest at 08:00 Europe/Berlin; sanctions and trade alerts``."""
    parts: list[str] = []
    if TOPIC_DIGEST in sub.topics:
        parts.append(f"daily digest at {sub.at:%H:%M} {sub.tz}")
    alerts = [t for t in (TOPIC_SANCTIONS, TOPIC_TRADE) if t in sub.topics]
    if alerts:
        parts.append(f"{' and '.join(alerts)} alerts")
    return "; ".join(parts)
