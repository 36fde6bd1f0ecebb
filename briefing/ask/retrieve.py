"""Facts and events found by retrieval: BM25 (``bm25s``) fused with static embeddings.

Every fact (statement, keywords, outlet) and event (title, detail, outlet) is one document.
A question is scored against all of them two ways:

* lexical — BM25 over stemmed content words (``bm25s``), divided by the score a document holding
  every question word once would get, so it reads as "how much of the question is covered"
  (a word no document has counts against every document);
* semantic — cosine similarity of WordLlama vectors (:mod:`briefing.ask.embeddings`), which
  brings "autos" near "cars" and "network gear" near "telecom equipment" without word lists.

The two are fused as ``LEXICAL_WEIGHT × lexical + (1 − LEXICAL_WEIGHT) × semantic``; below
:data:`MIN_SCORE` nothing answers (both constants chosen on the development split of the
question bank). Three checks keep a near neighbour from answering for the subject asked:

* a number or ordinal in the question ("Power of Siberia **2**", "the **third** pipeline") must
  be in the document;
* a trade partner other than China and Russia ("India") must be named by the document;
* a question asking for a figure ("how much", "what share") is answered only by a figure.

Facts are grouped by subject (the id before its first all-digit part:
``cars-cn-share-2023-globaldata`` → ``cars-cn-share``); a period in the question then picks the
subject's figures for it, or the answer says which periods the subject has.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from briefing.ask import embeddings
from briefing.ask.compose import fact_span
from briefing.ask.grammar import Span
from briefing.ask.words import content_words, plain
from briefing.facts import Event, Fact

LEXICAL_WEIGHT = 0.5
MIN_SCORE = 0.3
# Other subjects shown as related when they score at least this share of the best one.
RELATED_RATIO = 0.9
MAX_RELATED = 2


class Mode(StrEnum):
    """Which scores rank documents (the alternatives measured in ``bench/bench_ask.py``)."""

    FUSED = "fused"
    BM25 = "bm25"
    EMBEDDINGS = "embeddings"


# Words for China and Russia themselves: in nearly every document, so they decide nothing.
HOME = frozenset(
    [
        "china",
        "chinese",
        "beijing",
        "prc",
        "russia",
        "russian",
        "moscow",
        "sino",
        "russo",
        "kremlin",
    ]
)
# Trade partners and places the data is not about, unless a document names them.
PARTNERS = frozenset(
    [
        "india",
        "indian",
        "brazil",
        "brazilian",
        "turkey",
        "turkish",
        "iran",
        "iranian",
        "japan",
        "japanese",
        "korea",
        "korean",
        "vietnam",
        "vietnamese",
        "germany",
        "german",
        "france",
        "french",
        "britain",
        "british",
        "uk",
        "italy",
        "italian",
        "america",
        "american",
        "canada",
        "mexico",
        "australia",
        "saudi",
        "egypt",
        "africa",
        "african",
        "indonesia",
        "pakistan",
        "belarus",
        "mongolia",
        "kazakhstan",
        "kazakh",
        "uzbekistan",
        "ukraine",
        "ukrainian",
        "europe",
        "european",
        "eu",
        "taiwan",
    ]
)
_FIGURE_QUESTION = re.compile(
    r"\b(?:how (?:much|many|big|large|far|high)|what (?:share|percentage|proportion|portion|"
    r"fraction|percent|part|slice|volume|value|number)|what (?:is|was|were) the (?:value|volume|"
    r"capacity|share|number|size)|capacity|volumes?)\b"
)
# "How many" asks for a count: a share or an amount of money does not answer it.
_HOW_MANY = re.compile(r"\bhow many\b")
_NOT_COUNTS = frozenset({"pct", "usd_bn", "usd_m", "usd", "cny_bn"})
# Kinds of quantity a question may ask for; a document that names none of them has no such
# figure (Lada *prices* are not Lada production, a pipeline's *length* is not its capacity).
QUANTITIES = {
    "price": ("price", "prices", "cost", "costs"),
    "cost": ("price", "prices", "cost", "costs"),
    "length": ("length", "km", "kilometre", "kilometer", "long"),
    "long": ("length", "km", "kilometre", "kilometer"),
    "rate": ("rate", "rates"),
    "population": ("population", "inhabitants"),
    "gdp": ("gdp",),
    "salary": ("salary", "wage", "wages"),
    "wage": ("salary", "wage", "wages"),
    "profit": ("profit", "profits"),
    "revenue": ("revenue", "revenues"),
    "inflation": ("inflation",),
    "weather": ("weather",),
    "temperature": ("temperature",),
}
_QUANTITY_ASKED = re.compile(
    r"\b(?:how long|price|cost|length|rate|population|gdp|salary|wage|profit|revenue|inflation|weather|temperature)\b"
)
_ORDINAL_WORDS = {
    "second": "2",
    "2nd": "2",
    "third": "3",
    "3rd": "3",
    "fourth": "4",
    "4th": "4",
    "ii": "2",
    "iii": "3",
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def subject_of(key: str) -> str:
    """The part of a fact id before its first all-digit segment."""
    head: list[str] = []
    for part in key.split("-"):
        if part.isdigit():
            break
        head.append(part)
    return "-".join(head) or key


def specifiers(text: str) -> set[str]:
    """Numbers (not years) and ordinals in ``text``, as digits: ``second`` → ``2``."""
    out = set()
    for raw in plain(text).replace(",", "").replace("-", " ").split():
        word = raw.strip("$%.()'\"?")
        if word in _ORDINAL_WORDS:
            out.add(_ORDINAL_WORDS[word])
        for number in _NUMBER.findall(word):
            value = float(number)
            if not (number.isdigit() and len(number) == 4 and 1900 <= value <= 2100):
                out.add(f"{value:g}")
    return out


@dataclass(frozen=True, slots=True)
class Doc:
    key: str
    subject: str
    span: Span
    as_of: date
    tokens: frozenset[str]
    specifiers: frozenset[str]
    has_value: bool
    fact: Fact | None = None
    event: Event | None = None


def _fact_doc(fact: Fact) -> tuple[Doc, list[str], str]:
    keywords = "; ".join(fact.keywords)
    text = f"{fact.statement} {keywords} {fact.outlet}"
    tokens = content_words(text)
    numbers = specifiers(f"{fact.statement} {keywords}")
    numbers |= {f"{abs(v):g}" for v in (fact.value, fact.value_high) if v is not None}
    doc = Doc(
        key=fact.fact_id,
        subject=subject_of(fact.fact_id),
        span=fact_span(fact)[0],
        as_of=fact.as_of,
        tokens=frozenset(tokens),
        specifiers=frozenset(numbers),
        has_value=fact.value is not None,
        fact=fact,
    )
    return doc, tokens, f"{fact.statement} {keywords}"


def _event_doc(event: Event) -> tuple[Doc, list[str], str]:
    text = f"{event.title}. {event.detail} {event.outlet}"
    tokens = content_words(text)
    if event.precision == "year":
        span = Span.year(event.day.year)
    else:
        ordinal = event.day.year * 12 + event.day.month - 1
        span = Span(ordinal, ordinal)
    doc = Doc(
        key=event.event_id,
        subject=event.event_id,
        span=span,
        as_of=event.day,
        tokens=frozenset(tokens),
        specifiers=frozenset(specifiers(f"{event.title} {event.detail}")),
        has_value=False,
        event=event,
    )
    return doc, tokens, f"{event.title}. {event.detail}"


@dataclass(frozen=True, slots=True)
class Scored:
    doc: Doc
    score: float


@dataclass(frozen=True, slots=True)
class Found:
    """The best subject's documents (for the asked period, if any) and related ones."""

    docs: list[Doc]
    related: list[Doc]
    score: float


@dataclass(frozen=True, slots=True)
class NotForPeriod:
    """The subject is known, but not for the period asked."""

    subject_docs: list[Doc]
    asked: Span


class Retriever:
    """The documents of one data pack, indexed for BM25; embeddings computed on first use."""

    def __init__(self, facts: Sequence[Fact], events: Sequence[Event]) -> None:
        import bm25s

        built = [_fact_doc(f) for f in facts] + [_event_doc(e) for e in events]
        self.docs: tuple[Doc, ...] = tuple(d for d, _, _ in built)
        corpus = [tokens or ["_"] for _, tokens, _ in built]
        self._texts = [text for _, _, text in built]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        frequency: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
        n = len(corpus)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self.vocabulary = frozenset(frequency)
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def _doc_vectors(self) -> np.ndarray:
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    self._vectors = embeddings.embed(self._texts)
        return self._vectors

    def query_words(self, text: str) -> list[str]:
        """The question's subject words: content words less periods and China/Russia."""
        return [
            w for w in content_words(text) if w not in HOME and not (w.isdigit() and len(w) == 4)
        ]

    def score(self, text: str, mode: Mode = Mode.FUSED) -> list[Scored]:
        """Every document's score for ``text``, best first (ties by key)."""
        words = self.query_words(text)
        if not words:
            return []
        lexical = np.zeros(len(self.docs), dtype=np.float32)
        if mode is not Mode.EMBEDDINGS:
            ideal = sum(self._idf.get(w, self._unknown_idf) for w in words)
            raw = self._bm25.get_scores(words)
            lexical = np.asarray(raw, dtype=np.float32) / max(ideal, 1e-9)
        semantic = np.zeros(len(self.docs), dtype=np.float32)
        if mode is not Mode.BM25:
            question = embeddings.embed([" ".join(words)])[0]
            semantic = self._doc_vectors() @ question
        if mode is Mode.FUSED:
            fused = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * semantic
        elif mode is Mode.BM25:
            fused = lexical
        else:
            fused = semantic
        order = sorted(range(len(self.docs)), key=lambda i: (-float(fused[i]), self.docs[i].key))
        return [Scored(self.docs[i], float(fused[i])) for i in order]

    def find(
        self,
        text: str,
        residual: Sequence[str],
        periods: Sequence[Span],
        as_of: date,
        *,
        mode: Mode = Mode.FUSED,
        min_score: float = MIN_SCORE,
    ) -> Found | NotForPeriod | None:
        """The facts or events that answer ``text``, known on ``as_of``."""
        wanted = specifiers(" ".join(residual))
        partners = {w for w in content_words(text) if w in PARTNERS}
        low = plain(text)
        figure = _FIGURE_QUESTION.search(low) is not None
        counting = _HOW_MANY.search(low) is not None
        quantities = [m[0].split()[-1] for m in _QUANTITY_ASKED.finditer(low)]
        ranked = []
        for s in self.score(text, mode):
            doc = s.doc
            if doc.as_of > as_of or s.score < min_score:
                continue
            if not wanted <= doc.specifiers or not partners <= doc.tokens:
                continue
            if figure and not doc.has_value:
                continue
            if counting and doc.fact is not None and doc.fact.unit in _NOT_COUNTS:
                continue
            if any(not set(QUANTITIES[q]) & doc.tokens for q in quantities):
                continue
            ranked.append(s)
        if not ranked:
            return None
        top = ranked[0]
        best: dict[str, float] = {}
        for s in ranked:
            best.setdefault(s.doc.subject, s.score)
        if periods:
            in_period = [s for s in ranked if any(s.doc.span.overlaps(p) for p in periods)]
            in_period.sort(key=lambda s: (-best[s.doc.subject], s.doc.key))
            if not in_period or best[in_period[0].doc.subject] < RELATED_RATIO * top.score:
                group = [d for d in self.docs if d.subject == top.doc.subject and d.as_of <= as_of]
                return NotForPeriod(sorted(group, key=lambda d: (d.span, d.key)), periods[0])
            top = in_period[0]
            ranked = in_period
        group = [s.doc for s in ranked if s.doc.subject == top.doc.subject]
        if not periods:
            # The whole subject, every period (a "sources differ" list needs all of them).
            group = [
                d
                for d in self.docs
                if d.subject == top.doc.subject and d.as_of <= as_of and (not figure or d.has_value)
            ]
        group.sort(key=lambda d: (d.span, d.as_of, d.key))
        related: list[Doc] = []
        shown = {top.doc.subject}
        for s in ranked:
            if len(related) >= MAX_RELATED or s.score < RELATED_RATIO * top.score:
                break
            if s.doc.subject not in shown:
                shown.add(s.doc.subject)
                related.append(s.doc)
        return Found(group, related, best[top.doc.subject])


_CACHE: list[tuple[tuple[Fact, ...], tuple[Event, ...], Retriever]] = []
_CACHE_LOCK = threading.Lock()


def retriever_for(facts: tuple[Fact, ...], events: tuple[Event, ...]) -> Retriever:
    """The retriever of a data pack, built on first use and kept (a reload replaces it)."""
    with _CACHE_LOCK:
        for cached_facts, cached_events, found in _CACHE:
            if cached_facts is facts and cached_events is events:
                return found
        built = Retriever(facts, events)
        del _CACHE[:-2]
        _CACHE.append((facts, events, built))
        return built
