"""The gateway client: connects with no privileged intents and serves the ``/brief`` tree."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from briefing.platforms.discord.commands import DiscordCommands, build_tree

log = logging.getLogger(__name__)


class BriefClient(discord.Client):
    def __init__(self, commands: DiscordCommands, *, sync_commands: bool = True) -> None:
        # Slash commands need no privileged intents; guilds keeps the guild cache useful.
        super().__init__(
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.commands = commands
        self.sync_commands = sync_commands
        self.tree: app_commands.CommandTree[Any] = build_tree(self, commands)

    async def setup_hook(self) -> None:
        # A bulk overwrite: unchanged commands are not re-created, so syncing at start is cheap.
        if self.sync_commands:
            synced = await self.tree.sync()
            log.info("registered %s", ", ".join(f"/{c.name}" for c in synced) or "no commands")

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))
