"""The Slack adapter (bolt): ``/brief``, the Share button and scheduled posts.

Two ways in: Socket Mode (SLACK_BOT_TOKEN + SLACK_APP_TOKEN; no public URL needed) or HTTP
(SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET; Slack posts to ``https://host/slack/events``).
Or, to install in any workspace, OAuth mode over HTTP (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET,
SLACK_SIGNING_SECRET, TOKEN_ENCRYPTION_KEY; :mod:`briefing.platforms.slack.oauth`).
The delivery timer runs alongside and posts digests and alerts through :class:`SlackPoster`.
Secrets are redacted from every log line (:mod:`briefing.security.redact`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from briefing.appstate import Briefing
from briefing.command_table import CommandTable
from briefing.delivery.service import start_delivery
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import make_client
from briefing.platforms.slack.oauth import (
    build_oauth_bot,
    register_uninstall_listeners,
    require_oauth_settings,
)
from briefing.platforms.slack.poster import SlackPoster, delivery_client
from briefing.platforms.slack.server import serve_http, serve_socket_mode
from briefing.security.redact import install_redaction, secret_values
from briefing.security.replay import replay_guard_for
from briefing.settings import Settings, SettingsError

log = logging.getLogger(__name__)

__all__ = ["SlackCommands", "SlackPoster", "build_app", "make_client", "run_slack"]


def oauth_mode(settings: Settings) -> bool:
    """OAuth distribution: asked for by setting SLACK_CLIENT_ID or SLACK_CLIENT_SECRET."""
    return bool(settings.slack_client_id or settings.slack_client_secret)


def require_settings(brief: Briefing, *, http: bool) -> None:
    """Check this mode's secrets, naming every missing one in one error."""
    if oauth_mode(brief.settings):
        if not http:
            raise SettingsError(
                ["SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (installs in any workspace) need --http"]
            )
        require_oauth_settings(brief.settings)
    elif http:
        brief.settings.require("slack_bot_token", "slack_signing_secret")
    else:
        brief.settings.require("slack_bot_token", "slack_app_token")


def run_slack(
    brief: Briefing,
    table: CommandTable,
    *,
    http: bool,
    host: str = "0.0.0.0",
    port: int = 3000,
    announce: Callable[[str], None] = print,
) -> None:
    """Start the adapter (answering ``table``'s commands) and the delivery timer; return when
    the server stops."""
    settings = brief.settings
    install_redaction(secret_values(settings))
    require_settings(brief, http=http)
    if oauth_mode(settings):
        bot = build_oauth_bot(brief, table)
        commands, app, poster = bot.commands, bot.app, bot.poster
    else:
        client = make_client(settings)
        secret = settings.slack_signing_secret
        commands = SlackCommands(brief, client, table)
        app = build_app(commands, signing_secret=secret.get_secret_value() if secret else "")
        register_uninstall_listeners(app, brief, None)
        # Scheduled posts go through the delivery ledger, which retries (after Retry-After) and
        # checks the channel's history before re-posting a send in doubt; a client that retried
        # by itself could post a digest twice, so this one does not.
        poster = SlackPoster(delivery_client(settings))
    commands.warm_up()
    timer = start_delivery(brief, poster)
    try:
        if http:
            secret = settings.slack_signing_secret
            serve_http(
                app,
                host,
                port,
                announce,
                replay_guard=replay_guard_for(settings, brief.engine),
                signing_secret=secret.get_secret_value() if secret else None,
            )
        else:
            assert settings.slack_app_token is not None
            serve_socket_mode(app, settings.slack_app_token.get_secret_value(), announce)
    except KeyboardInterrupt:
        pass
    finally:
        timer.shutdown(wait=False)
        commands.close()
