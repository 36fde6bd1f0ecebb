"""sanctions NAME [--all] | history [china|hong kong|russia|PROGRAMME|NAME] | new [since YYYY-MM-DD] | stats

`sanctions NAME` screens a person, company, vessel or aircraft against the loaded lists (OFAC
SDN and Consolidated, OpenSanctions) by name, alias or identifier (USCC, IMO, INN,
registration number). Each hit is a match (the name aligns word for word with a listed name
or alias; for a person the family name must align) or a possible match (enough aligns to
deserve a look), with why: which name or alias matched, which words aligned and the score. Word
order, punctuation, legal forms (CO LTD, LLC, OOO, JSC), abbreviations (HK, Tech, Intl), names
written as one word or two and transliterations (Usama/Osama, Sergei/Serej) are allowed for;
common words (bank, trading, group) and places never make a hit alone.
A hit shows type, programmes, identifiers from the remarks (date and place of birth,
nationality, passport, registration and tax numbers), aliases, addresses, China/Hong Kong link,
list and list date, first-seen date and a link to the entry on OFAC's Sanctions List Search.
Five are shown; the title counts them all; add `--all` to see every one.
`sanctions history` charts OFAC's designations per month under Russia programmes (China/Hong
Kong-linked ones apart), from the SDN change history 18 Aug 2021 – 23 Feb 2024; `history china`,
`history hong kong` or a programme code (`history RUSSIA-EO14024`) change the scope;
`history NAME` says when an entry was designated.
`sanctions new` lists what the newest list added, changed and removed (Russia programmes and
China/Hong Kong links itemised, the rest counted); `sanctions stats` counts each list by
programme and China/Hong Kong link.
Examples: `sanctions wuhan maiwe`, `sanctions sberbank --all`, `sanctions history china`, `sanctions history vladimir putin`, `sanctions new since 2024-02-20`, `sanctions stats`.
"""

from __future__ import annotations

from datetime import date

from briefing.appstate import Context
from briefing.replies import Reply, usage_error

ALL_FLAG = "--all"


def handle(text: str, ctx: Context) -> Reply:
    # Late: the search stack (numpy, rapidfuzz, rigour) loads on the first sanctions command only.
    from briefing.sanctions.list_replies import (  # noqa: PLC0415
        history_reply,
        new_reply,
        search_reply,
        stats_reply,
    )

    words = text.split()
    show_all = any(w.lower() == ALL_FLAG for w in words)
    words = [w for w in words if w.lower() != ALL_FLAG]
    head = words[0].lower() if words else ""
    if not words:
        return usage_error(
            "Which name should I look for?",
            f"`{ctx.command} sanctions wuhan maiwe` searches the lists; "
            f"`{ctx.command} sanctions history` charts designations per month; "
            f"`{ctx.command} sanctions new` shows the latest changes; "
            f"`{ctx.command} sanctions stats` counts them.",
        )
    if head == "stats" and len(words) == 1:
        return stats_reply(ctx.brief, ctx.today, ctx.command)
    if head == "history":
        return history_reply(ctx.brief, " ".join(words[1:]), ctx.today, ctx.command)
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
    return search_reply(ctx.brief, " ".join(words), ctx.today, ctx.command, show_all=show_all)
