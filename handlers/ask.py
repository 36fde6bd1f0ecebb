"""ask QUESTION — a question in plain words, answered from the stored figures with sources.

Answers come only from the data pack: China customs trade figures, sourced facts (cars, chips,
energy, payments, investment, sanctions) and the dated timeline. Every figure shows its period
and source; where sources disagree, all of them are listed. If the data has no answer, it says so.
Examples: `ask what share of Russia's chips come from China?`,
`ask how much gas flowed through Power of Siberia in 2023?`, `ask trade in the first half of 2025`.
Bare text after the command is treated as a question too.
"""

from __future__ import annotations

from briefing.answers import answer
from briefing.core import Context
from briefing.replies import Reply, usage_error


def handle(text: str, ctx: Context) -> Reply:
    question = text.strip()
    if not question:
        return usage_error(
            "What would you like to know?",
            f"Try `{ctx.command} ask what share of Russia's car market do Chinese brands have?` "
            f"or `{ctx.command} help ask`.",
        )
    brief = ctx.brief
    return answer(
        question,
        facts=brief.facts,
        events=brief.events,
        trade=brief.trade,
        as_of=ctx.today,
        command=ctx.command,
    )
