"""Facts and events found by retrieval: word coverage fused with static sentence embeddings.

Every fact and event is one document, indexed by field: its text (statement and keywords, or
title and detail, and the outlet), its label (the id's words, which name subject and source —
``technology-chips-share-2022-cn-hk-nyt`` — and the topic), and the direction of goods the trade
grammar reads in it (China's exports or imports), as an index word. A question is scored
against all of them two ways (:class:`Recipe` names the choices; :data:`SHIPPED` is the one
used, :data:`ALTERNATIVES` the ones ``bench/bench_ask.py`` measures):

* lexical — *soft word coverage*: the idf-weighted share of the question's subject words that
  the document holds, a word counting fully when the document has it and partly when it has a
  near word (WordLlama word vectors' cosine above 0.5: "shunning" ~ "avoiding"); a word no
  document has counts against every document. The alternative is BM25 (``bm25s``) divided by
  the score of a document holding every question word once;
* semantic — cosine similarity of WordLlama sentence vectors (:mod:`briefing.ask.embeddings`),
  *centred*: the corpus' mean vector is taken from every vector first, which removes the
  component all texts share and spreads the cosines out.

The two are fused as ``w × lexical + (1 − w) × semantic`` (or by reciprocal rank); below the
recipe's ``min_score`` nothing answers (weight, recipe and threshold chosen on the development
split of the question bank). Three checks keep a near neighbour from answering for the subject asked:

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
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from briefing.ask import embeddings
from briefing.ask.compose import fact_span
from briefing.ask.embeddings import Vectors
from briefing.ask.grammar import Measure, Span, parse
from briefing.ask.words import content_words, plain
from briefing.facts import Event, Fact

# Other subjects shown as related when they score at least this share of the best one.
RELATED_RATIO = 0.9
MAX_RELATED = 2


@dataclass(frozen=True, slots=True)
class Recipe:
    """How documents are indexed and scored; ``bench/bench_ask.py`` measures the alternatives.

    ``lexical_weight`` 1 is BM25 alone, 0 embeddings alone. ``fusion`` ``linear`` ranks by
    ``w × lexical + (1 − w) × semantic``; ``rrf`` ranks by reciprocal rank fusion of the two
    rankings and keeps the linear score as the no-answer gate (``min_score``).
    """

    name: str
    lexical_weight: float = 0.5
    min_score: float = 0.3
    fusion: str = "linear"
    # Index the fact id's words and the topic beside the statement, keywords and outlet.
    id_words: bool = False
    # BM25 term-frequency saturation and length normalisation.
    k1: float = 1.5
    b: float = 0.75
    # Subtract the corpus' mean vector before the cosine (removes the component every
    # text shares, which static embeddings carry strongly).
    center: bool = False
    model: str = embeddings.WORDLLAMA
    # The direction of goods the grammar reads (China's exports or imports) as an index word,
    # in documents and questions alike.
    direction: bool = False
    # ``bm25``, or ``soft``: the idf-weighted share of question words that a document holds or
    # holds a near word for (word vectors' cosine, from ``soft_floor`` = 0 up to 1 = 1).
    lexical: str = "bm25"
    soft_floor: float = 0.5

    def with_threshold(self, min_score: float) -> Recipe:
        return replace(self, min_score=min_score)

    @property
    def index_key(self) -> tuple[object, ...]:
        return (
            self.id_words,
            self.k1,
            self.b,
            self.direction,
            self.lexical,
            self.soft_floor,
            self.model if self.lexical == "soft" else "",
        )


_PREVIOUS = Recipe("bm25 + wordllama (previous)", min_score=0.3)
_SOFT = Recipe("soft words + wordllama", lexical="soft", id_words=True, direction=True)
# Chosen on the development split: the best score there, every unanswerable one honest.
SHIPPED = replace(
    _SOFT, name="soft words + wordllama, centred (shipped)", center=True, min_score=0.375
)
ALTERNATIVES = (
    replace(_PREVIOUS, name="bm25 alone", lexical_weight=1.0),
    replace(_PREVIOUS, name="wordllama alone", lexical_weight=0.0),
    replace(_PREVIOUS, name="wordllama alone, centred", lexical_weight=0.0, center=True),
    _PREVIOUS,
    replace(_PREVIOUS, name="bm25 + wordllama, rrf", fusion="rrf"),
    replace(
        _PREVIOUS, name="bm25 (id words, direction) + wordllama", id_words=True, direction=True
    ),
    replace(_SOFT, min_score=0.425),
    replace(_SOFT, name="soft words alone", lexical_weight=1.0),
    SHIPPED,
    replace(SHIPPED, name="soft words + wordllama, centred, rrf", fusion="rrf"),
    replace(SHIPPED, name="soft words + wordllama, centred, geometric", fusion="geometric"),
    replace(SHIPPED, name="soft words + wordllama-128, centred", model=embeddings.WORDLLAMA_128),
)


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


def id_words(key: str) -> str:
    """A fact or event id's words, which name its subject and source:
    ``technology-chips-share-2022-cn-hk-nyt`` → ``technology chips share cn hk nyt``."""
    return " ".join(part for part in key.split("-") if not part.isdigit())


@dataclass(frozen=True, slots=True)
class _Text:
    """A document's text, by field."""

    main: str  # statement (or title and detail), keywords, outlet
    label: str  # id words and topic
    meaning: str  # what the embeddings read: statement and keywords (title and detail)
    claim: str  # what the grammar reads for a direction: the statement (title and detail)


def _fact_doc(fact: Fact) -> tuple[Doc, _Text]:
    keywords = "; ".join(fact.keywords)
    numbers = specifiers(f"{fact.statement} {keywords}")
    numbers |= {f"{abs(v):g}" for v in (fact.value, fact.value_high) if v is not None}
    text = _Text(
        main=f"{fact.statement} {keywords} {fact.outlet}",
        label=f"{id_words(fact.fact_id)} {fact.topic}",
        meaning=f"{fact.statement} {keywords}",
        claim=fact.statement,
    )
    doc = Doc(
        key=fact.fact_id,
        subject=subject_of(fact.fact_id),
        span=fact_span(fact)[0],
        as_of=fact.as_of,
        tokens=frozenset(content_words(text.main)),
        specifiers=frozenset(numbers),
        has_value=fact.value is not None,
        fact=fact,
    )
    return doc, text


def _event_doc(event: Event) -> tuple[Doc, _Text]:
    text = _Text(
        main=f"{event.title}. {event.detail} {event.outlet}",
        label=f"{id_words(event.event_id)} {event.kind.replace('_', ' ')}",
        meaning=f"{event.title}. {event.detail}",
        claim=f"{event.title}. {event.detail}",
    )
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
        tokens=frozenset(content_words(text.main)),
        specifiers=frozenset(specifiers(f"{event.title} {event.detail}")),
        has_value=False,
        event=event,
    )
    return doc, text


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


def direction_word(direction: Measure | None) -> list[str]:
    """The index word for a direction of goods (none for totals or when not read)."""
    return [f"_flow_{direction}"] if direction in (Measure.EXPORTS, Measure.IMPORTS) else []


class _Lexical:
    """One lexical index of the documents' words, and the idf of its words."""

    def __init__(self, corpus: list[list[str]], recipe: Recipe) -> None:
        self.recipe = recipe
        frequency: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
        n = len(corpus)
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        if recipe.lexical == "soft":
            self.vocabulary = sorted(frequency)
            at = {w: i for i, w in enumerate(self.vocabulary)}
            self.doc_words = [np.array(sorted({at[t] for t in tokens})) for tokens in corpus]
            self.word_vectors = embeddings.embed(
                [w.removeprefix("_flow_") for w in self.vocabulary], recipe.model
            )
        else:
            # Cold start: BM25 loads with the first lexical index.
            import bm25s  # noqa: PLC0415

            self.bm25 = bm25s.BM25(k1=recipe.k1, b=recipe.b)
            self.bm25.index(corpus, show_progress=False)

    def scores(self, words: list[str]) -> Vectors:
        """0–1 per document: how much of the question's words (by idf) it covers."""
        weights = np.array([self.idf.get(w, self.unknown_idf) for w in words], dtype=np.float32)
        ideal = max(float(weights.sum()), 1e-9)
        if self.recipe.lexical != "soft":
            # BM25 divided by the score of a document holding every question word once.
            raw = self.bm25.get_scores(words)
            return np.asarray(raw, dtype=np.float32) / ideal
        vectors = embeddings.embed([w.removeprefix("_flow_") for w in words], self.recipe.model)
        near = vectors @ self.word_vectors.T  # question words × index words
        for i, w in enumerate(words):
            # exact words match fully; direction words only exactly
            near[i] = np.where(np.array(self.vocabulary) == w, 1.0, near[i])
            if w.startswith("_flow_"):
                near[i] = np.where(near[i] >= 1.0, 1.0, 0.0)
        floor = self.recipe.soft_floor
        credit = np.clip((near - floor) / (1 - floor), 0, 1)
        out = np.array(
            [
                float(weights @ credit[:, ix].max(axis=1)) if len(ix) else 0.0
                for ix in self.doc_words
            ],
            dtype=np.float32,
        )
        return out / ideal


class Retriever:
    """The documents of one data pack; indexes and embeddings built on first use per recipe."""

    def __init__(self, facts: Sequence[Fact], events: Sequence[Event]) -> None:
        built = [_fact_doc(f) for f in facts] + [_event_doc(e) for e in events]
        self.docs: tuple[Doc, ...] = tuple(d for d, _ in built)
        self._texts = [t for _, t in built]
        self.vocabulary = frozenset(w for d in self.docs for w in d.tokens)
        self._lexical: dict[tuple[object, ...], _Lexical] = {}
        self._vectors: dict[tuple[str, bool], tuple[Vectors, Vectors]] = {}
        self._lock = threading.Lock()

    def _index(self, recipe: Recipe) -> _Lexical:
        key = recipe.index_key
        if key not in self._lexical:
            with self._lock:
                if key not in self._lexical:
                    corpus = [
                        (
                            content_words(f"{t.main} {t.label}" if recipe.id_words else t.main)
                            + (direction_word(self._direction(t)) if recipe.direction else [])
                        )
                        or ["_"]
                        for t in self._texts
                    ]
                    self._lexical[key] = _Lexical(corpus, recipe)
        return self._lexical[key]

    def _direction(self, text: _Text) -> Measure | None:
        return parse(text.claim, date.max).direction

    def _doc_vectors(self, recipe: Recipe) -> tuple[Vectors, Vectors]:
        """The documents' unit vectors and the vector subtracted from every text (zero unless
        the recipe centres)."""
        key = (recipe.model, recipe.center)
        if key not in self._vectors:
            with self._lock:
                if key not in self._vectors:
                    vectors = embeddings.embed([t.meaning for t in self._texts], recipe.model)
                    mean = vectors.mean(axis=0) if recipe.center else np.zeros_like(vectors[0])
                    self._vectors[key] = (_unit(vectors - mean), mean)
        return self._vectors[key]

    def _semantic(self, text: str, words: list[str], recipe: Recipe) -> Vectors:
        """Cosine of the question's vector with every document's."""
        vectors, mean = self._doc_vectors(recipe)
        question = _unit(embeddings.embed([" ".join(words)], recipe.model) - mean)[0]
        return np.asarray(vectors @ question, dtype=np.float32)

    def query_words(self, text: str) -> list[str]:
        """The question's subject words: content words less periods and China/Russia."""
        return [
            w for w in content_words(text) if w not in HOME and not (w.isdigit() and len(w) == 4)
        ]

    def score(
        self, text: str, recipe: Recipe = SHIPPED, direction: Measure | None = None
    ) -> list[Scored]:
        """Every document's score for ``text``, best first (ties by key)."""
        words = self.query_words(text)
        if not words:
            return []
        n = len(self.docs)
        w = recipe.lexical_weight
        lexical = np.zeros(n, dtype=np.float32)
        if w > 0:
            said = list(words)
            if recipe.direction:
                said += direction_word(direction)
            lexical = self._index(recipe).scores(said)
        semantic = self._semantic(text, words, recipe) if w < 1 else np.zeros(n, dtype=np.float32)
        if recipe.fusion == "geometric" and 0 < w < 1:
            fused = np.clip(lexical, 1e-6, None) ** w * np.clip(semantic, 1e-6, None) ** (1 - w)
        elif recipe.fusion == "harmonic" and 0 < w < 1:
            a, b = np.clip(lexical, 1e-6, None), np.clip(semantic, 1e-6, None)
            fused = 1 / (w / a + (1 - w) / b)
        else:
            fused = w * lexical + (1 - w) * semantic
        if recipe.fusion == "rrf" and 0 < w < 1:
            rank = _ranks(lexical), _ranks(semantic)
            key = [-(w / (RRF_K + rank[0][i]) + (1 - w) / (RRF_K + rank[1][i])) for i in range(n)]
        else:
            key = [-float(v) for v in fused]
        order = sorted(range(n), key=lambda i: (key[i], self.docs[i].key))
        return [Scored(self.docs[i], float(fused[i])) for i in order]

    def find(
        self,
        text: str,
        residual: Sequence[str],
        periods: Sequence[Span],
        as_of: date,
        *,
        recipe: Recipe = SHIPPED,
        direction: Measure | None = None,
    ) -> Found | NotForPeriod | None:
        """The facts or events that answer ``text``, known on ``as_of``."""
        wanted = specifiers(" ".join(residual))
        partners = {w for w in content_words(text) if w in PARTNERS}
        low = plain(text)
        figure = _FIGURE_QUESTION.search(low) is not None
        counting = _HOW_MANY.search(low) is not None
        quantities = [m[0].split()[-1] for m in _QUANTITY_ASKED.finditer(low)]
        ranked = []
        for s in self.score(text, recipe, direction):
            doc = s.doc
            if doc.as_of > as_of or s.score < recipe.min_score:
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


RRF_K = 60


def _ranks(scores: Vectors) -> list[int]:
    """Each document's rank (0 = best) under ``scores``."""
    ranks = [0] * len(scores)
    for rank, i in enumerate(np.argsort(-scores, kind="stable")):
        ranks[int(i)] = rank
    return ranks


def _unit(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-9), dtype=np.float32)
