"""A per-user limit on expensive commands (free-text questions, charts), the same on every
platform: at most N in any minute per (platform, workspace, user).

A sliding window: each user's accepted requests of the last minute are remembered, so the
refusal can say exactly how many there were and when the next one is allowed. The count is kept
in memory, per process: with several replicas, each allows N a minute (see SECURITY.md). The
console is never limited. Time comes from the request (``ctx.now``), not the clock.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from briefing.core import Context
from briefing.replies import Reply, ReplyKind, simple

WINDOW_S = 60.0
# Users remembered before idle ones are forgotten (memory stays bounded under abuse).
MAX_USERS = 10_000

Key = tuple[str, str | None, str | None]  # platform, workspace, user


@dataclass(frozen=True, slots=True)
class Refusal:
    count: int  # accepted in the last minute
    retry_after_s: float


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


# One limiter per database (in practice: per running bot), so tests with their own database do
# not share counts.
_limiters: WeakKeyDictionary[Engine, RateLimiter] = WeakKeyDictionary()
_limiters_lock = threading.Lock()


def limiter_for(ctx: Context) -> RateLimiter:
    per_minute = ctx.brief.settings.expensive_commands_per_minute
    with _limiters_lock:
        limiter = _limiters.get(ctx.brief.engine)
        if limiter is None or limiter.per_minute != per_minute:
            limiter = _limiters[ctx.brief.engine] = RateLimiter(per_minute)
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
