"""ask QUESTION — a question in plain words, answered from the stored figures with sources.

Examples: `ask what share of Russia's chips come from China?`, `ask how much gas flows through Power of Siberia?`
"""

from __future__ import annotations

from briefing.core import Context
from briefing.replies import Reply, ReplyKind, simple


def handle(text: str, ctx: Context) -> Reply:
    return simple("I can't answer questions yet.", kind=ReplyKind.NO_DATA)
