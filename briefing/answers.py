"""Answer a free-text question from the sourced facts, the trade figures and the event timeline.

No model and no network: the question is normalised (case, punctuation, plurals, synonyms such
as chips/semiconductors/microelectronics, autos/cars, rouble/ruble, renminbi/yuan are merged),
its period is read
("in 2024", "January 2025", "first half of 2025", "last year"), and then

* a question about the size or growth of China–Russia trade as a whole goes to the trade index
  (China customs figures, as ``/brief trade`` shows them);
* "what happened in 2024?" lists the timeline's events of that period;
* any other question ranks facts and events by how much of the question's vocabulary they
  cover, rarer words weighing more (IDF), keyword hits above statement hits, with small
  rapidfuzz token and keyword-fit scores as tie-breakers; misspelt words are matched to the
  nearest known spelling with rapidfuzz.

The best subject wins on the words alone; a period in the question then picks that subject's
figures for the period (another subject stands in only if it matches the words nearly as well).
Every figure on the subject is shown with its period and source.
Facts share a subject when their ids share the prefix before the first all-digit part
(``cars-cn-share-2023-globaldata`` → ``cars-cn-share``). When figures for the same period
disagree the reply says "sources differ" and lists each one; it never picks one silently.
A question outside the data (another country, a year with no figure, a future year, an unknown
subject) gets a plain "no answer" reply pointing at ``sources`` and ``help``.

Facts published after the as-of date, and events dated after it, are never used.

Units in ``data/facts.csv``: ``pct`` (percent, 55 = 55%), ``usd_bn``, ``usd_m``, ``usd``,
``cny_bn`` (billion yuan), ``bcm`` (billion cubic metres of gas), ``count``, ``multiple``
(7 = sevenfold), ``units`` and ``k_units`` (thousand units).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from rapidfuzz import fuzz, process

from briefing.facts import Event, Fact
from briefing.replies import Line, Reply, ReplyKind, Section, simple
from briefing.trade.index import TradeIndex
from briefing.trade.model import MONTH_ABBR, Flow, Period
from briefing.trade.queries import TradeQuery, latest_reply, trade_reply

# --------------------------------------------------------------------------- normalising text

_PHRASES: tuple[tuple[str, str], ...] = (
    (r"\bpower\s+of\s+siberia\b", " powerofsiberia siberia "),
    (r"\bhong\s*kong\b", " hongkong "),
    (r"\bmachine[\s-]*tools?\b", " machinetool "),
    (r"\bbelt\s+and\s+road\b", " bri "),
    (r"\bintegrated\s+circuits?\b", " chip "),
    (r"\bnatural\s+gas\b", " gas "),
    (r"\bcrude\s+oil\b", " oil "),
    (r"\be[\s-]?commerce\b", " ecommerce "),
    (r"\bhigh[\s-]?speed\b", " highspeed "),
    (r"\bfour[\s-]?day\b", " fourday "),
    (r"\bdual[\s-]?use\b", " dualuse "),
    (r"\b(commerce\s+ministry|ministry\s+of\s+commerce|mofcom)\b", " mofcom "),
    (r"\bnational\s+currenc(y|ies)\b", " ruble yuan "),
    (r"\bus\s+treasury\b", " ofac "),
    (r"\bde[\s-]?dollari[sz]ation\b", " dollar "),
    (
        r"\b(?:u\.\s?s\.|us|usa|united\s+states|american?)\s+(?=(?:treasury|commerce|department|"
        r"secretary|sanctions?|officials?|government|intelligence|financial)\b)",
        " america ",
    ),
    (r"\bper\s*cent\b|%", " percent "),
    (r"\byears?\s+of\s+culture\b", " culture "),
    (r"\bsdn\b", " ofac "),
    (r"\bnyt\b", " new york times "),
    (r"\bscmp\b", " south china morning post "),
    (r"\bwhat (?:goods )?(?:does|do|did) (\w+) (export|import|sell|buy)", r" structure \1 \2 "),
    (r"\b(?:which|what) goods\b", " structure "),
    (r"\b(?:main|key|top|biggest|major|chief)\s+(export|import)s?\b", r" structure \1 "),
    (r"\bhow long\b", " length "),
)
_PHRASE_RES = tuple((re.compile(p), r) for p, r in _PHRASES)

_CANON: dict[str, str] = {}


def _canon(target: str, *words: str) -> None:
    for word in (target, *words):
        _CANON[word] = target


_canon("chip", "semiconductor", "microelectronic", "microelectronics", "microchip", "ic")
_canon(
    "car",
    "auto",
    "autos",
    "automobile",
    "vehicle",
    "automotive",
    "carmaker",
    "automaker",
    "motor",
)
_canon("gas", "lng")
_canon("oil", "crude", "petroleum")
_canon("ruble", "rouble", "rub")
_canon("yuan", "renminbi", "rmb", "cny")
_canon("export", "exported", "exporting", "exporter", "ship", "shipped", "shipment")
_canon("sale", "sell", "sold", "selling")
_canon("import", "imported", "importing", "importer", "buy", "bought", "purchase", "purchased")
_canon("settlement", "settle", "settled", "settling", "pay", "paid", "payment", "transaction")
_canon("currency", "currencie")
_canon(
    "growth",
    "grow",
    "grew",
    "grown",
    "increase",
    "increased",
    "rise",
    "rose",
    "risen",
    "surge",
    "surged",
    "boom",
    "jump",
    "jumped",
    "climb",
    "climbed",
    "sevenfold",
)
_canon(
    "decline",
    "fall",
    "fell",
    "fallen",
    "drop",
    "dropped",
    "declined",
    "decrease",
    "decreased",
    "shrink",
    "shrank",
    "slump",
    "slumped",
    "plunge",
    "plunged",
    "plummet",
    "plummeted",
    "slowing",
)
_canon("share", "proportion", "percentage", "percent", "portion", "fraction", "pct")
_canon("investment", "invest", "investing", "invested", "investor", "fdi")
_canon("meeting", "meet", "met", "summit", "talk")
_canon("sanction", "sanctioned")
_canon("designation", "designate", "designated", "blacklist", "blacklisted")
_canon("tariff", "duty", "levy")
_canon("technology", "tech", "technological", "hightech")
_canon("telecom", "telecommunication", "telecoms")
_canon("trade", "turnover", "commerce", "bilateral", "trading", "traded")
_canon("largest", "biggest", "top")
_canon("pipeline", "pipe")
_canon("capacity", "maximum")
_canon("ofac", "treasury")
_canon("hardware", "computer")
_canon("compensation", "payout")
_canon("russia", "russian")
_canon("america", "american", "usa")
_canon("china", "chinese", "prc")
_canon("share", "slice", "part", "chunk")
_canon("brand", "make", "marque")
_canon("dependence", "reliant", "reliance", "rely", "depend", "dependent", "dependency")
_canon("advice", "advise", "advised", "warn", "warned", "warning", "urge", "urged")
_canon("target", "goal", "aim")
_canon("avoid", "avoided", "avoiding", "shun", "shunned", "shunning")
_canon("buyer", "customer", "purchaser", "client")
_canon("settlement", "paying")
_canon("supply", "supplie", "supplied", "deliver", "delivery", "delivered", "flow", "flowed")
_canon("aircraft", "jet", "plane", "airliner", "widebody", "airplane")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP = _words(
    """
    a an the and or but of in on at to for from by with about as into over under than then
    is are was were be been being am do does did done has have had having will would shall
    should can could may might must it its this that these those there here what which who
    whom whose when where why how much many big large size level amount number figure figures
    value data tell me us please give show i we you they he she my our your their any some
    all also so still now currently current today latest recent recently ever yet just
    s per cent according say says said report reported stat stats statistic statistics
    happen happened lot really mostly very more most less least far come came go went get got
    do does doing kind sort way ask question know through each other against after down up
    off out them whether those every again anymore day nowaday thing going billion million
    trillion bn mln usd like
    h1 h2 q1 q2 q3 q4 ytd first second half month year quarter one two three four five six seven
    eight nine ten eleven twelve
    january jan february feb march mar april apr june jun july jul august aug september sep
    sept october oct november nov december dec
    """
)

# Words that name China and Russia: kept as tokens (they weigh little, being everywhere) but
# never a reason by themselves to pick a fact.
_HOME = frozenset({"china", "russia", "beijing", "moscow", "sino"})

# Kinds of figure a question may ask for; if the data never names one, it has no such figure
# (a question about Lada prices must not be answered with Lada production).
_MEASURES = _words(
    """
    length price cost gdp population inflation salary wage profit revenue earning temperature weather
    unemployment tax rate interest stock forecast poll rating casualtie death toll
    """
)

# Partners the data does not cover: a question about their trade has no answer here.
_FOREIGN = _words(
    """
    india indian brazil brazilian turkey turkish iran iranian japan japanese korea korean
    vietnam germany german france french britain british uk italy italian
    america canada mexico australia saudi egypt africa african indonesia pakistan belarus mongolia
    kazakhstan uzbekistan ukraine ukrainian europe european eu taiwan
    """
)


def _stem(word: str) -> str:
    if word.endswith("'s"):
        word = word[:-2]
    word = word.strip("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    """Lowercase, join known phrases, drop punctuation: the text both sides are matched on."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    for pattern, replacement in _PHRASE_RES:
        text = pattern.sub(replacement, text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


def tokens(text: str, correct: Callable[[str], str] | None = None) -> list[str]:
    """Canonical content words of ``text`` (stemmed, synonyms merged, stopwords out).

    Numbers other than years become ``#N`` tokens, so "the 200 billion target" can meet a fact
    whose value is 200. ``correct`` may replace an unknown word by a known spelling.
    """
    out: list[str] = []
    for raw in normalise(text).split():
        word = _stem(raw)
        if not word or word in _STOP:
            continue
        if word.isdigit():
            # A year has four digits (and int() refuses a string of thousands of digits).
            if not (len(word) == 4 and 1900 <= int(word) <= 2100):
                out.append(number_token(float(word)))
            continue
        if correct is not None and word not in _CANON:
            word = correct(word)
        word = _CANON.get(word, word)
        if word in _STOP or len(word) < 2:
            continue
        out.append(word)
    return out


def number_token(value: float) -> str:
    return f"#{abs(value):g}"


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Months ``first``..``last`` inclusive, as ``year * 12 + month - 1`` ordinals."""

    first: int
    last: int

    def overlaps(self, other: Span) -> bool:
        return self.first <= other.last and other.first <= self.last

    def within(self, other: Span) -> bool:
        return other.first <= self.first and self.last <= other.last

    @classmethod
    def of_year(cls, year: int) -> Span:
        return cls(year * 12, year * 12 + 11)

    @classmethod
    def of_months(cls, year: int, first_month: int, last_month: int) -> Span:
        return cls(year * 12 + first_month - 1, year * 12 + last_month - 1)


def _month_label(ordinal: int) -> str:
    return f"{MONTH_ABBR[ordinal % 12]} {ordinal // 12}"


def span_label(span: Span, *, day: int | None = None) -> str:
    first_year, last_year = span.first // 12, span.last // 12
    if span.first % 12 == 0 and span.last % 12 == 11:
        return str(first_year) if first_year == last_year else f"{first_year}–{last_year}"
    if span.first == span.last:
        month = _month_label(span.first)
        return f"{day} {month}" if day else month
    if first_year == last_year:
        return f"{MONTH_ABBR[span.first % 12]}–{_month_label(span.last)}"
    return f"{_month_label(span.first)}–{_month_label(span.last)}"


def parse_fact_period(text: str) -> tuple[Span, int | None]:
    """``2023`` · ``2025-01`` · ``2024-12-01`` · ``2023-01..2023-11`` → span (and day, if any)."""
    first, _, last = text.partition("..")
    start, day = _point(first)
    end = _point(last)[0] if last else start
    return Span(start.first, end.last), day if not last else None


def _point(text: str) -> tuple[Span, int | None]:
    parts = [int(p) for p in text.strip().split("-")]
    if len(parts) == 1:
        return Span.of_year(parts[0]), None
    month = Span.of_months(parts[0], parts[1], parts[1])
    return month, parts[2] if len(parts) == 3 else None


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"((?:19|20)\d{2})"
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
}


@dataclass(frozen=True, slots=True)
class AskedPeriod:
    """The period a question names: a span, plus the trade period(s) it maps to."""

    span: Span
    label: str
    first: Period
    last: Period


def read_period(text: str, today: date) -> AskedPeriod | None:
    """The period a question asks about, if it names one."""
    low = text.lower().replace("–", "-").replace("—", "-")
    low = re.sub(r"\blast year\b", str(today.year - 1), low)
    low = re.sub(r"\b(this year|so far this year|year to date|ytd)\b", str(today.year), low)
    # Year-to-date forms: "first half of 2025", "h1 2025", "first 11 months of 2023".
    if m := re.search(rf"\b(?:first half|h1)(?: of)? {_YEAR}\b", low):
        return _asked(int(m[1]), 1, 6)
    if m := re.search(
        rf"\bfirst (\d{{1,2}}|{'|'.join(_NUMBER_WORDS)}) months(?: of)? {_YEAR}\b", low
    ):
        months = int(m[1]) if m[1].isdigit() else _NUMBER_WORDS[m[1]]
        if 1 <= months <= 12:
            return _asked(int(m[2]), 1, months)
    # "jan-nov 2023", "january to june 2025"
    if m := re.search(
        rf"\b({_MONTH_ALT})\.?\s*(?:-|to|through|until)\s*({_MONTH_ALT})\.?,?\s+{_YEAR}\b", low
    ):
        first, last = _MONTHS[m[1]], _MONTHS[m[2]]
        if first <= last:
            return _asked(int(m[3]), first, last)
    if m := re.search(rf"\b{_YEAR}-(\d{{2}})\b", low):
        month = int(m[2])
        if 1 <= month <= 12:
            return _asked(int(m[1]), month, month)
    if m := re.search(rf"\b({_MONTH_ALT})\.?,?\s+(?:of\s+)?{_YEAR}\b", low):
        month = _MONTHS[m[1]]
        return _asked(int(m[2]), month, month)
    years = [int(y) for y in re.findall(rf"\b{_YEAR}\b", low)]
    if len(years) >= 2 and re.search(r"\.\.|\bbetween\b|\bfrom\b|\bto\b|-", low):
        lo, hi = min(years), max(years)
        return AskedPeriod(
            Span(lo * 12, hi * 12 + 11),
            f"{lo}–{hi}",
            Period(lo, 1, 1),
            Period(hi, 12, 12),
        )
    if years:
        return _asked(years[0], 1, 12)
    return None


def _asked(year: int, first_month: int, last_month: int) -> AskedPeriod:
    period = Period(year, first_month, last_month)
    return AskedPeriod(Span.of_months(year, first_month, last_month), period.label, period, period)


# --------------------------------------------------------------------------- the index


def subject_of(fact_id: str) -> str:
    """The part of a fact id before its first all-digit segment."""
    head: list[str] = []
    for part in fact_id.split("-"):
        if part.isdigit():
            break
        head.append(part)
    return "-".join(head) or fact_id


@dataclass(frozen=True, slots=True)
class Doc:
    """A fact or an event, tokenised once at load."""

    key: str
    subject: str
    topic: str
    keyword_tokens: frozenset[str]
    text_tokens: frozenset[str]
    text: str
    span: Span
    day: int | None
    as_of: date
    fact: Fact | None = None
    event: Event | None = None


@dataclass(frozen=True, slots=True)
class Scored:
    doc: Doc
    score: float


# Subjects that are the whole of China–Russia trade: questions about them go to the trade index.
_AGGREGATE_SUBJECTS = frozenset({"trade-total", "trade-growth"})
_TRADE_WORDS = frozenset({"trade", "export", "import"})
# Words that may sit in a whole-trade question without making it about something narrower.
_TRADE_GENERIC = _TRADE_WORDS | _words(
    """
    growth decline total record annual year yearly month monthly volume worth high low first
    half change compared previous between since overall combined partner two countrie
    """
)

# An unknown word counts like a word found in about one document in twenty: enough to sink a
# question about something else entirely, not enough to sink a paraphrase with a filler word.
_UNKNOWN_WEIGHT = 3.0
# Below this share of the question's (IDF-weighted) vocabulary, nothing in the data answers it.
MIN_SCORE = 0.5
# Other subjects shown beside the best one when they score at least this share of its score.
RELATED_RATIO = 0.85
MAX_RELATED = 3


class AnswerIndex:
    """Facts and events, tokenised with document frequencies, built once per data pack."""

    def __init__(self, facts: Iterable[Fact], events: Iterable[Event]) -> None:
        docs: list[Doc] = []
        for fact in facts:
            span, day = parse_fact_period(fact.period)
            values = {number_token(v) for v in (fact.value, fact.value_high) if v is not None}
            keyword_tokens = frozenset(t for k in fact.keywords for t in tokens(k)) | values
            docs.append(
                Doc(
                    key=fact.fact_id,
                    subject=subject_of(fact.fact_id),
                    topic=fact.topic,
                    keyword_tokens=keyword_tokens | {fact.topic},
                    text_tokens=frozenset(tokens(f"{fact.statement} {fact.outlet}")),
                    text=normalise(fact.statement),
                    span=span,
                    day=day,
                    as_of=fact.as_of,
                    fact=fact,
                )
            )
        for event in events:
            span = _event_span(event)
            day = event.day.day if event.precision == "day" else None
            docs.append(
                Doc(
                    key=event.event_id,
                    subject=event.event_id,
                    topic=event.kind,
                    keyword_tokens=frozenset(tokens(event.title)) | {event.kind},
                    text_tokens=frozenset(tokens(f"{event.detail} {event.outlet}")),
                    text=normalise(f"{event.title} {event.detail}"),
                    span=span,
                    day=day,
                    as_of=event.day,
                    event=event,
                )
            )
        self.docs: tuple[Doc, ...] = tuple(docs)
        frequency: dict[str, int] = {}
        for doc in docs:
            for token in doc.keyword_tokens | doc.text_tokens:
                frequency[token] = frequency.get(token, 0) + 1
        n = len(docs)
        self._idf = {t: math.log((n + 1) / (df + 0.5)) for t, df in frequency.items()}
        self._spellings = sorted(set(frequency) | set(_CANON))
        self.first_year = min((d.span.first // 12 for d in docs), default=0)
        self.last_year = max((d.span.last // 12 for d in docs), default=0)

    def idf(self, token: str) -> float:
        return self._idf.get(token, _UNKNOWN_WEIGHT)

    def known(self, token: str) -> bool:
        return token in self._idf

    def correct(self, word: str) -> str:
        """The nearest known spelling for a misspelt word (``semiconducters`` → ``semiconductor``)."""
        if self.known(word) or word in _STOP or len(word) < 5:
            return word
        found = process.extractOne(word, self._spellings, scorer=fuzz.ratio, score_cutoff=85)
        return str(found[0]) if found else word

    def rank(self, words: Sequence[str], text: str, as_of: date) -> list[Scored]:
        """Facts and events known on ``as_of`` that share a subject word with the question."""
        weights = {w: self.idf(w) for w in dict.fromkeys(words)}
        total = sum(weights.values())
        if total <= 0:
            return []
        subject_words = [w for w in weights if w not in _HOME]
        wants_date = "when" in text.split()
        # "how many …" asks for a count: a percentage is the wrong kind of answer.
        wants_count = "how many" in text
        out: list[Scored] = []
        for doc in self.docs:
            if doc.as_of > as_of:
                continue
            covered = 0.0
            subject_hit = False
            for word, weight in weights.items():
                if word in doc.keyword_tokens:
                    covered += weight
                elif word in doc.text_tokens:
                    covered += 0.7 * weight
                else:
                    continue
                if word in subject_words:
                    subject_hit = True
            if not subject_hit:
                continue
            score = covered / total
            # A tighter fit wins ties: the share of the document's keywords the question hit.
            score += 0.1 * len(doc.keyword_tokens & weights.keys()) / len(doc.keyword_tokens)
            score += 0.1 * fuzz.token_set_ratio(text, doc.text) / 100
            if wants_date and doc.event is not None:
                score += 0.05
            if wants_count and doc.fact is not None and doc.fact.unit == "pct":
                score -= 0.1
            out.append(Scored(doc, score))
        out.sort(key=lambda s: (-s.score, s.doc.key))
        return out


_INDEX_CACHE: list[tuple[tuple[Fact, ...], tuple[Event, ...], AnswerIndex]] = []


def index_for(facts: tuple[Fact, ...], events: tuple[Event, ...]) -> AnswerIndex:
    """The index of a data pack's facts and events, built on first use and kept."""
    for cached_facts, cached_events, index in _INDEX_CACHE:
        if cached_facts is facts and cached_events is events:
            return index
    index = AnswerIndex(facts, events)
    del _INDEX_CACHE[:-3]  # a reload replaces the pack; keep only the last few
    _INDEX_CACHE.append((facts, events, index))
    return index


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    normalised: str
    words: tuple[str, ...]
    asked: AskedPeriod | None
    foreign: tuple[str, ...]


def read_question(text: str, index: AnswerIndex, today: date) -> Question:
    normalised = normalise(text)
    words = tuple(dict.fromkeys(tokens(text, index.correct)))
    foreign = tuple(w for w in words if w in _FOREIGN)
    return Question(text, normalised, words, read_period(text, today), foreign)


def answer(
    question: str,
    *,
    facts: tuple[Fact, ...],
    events: tuple[Event, ...],
    trade: TradeIndex,
    as_of: date,
    command: str = "/brief",
) -> Reply:
    """Answer ``question`` from the data known on ``as_of``, every figure with its source."""
    index = index_for(facts, events)
    q = read_question(question, index, as_of)
    if q.asked is not None and q.asked.span.first // 12 > as_of.year:
        return no_answer(
            f"I have no figures for {q.asked.label}: it is after today's data "
            f"({as_of.year}), and I don't forecast.",
            command,
        )
    missing = [w for w in q.words if w in _MEASURES and not index.known(w)]
    if missing:
        return no_answer(f"The data has no {missing[0]} figures.", command)
    ranked = index.rank(q.words, q.normalised, as_of)
    about_trade_with_them = bool(q.foreign) and bool(_TRADE_WORDS & set(q.words))
    ranked = [s for s in ranked if not q.foreign or _mentions(s.doc, q.foreign)]
    if q.foreign and (about_trade_with_them or not ranked):
        names = ", ".join(w.title() for w in q.foreign)
        return no_answer(
            f"The data covers China–Russia trade, sanctions, energy, cars, technology, payments "
            f"and investment; it has nothing on {names}.",
            command,
        )
    if q.asked is not None and set(q.words) <= _TIMELINE_WORDS | _HOME:
        return _timeline_answer(q.asked, events, as_of, command)
    top = ranked[0] if ranked and ranked[0].score >= MIN_SCORE else None
    if _is_trade_question(q, top):
        return _trade_answer(q, index, trade, as_of, command)
    if top is None:
        return no_answer("I couldn't match that question to any sourced figure or event.", command)
    return _facts_answer(q, ranked, top, as_of, command)


_TIMELINE_WORDS = _words("event timeline news happen happened happening go on")


def _timeline_answer(
    asked: AskedPeriod, events: tuple[Event, ...], as_of: date, command: str
) -> Reply:
    """Events known on ``as_of`` that fall inside the asked period, oldest first.

    An event dated only by its year is not listed for a single month of that year.
    """
    found = [e for e in events if e.day <= as_of and _event_span(e).within(asked.span)]
    if not found:
        return no_answer(f"The timeline has no events in {asked.label}.", command)
    return Reply(
        title=f"China–Russia timeline, {asked.label}",
        sections=(Section(None, tuple(event_line(e) for e in found)),),
        as_of=as_of,
        footer=f"Also: {command} sources · {command} help",
    )


def _event_span(event: Event) -> Span:
    if event.precision == "year":
        return Span.of_year(event.day.year)
    ordinal = event.day.year * 12 + event.day.month - 1
    return Span(ordinal, ordinal)


def _mentions(doc: Doc, names: tuple[str, ...]) -> bool:
    return all(n in doc.text_tokens or n in doc.keyword_tokens for n in names)


def _is_trade_question(q: Question, top: Scored | None) -> bool:
    """Whole-trade questions ("trade in 2024", "how much did trade fall last year").

    Only trade words (and China, Russia, growth, records…) → the trade index. With a more
    specific word ("coal", "target", "yuan") the facts decide, unless the best fact is itself a
    whole-trade total or growth figure.
    """
    words = set(q.words)
    if q.foreign or not _TRADE_WORDS & words:
        return False
    if not words - _HOME - _TRADE_GENERIC:
        return True
    return top is not None and top.doc.subject in _AGGREGATE_SUBJECTS


def _flows_asked(text: str) -> tuple[Flow, ...]:
    low = text.lower()
    to_russia = re.search(
        r"china'?s? export|export\w* (?:from china )?to russia|russia'?s? import|import\w* from china",
        low,
    )
    to_china = re.search(
        r"russia'?s? export|export\w* (?:from russia )?to china|china'?s? import|import\w* from russia",
        low,
    )
    if to_russia and not to_china:
        return (Flow.EXPORTS,)
    if to_china and not to_russia:
        return (Flow.IMPORTS,)
    return tuple(Flow)


def _trade_answer(
    q: Question, index: AnswerIndex, trade: TradeIndex, as_of: date, command: str
) -> Reply:
    if q.asked is None:
        return latest_reply(trade, as_of, command)
    query = TradeQuery(first=q.asked.first, last=q.asked.last, flows=_flows_asked(q.text))
    reply = trade_reply(trade, query, as_of, command)
    if reply.kind is not ReplyKind.ANSWER or q.asked.first != q.asked.last:
        return reply
    others = _also_reported(index, trade, q.asked, as_of)
    if not others:
        return reply
    return replace(reply, sections=(*reply.sections, Section("Also reported", others)))


def _also_reported(
    index: AnswerIndex, trade: TradeIndex, asked: AskedPeriod, as_of: date
) -> tuple[Line, ...]:
    """Whole-trade figures for the same period from other reports, where they differ from the
    China customs figures shown (a rounded $245bn beside $244.81bn; a total in yuan)."""
    shown = trade.get(asked.first, Flow.TOTAL, as_of)
    totals = [o.value_usd_bn for o in shown]
    changes = [o.yoy_pct for o in shown if o.yoy_pct is not None]
    lines = []
    for doc in index.docs:
        fact = doc.fact
        if (
            fact is None
            or fact.value is None
            or doc.subject not in _AGGREGATE_SUBJECTS
            or doc.span != asked.span
            or doc.as_of > as_of
        ):
            continue
        same_as = totals if fact.unit == "usd_bn" else changes if fact.unit == "pct" else []
        if any(abs(fact.value - v) < 0.005 for v in same_as):
            continue
        lines.append(fact_line(fact))
    return tuple(lines)


def _facts_answer(
    q: Question, ranked: list[Scored], top: Scored, as_of: date, command: str
) -> Reply:
    # The subject is chosen on the words alone; a period then narrows it. Another subject may
    # stand in only if it matches the words nearly as well (so "car share in 2022" does not
    # turn into some other 2022 fact).
    floor = max(MIN_SCORE, RELATED_RATIO * top.score)
    if q.asked is not None:
        asked = q.asked
        # A subject scores as its best-matching member: the period picks among its members.
        best: dict[str, float] = {}
        for s in ranked:
            best.setdefault(s.doc.subject, s.score)
        in_period = sorted(
            (Scored(s.doc, best[s.doc.subject]) for s in ranked if s.doc.span.overlaps(asked.span)),
            key=lambda s: -s.score,
        )
        if not in_period or in_period[0].score < floor:
            group = [s.doc for s in ranked if s.doc.subject == top.doc.subject]
            periods = sorted({(d.span, d.day) for d in group})
            known = ", ".join(dict.fromkeys(span_label(s, day=day) for s, day in periods))
            return no_answer(
                f"I have no figure on that for {asked.label}; the data has it for {known}.",
                command,
            )
        top, ranked = in_period[0], in_period
    group = [s.doc for s in ranked if s.doc.subject == top.doc.subject]
    group.sort(key=lambda d: (d.span, d.as_of, d.key))
    shown = {d.subject for d in group}
    related: list[Doc] = []
    for s in ranked:
        if len(related) >= MAX_RELATED or s.score < floor:
            break
        if s.doc.subject in shown:
            continue
        shown.add(s.doc.subject)
        related.append(s.doc)
    sections: list[Section] = []
    heading = None
    if len(group) > 1:
        outlets = len({d.fact.outlet if d.fact else d.key for d in group})
        if disagree(group):
            heading = f"Sources differ — {len(group)} figures from {outlets} sources, by period:"
        elif outlets > 1:
            heading = f"{len(group)} figures from {outlets} sources, by period:"
        else:
            heading = f"{len(group)} figures, by period:"
    sections.append(Section(heading, tuple(line_for(d) for d in group)))
    if related:
        sections.append(Section("Related", tuple(line_for(d) for d in related)))
    title = q.text.strip().rstrip("?").strip()
    if len(title) > 120:
        title = title[:117].rstrip() + "…"
    return Reply(
        title=f"{title[:1].upper()}{title[1:]}?",
        sections=tuple(sections),
        as_of=as_of,
        footer=f"Also: {command} sources · {command} help",
    )


def disagree(docs: Sequence[Doc]) -> bool:
    """Whether two figures of the same unit for overlapping periods differ by more than 1%."""
    figures = [
        (d.span, d.fact.unit, d.fact.value)
        for d in docs
        if d.fact is not None and d.fact.value is not None
    ]
    for i, (span_a, unit_a, a) in enumerate(figures):
        for span_b, unit_b, b in figures[i + 1 :]:
            if unit_a != unit_b or not span_a.overlaps(span_b):
                continue
            if abs(a - b) > 0.01 * max(abs(a), abs(b)):
                return True
    return False


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


def format_value(fact: Fact) -> str:
    """The figure as users read it: ``55%``, ``45–50%``, ``$3.9 bn``, ``22.73 bcm``, ``7×``."""
    assert fact.value is not None
    low, high = fact.value, fact.value_high

    def num(x: float) -> str:
        text = f"{x:,.2f}".rstrip("0").rstrip(".")
        return text.replace("-", "−")

    amount = num(low) if high is None else f"{num(low)}–{num(high)}"
    text = _UNIT_FORMATS.get(fact.unit, "{}").format(amount)
    statement = fact.statement.lower()
    plain = num(abs(low)).replace(",", "")
    for wording, qualifier in _QUALIFIERS.items():
        if re.search(rf"\b{wording}\s+(?:a\s+)?\$?{re.escape(plain)}", statement.replace(",", "")):
            return f"{qualifier} {text}"
    return text


def line_for(doc: Doc) -> Line:
    if doc.event is not None:
        return event_line(doc.event)
    assert doc.fact is not None
    return fact_line(doc.fact)


def event_line(event: Event) -> Line:
    detail = f" — {event.detail}" if event.detail else ""
    return Line(f"{event.date_label}: {event.title}{detail}", event.source)


def fact_line(fact: Fact) -> Line:
    """``55% (2023) — statement`` with the fact's source; the period alone for dated claims."""
    span, day = parse_fact_period(fact.period)
    when = span_label(span, day=day)
    if fact.value is None:
        return Line(f"{when}: {fact.statement}", fact.source)
    return Line(f"{format_value(fact)} ({when}) — {fact.statement}", fact.source)


def no_answer(reason: str, command: str = "/brief") -> Reply:
    return simple(
        "I have no answer to that in the data.",
        reason,
        f"Try `{command} sources` for what the data covers, or `{command} help` for the commands.",
        kind=ReplyKind.NO_DATA,
    )
