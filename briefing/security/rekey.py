"""Rotate TOKEN_ENCRYPTION_KEY: make a new key, or re-encrypt the stored tokens with the first.

    python -m briefing.security.rekey --new-key    print a fresh Fernet key
    python -m briefing.security.rekey              re-encrypt every stored Slack token

The rotation (SECURITY.md): set ``TOKEN_ENCRYPTION_KEY=NEW,OLD`` and restart (both keys read,
the new one writes), run this module once, then drop ``OLD`` and restart again.
"""

from __future__ import annotations

import sys

from briefing.security.crypto import generate_key


def main(argv: list[str]) -> int:
    if argv == ["--new-key"]:
        print(generate_key())
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    from briefing.db import make_engine
    from briefing.migrations import upgrade as upgrade_schema
    from briefing.platforms.slack.oauth import EncryptedInstallationStore
    from briefing.security.crypto import TokenCipher
    from briefing.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        settings.require("token_encryption_key", "slack_client_id")
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assert settings.token_encryption_key is not None
    assert settings.slack_client_id is not None
    cipher = TokenCipher.from_setting(settings.token_encryption_key.get_secret_value())
    engine = make_engine(settings.database_url)
    try:
        upgrade_schema(engine)
        store = EncryptedInstallationStore(settings.slack_client_id, engine, cipher)
        rows = store.reencrypt()
    finally:
        engine.dispose()
    print(f"Re-encrypted the tokens of {rows} stored installation row(s) with the first key.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
