"""digest [YYYY-MM-DD] — the daily digest, today's or as it stood on a past date.

Latest trade figures, what changed in the preceding days (events, new figures, sanctions
updates), key numbers — each line with its source and data date.
Examples: `digest`, `digest 2024-03-08`.
"""

from __future__ import annotations

from datetime import date

from briefing.appstate import Context
from briefing.daily_digest import build_digest
from briefing.replies import Reply, usage_error


def handle(text: str, ctx: Context) -> Reply:
    arg = text.strip()
    as_of = ctx.today
    if arg:
        try:
            as_of = date.fromisoformat(arg)
        except ValueError:
            return usage_error(
                f"I can't read {arg!r} as a date.",
                f"Use YYYY-MM-DD, e.g. `{ctx.command} digest 2024-03-08`.",
            )
        if as_of > ctx.today:
            return usage_error(
                f"{arg} is in the future.", "A digest can only show what was known on a past date."
            )
    return build_digest(ctx.brief, as_of, command=ctx.command)
