"""A replay guard for signed Slack requests.

Slack's signature (``X-Slack-Signature``, HMAC of ``v0:{timestamp}:{body}``) proves who sent a
request and bolt refuses one whose timestamp is more than 5 minutes off, but nothing stops a
captured request from being sent again inside that window. The guard remembers each signature it
let through for :data:`REPLAY_WINDOW_S` (long enough to cover a timestamp up to 5 minutes in the
future that stays valid for 5 more) and refuses a second request carrying the same one.

The memory is per process, bounded (oldest entries go first when full) and thread-safe. With
several replicas behind a load balancer a replay sent to another replica is not caught: see
SECURITY.md for what that leaves open and how to close it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# Signatures older than this cannot pass bolt's 5-minute timestamp check any more.
REPLAY_WINDOW_S = 11 * 60.0
MAX_REMEMBERED = 100_000


class ReplayGuard:
    """``claim(signature)`` is True the first time, False while the signature is remembered."""

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
