"""help [SUBCOMMAND] — what this bot can do, or the details of one subcommand.

Examples: `help`, `help trade`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from briefing.appstate import Context
from briefing.replies import Line, Reply, ReplyKind, Section, simple, usage_error


class Described(Protocol):
    """What help reads of a command (:class:`handlers.Command`)."""

    @property
    def name(self) -> str: ...

    @property
    def usage(self) -> str: ...

    @property
    def help_text(self) -> str: ...


def handle(
    text: str,
    ctx: Context,
    commands: Sequence[Described],
    find: Callable[[str], Described | None],
) -> Reply:
    """Help on ``commands``: the command table hands itself in (it lists this module too)."""
    name = text.strip().split(" ", 1)[0] if text.strip() else ""
    if name:
        command = find(name.lstrip("/"))
        if command is None:
            known = ", ".join(c.name for c in commands)
            return usage_error(f"There is no subcommand {name!r}.", f"Subcommands: {known}.")
        lines = command.help_text.splitlines()
        return simple(
            f"{ctx.command} {lines[0]}",
            *[ln for ln in lines[1:] if ln.strip()],
            kind=ReplyKind.HELP,
        )
    usage = tuple(Line(f"{ctx.command} {c.usage}") for c in commands if c.name != "help")
    return Reply(
        title="China–Russia Brief — China–Russia trade and sanctions, with sources",
        sections=(
            Section("Commands", usage),
            Section(
                None,
                (
                    Line(
                        f"Anything else after {ctx.command} is read as a question, e.g. "
                        f"`{ctx.command} what share of Russia's chips come from China?`"
                    ),
                    Line(f"`{ctx.command} help <subcommand>` shows details and examples."),
                ),
            ),
        ),
        kind=ReplyKind.HELP,
    )
