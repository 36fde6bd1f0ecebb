"""The Slack adapter (bolt): ``/brief``, the Share button and scheduled posts.

Two ways in: Socket Mode (SLACK_BOT_TOKEN + SLACK_APP_TOKEN; no public URL needed) or HTTP
(SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET; Slack posts to ``https://host/slack/events``).
The delivery timer runs alongside and posts digests and alerts through :class:`SlackPoster`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from briefing.core import Briefing
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import make_client
from briefing.platforms.slack.poster import SlackPoster, delivery_client

log = logging.getLogger(__name__)

__all__ = ["SlackCommands", "SlackPoster", "build_app", "make_client", "run_slack"]


def require_settings(brief: Briefing, *, http: bool) -> None:
    """Check this mode's secrets, naming every missing one in one error."""
    if http:
        brief.settings.require("slack_bot_token", "slack_signing_secret")
    else:
        brief.settings.require("slack_bot_token", "slack_app_token")


def run_slack(
    brief: Briefing,
    *,
    http: bool,
    host: str = "0.0.0.0",
    port: int = 3000,
    announce: Callable[[str], None] = print,
) -> None:
    """Start the adapter and the delivery timer; return when the server stops."""
    from briefing.delivery.digests import start_delivery
    from briefing.platforms.slack.server import serve_http, serve_socket_mode

    settings = brief.settings
    require_settings(brief, http=http)
    client = make_client(settings)
    secret = settings.slack_signing_secret
    commands = SlackCommands(brief, client)
    commands.warm_up()
    app = build_app(commands, signing_secret=secret.get_secret_value() if secret else "")
    # Scheduled posts go through the delivery ledger, which retries (after Retry-After) and
    # checks the channel's history before re-posting a send in doubt; a client that retried
    # by itself could post a digest twice, so this one does not.
    timer = start_delivery(brief, SlackPoster(delivery_client(settings)))
    try:
        if http:
            serve_http(app, host, port, announce)
        else:
            assert settings.slack_app_token is not None
            serve_socket_mode(app, settings.slack_app_token.get_secret_value(), announce)
    except KeyboardInterrupt:
        pass
    finally:
        timer.shutdown(wait=False)
        commands.close()
