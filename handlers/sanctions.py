"""sanctions NAME | new [since YYYY-MM-DD] | stats — search the sanctions lists; what changed.

`sanctions NAME` finds a person, company, vessel or aircraft on the loaded lists (OFAC SDN,
OpenSanctions) by name or alias, forgiving word order, punctuation, legal forms (CO LTD, LLC,
OOO, JSC) and transliteration; it also finds an identifier such as a USCC or IMO number.
Each match shows its programmes, type, countries, China/Hong Kong link, list and list date.
`sanctions new` lists what the newest list added, changed and removed (Russia programmes and
China/Hong Kong links itemised, the rest counted); `sanctions stats` counts each list by
programme and China/Hong Kong link.
Examples: `sanctions wuhan maiwe`, `sanctions new`, `sanctions new since 2024-02-20`, `sanctions stats`.
"""

from __future__ import annotations

from datetime import date

from briefing.core import Context
from briefing.replies import Reply, usage_error


def handle(text: str, ctx: Context) -> Reply:
    # Late: the search stack (numpy, rapidfuzz) loads on the first sanctions command only.
    from briefing.sanctions.answers import new_reply, search_reply, stats_reply

    words = text.split()
    head = words[0].lower() if words else ""
    if not words:
        return usage_error(
            "Which name should I look for?",
            f"`{ctx.command} sanctions wuhan maiwe` searches the lists; "
            f"`{ctx.command} sanctions new` shows the latest changes; "
            f"`{ctx.command} sanctions stats` counts them.",
        )
    if head == "stats" and len(words) == 1:
        return stats_reply(ctx.brief, ctx.today, ctx.command)
    # "new" alone or "new since DATE"; anything else after it is a name ("NEW IDEA ...").
    if head == "new" and (len(words) == 1 or words[1].lower() == "since"):
        if len(words) == 1:
            return new_reply(ctx.brief, ctx.today, None, ctx.command)
        if len(words) != 3:
            return usage_error(
                "Since when?", f"Use a date: `{ctx.command} sanctions new since 2024-02-20`."
            )
        try:
            since = date.fromisoformat(words[2])
        except ValueError:
            return usage_error(
                f"I can't read {words[2]!r} as a date.",
                f"Use YYYY-MM-DD: `{ctx.command} sanctions new since 2024-02-20`.",
            )
        return new_reply(ctx.brief, ctx.today, since, ctx.command)
    if head == "search" and len(words) > 1:
        words = words[1:]
    return search_reply(ctx.brief, " ".join(words), ctx.today, ctx.command)
