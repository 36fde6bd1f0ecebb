"""Keep secrets out of the logs, whatever the log level.

slack_sdk at DEBUG logs request parameters and response bodies: an ``oauth.v2.access`` answer
carries the workspace's bot token and refresh token, a rotation request the refresh token.
:class:`RedactingFilter` replaces Slack token patterns and the configured secret values (signing
secret, client secret, encryption keys, tokens) with ``[redacted]`` in every record's message,
arguments, traceback and stack; :func:`install_redaction` applies it to every record created in
the process (through the log record factory, so handlers added later are covered too).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from briefing.settings import Settings

REDACTED = "[redacted]"
# xoxb- (bot), xoxp- (user), xoxa-/xoxr-/xoxs-/xoxo- (legacy), xoxe- (refresh), xoxe.xoxb-
# (rotating access tokens), xapp- (app-level). Slack tokens use letters, digits and dashes.
TOKEN_PATTERN = re.compile(r"\b(?:xox[a-z]|xapp)(?:\.xox[a-z])?-[A-Za-z0-9-]*")
# Shorter configured values would match ordinary words; they are not real secrets either.
MIN_SECRET_CHARS = 8


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, as text (the encryption key list also key by key)."""
    values: list[str] = []
    for secret in (
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.slack_client_secret,
        settings.token_encryption_key,
        settings.discord_bot_token,
        settings.comtrade_api_key,
    ):
        if secret is not None:
            raw = secret.get_secret_value()
            values.append(raw)
            values.extend(part.strip() for part in raw.split(","))
    if settings.redis_url is not None:  # its password, if it has one
        password = urlsplit(settings.redis_url.get_secret_value()).password
        if password:
            values.append(password)
    return values


class RedactingFilter(logging.Filter):
    """Rewrites a record so that no token or configured secret survives in it; never drops one."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        with self._lock:
            known = set(self._secrets)
            known.update(s for s in secrets if len(s) >= MIN_SECRET_CHARS)
            # Longest first, so a value containing another is replaced whole.
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return TOKEN_PATTERN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it for the handler to report
            message = None
        if message is not None:
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_installed: RedactingFilter | None = None
_previous_factory: Callable[..., logging.LogRecord] | None = None
_install_lock = threading.Lock()


def install_redaction(secrets: Iterable[str] = ()) -> RedactingFilter:
    """Redact every log record of this process from now on (idempotent; adds ``secrets``)."""
    global _installed, _previous_factory
    with _install_lock:
        if _installed is not None:
            _installed.add_secrets(secrets)
            return _installed
        redactor = RedactingFilter(secrets)
        make_record: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redactor.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed, _previous_factory = redactor, make_record
        return redactor


def uninstall_redaction() -> None:
    """Undo :func:`install_redaction` (for tests)."""
    global _installed, _previous_factory
    with _install_lock:
        if _previous_factory is not None:
            logging.setLogRecordFactory(_previous_factory)
        _installed, _previous_factory = None, None
