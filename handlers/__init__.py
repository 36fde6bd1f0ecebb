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
from briefing.command_table import CommandTable, ParsedCommand
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
    # Which of its lines read the caller's admin status (a platform lookup); None: none do.
    admin_for: Callable[[str], bool] | None = None
    # Its answer depends on the channel or changes what is stored: never answered from a cache.
    stateful: bool = False
    # The handler when it is not the module's ``handle(text, ctx)`` (help: it reads this table).
    handler: Handler | None = None

    def needs_admin(self, rest: str) -> bool:
        return self.admin_for is not None and self.admin_for(rest)

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


def _always(rest: str) -> bool:
    return True


def _watch_changes(rest: str) -> bool:
    """``watch add|remove|import …`` change the list (admins only); ``list``/``export`` read it."""
    words = rest.split()
    action = words[0].strip("'\"").lower() if words else "list"
    return action not in ("list", "ls", "status", "export")


def _subscription_log(rest: str) -> bool:
    """``subscriptions --log`` is for admins; ``subscriptions`` alone is for anyone."""
    return subscriptions.LOG_FLAG in rest.lower().split()


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
    Command("subscribe", subscribe, admin_for=_always, stateful=True),
    Command("unsubscribe", unsubscribe, admin_for=_always, stateful=True),
    Command("subscriptions", subscriptions, admin_for=_subscription_log, stateful=True),
    Command("watch", watch, admin_for=_watch_changes, stateful=True),
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


def parse(text: str) -> ParsedCommand:
    """``text`` parsed once: the subcommand, what its handler reads, how to answer it."""
    command, rest = split(text)
    return ParsedCommand(
        text=text,
        name=command.name,
        rest=rest,
        expensive=command.expensive,
        needs_admin=command.needs_admin(rest),
        stateful=command.stateful,
    )


def run(parsed: ParsedCommand, ctx: Context) -> Reply:
    """Run a parsed command line."""
    command = _BY_NAME[parsed.name]
    if command.expensive:  # a few a minute per user (briefing.ratelimit); not at the console
        refusal = check_expensive(ctx, ", ".join(c.name for c in COMMANDS if c.expensive))
        if refusal is not None:
            return refusal
    ctx.brief.ensure_fresh()
    return command.handle(parsed.rest, ctx)


def dispatch(text: str, ctx: Context) -> Reply:
    """Run the subcommand ``text`` names (without the leading ``/brief``)."""
    return run(parse(text), ctx)


# What bot.py hands each platform adapter.
TABLE = CommandTable(parse=parse, run=run, names=tuple(c.name for c in COMMANDS))
