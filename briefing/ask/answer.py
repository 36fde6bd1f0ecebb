"""``ask``: a question in plain words → parse → retrieve → compose.

1. Misspelt words are matched to the nearest word the data or the grammar knows.
2. A sanctions question in words goes to :mod:`.sanctions` (the lists held).
3. The trade grammar (:mod:`.grammar`) reads measure, periods and what is asked. A question about
   trade as a whole, with nothing narrower left over, is answered from the China customs
   figures (:mod:`.trade`).
4. "What happened in 2024?" lists the timeline's events of that period.
5. Anything else is retrieved among the facts and events (:mod:`.retrieve`); if the best match
   is itself a whole-trade figure, the trade figures answer instead.
6. Nothing good enough: a plain "no answer" that says why.

Facts published after the as-of date, and events dated after it, are never used.
"""

from __future__ import annotations

from datetime import date

from rapidfuzz import fuzz, process

from briefing.appstate import Briefing
from briefing.ask.compose import (
    Answer,
    event_line,
    fact_line,
    no_answer,
    shape,
    short_title,
)
from briefing.ask.grammar import GRAMMAR, MONTHS, TradeQuestion, parse
from briefing.ask.retrieve import (
    PARTNERS,
    SHIPPED,
    Doc,
    Found,
    NotForPeriod,
    Recipe,
    Retriever,
)
from briefing.ask.sanctions import SanctionsAnswers, is_about_sanctions
from briefing.ask.trade import AGGREGATE_SUBJECTS, TradeAnswers
from briefing.ask.words import STOPWORDS, plain, words
from briefing.replies import Line, Reply

_TIMELINE_WORDS = frozenset(
    [
        "happened",
        "happening",
        "event",
        "news",
        "timeline",
        "occurred",
        "occur",
        "developments",
        "took",
        "place",
    ]
)
_GRAMMAR_WORDS = (
    frozenset(w for rule in GRAMMAR for w in words(rule.example) if not w.isdigit())
    | frozenset(MONTHS)
    | {"trade", "turnover", "exports", "imports", "surplus", "deficit"}
)


def correct(text: str, vocabulary: frozenset[str]) -> str:
    """``semiconducters`` → ``semiconductor``: unknown words of five letters or more replaced
    by the nearest known word (rapidfuzz ratio ≥ 85)."""
    known = vocabulary | _GRAMMAR_WORDS | STOPWORDS
    out = []
    for raw in plain(text).split():
        word = raw.strip("?,.!;:\"'()")
        stemmed = words(word)
        if (
            len(word) < 5
            or not word.isalpha()
            or word in known
            or (stemmed and stemmed[0] in known)
        ):
            out.append(raw)
            continue
        found = process.extractOne(word, known, scorer=fuzz.ratio, score_cutoff=85)
        nearest = str(found[0]) if found else ""
        # An inflection of a known word ("sanctioned", "deliveries") is not a misspelling.
        if not nearest or word.startswith(nearest[:-1]) or nearest.startswith(word):
            out.append(raw)
        else:
            out.append(raw.replace(word, nearest))
    return " ".join(out)


def answer(
    question: str,
    brief: Briefing,
    as_of: date,
    command: str = "/brief",
    *,
    recipe: Recipe = SHIPPED,
) -> Reply:
    """Answer ``question`` from the data known on ``as_of``, every figure with its source.

    ``recipe`` chooses the retrieval scoring (for measuring the alternatives).
    """
    # Names are searched as typed: spelling is corrected only for the data's own vocabulary.
    if is_about_sanctions(question):
        reply = SanctionsAnswers(brief, as_of, command).answer(question)
        if reply is not None:
            return reply
    retriever = brief.ask
    text = correct(question, retriever.vocabulary)
    q = parse(text, as_of)
    trade = TradeAnswers(brief.trade, brief.facts, as_of, command)
    future = [p for p in q.periods if p.first_year > as_of.year]
    if q.periods and set(q.residual) <= _TIMELINE_WORDS and not q.about_trade:
        if future:
            return _no_forecast(future[0].label, command)
        if q.residual:
            return _timeline(q, brief, as_of, command)
    partners = [w for w in q.residual if w in PARTNERS]
    if partners and q.about_trade and set(q.residual) <= set(partners):
        return no_answer(
            "I have no answer to that in the data.",
            "It covers China–Russia trade only; it has nothing on trade with "
            f"{partners[0].title()}.",
            command=command,
        )
    if q.whole_trade:
        return trade.answer(q)
    if future:
        return _no_forecast(future[0].label, command)
    found = retriever.find(text, q.residual, q.periods, as_of, recipe=recipe, direction=q.direction)
    if isinstance(found, Found) and _is_whole_trade(found) and q.about_trade:
        return trade.answer(q)
    if isinstance(found, Found):
        return _facts_answer(question, found, as_of, command)
    if isinstance(found, NotForPeriod):
        if q.about_trade and found.subject_docs and _is_whole_trade_docs(found.subject_docs):
            return trade.answer(q)
        known = ", ".join(dict.fromkeys(_doc_when(d) for d in found.subject_docs))
        return no_answer(
            f"I have no figure on that for {found.asked.label}.",
            f"The data has it for {known}.",
            command=command,
        )
    return _nothing(text, q, retriever, command)


def _is_whole_trade(found: Found) -> bool:
    return _is_whole_trade_docs(found.docs)


def _is_whole_trade_docs(docs: list[Doc]) -> bool:
    return all(d.fact is not None and d.key.startswith(AGGREGATE_SUBJECTS) for d in docs)


def _no_forecast(label: str, command: str) -> Reply:
    return no_answer(
        f"I have no figures for {label}: it is after today's data, and I don't forecast.",
        command=command,
    )


def _nothing(text: str, q: TradeQuestion, retriever: Retriever, command: str) -> Reply:
    partners = [w for w in retriever.query_words(text) if w in PARTNERS]
    if partners:
        return no_answer(
            "I have no answer to that in the data.",
            "It covers China–Russia trade, sanctions, energy, cars, technology, payments and "
            f"investment; it has nothing on {partners[0].title()}.",
            command=command,
        )
    if q.residual and q.about_trade:
        return no_answer(
            "I have no figure for that.",
            f"The trade figures are totals (China customs); nothing in the data is about "
            f"“{' '.join(q.residual)}”.",
            command=command,
        )
    return no_answer(
        "I have no answer to that in the data.",
        "Nothing in the sourced facts, trade figures or events matches it closely enough.",
        command=command,
    )


def _doc_when(doc: Doc) -> str:
    if doc.event is not None:
        return doc.event.date_label
    return doc.span.label


def _line(doc: Doc) -> Line:
    if doc.event is not None:
        return event_line(doc.event)
    assert doc.fact is not None
    return fact_line(doc.fact)


def _disagree(docs: list[Doc]) -> bool:
    """Two figures of the same unit for overlapping periods differing by more than 1%."""
    figures = [
        (d.span, d.fact.unit, d.fact.value)
        for d in docs
        if d.fact is not None and d.fact.value is not None
    ]
    for i, (span_a, unit_a, a) in enumerate(figures):
        for span_b, unit_b, b in figures[i + 1 :]:
            if (
                unit_a == unit_b
                and span_a.overlaps(span_b)
                and abs(a - b) > 0.01 * max(abs(a), abs(b))
            ):
                return True
    return False


def _facts_answer(question: str, found: Found, as_of: date, command: str) -> Reply:
    docs = found.docs
    lines = [_line(d) for d in docs]
    related = [_line(d) for d in found.related]
    if len(docs) > 3 and _disagree(docs):
        outlets = len({d.fact.outlet if d.fact else d.key for d in docs})
        latest = docs[-1]
        return shape(
            Answer(
                title=short_title(question),
                direct=[
                    Line(
                        f"Sources differ — {len(docs)} figures from {outlets} sources; the latest:"
                    ),
                    lines[-1],
                ],
                differ=lines,
                differ_heading=f"Sources differ — every figure, by period (latest {_doc_when(latest)}):",
                support=related,
                support_heading="Related",
            ),
            as_of,
            command,
        )
    if len(docs) > 3:
        return shape(
            Answer(
                title=short_title(question),
                direct=lines[-3:],
                support=lines[:-3] + related,
                support_heading="Earlier",
            ),
            as_of,
            command,
        )
    heading = None
    if len(docs) > 1 and _disagree(docs):
        heading = "Sources differ"
    return shape(
        Answer(
            title=short_title(question)
            if heading is None
            else f"{short_title(question)} — sources differ",
            direct=lines,
            support=related,
            support_heading="Related",
        ),
        as_of,
        command,
    )


def _timeline(q: TradeQuestion, brief: Briefing, as_of: date, command: str) -> Reply:
    span = q.periods[0]
    found = []
    for event in brief.events:
        if event.day > as_of:
            continue
        if event.precision == "year":
            first = last = None
            inside = span.first <= event.day.year * 12 and event.day.year * 12 + 11 <= span.last
        else:
            first = last = event.day.year * 12 + event.day.month - 1
            inside = span.first <= first <= span.last
        del last
        if inside:
            found.append(event)
    if not found:
        return no_answer(f"The timeline has no events in {span.label}.", command=command)
    lines = [event_line(e) for e in found]
    return shape(
        Answer(
            title=f"China–Russia timeline, {span.label}",
            direct=lines[:3],
            support=lines[3:],
            support_heading="Also",
            more=f"digest {min(as_of, date(span.last_year, span.last % 12 + 1, 28)).isoformat()}",
        ),
        as_of,
        command,
    )
