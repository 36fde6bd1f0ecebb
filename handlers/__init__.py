"""The ``/brief`` subcommands: one module each, all listed in :data:`COMMANDS`.

A handler is ``handle(text, ctx) -> Reply``; its module docstring is its help text (first line:
the usage; the rest: what it does and examples). Bare text after ``/brief`` is treated as
``ask``; an empty command shows help.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from briefing.appstate import Context
from briefing.ratelimit import check_expensive
from briefing.replies import Reply

from . import (
    ask,
    chart,
    digest,
    help,
    sanctions,
    screen,
    sources,
    subscribe,
    subscriptions,
    trade,
    unsubscribe,
    watch,
)

log = logging.getLogger(__name__)

Handler = Callable[[str, Context], Reply]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    module: ModuleType
    aliases: tuple[str, ...] = ()
    expensive: bool = False  # may take long (charts, free-text search): answered after the ack
    needs_admin: bool = False  # reads the caller's admin status (a platform lookup)
    # The handler when it is not the module's ``handle(text, ctx)`` (help: it reads this table).
    handler: Handler | None = None

    @property
    def handle(self) -> Handler:
        if self.handler is not None:
            return self.handler
        handler: Handler = self.module.handle
        return handler

    @property
    def usage(self) -> str:
        return (self.module.__doc__ or self.name).strip().splitlines()[0]

    @property
    def help_text(self) -> str:
        return (self.module.__doc__ or self.name).strip()


COMMANDS: tuple[Command, ...] = (
    Command(
        "help",
        help,
        aliases=("?", "-h", "--help"),
        handler=lambda text, ctx: help.handle(text, ctx, COMMANDS, find),
    ),
    Command("trade", trade),
    Command("chart", chart, expensive=True),
    Command("sanctions", sanctions),
    Command("screen", screen, expensive=True),
    Command("ask", ask, expensive=True),
    Command("digest", digest, expensive=True),
    Command("sources", sources),
    Command("subscribe", subscribe, needs_admin=True),
    Command("unsubscribe", unsubscribe, needs_admin=True),
    Command("subscriptions", subscriptions, needs_admin=True),
    Command("watch", watch, needs_admin=True),
)

_BY_NAME: dict[str, Command] = {
    alias: command for command in COMMANDS for alias in (command.name, *command.aliases)
}


def find(name: str) -> Command | None:
    return _BY_NAME.get(name.lower())


def split(text: str) -> tuple[Command, str]:
    """Pick the subcommand for ``text``; bare text is a question for ``ask``."""
    stripped = text.strip()
    if not stripped:
        return _BY_NAME["help"], ""
    head, _, rest = stripped.partition(" ")
    command = find(head)
    if command is None:
        return _BY_NAME["ask"], stripped
    return command, rest.strip()


def dispatch(text: str, ctx: Context) -> Reply:
    """Run the subcommand ``text`` names (without the leading ``/brief``)."""
    command, rest = split(text)
    if command.expensive:  # a few a minute per user (briefing.ratelimit); not at the console
        refusal = check_expensive(ctx, ", ".join(c.name for c in COMMANDS if c.expensive))
        if refusal is not None:
            return refusal
    ctx.brief.ensure_fresh()
    return command.handle(rest, ctx)
