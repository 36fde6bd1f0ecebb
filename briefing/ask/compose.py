"""The shape of an ``ask`` answer: the answer first, a little support, where to see more.

* the direct answer: at most :data:`MAX_DIRECT` lines, each figure with its source;
* support: at most :data:`MAX_SUPPORT` lines (other reports, the other flows, related facts);
* where to see more: a command (``/brief trade 2023``), which Slack shows as a "More" button.

The plain-text rendering stays within :data:`MAX_CHARS`: support lines are dropped from the end
until it fits. A "sources differ" list is never cut: every value is shown with its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from briefing.ask.grammar import Span
from briefing.facts import Event, Fact
from briefing.render.text import render_text
from briefing.replies import Line, Reply, ReplyKind, Section, simple

MAX_DIRECT = 3
MAX_SUPPORT = 8
MAX_CHARS = 1500
SOURCES_DIFFER = "Sources differ"


@dataclass(slots=True)
class Answer:
    """An answer before it is shaped into a :class:`Reply`."""

    title: str
    direct: list[Line]
    support: list[Line] = field(default_factory=list)
    support_heading: str | None = None
    differ: list[Line] = field(default_factory=list)  # every value of a disagreement, kept whole
    differ_heading: str = SOURCES_DIFFER
    more: str | None = None  # a command without the leading ``/brief``: ``trade 2023``


def shape(answer: Answer, as_of: date, command: str = "/brief") -> Reply:
    """The reply: direct answer, support, more — within the length rule."""
    direct = answer.direct[:MAX_DIRECT]
    support = answer.support[:MAX_SUPPORT]
    footer = f"More: {command} {answer.more}" if answer.more else f"Also: {command} sources"

    def build(support_lines: list[Line]) -> Reply:
        sections = [Section(None, tuple(direct))]
        if answer.differ:
            sections.append(Section(answer.differ_heading, tuple(answer.differ)))
        if support_lines:
            sections.append(Section(answer.support_heading, tuple(support_lines)))
        return Reply(
            title=answer.title,
            sections=tuple(sections),
            as_of=as_of,
            footer=footer,
            more=answer.more,
        )

    reply = build(support)
    while support and len(render_text(reply)) > MAX_CHARS:
        support = support[:-1]
        reply = build(support)
    return reply


def no_answer(title: str, *lines: str, command: str = "/brief") -> Reply:
    """A plain "the data has no answer": no figure, no source, a pointer to what it holds."""
    return simple(
        title,
        *lines,
        f"Try `{command} sources` for what the data covers, or `{command} help ask`.",
        kind=ReplyKind.NO_DATA,
    )


def too_long(reply: Reply) -> bool:
    """Whether the plain-text rendering breaks the length rule (a "sources differ" list is
    allowed its whole length)."""
    kept = tuple(s for s in reply.sections if not (s.heading or "").startswith(SOURCES_DIFFER))
    trimmed = Reply(
        title=reply.title,
        sections=kept,
        kind=reply.kind,
        as_of=reply.as_of,
        footer=reply.footer,
    )
    return len(render_text(trimmed)) > MAX_CHARS


# --------------------------------------------------------------------------- fact and event lines

# How a statement hedges its figure, and how the reply says it ("exceeded $200bn" → "more than").
_QUALIFIERS = {
    "no more than": "no more than",
    "more than": "more than",
    "over": "over",
    "exceeded": "more than",
    "exceeding": "more than",
    "about": "about",
    "around": "about",
    "nearly": "nearly",
    "almost": "nearly",
    "up to": "up to",
    "less than": "less than",
}

# How each unit of facts.csv is written after its number.
_UNIT_FORMATS = {
    "pct": "{}%",
    "usd_bn": "${} bn",
    "usd_m": "${} m",
    "usd": "${}",
    "cny_bn": "{} bn yuan",
    "bcm": "{} bcm",
    "multiple": "{}×",
    "k_units": "{}k units",
    "units": "{} units",
}


def _number(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".").replace("-", "−")


def format_value(fact: Fact) -> str:
    """The figure as users read it: ``55%``, ``45–50%``, ``$3.9 bn``, ``more than 56%``."""
    assert fact.value is not None
    low, high = fact.value, fact.value_high
    amount = _number(low) if high is None else f"{_number(low)}–{_number(high)}"
    text = _UNIT_FORMATS.get(fact.unit, "{}").format(amount)
    statement = fact.statement.lower().replace(",", "")
    plain_value = _number(abs(low)).replace(",", "")
    for wording, qualifier in _QUALIFIERS.items():
        if re.search(rf"\b{wording}\s+(?:a\s+)?\$?{re.escape(plain_value)}", statement):
            return f"{qualifier} {text}"
    return text


def fact_span(fact: Fact) -> tuple[Span, int | None]:
    """``2023`` · ``2025-01`` · ``2024-12-01`` · ``2023-01..2023-11`` → span (and day, if any)."""
    first, _, last = fact.period.partition("..")
    start, day = _point(first)
    end = _point(last)[0] if last else start
    return Span(start.first, end.last), day if not last else None


def _point(text: str) -> tuple[Span, int | None]:
    parts = [int(p) for p in text.strip().split("-")]
    if len(parts) == 1:
        return Span.year(parts[0]), None
    return Span.months(parts[0], parts[1], parts[1]), parts[2] if len(parts) == 3 else None


def when(fact: Fact) -> str:
    span, day = fact_span(fact)
    return f"{day} {span.label}" if day else span.label


def fact_line(fact: Fact) -> Line:
    """``55% (2023) — statement`` with the fact's source; the period alone for dated claims."""
    if fact.value is None:
        return Line(f"{when(fact)}: {fact.statement}", fact.source)
    return Line(f"{format_value(fact)} ({when(fact)}) — {fact.statement}", fact.source)


def event_line(event: Event) -> Line:
    detail = f" — {event.detail}" if event.detail else ""
    return Line(f"{event.date_label}: {event.title}{detail}", event.source)


def short_title(question: str) -> str:
    title = " ".join(question.split()).rstrip("?").strip()
    if len(title) > 100:
        title = title[:97].rstrip() + "…"
    return f"{title[:1].upper()}{title[1:]}?" if title else "Your question"
