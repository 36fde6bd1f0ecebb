"""What a platform adapter is handed to answer ``/brief``: parse a command line, run it.

The adapters (:mod:`briefing.platforms`) never import the handlers: the entry point
(``bot.py``) hands each one the :class:`CommandTable` the ``handlers`` package builds. A
command line is parsed once (:meth:`CommandTable.parse`); the adapter reads from the
:class:`ParsedCommand` whether to acknowledge first (``expensive``) and whether to ask the
platform who is an admin (``needs_admin``), then runs that same parse (:meth:`CommandTable.run`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from briefing.appstate import Context
    from briefing.replies import Reply


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """One command line, parsed: ``trade 2024`` → name ``trade``, rest ``2024``."""

    text: str  # the line as given (without the leading ``/brief``)
    name: str  # the subcommand chosen (bare text is ``ask``, an empty line ``help``)
    rest: str  # what the subcommand's handler reads
    expensive: bool = False  # may take long (charts, free-text search): answered after the ack
    needs_admin: bool = False  # reads the caller's admin status (a platform lookup)
    # Its answer depends on the channel or changes what is stored (subscriptions, watchlists).
    stateful: bool = False

    @property
    def cacheable(self) -> bool:
        """Read-only and the same for everyone: the answer depends only on the text, the day
        and the data."""
        return not (self.expensive or self.stateful)


@dataclass(frozen=True, slots=True)
class CommandTable:
    """The subcommands, as the adapters see them."""

    parse: Callable[[str], ParsedCommand]
    run: Callable[[ParsedCommand, Context], Reply]
    names: tuple[str, ...]  # every subcommand's name, in the order help lists them

    def dispatch(self, text: str, ctx: Context) -> Reply:
        """Parse ``text`` and run it."""
        return self.run(self.parse(text), ctx)
