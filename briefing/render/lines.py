"""The rule every chat renderer follows for a reply line: ``• text — source, date``.

A line that states a figure carries its source, and the source stays on the line however short
the platform's limit: the text is cut to make room, never the citation (up to its own limit).
Each renderer supplies its own escaping (``cut``), its own measure of length and its own
emphasis mark (Slack ``_…_``, Discord ``*…*``).
"""

from __future__ import annotations

from collections.abc import Callable

from briefing.replies import Line

BULLET = "• "
SOURCE_SEPARATOR = " — "


def one_line(text: str) -> str:
    return " ".join(text.split())


def sourced_line(
    line: Line,
    *,
    bullet: bool,
    limit: int,
    cut: Callable[[str, int], str],
    measure: Callable[[str], int],
    emphasis: str,
    label_limit: int,
) -> str:
    """``line`` as ``• text — _source, date_`` in at most ``limit`` (by ``measure``).

    A sourced line always has its bullet; another one has it when ``bullet``. ``cut(text, n)``
    escapes ``text`` for the platform and shortens it to ``n``.
    """
    prefix = BULLET if bullet or line.source is not None else ""
    suffix = ""
    if line.source is not None:
        label = cut(one_line(line.source.label()), label_limit)
        if label:
            suffix = f"{SOURCE_SEPARATOR}{emphasis}{label}{emphasis}"
    room = max(limit - measure(prefix) - measure(suffix), 1)
    return prefix + cut(line.text, room) + suffix
