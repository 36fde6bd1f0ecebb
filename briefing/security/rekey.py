"""Rotate TOKEN_ENCRYPTION_KEY: make a new key, or re-encrypt the stored tokens with the first.

    python bot.py rekey --new-key    print a fresh Fernet key
    python bot.py rekey              re-encrypt every stored Slack token

The rotation (SECURITY.md): set ``TOKEN_ENCRYPTION_KEY=NEW,OLD`` and restart (both keys read,
the new one writes), run ``rekey`` once, then drop ``OLD`` and restart again.

The token store is handed in (``bot.py`` opens Slack's OAuth installation store): this module
knows the rotation, not the platform.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine

from briefing.db import make_engine
from briefing.migrations import upgrade as upgrade_schema
from briefing.security.crypto import TokenCipher
from briefing.settings import Settings


class TokenStore(Protocol):
    def reencrypt(self) -> int:
        """Re-encrypt every stored token with the cipher's first key; the rows rewritten."""
        ...


# (client id, database, cipher) → the store of that app's installations
OpenStore = Callable[[str, Engine, TokenCipher], TokenStore]


def reencrypt_tokens(settings: Settings, open_store: OpenStore) -> int:
    """Re-encrypt every stored token with the first key of TOKEN_ENCRYPTION_KEY; the rows
    rewritten. :class:`~briefing.settings.SettingsError` when a needed setting is missing."""
    settings.require("token_encryption_key", "slack_client_id")
    assert settings.token_encryption_key is not None
    assert settings.slack_client_id is not None
    cipher = TokenCipher.from_setting(settings.token_encryption_key.get_secret_value())
    engine = make_engine(settings.database_url)
    try:
        upgrade_schema(engine)
        return open_store(settings.slack_client_id, engine, cipher).reencrypt()
    finally:
        engine.dispose()
