"""Where the replay guard and the per-user limits keep their state, so replicas share it.

- ``REDIS_URL`` set: Redis (``redis`` package), keys under ``china-russia-brief:``.
- else PostgreSQL (``DATABASE_URL``): the database every replica already shares.
- else (SQLite, one process): memory.

Both shared forms fall back to memory for a request when their store cannot be reached (and
log it): the bot keeps answering, with the protection of one process until the store is back.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from redis import Redis

    from briefing.settings import Settings

KEY_PREFIX = "china-russia-brief:"
REDIS_TIMEOUT_S = 2.0


class StoreKind(StrEnum):
    MEMORY = "memory"
    DATABASE = "database"
    REDIS = "redis"


def store_kind(settings: Settings, engine: Engine) -> StoreKind:
    if settings.redis_url is not None and settings.redis_url.get_secret_value().strip():
        return StoreKind.REDIS
    if engine.dialect.name == "postgresql":
        return StoreKind.DATABASE
    return StoreKind.MEMORY


_clients: dict[str, Redis] = {}
_clients_lock = threading.Lock()


def redis_client(url: str) -> Redis:
    """One client (with its connection pool) per URL and process."""
    # Loaded only with REDIS_URL.
    from redis import Redis  # noqa: PLC0415

    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
            )
            _clients[url] = client
        return client
