"""A per-user limit on expensive commands (free-text questions, charts), the same on every
platform: at most N in any minute per (platform, workspace, user).

A sliding window: each user's accepted requests of the last minute are remembered, so the
refusal can say exactly how many there were and when the next one is allowed. One quota per
user however many replicas answer: the window lives where :mod:`briefing.sharedstate` says —

- :class:`RateLimiter`: in memory, for one process (SQLite);
- :class:`DatabaseRateLimiter`: a row per user in ``rate_limits`` (PostgreSQL), read and written
  under that row's lock, so two replicas counting the same user at once count in turn;
- :class:`RedisRateLimiter`: a sorted set per user, trimmed, counted and added to in one Lua
  script (with ``REDIS_URL``).

The console is never limited. Time comes from the request (``ctx.now``), not the clock; replicas'
clocks must agree to well within the minute, which NTP does. A shared store that cannot be
reached is logged and the process counts alone until it is back.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Column, DateTime, Engine, String, Table, Text, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from briefing.db import metadata
from briefing.replies import Reply, ReplyKind, simple
from briefing.sharedstate import KEY_PREFIX, StoreKind, redis_client, store_kind

if TYPE_CHECKING:
    from redis import Redis

    from briefing.appstate import Context

log = logging.getLogger(__name__)

WINDOW_S = 60.0
# Users remembered before idle ones are forgotten (memory stays bounded under abuse).
MAX_USERS = 10_000

Key = tuple[str, str | None, str | None]  # platform, workspace, user


@dataclass(frozen=True, slots=True)
class Refusal:
    count: int  # accepted in the last minute
    retry_after_s: float


class Limiter(Protocol):
    per_minute: int

    def take(self, key: Key, now: datetime) -> Refusal | None:
        """None when allowed (and counted), else a :class:`Refusal`."""
        ...


rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(300), primary_key=True),  # platform:workspace:user
    # Accepted requests of the last minute: POSIX seconds, space-separated, oldest first.
    Column("hits", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
)
# Rows untouched for this long are swept (per process, at most every SWEEP_EVERY_S).
IDLE_AFTER = timedelta(hours=1)
SWEEP_EVERY_S = 600.0


def key_text(key: Key) -> str:
    platform, workspace, user = key
    return f"{platform}:{workspace or '-'}:{user or '-'}"[:300]


def _window(times: list[float], t: float, per_minute: int) -> tuple[list[float], Refusal | None]:
    """The window after a request at ``t``: (times kept, None) if accepted, else a refusal."""
    kept = sorted(x for x in times if x > t - WINDOW_S)
    if len(kept) >= per_minute:
        return kept, Refusal(len(kept), max(kept[0] + WINDOW_S - t, 0.0))
    kept.append(t)
    kept.sort()
    return kept, None


class RateLimiter:
    """``take(key, now)``: None when allowed (and counted), else a :class:`Refusal`."""

    def __init__(self, per_minute: int, *, max_users: int = MAX_USERS) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._max_users = max_users
        self._lock = threading.Lock()
        self._accepted: dict[Key, deque[float]] = {}

    def take(self, key: Key, now: datetime) -> Refusal | None:
        t = now.timestamp()
        with self._lock:
            times = self._accepted.get(key)
            if times is None:
                if len(self._accepted) >= self._max_users:
                    self._forget_idle(t)
                times = self._accepted.setdefault(key, deque())
            while times and times[0] <= t - WINDOW_S:
                times.popleft()
            if len(times) >= self.per_minute:
                return Refusal(len(times), max(times[0] + WINDOW_S - t, 0.0))
            # Requests may arrive out of order (several threads); keep the window sorted.
            if times and t < times[-1]:
                times.append(t)
                self._accepted[key] = deque(sorted(times))
            else:
                times.append(t)
            return None

    def _forget_idle(self, t: float) -> None:
        idle = [k for k, times in self._accepted.items() if not times or times[-1] <= t - WINDOW_S]
        for k in idle:
            del self._accepted[k]
        if len(self._accepted) >= self._max_users:  # all active: drop the quietest half
            by_last = sorted(self._accepted, key=lambda k: self._accepted[k][-1])
            for k in by_last[: len(by_last) // 2]:
                del self._accepted[k]


class DatabaseRateLimiter:
    """The window in the shared database: one row per user, changed under its row lock."""

    def __init__(self, engine: Engine, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.engine = engine
        self.per_minute = per_minute
        self._fallback = RateLimiter(per_minute)
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._swept_at = time.monotonic()

    def take(self, key: Key, now: datetime) -> Refusal | None:
        name = key_text(key)
        t = now.timestamp()
        c = rate_limits.c
        # Touching the row first locks it (PostgreSQL) or the database (SQLite) for this
        # transaction: a concurrent take of the same user waits, then reads our write.
        touch = self._insert(rate_limits).values(key=name, hits="", updated_at=now)
        touch = touch.on_conflict_do_update(index_elements=[c.key], set_={"updated_at": now})
        try:
            with self.engine.begin() as conn:
                conn.execute(touch)
                hits = conn.execute(select(c.hits).where(c.key == name)).scalar_one()
                times = [float(x) for x in str(hits).split()]
                kept, refusal = _window(times, t, self.per_minute)
                text = " ".join(f"{x:.6f}" for x in kept)
                conn.execute(update(rate_limits).where(c.key == name).values(hits=text))
        except Exception:
            log.exception("the rate limit table cannot be reached; counting in this process")
            return self._fallback.take(key, now)
        self._sweep(now)
        return refusal

    def _sweep(self, now: datetime) -> None:
        if time.monotonic() - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = time.monotonic()
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(rate_limits).where(rate_limits.c.updated_at < now - IDLE_AFTER))
        except Exception:
            log.warning("sweeping idle rate limit rows failed", exc_info=True)


# Trim the window, count it, add the request if there is room; atomic in Redis.
_REDIS_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {n, oldest[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return {-1, '0'}
"""


class RedisRateLimiter:
    """The window as a Redis sorted set per user (scores: POSIX seconds)."""

    def __init__(self, client: Redis, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.client = client
        self.per_minute = per_minute
        self._script = client.register_script(_REDIS_TAKE)
        self._fallback = RateLimiter(per_minute)

    def take(self, key: Key, now: datetime) -> Refusal | None:
        t = now.timestamp()
        member = f"{t:.6f}:{uuid.uuid4().hex[:8]}"
        try:
            count, oldest = self._script(
                keys=[f"{KEY_PREFIX}limit:{key_text(key)}"],
                args=[f"{t:.6f}", WINDOW_S, self.per_minute, member],
            )
        except Exception:
            log.exception("Redis cannot be reached; counting slow commands in this process")
            return self._fallback.take(key, now)
        if int(count) < 0:
            return None
        return Refusal(int(count), max(float(oldest) + WINDOW_S - t, 0.0))


# One limiter per database (in practice: per running bot), so tests with their own database do
# not share counts.
_limiters: WeakKeyDictionary[Engine, Limiter] = WeakKeyDictionary()
_limiters_lock = threading.Lock()


def limiter_for(ctx: Context) -> Limiter:
    settings = ctx.brief.settings
    per_minute = settings.expensive_commands_per_minute
    engine = ctx.brief.engine
    with _limiters_lock:
        limiter = _limiters.get(engine)
        if limiter is None or limiter.per_minute != per_minute:
            kind = store_kind(settings, engine)
            if kind is StoreKind.REDIS:
                assert settings.redis_url is not None
                client = redis_client(settings.redis_url.get_secret_value())
                limiter = RedisRateLimiter(client, per_minute)
            elif kind is StoreKind.DATABASE:
                limiter = DatabaseRateLimiter(engine, per_minute)
            else:
                limiter = RateLimiter(per_minute)
            _limiters[engine] = limiter
        return limiter


def check_expensive(ctx: Context, what: str) -> Reply | None:
    """A private refusal when the caller has used up their expensive commands, else None.

    ``what`` names the limited commands for the message (``"ask, chart"``).
    """
    caller = ctx.caller
    if caller.platform == "console":
        return None
    refusal = limiter_for(ctx).take((caller.platform, caller.workspace_id, caller.user_id), ctx.now)
    if refusal is None:
        return None
    wait_s = max(1, math.ceil(refusal.retry_after_s))
    noun = "answer" if refusal.count == 1 else "answers"
    return simple(
        f"You've asked for {refusal.count} slow {noun} ({what}) in the last minute; "
        f"try again in {wait_s} s.",
        "They take a while to compute, so each person gets a few a minute. "
        "Other commands work as usual.",
        kind=ReplyKind.REFUSAL,
    )
