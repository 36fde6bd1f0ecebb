"""The delivery ledger: what was planned, what was posted, what is owed. The database decides.

Two tables and one state row:

- ``delivery_runs``: one row per (schedule, local period), e.g. the digest of
  ``sub:slack:T1:C1`` for 2024-03-08, or the alert run of one update. Inserted if absent, so a
  period is planned once however often, from however many processes, the planner runs.
- ``deliveries``: one row per (channel, item) with a deterministic id
  (``sub:slack:T1:C1:2024-03-08``, ``alert:<update_id>:slack:T1:C1``) and a state:

  ``pending`` → ``sending`` (claimed under a lease by one worker) → ``sent`` (with the message
  id) | back to ``pending`` (transient failure, ``next_attempt_at`` later) | ``failed``
  (permanent) | ``skipped`` (too late, or the subscription went away).

  ``in_doubt_since`` is set when an attempt may have posted without us knowing (a timeout, a
  reset connection, a 5xx, a worker that died holding the lease): before posting again the
  worker asks the platform whether the message is there (see :mod:`.worker`).
- ``delivery_state``: the planner's watermark (the last ``now`` it planned through), so a
  restart plans the periods missed while down, and only those.

Claims are one ``UPDATE … WHERE delivery_id IN (SELECT … LIMIT n) RETURNING``: PostgreSQL adds
``FOR UPDATE SKIP LOCKED`` to the inner select so concurrent workers take different rows;
SQLite (WAL, one writer at a time) runs the same statement atomically. Every timestamp is
stored in UTC (SQLite keeps no offset) and every function takes ``now`` as a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    case,
    func,
    inspect,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from briefing.db import metadata
from briefing.delivery.poster import ChannelRef

KIND_DIGEST = "digest"
KIND_ALERT = "alert"
# Rows per INSERT statement: well under SQLite's bound-parameter limit.
INSERT_CHUNK = 400
ANALYZE_AFTER = 1000


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunStatus(StrEnum):
    PLANNED = "planned"
    SKIPPED = "skipped"  # found too late (more than the staleness window): recorded, not sent


delivery_runs = Table(
    "delivery_runs",
    metadata,
    Column("run_id", String(300), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("schedule_id", String(200), nullable=False),
    Column("period", String(200), nullable=False),  # local day (ISO) or update id
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("planned_at", DateTime(timezone=True), nullable=False),
    Column("planned_by", String(100), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(400), primary_key=True),
    Column("run_id", String(300), nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("topic", String(40), nullable=False),  # the subscription topic it serves
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(100), nullable=False),
    Column("channel_id", String(100), nullable=False),
    Column("local_day", Date, nullable=True),  # digests
    Column("label", String(100), nullable=True),  # digests: "08:00 Europe/Berlin"
    Column("update_id", String(200), nullable=True),  # alerts
    Column("status", String(10), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("attempt_started_at", DateTime(timezone=True), nullable=True),
    Column("in_doubt_since", DateTime(timezone=True), nullable=True),
    Column("message_id", String(100), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # Claims walk the open rows in this order and stop at the first free one: no sort.
    Index(
        "ix_deliveries_open",
        "next_attempt_at",
        "delivery_id",
        postgresql_where=text("status IN ('pending', 'sending')"),
        sqlite_where=text("status IN ('pending', 'sending')"),
    ),
    Index("ix_deliveries_channel", "platform", "workspace_id", "channel_id"),
)

delivery_state = Table(
    "delivery_state",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

PLANNER_WATERMARK = "planner_watermark"
LEGACY_IMPORTED = "legacy_imported"
# Claims older than this in the tables of the version before the ledger no longer matter.
LEGACY_LOOKBACK = timedelta(days=3)
_OPEN = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)


def utc(value: datetime) -> datetime:
    """Aware UTC; SQLite hands timestamps back naive (they are stored as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def require_aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def channel_label(channel: ChannelRef) -> str:
    return f"{channel.platform}:{channel.workspace_id}:{channel.channel_id}"


def _timestamp(value: Any) -> datetime:
    """A timestamp read with plain SQL: SQLite gives text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def digest_delivery_id(schedule_id: str, day: date) -> str:
    """``sub:slack:T1:C1:2024-03-08``: the channel's digest of one local day (also its run id)."""
    return f"{schedule_id}:{day.isoformat()}"


def alert_run_id(update_id: str) -> str:
    return f"alert:{update_id}"


def alert_delivery_id(update_id: str, channel: ChannelRef) -> str:
    return f"alert:{update_id}:{channel_label(channel)}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed ledger row: everything a worker needs to post it."""

    delivery_id: str
    run_id: str
    kind: str
    topic: str
    channel: ChannelRef
    local_day: date | None
    label: str | None
    update_id: str | None
    due_at: datetime
    expires_at: datetime
    attempts: int  # including the current one
    lease_owner: str
    lease_until: datetime
    attempt_started_at: datetime
    in_doubt_since: datetime | None  # an earlier attempt may have posted


def _delivery(row: Any) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        run_id=row.run_id,
        kind=row.kind,
        topic=row.topic,
        channel=ChannelRef(row.platform, row.workspace_id, row.channel_id),
        local_day=row.local_day,
        label=row.label,
        update_id=row.update_id,
        due_at=utc(row.due_at),
        expires_at=utc(row.expires_at),
        attempts=int(row.attempts),
        lease_owner=row.lease_owner,
        lease_until=utc(row.lease_until),
        attempt_started_at=utc(row.attempt_started_at),
        in_doubt_since=utc(row.in_doubt_since) if row.in_doubt_since is not None else None,
    )


def _insert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


class Ledger:
    """Typed access to the ledger tables. Safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"

    # -- planning ------------------------------------------------------------------------------

    def insert_runs(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert the runs that are absent; the ids of those this call inserted."""
        return self._insert_absent(delivery_runs, "run_id", rows)

    def insert_deliveries(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert the deliveries that are absent; the ids of those this call inserted."""
        for row in rows:
            row.setdefault("attempts", 0)
        inserted = self._insert_absent(deliveries, "delivery_id", rows)
        if self.is_postgres and len(inserted) >= ANALYZE_AFTER:
            # A fan-out changes the table at once: fresh statistics keep claims on the index
            # (autovacuum would get there, a minute or so later).
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE deliveries"))
        return inserted

    def _insert_absent(self, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> set[str]:
        inserted: set[str] = set()
        if not rows:
            return inserted
        insert = _insert(self.engine)
        with self.engine.begin() as conn:
            for start in range(0, len(rows), INSERT_CHUNK):
                chunk = list(rows[start : start + INSERT_CHUNK])
                stmt = insert(table).values(chunk).on_conflict_do_nothing().returning(table.c[key])
                inserted.update(str(r[0]) for r in conn.execute(stmt))
        return inserted

    def existing_runs(self, run_ids: Iterable[str]) -> set[str]:
        return self._select_in(delivery_runs.c.run_id, delivery_runs.c.run_id, run_ids)

    def existing_deliveries(self, run_ids: Iterable[str]) -> set[str]:
        return self._select_in(deliveries.c.delivery_id, deliveries.c.run_id, run_ids)

    def _select_in(
        self, wanted: ColumnElement[Any], matched: ColumnElement[Any], ids: Iterable[str]
    ) -> set[str]:
        """``wanted`` of every row whose ``matched`` is among ``ids``, asked in chunks."""
        keys = list(ids)
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(keys), INSERT_CHUNK):
                stmt = select(wanted).where(matched.in_(keys[start : start + INSERT_CHUNK]))
                found.update(str(r[0]) for r in conn.execute(stmt))
        return found

    def watermark(self) -> datetime | None:
        stmt = select(delivery_state.c.at).where(delivery_state.c.name == PLANNER_WATERMARK)
        with self.engine.connect() as conn:
            value = conn.execute(stmt).scalar_one_or_none()
        return utc(value) if value is not None else None

    def advance_watermark(self, now: datetime) -> None:
        """Record that planning covered everything due up to ``now`` (never moves backwards)."""
        now = require_aware(now)
        insert = _insert(self.engine)
        stmt = insert(delivery_state).values(name=PLANNER_WATERMARK, at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"at": case((delivery_state.c.at < now, now), else_=delivery_state.c.at)},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def import_legacy(self, now: datetime) -> int:
        """Once per database: record what the version before the ledger had already claimed
        (``digest_days``, ``alerts_sent``) as sent, so upgrading does not post it again."""
        now = require_aware(now)
        with self.engine.connect() as conn:
            done = conn.execute(
                select(delivery_state.c.at).where(delivery_state.c.name == LEGACY_IMPORTED)
            ).first()
        if done is not None:
            return 0
        since = now - LEGACY_LOOKBACK
        names = set(inspect(self.engine).get_table_names())
        runs: dict[str, dict[str, Any]] = {}
        rows: list[dict[str, Any]] = []

        def add(*, run: tuple[str, str, str], delivery: dict[str, Any], at: datetime) -> None:
            run_id, schedule_id, period = run
            runs[run_id] = {
                "run_id": run_id,
                "kind": delivery["kind"],
                "schedule_id": schedule_id,
                "period": period,
                "due_at": at,
                "status": RunStatus.PLANNED.value,
                "planned_at": now,
                "planned_by": "legacy",
            }
            rows.append(
                {
                    "local_day": None,
                    "label": None,
                    "update_id": None,
                    **delivery,
                    "run_id": run_id,
                    "status": DeliveryStatus.SENT.value,
                    "due_at": at,
                    "expires_at": at,
                    "next_attempt_at": at,
                    "created_at": now,
                    "finished_at": at,
                    "last_error": "recorded before the ledger",
                }
            )

        with self.engine.connect() as conn:
            if "digest_days" in names:
                legacy = conn.execute(
                    text("SELECT schedule_id, local_day, fired_at FROM digest_days")
                ).all()
                for schedule_id, local_day, fired_at in legacy:
                    parts = str(schedule_id).split(":", 3)
                    at = utc(_timestamp(fired_at))
                    if parts[0] != "sub" or len(parts) != 4 or at < since:
                        continue  # the console's days, or long past
                    day = _date(local_day)
                    delivery_id = digest_delivery_id(str(schedule_id), day)
                    add(
                        run=(delivery_id, str(schedule_id), day.isoformat()),
                        delivery={
                            "delivery_id": delivery_id,
                            "kind": KIND_DIGEST,
                            "topic": KIND_DIGEST,
                            "platform": parts[1],
                            "workspace_id": parts[2],
                            "channel_id": parts[3],
                            "local_day": day,
                        },
                        at=at,
                    )
            if "alerts_sent" in names:
                legacy = conn.execute(
                    text(
                        "SELECT update_id, platform, workspace_id, channel_id, sent_at "
                        "FROM alerts_sent"
                    )
                ).all()
                for update_id, platform, workspace_id, channel_id, sent_at in legacy:
                    at = utc(_timestamp(sent_at))
                    if at < since:
                        continue
                    channel = ChannelRef(str(platform), str(workspace_id), str(channel_id))
                    add(
                        run=(alert_run_id(str(update_id)), "alert", str(update_id)),
                        delivery={
                            "delivery_id": alert_delivery_id(str(update_id), channel),
                            "kind": KIND_ALERT,
                            "topic": KIND_ALERT,
                            "platform": channel.platform,
                            "workspace_id": channel.workspace_id,
                            "channel_id": channel.channel_id,
                            "update_id": str(update_id),
                        },
                        at=at,
                    )
        self.insert_runs(list(runs.values()))
        inserted = self.insert_deliveries(rows)
        insert = _insert(self.engine)
        with self.engine.begin() as conn:
            conn.execute(
                insert(delivery_state).values(name=LEGACY_IMPORTED, at=now).on_conflict_do_nothing()
            )
        return len(inserted)

    # -- claiming and settling -----------------------------------------------------------------

    def claim(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        limit: int = 1,
        skip_workspaces: Iterable[tuple[str, str]] = (),
        kinds: Iterable[str] | None = None,
    ) -> list[Delivery]:
        """Lease up to ``limit`` deliveries that are due: pending ones, and sending ones whose
        lease ran out (their worker died or hung: they are now in doubt)."""
        now = require_aware(now)
        d = deliveries.c
        claimable = (
            d.status.in_(_OPEN),
            d.next_attempt_at <= now,
            or_(d.status == DeliveryStatus.PENDING.value, d.lease_until < now),
        )
        inner = select(d.delivery_id).where(*claimable)
        skipped = list(skip_workspaces)
        if skipped:
            inner = inner.where(tuple_(d.platform, d.workspace_id).not_in(skipped))
        if kinds is not None:
            inner = inner.where(d.kind.in_(list(kinds)))
        probe = inner.limit(1)
        inner = inner.order_by(d.next_attempt_at, d.delivery_id).limit(limit)
        if self.is_postgres:
            # A materialized CTE runs once. Inside ``IN (…)`` PostgreSQL may re-run a
            # ``LIMIT … SKIP LOCKED`` subquery (a semi-join rescan) and claim more rows than
            # asked, which then wait, leased, behind the first one.
            picked = (
                inner.with_for_update(skip_locked=True)
                .cte("picked")
                .prefix_with("MATERIALIZED", dialect="postgresql")
            )
            # The rows are locked and were checked under the lock: join on the key alone.
            chosen: tuple[Any, ...] = (d.delivery_id == picked.c.delivery_id,)
        else:
            chosen = (d.delivery_id.in_(inner.scalar_subquery()), *claimable)
        stmt = (
            update(deliveries)
            .where(*chosen)
            .values(
                status=DeliveryStatus.SENDING.value,
                lease_owner=owner,
                lease_until=now + lease,
                attempts=d.attempts + 1,
                # A lease that ran out: that attempt may have posted.
                in_doubt_since=case(
                    (
                        d.status == DeliveryStatus.SENDING.value,
                        func.coalesce(d.in_doubt_since, d.attempt_started_at),
                    ),
                    else_=d.in_doubt_since,
                ),
                attempt_started_at=now,
            )
            .returning(*deliveries.c)
        )
        with self.engine.begin() as conn:
            # SQLite: a read first, so idle polling (the common case) never takes the write
            # lock. PostgreSQL: the empty claim is as cheap as the probe.
            if not self.is_postgres and conn.execute(probe).first() is None:
                return []
            rows = conn.execute(stmt).all()
        claimed = [_delivery(r) for r in rows]
        claimed.sort(key=lambda x: (x.due_at, x.delivery_id))
        return claimed

    def renew(self, delivery: Delivery, now: datetime, lease: timedelta) -> bool:
        """Extend our lease (a fence before posting); False when it is no longer ours."""
        now = require_aware(now)
        d = deliveries.c
        stmt = (
            update(deliveries)
            .where(
                d.delivery_id == delivery.delivery_id,
                d.status == DeliveryStatus.SENDING.value,
                d.lease_owner == delivery.lease_owner,
                d.lease_until >= now,
            )
            .values(lease_until=now + lease)
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(stmt).rowcount)

    def _settle(self, delivery: Delivery, **values: Any) -> bool:
        d = deliveries.c
        stmt = (
            update(deliveries)
            .where(
                d.delivery_id == delivery.delivery_id,
                d.status == DeliveryStatus.SENDING.value,
                d.lease_owner == delivery.lease_owner,
            )
            .values(lease_owner=None, lease_until=None, **values)
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(stmt).rowcount)

    def mark_sent(self, delivery: Delivery, message_id: str | None, now: datetime) -> bool:
        """Posted (or found posted). False when our lease had been taken over meanwhile."""
        return self._settle(
            delivery,
            status=DeliveryStatus.SENT.value,
            message_id=message_id,
            in_doubt_since=None,
            last_error=None,
            finished_at=require_aware(now),
        )

    def mark_retry(
        self, delivery: Delivery, error: str, next_attempt_at: datetime, *, in_doubt: bool
    ) -> bool:
        """Back to pending until ``next_attempt_at``; ``in_doubt``: this attempt may have posted."""
        d = deliveries.c
        doubt: Any = (
            func.coalesce(d.in_doubt_since, delivery.attempt_started_at)
            if in_doubt
            else d.in_doubt_since
        )
        return self._settle(
            delivery,
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=require_aware(next_attempt_at),
            last_error=error[:500],
            in_doubt_since=doubt,
        )

    def mark_failed(self, delivery: Delivery, error: str, now: datetime) -> bool:
        return self._settle(
            delivery,
            status=DeliveryStatus.FAILED.value,
            last_error=error[:500],
            finished_at=require_aware(now),
        )

    def mark_skipped(self, delivery: Delivery, reason: str, now: datetime) -> bool:
        return self._settle(
            delivery,
            status=DeliveryStatus.SKIPPED.value,
            last_error=reason[:500],
            finished_at=require_aware(now),
        )

    def hold_channel(self, channel: ChannelRef, until: datetime) -> int:
        """Keep the channel's other pending deliveries until ``until`` (a Retry-After),
        so no replica runs into the same rate limit."""
        d = deliveries.c
        until = require_aware(until)
        stmt = (
            update(deliveries)
            .where(
                d.platform == channel.platform,
                d.workspace_id == channel.workspace_id,
                d.channel_id == channel.channel_id,
                d.status == DeliveryStatus.PENDING.value,
                d.next_attempt_at < until,
            )
            .values(next_attempt_at=until)
        )
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).rowcount)

    # -- reading -------------------------------------------------------------------------------

    def status_of(self, delivery_id: str) -> str | None:
        stmt = select(deliveries.c.status).where(deliveries.c.delivery_id == delivery_id)
        with self.engine.connect() as conn:
            value = conn.execute(stmt).scalar_one_or_none()
        return str(value) if value is not None else None

    def counts(self) -> dict[str, int]:
        """Deliveries by status."""
        d = deliveries.c
        stmt = select(d.status, func.count()).group_by(d.status)
        with self.engine.connect() as conn:
            return {str(s): int(n) for s, n in conn.execute(stmt)}

    def stats(self, now: datetime) -> LedgerStats:
        """The shared truth for metrics: counts by status, retries, queue depth and lag."""
        now = require_aware(now)
        d = deliveries.c
        with self.engine.connect() as conn:
            by_status = {
                str(s): int(n)
                for s, n in conn.execute(select(d.status, func.count()).group_by(d.status))
            }
            retried = conn.execute(
                select(func.coalesce(func.sum(d.attempts - 1), 0)).where(d.attempts > 1)
            ).scalar_one()
            in_doubt = conn.execute(
                select(func.count()).where(d.status.in_(_OPEN), d.in_doubt_since.is_not(None))
            ).scalar_one()
            due = conn.execute(
                select(func.count(), func.min(d.due_at)).where(
                    d.status.in_(_OPEN), d.next_attempt_at <= now
                )
            ).one()
            runs = {
                str(s): int(n)
                for s, n in conn.execute(
                    select(delivery_runs.c.status, func.count()).group_by(delivery_runs.c.status)
                )
            }
        oldest = utc(due[1]) if due[1] is not None else None
        lag_s = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        return LedgerStats(
            by_status=by_status,
            retried_attempts=int(retried or 0),
            in_doubt=int(in_doubt or 0),
            due_now=int(due[0] or 0),
            lag_s=lag_s,
            runs=runs,
        )


@dataclass(frozen=True, slots=True)
class LedgerStats:
    by_status: dict[str, int]
    retried_attempts: int  # attempts beyond the first, over all deliveries
    in_doubt: int  # open deliveries with an attempt that may have posted
    due_now: int  # open deliveries whose time has come (the queue)
    lag_s: float  # age of the oldest due open delivery's due time; 0 when none
    runs: dict[str, int]

    @property
    def queue_depth(self) -> int:
        return sum(self.by_status.get(s, 0) for s in _OPEN)
