"""ask QUESTION — a question in plain words, answered from the stored data with sources.

Trade figures (China customs) by year, month, quarter, half or year to date; China's exports to
and imports from Russia, the balance, growth, comparisons and record years; sourced facts on
cars, chips, energy, payments and investment; the timeline; and the sanctions lists held. Every
figure shows its period and source; where sources disagree, all of them are listed; where the
data has no answer, it says so.
Examples: `ask what did russia sell to china in 2022?`, `ask trade in q1 2024`,
`ask 2023 vs 2024`, `ask is sovcombank sanctioned?`,
`ask what share of Russia's chips come from China?`.
Bare text after the command is treated as a question too.
"""

from __future__ import annotations

from briefing.appstate import Context
from briefing.replies import Reply, usage_error


def handle(text: str, ctx: Context) -> Reply:
    question = text.strip()
    if not question:
        return usage_error(
            "What would you like to know?",
            f"Try `{ctx.command} ask what share of Russia's car market do Chinese brands have?` "
            f"or `{ctx.command} help ask`.",
        )
    # Imported here: the engine brings numpy, which other commands' cold start does not need.
    from briefing.ask.answer import answer  # noqa: PLC0415

    return answer(question, ctx.brief, ctx.today, ctx.command)
