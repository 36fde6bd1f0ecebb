"""Encryption of Slack tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) with key rotation.

``TOKEN_ENCRYPTION_KEY`` holds one or more Fernet keys, comma-separated. The first key encrypts;
every key decrypts. To rotate: put a new key first and keep the old one after it, restart, run
``python bot.py rekey`` (re-encrypts every stored token with the new key), then
drop the old key. A key is 32 random bytes, url-safe base64 (``generate_key()``).
"""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["InvalidToken", "TokenCipher", "generate_key", "key_problem", "split_keys"]


def generate_key() -> str:
    """A fresh Fernet key, as text (what to put in ``TOKEN_ENCRYPTION_KEY``)."""
    return Fernet.generate_key().decode("ascii")


def split_keys(value: str) -> list[str]:
    """``"k1, k2"`` → ``["k1", "k2"]`` (blank parts dropped)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a Fernet key, or None. Never repeats the key itself."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "is not url-safe base64"
    if len(raw) != 32:
        return f"decodes to {len(raw)} bytes, not 32"
    return None


class TokenCipher:
    """Encrypts and decrypts token strings; ``None`` passes through unchanged."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        for position, key in enumerate(keys, start=1):
            problem = key_problem(key)
            if problem is not None:
                raise ValueError(f"key {position} of TOKEN_ENCRYPTION_KEY {problem}")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])
        self.key_count = len(keys)

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        return cls(split_keys(value))

    def __repr__(self) -> str:  # never show the keys
        return f"TokenCipher(keys={self.key_count})"

    def encrypt(self, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str | None) -> str | None:
        """The plaintext; raises :class:`InvalidToken` for a value no key can open."""
        if ciphertext is None:
            return None
        return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")

    def rotate(self, ciphertext: str | None) -> str | None:
        """The same plaintext encrypted under the first key (for re-encryption after rotation)."""
        if ciphertext is None:
            return None
        return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
