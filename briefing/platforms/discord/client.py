"""The gateway client: connects with no privileged intents and serves the ``/brief`` tree."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from briefing.platforms.discord.commands import DiscordCommands, build_tree

log = logging.getLogger(__name__)


class BriefClient(discord.Client):
    """``follow_gateway``: connect to the gateway the API names (``GET /gateway/bot``) rather
    than discord.py's built-in address — set when DISCORD_API_URL points elsewhere."""

    def __init__(
        self,
        commands: DiscordCommands,
        *,
        sync_commands: bool = True,
        follow_gateway: bool = False,
    ) -> None:
        # Slash commands need no privileged intents; guilds keeps the guild cache useful.
        super().__init__(
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.commands = commands
        self.sync_commands = sync_commands
        self.follow_gateway = follow_gateway
        self.tree: app_commands.CommandTree[Any] = build_tree(self, commands)
        self._warm_up: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        if self.follow_gateway:
            _shards, url, _limits = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("gateway: %s", url)
        # A bulk overwrite: unchanged commands are not re-created, so syncing at start is cheap.
        if self.sync_commands:
            synced = await self.tree.sync()
            log.info("registered %s", ", ".join(f"/{c.name}" for c in synced) or "no commands")
        # In the background: the gateway connects meanwhile; the first search finds it ready.
        self._warm_up = asyncio.create_task(asyncio.to_thread(self.commands.warm_up))

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))
