"""trade [YEAR | YYYY-MM | YYYY-MM..YYYY-MM] [exports|imports] [chapters | movers | hs NN] — China–Russia trade per China customs.

Totals, China's exports to Russia and imports from Russia, year-on-year change, and the monthly
and year-to-date points known, each with its source and publication date. A month also shows the
year to date against the same months a year earlier (summed from monthly figures when no
year-to-date figure was published).
By HS chapter, where the data has it (UN Comtrade files loaded with `bot.py ingest`):
`chapters` lists every chapter, `movers` the largest year-on-year changes, `hs 87` (or a word:
fuels 27, machinery 84, electronics 85, vehicles 87) one chapter.
Examples: `trade` (latest), `trade 2024`, `trade 2024-12`, `trade 2023-01..2024-06 exports`,
`trade 2024 chapters`, `trade 2024 movers`, `trade 2024 hs 87`, `trade 2024 vehicles`.
"""

from __future__ import annotations

import re

from briefing.appstate import Context
from briefing.replies import Reply, usage_error
from briefing.trade.model import TOTAL_CHAPTER, Flow, Period
from briefing.trade.queries import (
    CHAPTER_WORDS,
    TradeQuery,
    chapters_reply,
    latest_chapter_year,
    latest_reply,
    movers_reply,
    read_period_range,
    trade_reply,
)

_FLOW_WORDS = {
    "exports": Flow.EXPORTS,
    "export": Flow.EXPORTS,
    "imports": Flow.IMPORTS,
    "import": Flow.IMPORTS,
    "total": Flow.TOTAL,
}
_VIEW_WORDS = {"chapters": "chapters", "sectors": "chapters", "movers": "movers"}
_HS_RE = re.compile(r"^(?:hs|chapter)(\d{1,2})$")


def _chapter_code(text: str) -> str | None:
    # At most two ASCII digits: int() refuses other digits ("²") and strings of thousands.
    digits = text.isascii() and text.isdigit() and len(text) <= 2
    return text.zfill(2) if digits and 1 <= int(text) <= 99 else None


def handle(text: str, ctx: Context) -> Reply:
    words = text.lower().replace(",", " ").split()
    flows = tuple(dict.fromkeys(_FLOW_WORDS[w] for w in words if w in _FLOW_WORDS))
    view: str | None = None
    chapter = TOTAL_CHAPTER
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _FLOW_WORDS or word in ("top", "by"):
            pass
        elif word in _VIEW_WORDS:
            view = _VIEW_WORDS[word]
        elif word in ("hs", "chapter") and i + 1 < len(words):
            code = _chapter_code(words[i + 1])
            if code is None:
                return usage_error(
                    f"{words[i + 1]!r} is not an HS chapter.",
                    f"Use two digits, e.g. `{ctx.command} trade 2024 hs 87`, or "
                    f"`{ctx.command} trade 2024 chapters` for the list.",
                )
            chapter = code
            i += 1
        elif word in ("hs", "chapter"):
            view = "chapters"
        elif match := _HS_RE.match(word):
            chapter = _chapter_code(match[1]) or TOTAL_CHAPTER
        elif word in CHAPTER_WORDS:
            chapter = CHAPTER_WORDS[word]
        else:
            rest.append(word)
        i += 1
    if not rest:
        if view is not None or chapter != TOTAL_CHAPTER:
            year = latest_chapter_year(ctx.brief.trade, ctx.today)
            if year is None:
                return _by_view(view, chapter, Period.year_of(ctx.today.year), flows, ctx)
            return _by_view(view, chapter, Period.year_of(year), flows, ctx)
        if flows:
            return usage_error(
                "Which period?",
                f"Try `{ctx.command} trade 2024 exports` or `{ctx.command} help trade`.",
            )
        return latest_reply(ctx.brief.trade, ctx.today, ctx.command)
    if len(rest) > 1:
        return usage_error(
            f"I read one period, not {len(rest)}: {' '.join(rest)!r}.",
            f"Use a year (2024), a month (2024-12) or a range (2023-01..2024-06). "
            f"`{ctx.command} help trade` has examples.",
        )
    found = read_period_range(rest[0])
    if isinstance(found, Reply):
        return found
    first, last = found
    if view is not None:
        if first != last:
            return usage_error(
                f"`{view}` works on one period, not a range.",
                f"Try `{ctx.command} trade {last.year} {view}`.",
            )
        return _by_view(view, chapter, first, flows, ctx)
    query = TradeQuery(first=first, last=last, flows=flows or tuple(Flow), chapter=chapter)
    return trade_reply(ctx.brief.trade, query, ctx.today, ctx.command)


def _by_view(
    view: str | None, chapter: str, period: Period, flows: tuple[Flow, ...], ctx: Context
) -> Reply:
    index, today, command = ctx.brief.trade, ctx.today, ctx.command
    if view == "chapters":
        return chapters_reply(index, period, today, command)
    if view == "movers":
        return movers_reply(index, period, today, command)
    query = TradeQuery(first=period, last=period, flows=flows or tuple(Flow), chapter=chapter)
    return trade_reply(index, query, today, command)
