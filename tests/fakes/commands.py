"""The command table the adapters are handed, with its runs going through a test's own
``dispatch(text, ctx)`` (to record, slow down or break a command)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from briefing.appstate import Context
from briefing.command_table import CommandTable, ParsedCommand
from briefing.replies import Reply
from handlers import TABLE


def table_of(dispatch: Callable[[str, Context], Reply] | None = None) -> CommandTable:
    """``handlers.TABLE``, each parsed line run by ``dispatch`` (None: the handlers')."""
    if dispatch is None:
        return TABLE
    chosen = dispatch

    def run(parsed: ParsedCommand, ctx: Context) -> Reply:
        return chosen(parsed.text, ctx)

    return dataclasses.replace(TABLE, run=run)
