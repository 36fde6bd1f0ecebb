"""ask QUESTION — a question in plain words, answered from the stored figures with sources.

Answers come only from the data pack: China customs trade figures, sourced facts (cars, chips,
energy, payments, investment, sanctions) and the dated timeline. Every figure shows its period
and source; where sources disagree, all of them are listed. If the data has no answer, it says so.
Examples: `ask what share of Russia's chips come from China?`,
`ask how much gas flowed through Power of Siberia in 2023?`, `ask trade in the first half of 2025`.
Bare text after the command is treated as a question too.
"""

from __future__ import annotations

import re

from briefing.answers import answer
from briefing.core import Context
from briefing.replies import Reply, ReplyKind, usage_error

# Words that make a question one for the sanctions lists as well as the facts.
_SANCTIONS_WORDS = re.compile(
    r"\b(sanction\w*|designat\w*|ofac|sdn|blacklist\w*|listed|delisted|entity list)\b", re.I
)


def handle(text: str, ctx: Context) -> Reply:
    question = text.strip()
    if not question:
        return usage_error(
            "What would you like to know?",
            f"Try `{ctx.command} ask what share of Russia's car market do Chinese brands have?` "
            f"or `{ctx.command} help ask`.",
        )
    brief = ctx.brief
    from_facts = answer(
        question,
        facts=brief.facts,
        events=brief.events,
        trade=brief.trade,
        as_of=ctx.today,
        command=ctx.command,
    )
    if not _SANCTIONS_WORDS.search(question):
        return from_facts
    # Loaded late: the sanctions search stack is only needed for sanctions questions.
    from briefing.sanctions.answers import answer_sanctions_question

    from_lists = answer_sanctions_question(brief, question, ctx.today)
    if from_lists is None:
        return from_facts
    if from_lists.kind is ReplyKind.ANSWER or from_facts.kind is ReplyKind.NO_DATA:
        return from_lists
    return from_facts
