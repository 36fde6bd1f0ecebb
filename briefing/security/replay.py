"""A replay guard for signed Slack requests, shared by every replica.

Slack's signature (``X-Slack-Signature``, HMAC of ``v0:{timestamp}:{body}``) proves who sent a
request and bolt refuses one whose timestamp is more than 5 minutes off, but nothing stops a
captured request from being sent again inside that window. The guard remembers each signature it
let through for :data:`REPLAY_WINDOW_S` (long enough to cover a timestamp up to 5 minutes in the
future that stays valid for 5 more) and refuses a second request carrying the same one.

Three forms with one interface (``claim``/``release``), picked by :func:`replay_guard_for`
(:mod:`briefing.sharedstate`):

- :class:`ReplayGuard`: in memory, for one process (SQLite); bounded (oldest entries go first
  when full) and thread-safe.
- :class:`DatabaseReplayGuard`: a row per signature in ``replay_signatures`` (PostgreSQL, shared
  by every replica). The claim is one ``INSERT … ON CONFLICT DO UPDATE … WHERE expired``: of two
  replicas claiming the same signature at once, exactly one gets its row.
- :class:`RedisReplayGuard`: ``SET key NX EX`` (with ``REDIS_URL``).

Only a SHA-256 of the signature is stored. The shared forms fall back to a memory guard while
their store cannot be reached (logged): a replay to another replica is then not caught.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Column, DateTime, Engine, String, Table, delete
from sqlalchemy.dialects import postgresql, sqlite

from briefing.db import metadata
from briefing.sharedstate import KEY_PREFIX, StoreKind, redis_client, store_kind

if TYPE_CHECKING:
    from redis import Redis

    from briefing.settings import Settings

log = logging.getLogger(__name__)

# Signatures older than this cannot pass bolt's 5-minute timestamp check any more.
REPLAY_WINDOW_S = 11 * 60.0
MAX_REMEMBERED = 100_000
# The shared table is swept of expired signatures at most this often (per process).
SWEEP_EVERY_S = 60.0

replay_signatures = Table(
    "replay_signatures",
    metadata,
    Column("signature_hash", String(64), primary_key=True),  # SHA-256 of the signature, hex
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)


class Guard(Protocol):
    def claim(self, signature: str) -> bool:
        """True the first time ``signature`` is seen inside the window, else False."""
        ...

    def release(self, signature: str) -> None:
        """Forget ``signature`` (its request turned out not to be genuine)."""
        ...


def _hash(signature: str) -> str:
    return hashlib.sha256(signature.encode("utf-8", "surrogateescape")).hexdigest()


class ReplayGuard:
    """In memory: ``claim(signature)`` is True the first time, False while it is remembered."""

    def __init__(
        self,
        *,
        window_s: float = REPLAY_WINDOW_S,
        max_entries: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window_s = window_s
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature → forget after
        self.evicted = 0  # entries dropped before their time because the guard was full

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def claim(self, signature: str) -> bool:
        """Remember ``signature``; False when it was already seen inside the window."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if signature in self._seen:
                return False
            self._seen[signature] = now + self._window_s
            while len(self._seen) > self._max_entries:
                self._seen.popitem(last=False)
                self.evicted += 1
            return True

    def release(self, signature: str) -> None:
        """Forget ``signature`` (its request turned out not to be genuine)."""
        with self._lock:
            self._seen.pop(signature, None)

    def _expire(self, now: float) -> None:
        # Entries are in claim order, so their deadlines are too.
        while self._seen:
            signature, forget_after = next(iter(self._seen.items()))
            if forget_after > now:
                return
            del self._seen[signature]


class DatabaseReplayGuard:
    """Signatures in the shared database, so a replay to any replica is refused."""

    def __init__(
        self,
        engine: Engine,
        *,
        window_s: float = REPLAY_WINDOW_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self._window = timedelta(seconds=window_s)
        self._clock = clock
        self._fallback = ReplayGuard(window_s=window_s)
        self._swept_at = 0.0
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def claim(self, signature: str) -> bool:
        now = self._clock()
        key = _hash(signature)
        t = replay_signatures.c
        insert = self._insert(replay_signatures).values(
            signature_hash=key, expires_at=now + self._window
        )
        # A row whose time is up may be taken again; a live one is a replay.
        stmt = insert.on_conflict_do_update(
            index_elements=[t.signature_hash],
            set_={"expires_at": insert.excluded.expires_at},
            where=t.expires_at <= now,
        ).returning(t.signature_hash)
        try:
            with self.engine.begin() as conn:
                claimed = conn.execute(stmt).first() is not None
        except Exception:
            log.exception("the replay guard's table cannot be reached; guarding this process only")
            return self._fallback.claim(signature)
        self._sweep(now)
        return claimed

    def release(self, signature: str) -> None:
        stmt = delete(replay_signatures).where(
            replay_signatures.c.signature_hash == _hash(signature)
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(stmt)
        except Exception:
            log.exception("could not release a signature in the replay guard's table")
        self._fallback.release(signature)

    def _sweep(self, now: datetime) -> None:
        if time.monotonic() - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = time.monotonic()
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(replay_signatures).where(replay_signatures.c.expires_at < now))
        except Exception:
            log.warning("sweeping expired signatures failed", exc_info=True)


class RedisReplayGuard:
    """Signatures in Redis (``SET NX EX``), shared by every replica using the same Redis."""

    def __init__(self, client: Redis, *, window_s: float = REPLAY_WINDOW_S) -> None:
        self.client = client
        self._window_s = max(int(window_s), 1)
        self._fallback = ReplayGuard(window_s=window_s)

    @staticmethod
    def key(signature: str) -> str:
        return f"{KEY_PREFIX}replay:{_hash(signature)}"

    def claim(self, signature: str) -> bool:
        try:
            return bool(self.client.set(self.key(signature), b"1", nx=True, ex=self._window_s))
        except Exception:
            log.exception("Redis cannot be reached; the replay guard covers this process only")
            return self._fallback.claim(signature)

    def release(self, signature: str) -> None:
        try:
            self.client.delete(self.key(signature))
        except Exception:
            log.exception("could not release a signature in Redis")
        self._fallback.release(signature)


def replay_guard_for(settings: Settings, engine: Engine) -> Guard:
    """The guard for this deployment: Redis, the shared database, or memory (one process)."""
    kind = store_kind(settings, engine)
    if kind is StoreKind.REDIS:
        assert settings.redis_url is not None
        return RedisReplayGuard(redis_client(settings.redis_url.get_secret_value()))
    if kind is StoreKind.DATABASE:
        return DatabaseReplayGuard(engine)
    return ReplayGuard()
