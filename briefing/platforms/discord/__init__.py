"""The Discord adapter (discord.py): ``/brief`` app commands, embeds and scheduled posts.

The bot connects to the gateway with DISCORD_BOT_TOKEN and no privileged intents, registers the
``/brief`` command group and answers interactions (:mod:`.commands`). The delivery timer runs
alongside on its own thread and posts digests and alerts over REST through
:class:`~.poster.DiscordPoster`. DISCORD_API_URL, when set, points both the gateway client's
HTTP calls and the poster at another API base (a local fake in tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from discord.http import Route

from briefing.appstate import Briefing
from briefing.command_table import CommandTable
from briefing.delivery.service import start_delivery
from briefing.platforms.discord.client import BriefClient
from briefing.platforms.discord.commands import DiscordCommands
from briefing.platforms.discord.poster import DiscordPoster, api_base

log = logging.getLogger(__name__)

__all__ = ["DiscordPoster", "configure_api_url", "make_client", "run_discord"]


def configure_api_url(api_url: str | None) -> None:
    """Point discord.py's REST routes (and interaction callbacks, follow-ups) at ``api_url``.

    The gateway address then comes from that API too (see :class:`~.client.BriefClient`).
    """
    Route.BASE = api_base(api_url)


def make_client(brief: Briefing, table: CommandTable, *, sync_commands: bool = True) -> BriefClient:
    """A :class:`discord.Client` serving ``/brief``; syncs the commands when it connects."""
    return BriefClient(
        DiscordCommands(brief, table),
        sync_commands=sync_commands,
        follow_gateway=bool(brief.settings.discord_api_url),
    )


def run_discord(
    brief: Briefing, table: CommandTable, *, announce: Callable[[str], None] = print
) -> None:
    """Start the gateway client and the delivery timer; return when the client stops."""
    settings = brief.settings
    settings.require("discord_bot_token")
    assert settings.discord_bot_token is not None
    token = settings.discord_bot_token.get_secret_value()
    configure_api_url(settings.discord_api_url)
    client = make_client(brief, table)
    timer = start_delivery(
        brief, DiscordPoster(token, api_url=settings.discord_api_url, command=settings.command_name)
    )
    announce(
        f"China–Russia Brief is running (Discord): {settings.command_name} is served, "
        "digests and alerts are checked every minute. Ctrl-C to stop."
    )
    try:
        # log_handler=None: logging is configured by the entry point, not by discord.py.
        client.run(token, log_handler=None)
    except KeyboardInterrupt:
        pass
    finally:
        timer.shutdown(wait=False)
