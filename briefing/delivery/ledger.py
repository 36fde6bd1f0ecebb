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

  A delivery with a chart is done when its text *and* its chart are posted. Where the chart is a
  second call (Slack's file upload), the text's message id is recorded first
  (``message_id`` set, ``chart_status`` ``owed``, still open): from then on the delivery is
  about its chart only, and a crash, a retry or a take-over never posts the text again. The
  chart ends ``posted`` (with its file id) or, after its attempts, ``failed`` (and the channel
  is told, in the message itself); ``in_doubt_since`` then refers to the chart upload.
- ``delivery_state``: the planner's watermark (the last ``now`` it planned through), so a
  restart plans the periods missed while down, and only those.

A run and its deliveries are written in one transaction (:meth:`Ledger.insert_planned`), so a
crash never leaves a run without its deliveries; a database that has such runs from an older
version is repaired by the planner (:meth:`Ledger.orphan_digest_runs`).

Every transaction that changes the ledger goes through one place, which tells the observers
registered with :func:`observe_writes` about each statement and each commit: the crash tests
use that to stop a process at every write.

Claims are one ``UPDATE … WHERE delivery_id IN (SELECT … LIMIT n) RETURNING``: PostgreSQL adds
``FOR UPDATE SKIP LOCKED`` to the inner select so concurrent workers take different rows;
SQLite (WAL, one writer at a time) runs the same statement atomically. Every timestamp is
stored in UTC (SQLite keeps no offset) and every function takes ``now`` as a parameter.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    exists,
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

from briefing.clock import require_aware, utc
from briefing.db import insert_absent, metadata
from briefing.delivery.poster import ChannelRef

KIND_DIGEST = "digest"
KIND_ALERT = "alert"
KIND_WATCH = "watch"  # a channel's watchlist alert for one new list version
# Rows per INSERT statement: well under SQLite's bound-parameter limit.
INSERT_CHUNK = 400
ANALYZE_AFTER = 1000
# A batched claim looks at this many times its size of due rows to spread over workspaces.
CLAIM_WINDOW = 4


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunStatus(StrEnum):
    PLANNED = "planned"
    SKIPPED = "skipped"  # found too late (more than the staleness window): recorded, not sent


class ChartStatus(StrEnum):
    """The chart part of a delivery (NULL: the reply has no chart, or it is not known yet)."""

    OWED = "owed"  # the text is posted; the chart still has to be
    POSTED = "posted"  # with the text (Discord) or after it (Slack)
    FAILED = "failed"  # not posted after its attempts; the message says so


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
    # The repair pass and the doctor look for recent runs.
    Index("ix_delivery_runs_due_at", "due_at"),
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
    # The chart part (ChartStatus): NULL when the reply had none.
    Column("chart_status", String(10), nullable=True),
    Column("chart_id", String(100), nullable=True),  # Slack file id, "attached" on Discord
    Column("chart_attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("chart_error", Text, nullable=True),
    # Claims walk the open rows in this order and stop once they have enough: no sort. Channel
    # ids (Slack's and Discord's alike) interleave workspaces, so a batch spreads over them.
    Index(
        "ix_deliveries_open",
        "next_attempt_at",
        "channel_id",
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

log = logging.getLogger(__name__)

# -- observing writes ------------------------------------------------------------------------

LedgerObserver = Callable[[str, str], None]
"""Told ``(write, step)`` after each statement that changed the ledger (``step`` names the
statement; its transaction is still open) and after each such transaction committed
(``step`` is ``"commit"``)."""

_observers: list[LedgerObserver] = []
_observers_lock = threading.Lock()


def observe_writes(observer: LedgerObserver) -> Callable[[], None]:
    """Register ``observer`` for every ledger write in this process; returns its remover."""
    with _observers_lock:
        _observers.append(observer)

    def remove() -> None:
        with _observers_lock:
            if observer in _observers:
                _observers.remove(observer)

    return remove


def _notify(write: str, step: str) -> None:
    for observer in list(_observers):
        observer(write, step)


class _Write:
    """One ledger transaction: its connection, and what it changed so far."""

    def __init__(self, name: str, conn: Connection) -> None:
        self.name = name
        self.conn = conn
        self.changed = False

    def did(self, step: str, rows: int) -> None:
        """``step`` changed ``rows`` rows (observers hear of it only when it changed any)."""
        if rows:
            self.changed = True
            _notify(self.name, step)


def channel_label(channel: ChannelRef) -> str:
    return f"{channel.platform}:{channel.workspace_id}:{channel.channel_id}"


def _timestamp(value: Any) -> datetime:
    """A timestamp read with plain SQL: SQLite gives text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


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
    in_doubt_since: datetime | None  # an earlier attempt may have posted (text, or chart)
    message_id: str | None = None  # set: the text is posted; only the chart can be owed
    chart_status: ChartStatus | None = None
    chart_attempts: int = 0  # chart uploads tried and failed so far
    chart_error: str | None = None  # the last chart failure

    @property
    def text_posted(self) -> bool:
        return self.message_id is not None


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
        message_id=row.message_id,
        chart_status=ChartStatus(row.chart_status) if row.chart_status else None,
        chart_attempts=int(row.chart_attempts or 0),
        chart_error=row.chart_error,
    )


@dataclass(frozen=True, slots=True)
class OrphanRun:
    """A digest run with no delivery (a crash between two writes of an older version)."""

    run_id: str
    schedule_id: str
    period: str
    due_at: datetime


def _insert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


@dataclass(eq=False)
class _Settle:
    """One settling statement waiting for its group's commit: ``stmt``, or a row of a bulk
    statement (``bulk``: its SQL, ``row``: its values, the delivery id first)."""

    name: str
    stmt: Any = None
    bulk: str | None = None
    row: tuple[Any, ...] = ()
    done: threading.Event = field(default_factory=threading.Event)
    changed: int = 0
    error: BaseException | None = None
    # Called by the writer once committed (or failed), for a caller that did not wait.
    then: Callable[[int, BaseException | None], None] | None = None


# PostgreSQL: the settling writes of a group in one statement each, the rows as arrays
# (``unnest``); RETURNING tells which rows were still ours. The same conditions and values as
# :meth:`Ledger.mark_text_posted` and :meth:`Ledger.mark_sent`.
_OURS_SQL = "d.delivery_id = v.delivery_id AND d.status = 'sending' AND d.lease_owner = v.owner"
BULK_TEXT_POSTED = f"""
UPDATE deliveries AS d SET
  message_id = v.message_id, chart_status = 'owed', in_doubt_since = NULL, last_error = NULL
FROM unnest(%(c0)s::text[], %(c1)s::text[], %(c2)s::text[])
  AS v(delivery_id, owner, message_id)
WHERE {_OURS_SQL}
RETURNING d.delivery_id"""
BULK_SENT = f"""
UPDATE deliveries AS d SET
  status = 'sent', lease_owner = NULL, lease_until = NULL, in_doubt_since = NULL,
  last_error = NULL, finished_at = v.finished_at,
  message_id = CASE WHEN v.set_message THEN v.message_id ELSE d.message_id END,
  chart_status = CASE WHEN v.set_chart THEN v.chart_status ELSE d.chart_status END,
  chart_id = CASE WHEN v.set_chart THEN v.chart_id ELSE d.chart_id END,
  chart_error = CASE WHEN v.set_chart THEN v.chart_error ELSE d.chart_error END
FROM unnest(%(c0)s::text[], %(c1)s::text[], %(c2)s::timestamptz[], %(c3)s::boolean[],
            %(c4)s::text[], %(c5)s::boolean[], %(c6)s::text[], %(c7)s::text[], %(c8)s::text[])
  AS v(delivery_id, owner, finished_at, set_message, message_id, set_chart, chart_status,
       chart_id, chart_error)
WHERE {_OURS_SQL}
RETURNING d.delivery_id"""


class GroupWriter:
    """Settling writes of many posting threads, committed together.

    A caller hands its statement over and waits (or, for a delivery's last write, hands it
    over with a ``then`` and goes on): a writer thread runs whatever is queued (up to
    ``max_batch``) together and commits once, then tells each caller how many rows its
    statement changed. Nothing a caller does next (a chart upload after its text was recorded)
    starts before its write is committed, so a crash leaves the ledger as one write at a time
    would; only the number of transactions shrinks. A group that fails is run again one
    statement per transaction, so each caller gets its own error.

    On PostgreSQL a group of bulk rows only (the usual group) is one statement in autocommit on
    the thread's own connection: a single round trip. One writer thread by default: while it
    commits a group the next one gathers, so groups grow with the load (about 8 writes each at
    64 posting threads); two writers made smaller groups and no faster fan-out
    (docs/delivery.md#throughput).
    """

    def __init__(self, ledger: Ledger, *, threads: int = 1, max_batch: int = 64) -> None:
        self.ledger = ledger
        self.max_batch = max(max_batch, 1)
        self._queue: queue.SimpleQueue[_Settle | None] = queue.SimpleQueue()
        # PostgreSQL: each writer thread's own connection, in autocommit, for groups of bulk
        # rows only (the usual group): one statement, one round trip, no pool check-out.
        self._local = threading.local()
        self._held: list[Any] = []
        self._held_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"ledger-writer-{i}", daemon=True)
            for i in range(max(threads, 1))
        ]
        for thread in self._threads:
            thread.start()

    def execute(self, name: str, stmt: Any) -> int:
        """Run ``stmt`` in the next group; the rows it changed, once committed."""
        return self._wait(_Settle(name, stmt))

    def execute_bulk(self, name: str, bulk: str, row: tuple[Any, ...]) -> int:
        """Run ``row`` through the bulk statement ``bulk`` (PostgreSQL) in the next group:
        1 if it changed the row, else 0, once committed."""
        return self._wait(_Settle(name, bulk=bulk, row=row))

    def submit(self, item: _Settle) -> None:
        """Queue ``item`` for the next group without waiting; its ``then`` is called once it
        committed (or failed)."""
        self._queue.put(item)

    def _wait(self, item: _Settle) -> int:
        self._queue.put(item)
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.changed

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(5.0)
        with self._held_lock:
            held, self._held = self._held, []
        for raw in held:
            with suppress(Exception):
                raw.driver_connection.autocommit = False
                raw.close()  # back to the pool

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # for this thread's next turn
                    break
                group.append(item)
            try:
                self._commit(group)
            except Exception:
                for item in group:
                    try:
                        self._commit([item])
                    except Exception as exc:
                        item.error = exc
            for item in group:
                item.done.set()
                if item.then is not None:
                    try:
                        item.then(item.changed, item.error)
                    except Exception:
                        log.exception("settling %s: its follow-up failed", item.name)

    def _autocommit_connection(self) -> Any:
        raw: Any = getattr(self._local, "raw", None)
        if raw is None:
            raw = self.ledger.engine.raw_connection()
            raw.driver_connection.autocommit = True
            self._local.raw = raw
            with self._held_lock:
                self._held.append(raw)
        return raw.driver_connection

    def _drop_autocommit_connection(self) -> None:
        raw = getattr(self._local, "raw", None)
        self._local.raw = None
        if raw is not None:
            with self._held_lock:
                if raw in self._held:
                    self._held.remove(raw)
            with suppress(Exception):
                raw.invalidate()

    @staticmethod
    def _bulk_statement(bulks: dict[str, list[_Settle]]) -> tuple[str, dict[str, list[Any]]]:
        """Every bulk kind of a group as one statement (each kind a ``WITH`` clause) returning
        ``(kind number, delivery id)`` of each row still ours."""
        params: dict[str, list[Any]] = {}
        parts: list[str] = []
        for n, (sql, items) in enumerate(bulks.items()):
            rows = zip(*(x.row for x in items), strict=True)
            for i, column in enumerate(rows):
                params[f"q{n}_c{i}"] = list(column)
            parts.append(sql.replace("%(c", f"%(q{n}_c"))
        ctes = ", ".join(f"q{n} AS ({part})" for n, part in enumerate(parts))
        union = " UNION ALL ".join(f"SELECT {n}, delivery_id FROM q{n}" for n in range(len(parts)))
        return f"WITH {ctes} {union}", params

    @staticmethod
    def _settled(
        bulks: dict[str, list[_Settle]], returned: Sequence[tuple[Any, ...]]
    ) -> list[_Settle]:
        """Each bulk row's count (1 when the statement returned its id) and the rows changed."""
        ours = {(int(kind), str(delivery_id)) for kind, delivery_id in returned}
        changed: list[_Settle] = []
        for n, items in enumerate(bulks.values()):
            for item in items:
                item.changed = int((n, item.row[0]) in ours)
                if item.changed:
                    changed.append(item)
                    _notify(item.name, item.name)
        return changed

    def _commit(self, group: list[_Settle]) -> None:
        bulks: dict[str, list[_Settle]] = {}
        for item in group:
            if item.bulk is not None:
                bulks.setdefault(item.bulk, []).append(item)
        changed: list[_Settle] = []
        if bulks and all(item.bulk is not None for item in group):
            # The usual group: one statement in autocommit, a single round trip.
            statement, params = self._bulk_statement(bulks)
            try:
                cursor = self._autocommit_connection().cursor()
                try:
                    cursor.execute(statement, params)
                    returned = cursor.fetchall()
                finally:
                    cursor.close()
            except Exception:
                self._drop_autocommit_connection()
                raise
            changed = self._settled(bulks, returned)
        else:
            with self.ledger.engine.begin() as conn:
                for item in group:
                    if item.bulk is not None:
                        continue
                    item.changed = int(conn.execute(item.stmt).rowcount)
                    if item.changed:
                        changed.append(item)
                        _notify(item.name, item.name)
                if bulks:
                    statement, params = self._bulk_statement(bulks)
                    # The driver's own cursor: one statement per group, no per-row objects.
                    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                    try:
                        cursor.execute(statement, params)
                        changed += self._settled(bulks, cursor.fetchall())
                    finally:
                        cursor.close()
        for item in changed:
            _notify(item.name, "commit")


class Ledger:
    """Typed access to the ledger tables. Safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._writer: GroupWriter | None = None

    def group_commits(self, *, threads: int = 1, max_batch: int = 64) -> None:
        """From now on settle rows through a :class:`GroupWriter` (many posting threads in
        one process) until :meth:`close`."""
        if self._writer is None:
            self._writer = GroupWriter(self, threads=threads, max_batch=max_batch)

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def _settle_write(self, name: str, stmt: Any) -> int:
        """One statement that settles (or records the progress of) a claimed row."""
        writer = self._writer
        if writer is not None:
            return writer.execute(name, stmt)
        with self._writing(name) as write:
            changed = int(write.conn.execute(stmt).rowcount)
            write.did(name, changed)
        return changed

    @contextmanager
    def _writing(self, name: str) -> Iterator[_Write]:
        """A transaction that writes the ledger; observers hear of its statements and commit."""
        with self.engine.begin() as conn:
            write = _Write(name, conn)
            yield write
        if write.changed:
            _notify(name, "commit")

    # -- planning ------------------------------------------------------------------------------

    def insert_planned(
        self,
        runs: Sequence[dict[str, Any]],
        rows: Sequence[dict[str, Any]],
        *,
        name: str = "plan",
        only_new_runs: bool = True,
    ) -> tuple[set[str], set[str]]:
        """Insert absent runs and their absent deliveries in one transaction: a crash leaves
        both or neither. ``only_new_runs``: a delivery is inserted only with its run (the
        process that inserted a run owns its deliveries); otherwise any absent one is.
        Returns the ids of the runs and of the deliveries this call inserted."""
        for row in rows:
            row.setdefault("attempts", 0)
            row.setdefault("chart_attempts", 0)
        with self._writing(name) as write:
            new_runs = self._insert_absent(write.conn, delivery_runs, "run_id", runs)
            write.did("runs", len(new_runs))
            wanted = [r for r in rows if not only_new_runs or r["run_id"] in new_runs]
            inserted = self._insert_absent(write.conn, deliveries, "delivery_id", wanted)
            write.did("deliveries", len(inserted))
        if self.is_postgres and len(inserted) >= ANALYZE_AFTER:
            # A fan-out changes the table at once: fresh statistics keep claims on the index
            # (autovacuum would get there, a minute or so later).
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE deliveries"))
        return new_runs, inserted

    def _insert_absent(
        self, conn: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]]
    ) -> set[str]:
        if not rows:
            return set()
        # Bulk: COPY on PostgreSQL, multi-row statements of one shape on SQLite. Columns not
        # given take their defaults (every row of one call gives the same columns).
        columns = [c.name for c in table.columns if c.name in rows[0]]
        if any(len(row) != len(columns) for row in rows):
            raise ValueError(f"rows for {table.name} do not all give the same columns")
        values = [[row[name] for row in rows] for name in columns]
        return {str(k) for k in insert_absent(conn, table, key, columns, values)}

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

    def orphan_digest_runs(self, since: datetime, limit: int = 10_000) -> list[OrphanRun]:
        """Planned digest runs due after ``since`` that have no delivery, oldest first."""
        r = delivery_runs.c
        has_delivery = exists().where(deliveries.c.run_id == r.run_id)
        stmt = (
            select(r.run_id, r.schedule_id, r.period, r.due_at)
            .where(
                r.kind == KIND_DIGEST,
                r.status == RunStatus.PLANNED.value,
                r.due_at >= require_aware(since),
                ~has_delivery,
            )
            .order_by(r.due_at, r.run_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [OrphanRun(str(a), str(b), str(c), utc(d)) for a, b, c, d in conn.execute(stmt)]

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
        with self._writing("watermark") as write:
            write.did("watermark", write.conn.execute(stmt).rowcount)

    def import_legacy(self, now: datetime) -> int:
        """Once per database: record the alerts the version before the ledger had already
        claimed (``alerts_sent``) as sent, so upgrading does not post them again. (Its digest
        days, ``digest_days``, were recorded by the schema migration 0007.)"""
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
                    "attempts": 0,
                    "chart_attempts": 0,
                }
            )

        with self.engine.connect() as conn:
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
        insert = _insert(self.engine)
        # The copies and the "done" mark in one transaction: imported once, wholly or not at all.
        with self._writing("legacy") as write:
            write.did(
                "runs",
                len(self._insert_absent(write.conn, delivery_runs, "run_id", list(runs.values()))),
            )
            inserted = self._insert_absent(write.conn, deliveries, "delivery_id", rows)
            write.did("deliveries", len(inserted))
            marked = write.conn.execute(
                insert(delivery_state).values(name=LEGACY_IMPORTED, at=now).on_conflict_do_nothing()
            ).rowcount
            write.did("mark", marked)
        return len(inserted)

    # -- claiming and settling -----------------------------------------------------------------

    def claim(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        limit: int = 1,
        per_workspace: int | None = None,
        skip_workspaces: Iterable[tuple[str, str]] = (),
        kinds: Iterable[str] | None = None,
    ) -> list[Delivery]:
        """Lease up to ``limit`` deliveries that are due: pending ones, and sending ones whose
        lease ran out (their worker died or hung: they are now in doubt). ``per_workspace``:
        at most that many of one workspace in this batch (the rest stay for the next claim,
        or another replica), so a batch never fills up with one workspace's channels."""
        now = require_aware(now)
        d = deliveries.c
        claimable = (
            d.status.in_(_OPEN),
            d.next_attempt_at <= now,
            or_(d.status == DeliveryStatus.PENDING.value, d.lease_until < now),
        )
        order = (d.next_attempt_at, d.channel_id, d.delivery_id)
        inner = select(d.delivery_id).where(*claimable)
        skipped = list(skip_workspaces)
        if skipped:
            inner = inner.where(tuple_(d.platform, d.workspace_id).not_in(skipped))
        if kinds is not None:
            inner = inner.where(d.kind.in_(list(kinds)))
        probe = inner.limit(1)
        spread = per_workspace is not None and limit > per_workspace
        picked_ids: Any
        if spread:
            assert per_workspace is not None
            # Candidates in claim order (a window a few times the batch), then at most
            # ``per_workspace`` of each workspace among them, in the same order.
            window = limit * CLAIM_WINDOW
            candidates: Any = inner.add_columns(
                d.platform, d.workspace_id, d.next_attempt_at, d.channel_id
            )
            candidates = candidates.order_by(*order).limit(window)
            if self.is_postgres:
                # Locked candidates that are not picked are free again at this commit.
                candidates = (
                    candidates.with_for_update(skip_locked=True)
                    .cte("candidates")
                    .prefix_with("MATERIALIZED", dialect="postgresql")
                )
            else:
                candidates = candidates.subquery("candidates")
            c = candidates.c
            c_order = (c.next_attempt_at, c.channel_id, c.delivery_id)
            rank = (
                func.row_number()
                .over(partition_by=(c.platform, c.workspace_id), order_by=c_order)
                .label("rank")
            )
            ranked = select(c.delivery_id, *c_order[:2], rank).subquery("ranked")
            r = ranked.c
            picked_ids = (
                select(r.delivery_id)
                .where(r.rank <= per_workspace)
                .order_by(r.next_attempt_at, r.channel_id, r.delivery_id)
                .limit(limit)
            )
        else:
            picked_ids = inner.order_by(*order).limit(limit)
            if self.is_postgres:
                picked_ids = picked_ids.with_for_update(skip_locked=True)
        if self.is_postgres:
            # A materialized CTE runs once. Inside ``IN (…)`` PostgreSQL may re-run a
            # ``LIMIT … SKIP LOCKED`` subquery (a semi-join rescan) and claim more rows than
            # asked, which then wait, leased, behind the first one.
            picked = picked_ids.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
            # The rows are locked and were checked under the lock: join on the key alone.
            chosen: tuple[Any, ...] = (d.delivery_id == picked.c.delivery_id,)
        else:
            chosen = (d.delivery_id.in_(picked_ids.scalar_subquery()), *claimable)
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
        with self._writing("claim") as write:
            # SQLite: a read first, so idle polling (the common case) never takes the write
            # lock. PostgreSQL: the empty claim is as cheap as the probe.
            if not self.is_postgres and write.conn.execute(probe).first() is None:
                return []
            rows = write.conn.execute(stmt).all()
            write.did("claim", len(rows))
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
        with self._writing("renew") as write:
            changed = write.conn.execute(stmt).rowcount
            write.did("renew", changed)
        return bool(changed)

    def _ours(self, delivery: Delivery) -> tuple[ColumnElement[bool], ...]:
        d = deliveries.c
        return (
            d.delivery_id == delivery.delivery_id,
            d.status == DeliveryStatus.SENDING.value,
            d.lease_owner == delivery.lease_owner,
        )

    def _settle(self, name: str, delivery: Delivery, **values: Any) -> bool:
        stmt = (
            update(deliveries)
            .where(*self._ours(delivery))
            .values(lease_owner=None, lease_until=None, **values)
        )
        return bool(self._settle_write(name, stmt))

    def _text_posted(self, delivery: Delivery, message_id: str | None) -> _Settle:
        """The write of :meth:`mark_text_posted`: a row of the bulk statement (PostgreSQL,
        grouped) or a statement."""
        # Slack always answers with a ts; a placeholder keeps "text posted" recorded.
        message = message_id or "posted"
        if self._writer is not None and self.is_postgres:
            row = (delivery.delivery_id, delivery.lease_owner, message)
            return _Settle("text_posted", bulk=BULK_TEXT_POSTED, row=row)
        stmt = (
            update(deliveries)
            .where(*self._ours(delivery))
            .values(
                message_id=message,
                chart_status=ChartStatus.OWED.value,
                in_doubt_since=None,
                last_error=None,
            )
        )
        return _Settle("text_posted", stmt=stmt)

    def _write_now(self, item: _Settle) -> int:
        """Run ``item`` (in the next group when writes are grouped); the rows it changed."""
        writer = self._writer
        if item.bulk is not None and writer is not None:
            return writer.execute_bulk(item.name, item.bulk, item.row)
        return self._settle_write(item.name, item.stmt)

    def mark_text_posted(self, delivery: Delivery, message_id: str | None, now: datetime) -> bool:
        """The text is posted; the chart is owed. The row stays ours (``sending``): the worker
        goes on to the chart. False when our lease had been taken over meanwhile."""
        require_aware(now)
        return bool(self._write_now(self._text_posted(delivery, message_id)))

    def _sent(
        self,
        delivery: Delivery,
        message_id: str | None,
        now: datetime,
        *,
        chart: ChartStatus | None,
        chart_id: str | None,
        chart_error: str | None,
    ) -> _Settle:
        """The write of :meth:`mark_sent`: a row of the bulk statement (PostgreSQL, grouped)
        or a statement."""
        finished = require_aware(now)
        set_message = message_id is not None or not delivery.text_posted
        if self._writer is not None and self.is_postgres:
            row = (
                delivery.delivery_id,
                delivery.lease_owner,
                finished,
                set_message,
                message_id,
                chart is not None,
                chart.value if chart is not None else None,
                chart_id,
                chart_error[:500] if chart_error else None,
            )
            return _Settle("sent", bulk=BULK_SENT, row=row)
        values: dict[str, Any] = {
            "status": DeliveryStatus.SENT.value,
            "in_doubt_since": None,
            "last_error": None,
            "finished_at": finished,
        }
        if set_message:
            values["message_id"] = message_id
        if chart is not None:
            values["chart_status"] = chart.value
            values["chart_id"] = chart_id
            values["chart_error"] = chart_error[:500] if chart_error else None
        stmt = (
            update(deliveries)
            .where(*self._ours(delivery))
            .values(lease_owner=None, lease_until=None, **values)
        )
        return _Settle("sent", stmt=stmt)

    def mark_sent(
        self,
        delivery: Delivery,
        message_id: str | None,
        now: datetime,
        *,
        chart: ChartStatus | None = None,
        chart_id: str | None = None,
        chart_error: str | None = None,
    ) -> bool:
        """Posted (or found posted), with its chart if it has one. False when our lease had
        been taken over meanwhile."""
        return bool(
            self._write_now(
                self._sent(
                    delivery,
                    message_id,
                    now,
                    chart=chart,
                    chart_id=chart_id,
                    chart_error=chart_error,
                )
            )
        )

    def mark_sent_then(
        self,
        delivery: Delivery,
        message_id: str | None,
        now: datetime,
        then: Callable[[bool | None], None],
        *,
        chart: ChartStatus | None = None,
        chart_id: str | None = None,
        chart_error: str | None = None,
    ) -> None:
        """:meth:`mark_sent` without waiting for the commit when writes are grouped (the last
        write of a delivery: nothing of it follows); ``then`` hears whether the row was still
        ours (None: the write failed, and the row stays in the lease it had, to be taken over
        in doubt). Without grouping it writes now, then calls ``then``."""
        item = self._sent(
            delivery, message_id, now, chart=chart, chart_id=chart_id, chart_error=chart_error
        )
        writer = self._writer
        if writer is None:
            then(bool(self._write_now(item)))
            return

        def settled(changed: int, error: BaseException | None) -> None:
            if error is not None:
                log.warning(
                    "recording %s as sent failed (%s); it is taken over in doubt when its "
                    "lease ends",
                    delivery.delivery_id,
                    error,
                )
                then(None)
                return
            then(bool(changed))

        item.then = settled
        writer.submit(item)

    def mark_retry(
        self,
        delivery: Delivery,
        error: str,
        next_attempt_at: datetime,
        *,
        in_doubt: bool,
        chart_attempted: bool = False,
        paced: bool = False,
    ) -> bool:
        """Back to pending until ``next_attempt_at``; ``in_doubt``: this attempt may have posted.
        ``chart_attempted``: the attempt was a chart upload (counted against its limit).
        ``paced``: nothing was tried, the row is only given back (its channel was busy)."""
        d = deliveries.c
        doubt: Any = (
            func.coalesce(d.in_doubt_since, delivery.attempt_started_at)
            if in_doubt
            else d.in_doubt_since
        )
        values: dict[str, Any] = {}
        if chart_attempted:
            values["chart_attempts"] = d.chart_attempts + 1
            values["chart_error"] = error[:500]
        write = "retry_paced" if paced else "retry_chart" if chart_attempted else "retry"
        return self._settle(
            write,
            delivery,
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=require_aware(next_attempt_at),
            last_error=error[:500],
            in_doubt_since=doubt,
            **values,
        )

    def mark_failed(self, delivery: Delivery, error: str, now: datetime) -> bool:
        return self._settle(
            "failed",
            delivery,
            status=DeliveryStatus.FAILED.value,
            last_error=error[:500],
            finished_at=require_aware(now),
        )

    def mark_skipped(self, delivery: Delivery, reason: str, now: datetime) -> bool:
        return self._settle(
            "skipped",
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
        with self._writing("hold_channel") as write:
            changed = int(write.conn.execute(stmt).rowcount)
            write.did("hold_channel", changed)
        return changed

    # -- reading -------------------------------------------------------------------------------

    def status_of(self, delivery_id: str) -> str | None:
        stmt = select(deliveries.c.status).where(deliveries.c.delivery_id == delivery_id)
        with self.engine.connect() as conn:
            value = conn.execute(stmt).scalar_one_or_none()
        return str(value) if value is not None else None

    def row(self, delivery_id: str) -> dict[str, Any] | None:
        """Every column of one delivery (for reports and tests)."""
        stmt = select(deliveries).where(deliveries.c.delivery_id == delivery_id)
        with self.engine.connect() as conn:
            found = conn.execute(stmt).mappings().first()
        return dict(found) if found is not None else None

    def counts(self) -> dict[str, int]:
        """Deliveries by status."""
        d = deliveries.c
        stmt = select(d.status, func.count()).group_by(d.status)
        with self.engine.connect() as conn:
            return {str(s): int(n) for s, n in conn.execute(stmt)}

    def stats(self, now: datetime, *, stuck_after: timedelta = timedelta(0)) -> LedgerStats:
        """The shared truth for metrics and the doctor: counts by status, retries, queue depth
        and lag, charts, runs without deliveries, rows stuck past their lease, the watermark."""
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
            charts = {
                str(s): int(n)
                for s, n in conn.execute(
                    select(d.chart_status, func.count())
                    .where(d.chart_status.is_not(None))
                    .group_by(d.chart_status)
                )
            }
            stuck = conn.execute(
                select(func.count(), func.min(d.lease_until)).where(
                    and_(
                        d.status == DeliveryStatus.SENDING.value,
                        d.lease_until < now - stuck_after,
                    )
                )
            ).one()
            watermark = conn.execute(
                select(delivery_state.c.at).where(delivery_state.c.name == PLANNER_WATERMARK)
            ).scalar_one_or_none()
        orphans = len(self.orphan_digest_runs(now - ORPHAN_LOOKBACK))
        oldest = utc(due[1]) if due[1] is not None else None
        lag_s = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        return LedgerStats(
            by_status=by_status,
            retried_attempts=int(retried or 0),
            in_doubt=int(in_doubt or 0),
            due_now=int(due[0] or 0),
            lag_s=lag_s,
            runs=runs,
            charts=charts,
            orphan_runs=orphans,
            stuck=int(stuck[0] or 0),
            stuck_since=utc(stuck[1]) if stuck[1] is not None else None,
            watermark=utc(watermark) if watermark is not None else None,
        )


# Runs without deliveries are looked for this far back (the planner's own look-back).
ORPHAN_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class LedgerStats:
    by_status: dict[str, int]
    retried_attempts: int  # attempts beyond the first, over all deliveries
    in_doubt: int  # open deliveries with an attempt that may have posted
    due_now: int  # open deliveries whose time has come (the queue)
    lag_s: float  # age of the oldest due open delivery's due time; 0 when none
    runs: dict[str, int]
    charts: dict[str, int] = field(default_factory=dict)  # deliveries by chart status
    orphan_runs: int = 0  # planned digest runs of the last 7 days without a delivery
    stuck: int = 0  # deliveries "sending" whose lease ran out (more than stuck_after ago)
    stuck_since: datetime | None = None  # the oldest such lease's end
    watermark: datetime | None = None  # how far the planner has planned

    @property
    def queue_depth(self) -> int:
        return sum(self.by_status.get(s, 0) for s in _OPEN)
