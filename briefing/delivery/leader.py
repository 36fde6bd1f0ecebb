"""Leadership: which process fires the planning timer. Every process delivers; one plans.

Planning is idempotent (deterministic ids, insert-if-absent), so two planners at once would
still not plan a period twice; a single leader keeps the work, the logs and the "skipped"
warnings single.

- SQLite: one process; it always leads (:class:`LocalLeader`).
- PostgreSQL: a session-level ``pg_try_advisory_lock`` held on a dedicated connection
  (:class:`PostgresLeader`). The lock lives as long as that session: a leader killed with
  ``kill -9`` loses it as soon as the server sees the socket close, and TCP keepalives on both
  ends (libpq ``keepalives_*``, server ``tcp_keepalives_*``) bound how long a vanished host
  (power loss, partition) can hold it. Followers try to take the lock every ``retry_s`` (≤ 5 s);
  the leader re-checks its session as often and steps down the moment the check fails.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Engine

log = logging.getLogger(__name__)

LOCK_NAME = "china-russia-brief:delivery-planner"
RETRY_S = 2.0
# Client side (libpq): notice a dead server or path within about idle + interval·count seconds.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "connect_timeout": 5,
    # Unacknowledged data (a query sent into a dead path) fails after 10 s, not minutes.
    "tcp_user_timeout": 10_000,
}
# Server side: the same for a leader host that vanished without closing its socket, so the
# lock (held by that backend) is released within about 11 s.
SERVER_OPTIONS = (
    "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
    "-c statement_timeout=5000 -c idle_in_transaction_session_timeout=0"
)


class Leadership(Protocol):
    @property
    def is_leader(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class LocalLeader:
    """SQLite: this process is the only one, so it leads — from the start, so the timer's first
    tick (at start) plans and there is no election to announce."""

    def __init__(self, on_elected: Callable[[], None] | None = None) -> None:
        self._on_elected = on_elected  # never called: leading is not news here

    @property
    def is_leader(self) -> bool:
        return True

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def lock_key(schema: str) -> int:
    """A positive 64-bit advisory-lock key; per schema, so tests in their own schemas (and
    separate installations sharing a server) don't contend."""
    digest = hashlib.sha256(f"{LOCK_NAME}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


class PostgresLeader:
    """Holds the planner lock on its own connection; :attr:`is_leader` while it does."""

    def __init__(
        self,
        engine: Engine,
        *,
        retry_s: float = RETRY_S,
        on_elected: Callable[[], None] | None = None,
        name: str = "replica",
    ) -> None:
        if retry_s > 5:
            raise ValueError("followers must retry the lock at least every 5 s")
        self.engine = engine
        self.retry_s = retry_s
        self.name = name
        self._on_elected = on_elected
        self._conn: Any = None
        self._key: int | None = None
        self._leader = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        return self._leader.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="delivery-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.retry_s + 6)
        self._step_down("stopping")

    def _connect(self) -> Any:
        # Loaded only on PostgreSQL.
        import psycopg  # noqa: PLC0415

        url = self.engine.url
        params: dict[str, Any] = {
            "host": url.host or "localhost",
            "port": url.port or 5432,
            "dbname": url.database,
            "user": url.username,
            "application_name": f"brief-leader-{self.name}"[:63],
            "autocommit": True,
            **KEEPALIVES,
        }
        if url.password is not None:
            params["password"] = url.password
        # sslmode, target_session_attrs…: as DATABASE_URL says.
        params.update({k: v for k, v in url.query.items() if k != "options"})
        options = str(url.query.get("options", ""))  # e.g. the tests' search_path
        params["options"] = f"{options} {SERVER_OPTIONS}".strip()
        return psycopg.connect(**params)

    def _try_lock(self) -> bool:
        if self._conn is None:
            self._conn = self._connect()
            schema = self._conn.execute("SELECT current_schema()").fetchone()[0]
            self._key = lock_key(str(schema))
        got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()[0]
        return bool(got)

    def _still_held(self) -> bool:
        """Ask the server, on the lock's own session, whether we hold the lock."""
        row = self._conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid() AND objsubid = 1 "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            (self._key,),
        ).fetchone()
        return bool(row and row[0])

    def _step_down(self, why: str) -> None:
        was = self._leader.is_set()
        self._leader.clear()
        if self._conn is not None:
            try:
                self._conn.close()  # ends the session: the lock goes with it
            except Exception:
                log.debug("closing the leader connection failed", exc_info=True)
            self._conn = None
        if was:
            log.warning("%s is no longer the delivery planner (%s)", self.name, why)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.is_leader:
                    if not self._still_held():
                        self._step_down("the lock is gone")
                elif self._try_lock():
                    self._leader.set()
                    log.info("%s is now the delivery planner", self.name)
                    if self._on_elected is not None:
                        self._on_elected()
            except Exception as exc:
                # The server or the path to it is gone: not leading until the lock is back.
                self._step_down(f"{type(exc).__name__}: {exc}")
            self._stop.wait(self.retry_s)


def make_leadership(
    engine: Engine, *, on_elected: Callable[[], None] | None = None, name: str = "replica"
) -> LocalLeader | PostgresLeader:
    if engine.dialect.name == "postgresql":
        return PostgresLeader(engine, on_elected=on_elected, name=name)
    return LocalLeader(on_elected=on_elected)
