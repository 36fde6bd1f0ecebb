"""trade [YEAR | YYYY-MM | YYYY-MM..YYYY-MM] [exports|imports] — China–Russia trade per China customs.

Totals, China's exports to Russia and imports from Russia, year-on-year change, and the monthly
and year-to-date points known, each with its source and publication date.
Examples: `trade` (latest), `trade 2024`, `trade 2024-12`, `trade 2023-01..2024-06 exports`.
"""

from __future__ import annotations

from briefing.core import Context
from briefing.replies import Reply, usage_error
from briefing.trade.model import Flow
from briefing.trade.queries import TradeQuery, latest_reply, parse_period_range, trade_reply

_FLOW_WORDS = {
    "exports": Flow.EXPORTS,
    "export": Flow.EXPORTS,
    "imports": Flow.IMPORTS,
    "import": Flow.IMPORTS,
    "total": Flow.TOTAL,
}


def handle(text: str, ctx: Context) -> Reply:
    words = text.lower().replace(",", " ").split()
    flows = tuple(dict.fromkeys(_FLOW_WORDS[w] for w in words if w in _FLOW_WORDS))
    rest = [w for w in words if w not in _FLOW_WORDS]
    if not rest:
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
    try:
        first, last = parse_period_range(rest[0])
    except ValueError as exc:
        return usage_error(
            f"I can't read {rest[0]!r} as a period.",
            str(exc),
            "Use a year (2024), a month (2024-12) or a range (2023-01..2024-06).",
        )
    query = TradeQuery(first=first, last=last, flows=flows or tuple(Flow))
    return trade_reply(ctx.brief.trade, query, ctx.today, ctx.command)
