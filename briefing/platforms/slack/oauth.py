"""Installing the app in any workspace: Slack's OAuth v2 flow, with tokens encrypted at rest.

OAuth mode is on when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set (HTTP mode only). The same
waitress server then serves ``GET /slack/install`` (redirects to Slack's consent screen, with a
``state`` kept in the database and a browser cookie) and ``GET /slack/oauth_redirect`` (trades
the code for the workspace's bot token with ``oauth.v2.access`` and stores it).

Stored tokens (bot, user, and their refresh tokens) are Fernet-encrypted in the database with
TOKEN_ENCRYPTION_KEY (:mod:`briefing.security.crypto`), in slack_sdk's own installation tables
(``slack_installations``, ``slack_bots``; token columns widened to TEXT for the ciphertext) and
its state table (``slack_oauth_states``), which the migrations create. With token rotation on for
the app, an access token within :data:`TOKEN_ROTATION_MINUTES` of expiry is refreshed with the
stored refresh token before use: by bolt for commands, by :class:`WorkspaceTokens` for
scheduled posts. ``app_uninstalled`` and ``tokens_revoked`` delete the workspace's credentials
and pause its subscriptions (:func:`register_uninstall_listeners`, in both modes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.context import BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError, SlackTokenRotationError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Dialect, Engine, Text, select, update
from sqlalchemy.types import TypeDecorator

from briefing.appstate import Briefing
from briefing.command_table import CommandTable
from briefing.delivery.poster import PostError
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import api_base_url, make_client, retry_handlers
from briefing.platforms.slack.poster import SlackPoster, delivery_client, post_error
from briefing.security.crypto import InvalidToken, TokenCipher
from briefing.settings import Settings, SettingsError

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes asked for at install: the same least-privilege list as manifest.yml.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "files:write",
    "users:read",
    "im:write",
    "channels:history",
    "groups:history",
)
# Refresh an access token this long before it expires (Slack's rotating tokens live 12 hours).
TOKEN_ROTATION_MINUTES = 120
# How long an install link (its state) stays valid.
STATE_EXPIRATION_S = 600
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
OAUTH_SETTINGS = (
    "slack_signing_secret",
    "slack_client_id",
    "slack_client_secret",
    "token_encryption_key",
)


class TokenDecryptionError(RuntimeError):
    """A stored token no key in TOKEN_ENCRYPTION_KEY can open."""


class EncryptedText(TypeDecorator[str]):
    """A TEXT column whose values are Fernet-encrypted on the way in, decrypted on the way out."""

    impl = Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return self.cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        try:
            return self.cipher.decrypt(value)
        except InvalidToken:
            raise TokenDecryptionError(
                "a stored Slack token cannot be decrypted with TOKEN_ENCRYPTION_KEY: was the key "
                "that encrypted it removed before `python bot.py rekey` ran?"
            ) from None


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store with every token encrypted at rest."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        for table in (self.bots, self.installations):
            for name in TOKEN_COLUMNS:
                if name in table.c:
                    # Before any statement is built: inserts, updates and selects all see it.
                    table.c[name].type = EncryptedText(cipher)

    def reencrypt(self) -> int:
        """Re-encrypt every stored token under the first key; the number of rows rewritten.

        Each value is read (any key decrypts) and written back (the first key encrypts).
        """
        changed = 0
        with self.engine.begin() as conn:
            for table in (self.bots, self.installations):
                columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
                for row in conn.execute(select(table.c.id, *columns)).mappings().all():
                    values = {c.name: row[c.name] for c in columns}
                    conn.execute(update(table).where(table.c.id == row["id"]).values(values))
                    changed += 1
        return changed


class WorkspaceTokens:
    """A workspace's bot token for scheduled posts, refreshed first when it is about to expire."""

    def __init__(
        self,
        store: EncryptedInstallationStore,
        rotator: TokenRotator,
        *,
        minutes_before_expiration: int = TOKEN_ROTATION_MINUTES,
    ) -> None:
        self.store = store
        self.rotator = rotator
        self.minutes_before_expiration = minutes_before_expiration
        self._lock = threading.Lock()  # one refresh at a time (a refresh token is single-use)

    def bot_token(self, team_id: str) -> str | None:
        """The current bot token, or None when the app is not installed in ``team_id``.

        Raises ``SlackTokenRotationError`` when the refresh failed at Slack (e.g. revoked).
        """
        with self._lock:
            bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
            if bot is None:
                return None
            if bot.bot_refresh_token is not None:
                refreshed = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=self.minutes_before_expiration
                )
                if refreshed is not None:
                    self.store.save_bot(refreshed)
                    log.info("refreshed the bot token of workspace %s", team_id)
                    bot = refreshed
            token = bot.bot_token
            return str(token) if token else None


@dataclass
class SlackOAuth:
    """Everything OAuth mode needs, built once at start by :func:`setup_oauth`."""

    settings: OAuthSettings
    installations: EncryptedInstallationStore
    states: SQLAlchemyOAuthStateStore
    tokens: WorkspaceTokens
    app_settings: Settings

    def command_client(self, team_id: str | None) -> WebClient:
        """A client for answering a command in ``team_id`` (bounded retries, like make_client).

        With no installation the client has no token and its calls fail with ``not_authed``.
        """
        token = self._token_or_none(team_id)
        return WebClient(
            token=token,
            base_url=api_base_url(self.app_settings),
            retry_handlers=retry_handlers(),
        )

    def delivery_client(self, team_id: str) -> WebClient:
        """A non-retrying client for ledger delivery to ``team_id``; raises :class:`PostError`."""
        try:
            token = self.tokens.bot_token(team_id)
        except SlackTokenRotationError as exc:
            error = post_error(exc.api_error)
            log.warning("refreshing workspace %s's token failed: %s", team_id, error.code)
            # A refused refresh (revoked, invalid) stays refused; a 429 or a 5xx may pass later.
            status = exc.api_error.response.status_code
            transient = status == 429 or status >= 500
            raise PostError(
                error.code, permanent=not transient, retry_after_s=error.retry_after_s
            ) from None
        except (SlackClientError, OSError) as exc:
            raise post_error(exc) from exc
        if token is None:
            raise PostError("not_installed", permanent=True)
        client = delivery_client(self.app_settings)
        client.token = token
        return client

    def _token_or_none(self, team_id: str | None) -> str | None:
        if not team_id:
            return None
        try:
            return self.tokens.bot_token(team_id)
        except (SlackTokenRotationError, SlackClientError, OSError):
            log.warning("no usable token for workspace %s", team_id, exc_info=True)
            return None


def require_oauth_settings(settings: Settings) -> None:
    """Name every missing OAuth-mode setting in one error."""
    settings.require(*OAUTH_SETTINGS)


def setup_oauth(brief: Briefing, api_client: WebClient | None = None) -> SlackOAuth:
    """Stores on the app's database (tables from the migrations), the OAuth settings, token
    rotation.

    ``api_client`` (token-less, SLACK_API_URL) makes oauth.v2.access and refresh calls.
    """
    settings = brief.settings
    require_oauth_settings(settings)
    assert settings.slack_client_id
    assert settings.slack_client_secret
    assert settings.token_encryption_key is not None
    try:
        cipher = TokenCipher.from_setting(settings.token_encryption_key.get_secret_value())
    except ValueError as exc:
        raise SettingsError([f"TOKEN_ENCRYPTION_KEY: {exc}"]) from None
    client_id = settings.slack_client_id
    client_secret = settings.slack_client_secret.get_secret_value()
    if api_client is None:
        api_client = make_client(settings.model_copy(update={"slack_bot_token": None}))
    # Their tables are part of the schema (briefing.migrations), created before this runs.
    installations = EncryptedInstallationStore(client_id, brief.engine, cipher)
    states = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_S, engine=brief.engine, logger=log
    )
    oauth_settings = OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,  # /slack/install redirects straight to Slack
        installation_store=installations,
        installation_store_bot_only=True,  # the bot token is all this app uses
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        state_store=states,
        state_expiration_seconds=STATE_EXPIRATION_S,
        logger=log,
    )
    # bolt's own authorize would refresh tokens at slack.com whatever SLACK_API_URL says.
    oauth_settings.authorize = InstallationStoreAuthorize(
        logger=log,
        installation_store=installations,
        client_id=client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        bot_only=True,
        client=api_client,
    )
    rotator = TokenRotator(client_id=client_id, client_secret=client_secret, client=api_client)
    return SlackOAuth(
        settings=oauth_settings,
        installations=installations,
        states=states,
        tokens=WorkspaceTokens(installations, rotator),
        app_settings=settings,
    )


def register_uninstall_listeners(
    app: App,
    brief: Briefing,
    installations: EncryptedInstallationStore | None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """``app_uninstalled`` and a revoked bot token: forget the workspace's credentials (OAuth
    mode) and pause its subscriptions, so delivery stops until an admin subscribes again."""
    now_of = clock or (lambda: datetime.now(UTC))
    store = SubscriptionStore(brief.engine)

    def forget(team_id: str | None, enterprise_id: str | None, reason: str) -> None:
        if not team_id:
            log.warning("%s without a team id; nothing to do", reason)
            return
        if installations is not None:
            installations.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        paused = store.pause_workspace("slack", team_id, reason, now_of())
        log.info(
            "%s in workspace %s: credentials deleted, %d subscription(s) paused",
            reason,
            team_id,
            paused,
        )

    def on_app_uninstalled(context: BoltContext) -> None:
        forget(context.team_id, context.enterprise_id, "app_uninstalled")

    def on_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            forget(context.team_id, context.enterprise_id, "tokens_revoked")
            return
        if installations is not None:
            for user_id in tokens.get("oauth") or []:
                installations.delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
                )

    app.event("app_uninstalled")(on_app_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)


@dataclass
class OAuthBot:
    """The Slack adapter's parts in OAuth mode, wired (what :func:`run_slack` serves)."""

    oauth: SlackOAuth
    commands: SlackCommands
    app: App
    poster: SlackPoster


def build_oauth_bot(
    brief: Briefing,
    table: CommandTable,
    *,
    clock: Callable[[], datetime] | None = None,
) -> OAuthBot:
    """Stores, bolt app (with the install and redirect routes), commands and poster, each
    workspace answered and posted to with its own stored token."""
    settings = brief.settings
    # No token of its own: every request is authorized with its workspace's installation.
    api_client = make_client(settings.model_copy(update={"slack_bot_token": None}))
    oauth = setup_oauth(brief, api_client)
    commands = SlackCommands(brief, api_client, table, client_for=oauth.command_client, clock=clock)
    secret = settings.slack_signing_secret
    assert secret is not None
    app = build_app(
        commands, signing_secret=secret.get_secret_value(), oauth_settings=oauth.settings
    )
    register_uninstall_listeners(app, brief, oauth.installations, clock=clock)
    poster = SlackPoster(delivery_client(settings), client_for=oauth.delivery_client)
    return OAuthBot(oauth=oauth, commands=commands, app=app, poster=poster)
