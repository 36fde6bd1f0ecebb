"""Who may change a channel's subscriptions: workspace admins and owners, or ADMIN_USER_IDS.

In OAuth mode (many workspaces) ``users.info`` is asked with the caller's workspace's token
(``client_for``) and answers are cached per (workspace, user).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

ADMIN_CACHE_TTL_S = 600.0


class AdminCheck:
    """``users.info`` answers cached for ten minutes, so a command costs no extra API call.

    A failed lookup counts as "not an admin" (and is not cached): refusing a subscription is
    safe, granting one by mistake is not.
    """

    def __init__(
        self,
        client: WebClient,
        configured_admins: frozenset[str],
        *,
        ttl_s: float = ADMIN_CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        client_for: Callable[[str | None], WebClient] | None = None,
    ) -> None:
        self._client = client
        self._client_for = client_for
        self._configured = configured_admins
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str | None, str], tuple[bool, float]] = {}

    def is_admin(self, user_id: str, team_id: str | None = None) -> bool:
        if user_id in self._configured:
            return True
        now = self._clock()
        key = (team_id, user_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        client = self._client_for(team_id) if self._client_for is not None else self._client
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, SlackClientError, OSError):
            log.warning(
                "users.info failed for %s; treating as not an admin", user_id, exc_info=True
            )
            return False
        is_admin = bool(
            user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
        )
        with self._lock:
            self._cache[key] = (is_admin, now + self._ttl_s)
        return is_admin
