"""Name screening: a name (and optional hints) in, tiered hits with their reasons out.

:class:`NameIndex` holds every name and alias of a set of listed parties; :meth:`NameIndex.screen`
compares a query with them in two steps:

1. **Blocking** — each query word finds the listed words like it (``rapidfuzz`` ratio over the
   vocabulary, by length; the same metaphone key, from OpenSanctions' ``rigour``; a word written
   as two, "Nordgold" / NORD GOLD), and the names holding those words become candidates, ranked
   by an upper bound of how much of the query they can explain.
2. **Alignment** — for the best candidates, query words are paired with listed words (greedily,
   best pair first; a run-together word may pair with two). Every word weighs by how rare it is
   on the lists (inverse document frequency), so "bank", "trading", "group", "tech" or
   "international" count little and can never carry a hit alone.

A hit is a **match** when the query's rare words all align closely, most of the listed name is
accounted for, and — for a person — the family name aligned; a **possible match** when enough
aligns to deserve a look; otherwise nothing. Each hit says which name or alias matched, which
words aligned with which, and the score, so a reviewer sees why.

Legal forms are removed with ``rigour``'s org-type table and spellings folded by
:func:`~briefing.sanctions.normalise.name_tokens`. The index knows nothing of the database or the
list format: a later, larger index (OpenSanctions' million entities) and watchlist re-screening
reuse it as it is.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from typing import NamedTuple, overload

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from briefing.sanctions.normalise import NameTokens, fold, name_tokens, spell

MATCH_SCORE = 85.0
POSSIBLE_SCORE = 72.0
WORD_SIMILARITY = 0.8  # a pair of words below this does not align
CANDIDATES = 300  # names scored exactly per query, best upper bounds first
_WORD_CUTOFF = 75.0
_COMMON_SHARE = 0.0035  # a word in more than this share of names is common (at least 40 names)
_COMPOUND_SIMILARITY = 0.86
_ONE_WORD_WEIGHT = 7.5  # a word in at most ~1 name in 2,000
_STRONG_WEIGHT = 6.5  # a word in at most ~1 name in 700
_LONG_LEGAL_FORMS = ("limited", "company", "corporation", "incorporated", "liability")
_SIMILAR_KEPT = 10_000  # query words whose similar listed words are kept per index


class Tier(StrEnum):
    MATCH = "match"
    POSSIBLE = "possible match"


@dataclass(frozen=True, slots=True)
class Party:
    """One listed party as the index needs it: its names (the primary one first) and whether it
    is a person (whose names are "FAMILY, Given" on OFAC's lists)."""

    names: tuple[str, ...]
    person: bool


@dataclass(frozen=True, slots=True)
class Pair:
    """Query words aligned with listed words, and how alike they are (0–1)."""

    query: tuple[str, ...]
    listed: tuple[str, ...]
    similarity: float

    def describe(self) -> str:
        left, right = " ".join(self.query), " ".join(self.listed)
        if left == right:
            return left
        if self.similarity >= 0.999:
            return f"{left}/{right}"
        return f"{left}≈{right} ({self.similarity:.0%})"


@dataclass(frozen=True, slots=True)
class Hit:
    party: int  # the position of the party in the index
    tier: Tier
    score: float  # 0–100
    name: str  # the name or alias that matched, as listed
    primary: bool  # the matched name is the party's main name
    pairs: tuple[Pair, ...] = ()
    unmatched_query: tuple[str, ...] = ()
    unmatched_listed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    literal: bool = False  # the query is the listed name, letter for letter

    def explain(self) -> str:
        """``aligned wuhan, maiwe; not in the query: communication; score 92``."""
        parts = []
        if self.pairs:
            parts.append("aligned " + ", ".join(p.describe() for p in self.pairs))
        if self.unmatched_query:
            parts.append("not on the list: " + ", ".join(self.unmatched_query))
        if self.unmatched_listed:
            parts.append("not in the query: " + ", ".join(self.unmatched_listed))
        parts.extend(self.notes)
        parts.append(f"score {self.score:.0f}")
        return "; ".join(parts)


class _Form(NamedTuple):
    """One name or alias of a party."""

    party: int
    text: str
    primary: bool
    person: bool
    words: tuple[str, ...]
    family: tuple[int, ...] = ()  # the positions the family name may hold (a person's)


class _Forms(Sequence[_Form]):
    """Every name and alias of the index, column by column; a :class:`_Form` is made when one
    is read (a few hundred per query).

    Columns of numbers, strings and plain tuples of them: the cyclic garbage collector tracks
    none of their items, so a million-entity index adds next to nothing to a collection's
    pause (with an object per name, each full collection walked 1.7 million of them, ~0.9 s).
    """

    def __init__(self) -> None:
        self._party = array("i")
        self._flags = bytearray()  # bit 0: the party's main name; bit 1: a person's
        self._text: list[str] = []
        self._words: list[tuple[str, ...]] = []
        self._family: list[tuple[int, ...]] = []

    def fill(self, parties: Iterable[Party]) -> tuple[array[int], list[str]]:
        """Add every name and alias of ``parties``, numbered in order; for each name added,
        how many distinct words it has (a compact array), and those words in one list."""
        per_form: array[int] = array("q")
        flat: list[str] = []
        # One pass with the columns' bound methods: a million parties make ~1.7 million names.
        add_party, add_flags = self._party.append, self._flags.append
        add_text, add_words, add_family = (
            self._text.append,
            self._words.append,
            self._family.append,
        )
        add_count, add_flat = per_form.append, flat.extend
        tokens = NameTokens()
        for party_no, party in enumerate(parties):
            flags = party.person << 1
            for text, primary, words, family in _forms_of(party, tokens):
                add_party(party_no)
                add_flags(primary | flags)
                add_text(text)
                add_words(words)
                add_family(family)
                distinct = dict.fromkeys(words)
                add_count(len(distinct))
                add_flat(distinct)
        return per_form, flat

    def __len__(self) -> int:
        return len(self._party)

    @overload
    def __getitem__(self, at: int) -> _Form: ...
    @overload
    def __getitem__(self, at: slice) -> Sequence[_Form]: ...
    def __getitem__(self, at: int | slice) -> _Form | Sequence[_Form]:
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(len(self)))]
        flags = self._flags[at]
        return _Form(
            self._party[at],
            self._text[at],
            bool(flags & 1),
            bool(flags & 2),
            self._words[at],
            self._family[at],
        )


# A name or alias as an index build reads it: its text, whether it is the party's main name, its
# words and the positions its family name may hold.
_NameForm = tuple[str, bool, tuple[str, ...], tuple[int, ...]]


def _forms_of(party: Party, tokens: NameTokens) -> list[_NameForm]:
    person = party.person
    if len(party.names) == 1:  # most parties: one name, nothing to compare it with
        (text,) = party.names
        words, positions = _words_of(text, person, tokens)
        return [(text, True, words, positions)] if words else []
    forms: list[_NameForm] = []
    seen: set[tuple[str, ...]] = set()
    seen_text: set[str] = set()
    for at, text in enumerate(party.names):
        # Names are matched lower-cased: an alias that differs only in case adds nothing.
        lowered = text.lower()
        if lowered in seen_text:
            continue
        seen_text.add(lowered)
        words, positions = _words_of(text, person, tokens)
        if not words or words in seen:
            continue
        seen.add(words)
        forms.append((text, at == 0, words, positions))
    return forms


def _words_of(
    text: str, person: bool, tokens: NameTokens
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The words of a listed name and the positions its family name may hold."""
    if not person:
        return tokens.organisation(text), _NO_POSITIONS
    family_text, comma, given_text = text.partition(",")
    if not comma:  # "Given FAMILY" or "FAMILY Given": either end may be the family name
        words = tokens.person(family_text)
        return words, _family_either_end(len(words))
    family = tokens.person(family_text)
    words = family + tokens.person(given_text)
    return words, _family_first(len(family)) if family else _family_either_end(len(words))


_NO_POSITIONS: tuple[int, ...] = ()


@cache
def _family_first(count: int) -> tuple[int, ...]:
    """The positions of a family name of ``count`` words written first (a few shared tuples)."""
    return tuple(range(count))


@cache
def _family_either_end(count: int) -> tuple[int, ...]:
    """The first and the last position of a name of ``count`` words (none when empty)."""
    return tuple(sorted({0, count - 1})) if count else _NO_POSITIONS


# Big cities and regions of the countries this brief follows; countries come from rigour.
_PLACES = (
    "beijing shanghai shenzhen guangzhou hangzhou wuhan tianjin chongqing chengdu xiamen dalian "
    "qingdao ningbo suzhou nanjing harbin xian changsha zhengzhou jinan shenyang hefei fuzhou "
    "kunming dongguan foshan zhuhai yiwu urumqi hebei henan hubei hunan guangdong jiangsu "
    "zhejiang shandong fujian sichuan yunnan liaoning jilin heilongjiang xinjiang shanxi shaanxi "
    "jiangxi anhui guangxi hainan guizhou gansu inner mongolia kowloon macau macao moscow "
    "petersburg novosibirsk yekaterinburg kazan vladivostok khabarovsk rostov samara kaliningrad "
    "crimea sevastopol siberia tatarstan chelyabinsk perm omsk minsk dubai istanbul almaty "
    "tashkent bishkek tehran asia europe pacific eastern western northern southern far east "
    "caribbean mediterranean baltic arctic atlantic gulf persian balkan caucasus ural volga "
    "eurasia eurasian euro latin nordic scandinavia oriental"
)


@cache
def place_words() -> frozenset[str]:
    """Words that name a country or a big city: common in company names, never distinctive."""
    # Cold start: the name libraries load with the first name matched.
    from rigour.territories import get_territories  # noqa: PLC0415

    words = set(name_tokens(_PLACES, organisation=False))
    for territory in get_territories():
        for text in (territory.name, territory.full_name, territory.in_sentence):
            if text:
                words.update(name_tokens(text, organisation=False))
    return frozenset(w for w in words if len(w) > 2)


# Words of trades and industries: rare on a sanctions list, yet in any number of company names
# anywhere. Like a place, such a word never makes a hit on its own: a company whose name shares
# nothing with a listed one but its trade ("Nordic Paper AB", MEHRAN PAPER MILL) is not a
# possible match. (Common words, "trading", "group", "bank", weigh little already.)
_GENERIC = (
    "paper pulp mill mills timber wood lumber forest forestry steel iron metal metals "
    "metallurgical aluminium aluminum copper gold golden silver mining mine mines minerals coal "
    "oil gas petroleum petrochemical refinery refining chemical chemicals pharma pharmaceutical "
    "pharmaceuticals medical textile textiles garment garments apparel cotton leather food foods "
    "agro agricultural agriculture farm farming fishing fisheries seafood dairy sugar grain "
    "tobacco cement concrete glass plastic plastics rubber paint fertilizer fertilizers "
    "machinery machine equipment tools parts components materials electronics electronic "
    "electric electrical energy power solar automotive auto motor motors aviation aerospace "
    "marine maritime shipping shipyard logistics transport freight cargo express construction "
    "engineering industries industry industrial manufacturing factory plant works products "
    "trading trade import export supply supplies commercial services solutions systems "
    "technology technologies software digital telecom communications network media security "
    "consulting management investment investments capital finance financial holding holdings "
    "development resources ventures enterprise enterprises agency distribution wholesale retail "
    "insurance hotel tourism"
)


@cache
def generic_words() -> frozenset[str]:
    """Words of trades and industries, as the screener spells them (see :data:`_GENERIC`)."""
    return frozenset(name_tokens(_GENERIC, organisation=False))


def _has_digit(word: str) -> bool:
    # A word of letters only (most names) holds no digit: one C call instead of a loop.
    return not word.isalpha() and any(c.isdigit() for c in word)


@lru_cache(maxsize=100_000)
def _metaphone(word: str) -> str:
    # Cold start: the name libraries load with the first name matched.
    from rigour.text.phonetics import metaphone  # noqa: PLC0415

    return metaphone(word) if len(word) >= 4 and word.isalpha() else ""


class _ByLength:
    """Words sorted by length, so a fuzzy look-up scans only the lengths that can reach the
    cutoff (``fuzz.ratio`` ≥ c needs the shorter word to be ≥ c/(200-c) of the longer)."""

    def __init__(self, words: Sequence[str]) -> None:
        # Cold start: the name libraries load with the first name matched.
        from rapidfuzz import process  # noqa: PLC0415

        self._process = process
        order = sorted(range(len(words)), key=lambda i: len(words[i]))
        self._words = [words[i] for i in order]
        self._index = np.array(order, dtype=np.int64)
        self._lengths = np.array([len(w) for w in self._words], dtype=np.int64)

    def similar(self, query: str, cutoff: float, limit: int) -> list[tuple[int, float]]:
        factor = cutoff / (200.0 - cutoff)
        low = int(np.searchsorted(self._lengths, int(len(query) * factor), side="left"))
        high = int(np.searchsorted(self._lengths, int(len(query) / factor) + 1, side="left"))
        if high <= low:
            return []
        scores = self._process.cdist(
            [query], self._words[low:high], scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8
        )[0]
        hits = np.nonzero(scores)[0]
        if len(hits) > limit:
            hits = hits[np.argsort(-scores[hits], kind="stable")[:limit]]
        return [(int(self._index[low + h]), float(scores[h])) for h in hits]


class NameIndex:
    """Every name and alias of a sequence of parties, ready for :meth:`screen`."""

    def __init__(self, parties: Iterable[Party]) -> None:
        self._forms = _Forms()
        # The inverted index as two arrays: the names holding word i are
        # ``_owners[_starts[i]:_starts[i + 1]]`` (ascending), one int32 per (name, word).
        # Each name's distinct words in one list, numbered in order of first appearance in one
        # pass (pandas' hash table); how many each name has in a compact array.
        per_form, flat = self._forms.fill(parties)
        codes, uniques = pd.factorize(np.array(flat, dtype=object), sort=False)
        del flat
        word_no: dict[str, int] = dict(zip(uniques.tolist(), range(len(uniques)), strict=True))
        words = codes.astype(np.int32)
        owners = np.repeat(
            np.arange(len(self._forms), dtype=np.int32), np.frombuffer(per_form, dtype=np.int64)
        )
        self._owners = owners[np.argsort(words, kind="stable")]
        counts_int = np.bincount(words, minlength=len(word_no))
        self._starts = np.concatenate(([0], np.cumsum(counts_int))).astype(np.int64)
        del words, owners
        self._vocabulary = list(word_no)
        self._word_no = word_no
        total = max(len(self._forms), 1)
        counts = counts_int.astype(np.float64)
        self._common_df = max(40.0, _COMMON_SHARE * total)
        self._max_weight = math.log(1.0 + total)
        places = place_words()
        self._common = (counts >= self._common_df) | np.array(
            [w in places for w in self._vocabulary], dtype=bool
        )
        self._weights = np.where(self._common, 1.0, np.log(1.0 + total / np.maximum(counts, 1.0)))
        self._by_length = _ByLength(self._vocabulary)
        sounds: dict[str, list[int]] = defaultdict(list)
        for at, word in enumerate(self._vocabulary):
            key = _metaphone(word)
            if key:
                sounds[key].append(at)
        self._sounds = {key: tuple(group) for key, group in sounds.items()}
        # Query words recur (a watchlist rescreened, a batch of names, the same legal and trade
        # words): their look-up in the vocabulary is kept, a bounded number of them.
        self._similar: dict[str, dict[int, float]] = {}

    def __len__(self) -> int:
        return len(self._forms)

    def _posting(self, word_no: int) -> np.ndarray:
        """The names (form numbers, ascending) that hold the word numbered ``word_no``."""
        return self._owners[self._starts[word_no] : self._starts[word_no + 1]]

    # --- word statistics --------------------------------------------------------------

    def weight(self, word: str) -> float:
        """How much a word says about a name: its inverse document frequency on the lists; a
        common word ("bank", "trading", "group") or a place weighs 1, a word not on the lists
        the most."""
        at = self._word_no.get(word)
        if at is None:
            if any(c.isdigit() for c in word):
                return 2.0  # a number is checked apart (numbers that differ demote a hit)
            return 1.0 if word in place_words() else self._max_weight
        return float(self._weights[at])

    def is_common(self, word: str) -> bool:
        """A word in many listed names, or a country or big city: it cannot carry a hit."""
        at = self._word_no.get(word)
        return word in place_words() if at is None else bool(self._common[at])

    # --- screening --------------------------------------------------------------------

    def screen(
        self,
        query: str,
        *,
        person: bool | None = None,
        limit: int | None = None,
        include_possible: bool = True,
    ) -> list[Hit]:
        """The parties whose names match ``query``, best first: matches, then possible
        matches (unless ``include_possible`` is false); one hit per party.

        ``person`` says what the query names when the caller knows it (True: a person; False:
        an organisation, vessel or aircraft); a hit of the other kind is at most possible.
        """
        organisation = person is not True
        words = self._without_misspelt_forms(name_tokens(query, organisation=organisation))
        # Unknown kind: compared with a person's names, the query keeps the words a legal form
        # removes ("Lenovo Group Limited" is no LEONOV, Oleg).
        as_person = name_tokens(query, organisation=False) if person is None else words
        if not words:
            return []
        # What each candidate is compared with, worked out once per query.
        folded = fold(query)
        weighed = {kind: [self.weight(w) for w in kind] for kind in {words, as_person}}
        best: dict[int, Hit] = {}
        for form_no in self._candidates(words):
            form = self._forms[form_no]
            query_words = as_person if form.person else words
            hit = self._score(
                form,
                query_words,
                weighed[query_words],
                person_hint=person,
                query_text=query,
                folded_query=folded,
            )
            if hit is None:
                continue
            if hit.tier is Tier.POSSIBLE and not include_possible:
                continue
            current = best.get(form.party)
            if current is None or _rank(hit) < _rank(current):
                best[form.party] = hit
        ranked = sorted(best.values(), key=_rank)
        return ranked[:limit] if limit is not None else ranked

    def _without_misspelt_forms(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The words but a misspelt legal form ("LIMIETD", "COMAPNY") that no listed name has."""
        kept = tuple(
            w
            for w in words
            if w in self._word_no
            or len(w) < 5
            or max(fuzz.ratio(w, form) for form in _LONG_LEGAL_FORMS) < 80
        )
        return kept or words

    def _similar_words(self, word: str) -> dict[int, float]:
        """Vocabulary words like ``word`` (position → similarity 0–1); kept per word."""
        found = self._similar.get(word)
        if found is None:
            found = self._look_up(word)
            if len(self._similar) >= _SIMILAR_KEPT:
                self._similar.clear()
            self._similar[word] = found
        return found

    def _look_up(self, word: str) -> dict[int, float]:
        out: dict[int, float] = {}
        exact = self._word_no.get(word)
        if exact is not None:
            out[exact] = 1.0
        if len(word) <= 3 or word.isdigit():
            return out
        for at, score in self._by_length.similar(word, _WORD_CUTOFF, limit=40):
            out[at] = max(out.get(at, 0.0), score / 100.0)
        for at in self._sounds.get(_metaphone(word), ()):
            out[at] = max(out.get(at, 0.0), word_similarity(word, self._vocabulary[at]))
        # Written as one word on one side and two on the other ("nordgold" / NORD GOLD).
        if len(word) >= 6:
            for cut in range(3, len(word) - 2):
                for half in (word[:cut], word[cut:]):
                    part = self._word_no.get(half)
                    if part is not None and len(half) >= 3:
                        out[part] = max(out.get(part, 0.0), 0.8)
        return out

    def _candidates(self, words: tuple[str, ...]) -> list[int]:
        weights = np.array([self.weight(w) for w in words], dtype=np.float64)
        total = float(weights.sum())
        # Zeroed lazily by the system: the work below is in proportion to the postings read,
        # not to the number of names (a million-entity index has 1.7 million).
        upper = np.zeros(len(self._forms), dtype=np.float32)
        for word, weight in zip(words, weights, strict=True):
            similar = self._similar_words(word)
            if not similar:
                continue
            best = np.zeros(len(self._forms), dtype=np.float32)
            postings = []
            for at, score in similar.items():
                owners = self._posting(at)
                best[owners] = np.maximum(best[owners], score)
                postings.append(owners)
            # Each name holding a similar word gains its best similarity times the word's
            # share (a name in two postings is written twice, with the same value).
            touched = np.concatenate(postings)
            upper[touched] = upper[touched] + best[touched] * np.float32(weight / total)
        # Two query words written as one on the list ("jsc argument" / JSCARGUMENT).
        for first, second in itertools.pairwise(words):
            joined = self._word_no.get(first + second)
            if joined is not None:
                owners = self._posting(joined)
                upper[owners] = np.maximum(upper[owners], 0.9)
        found = np.nonzero(upper >= 0.35)[0]
        if len(found) > CANDIDATES:
            found = found[np.argsort(-upper[found], kind="stable")[:CANDIDATES]]
        return [int(i) for i in found]

    def _score(
        self,
        form: _Form,
        query: tuple[str, ...],
        q_weights: list[float],
        *,
        person_hint: bool | None,
        query_text: str,
        folded_query: str,
    ) -> Hit | None:
        pairs = _align(query, form.words, form.person)
        l_weights = [self.weight(w) for w in form.words]
        q_total, l_total = sum(q_weights), sum(l_weights)
        q_used: set[int] = set()
        l_used: set[int] = set()
        q_cover = l_cover = 0.0
        for q_at, l_at, similarity in pairs:
            q_used.update(q_at)
            l_used.update(l_at)
            q_cover += similarity * sum(q_weights[i] for i in q_at)
            l_cover += similarity * sum(l_weights[i] for i in l_at)
        q_share = q_cover / q_total if q_total else 0.0
        l_share = l_cover / l_total if l_total else 0.0
        score = 100.0 * (0.7 * q_share + 0.3 * l_share)
        rare = [
            (sim, l_at)
            for _, l_at, sim in pairs
            if any(not self.is_common(form.words[i]) for i in l_at)
        ]
        # A hit needs a rare word aligned closely: "bank", "trading" or "group" alone is not
        # one, nor a word that is merely like another ("Crystalord" / CRYSTAL, "Midea" / MIEA).
        carriers = [
            (sim, l_at)
            for sim, l_at in rare
            if sim >= 0.88 and (sim == 1.0 or sum(len(form.words[i]) for i in l_at) > 4)
        ]
        # The query is the listed name letter for letter (folded only where it decides).
        literal: bool | None = None
        if not carriers:
            literal = folded_query == fold(form.text)
            if not literal:
                return None
        notes: list[str] = []
        if form.person:
            if l_used.isdisjoint(form.family):
                return None  # a person's family name must align
            family = [
                display_word(form.words[i], form.text)
                for i in sorted(l_used.intersection(form.family))
            ]
            notes.append("family name " + " ".join(family) + " aligned")
        unmatched_query = [query[i] for i in range(len(query)) if i not in q_used]
        unmatched_listed = [form.words[i] for i in range(len(form.words)) if i not in l_used]
        places = place_words()
        if (
            any(w in places for w in unmatched_query)
            and any(w in places for w in unmatched_listed)
            and not any(query[i] in places for i in q_used)
        ):
            score -= 15.0  # Air China is not Iran Air
            notes.append("places differ")
        if score < POSSIBLE_SCORE:
            return None
        rare_aligned = len(rare)
        if (
            not form.person
            and l_share < 0.5
            and not any(
                sim == 1.0 and max(self.weight(form.words[i]) for i in l_at) >= _STRONG_WEIGHT
                for sim, l_at in rare
            )
        ):
            return None  # most of a company's name is unaccounted for, and nothing rare aligns
        generic = generic_words()
        if (
            unmatched_query
            and unmatched_listed
            and all(
                all(query[i] in generic for i in q_at)
                or all(form.words[i] in generic for i in l_at)
                for q_at, l_at, _ in pairs
            )
        ):
            # Only trade words in common, and more on both sides: "Nordic Paper AB" is not
            # MEHRAN PAPER MILL, "Amur Gold Mining" not HIGHLAND GOLD MINING, "Asia Pharma"
            # not PHARA, Kim.
            return None
        if rare_aligned == 1 and unmatched_query and unmatched_listed:
            # One shared word and more on both sides: only a rare word is worth a look
            # ("Bank of Communications" is not IRAN COMMUNICATION INDUSTRIES).
            (l_at,) = [l_at for _, l_at in rare]
            if max(self.weight(form.words[i]) for i in l_at) < _ONE_WORD_WEIGHT:
                return None
        tier = Tier.MATCH
        if unmatched_query and (
            rare_aligned < 2 or any(not self.is_common(w) for w in unmatched_query)
        ):
            tier = Tier.POSSIBLE
        if score < MATCH_SCORE or q_share < 0.88 or l_share < 0.5 or "places differ" in notes:
            tier = Tier.POSSIBLE
        if any(p[2] < 0.85 for p in pairs) and q_share < 0.95:
            tier = Tier.POSSIBLE
        if _numbers_differ(query, form.words, q_used):
            tier = Tier.POSSIBLE
            notes.append("numbers differ")
        if person_hint is not None and person_hint != form.person:
            tier = Tier.POSSIBLE
            notes.append("listed as " + ("a person" if form.person else "not a person"))
        return Hit(
            party=form.party,
            tier=tier,
            score=round(score, 1),
            name=form.text,
            primary=form.primary,
            pairs=tuple(
                Pair(
                    tuple(display_word(query[i], query_text) for i in q_at),
                    tuple(display_word(form.words[i], form.text) for i in l_at),
                    round(sim, 2),
                )
                for q_at, l_at, sim in pairs
            ),
            unmatched_query=tuple(display_word(w, query_text) for w in unmatched_query),
            unmatched_listed=tuple(display_word(w, form.text) for w in unmatched_listed),
            literal=folded_query == fold(form.text) if literal is None else literal,
            notes=tuple(notes),
        )


_LONG_FORMS = {
    "hk": "hong kong", "pmc": "private military company", "tech": "technology",
    "intl": "international", "mfg": "manufacturing", "bros": "brothers", "natl": "national",
    "eng": "engineering", "ind": "industries", "electron": "electronics", "svc": "services",
    "corp": "corporation", "co": "company", "st": "saint",
}  # fmt: skip


@lru_cache(maxsize=65_536)
def display_word(word: str, text: str) -> str:
    """The word as written in ``text`` for a matching key (``guangjou`` → ``guangzhou``,
    ``svc`` → ``services``), so an explanation reads like the names it compares."""
    for written in fold(text).split():
        if spell(written) == word or name_tokens(written) == (word,):
            return written
    return _LONG_FORMS.get(word, word)


def _rank(hit: Hit) -> tuple[int, float, int, int, str]:
    tier = 0 if hit.tier is Tier.MATCH else 1
    return (tier, -hit.score, 0 if hit.literal else 1, 0 if hit.primary else 1, hit.name)


@lru_cache(maxsize=200_000)
def word_similarity(left: str, right: str) -> float:
    """How alike two name words are (0–1): equal 1; numbers only when equal; otherwise the
    Levenshtein ratio, raised to 0.9 when both sound alike (metaphone: Covart / Kovart)."""
    if left == right:
        return 1.0
    if _has_digit(left) or _has_digit(right):
        return 0.0
    shorter = min(len(left), len(right))
    if shorter <= 2:
        return 0.0
    ratio = fuzz.ratio(left, right) / 100.0
    if (
        len(left) == len(right) >= 5
        and OSA.distance(left, right) == 1
        and Levenshtein.distance(left, right) == 2
    ):
        ratio = max(ratio, 0.92)  # two letters swapped: the commonest typo ("Bahaij" / BAHAJI)
    if shorter <= 3:
        return ratio if Levenshtein.distance(left, right) <= 1 and ratio >= 0.8 else 0.0
    sound = _metaphone(left)
    if ratio >= 0.75 and sound and sound == _metaphone(right):
        ratio = max(ratio, 0.9)  # Poutine / Putin, Serej / Sergei
    return ratio if ratio >= WORD_SIMILARITY else 0.0


def _align(
    query: tuple[str, ...], listed: tuple[str, ...], person: bool = False
) -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    """Pairs of query and listed word positions, best first, each word used once; a word may
    pair with two adjacent words written as one on the other side."""
    edges: list[tuple[float, tuple[int, ...], tuple[int, ...]]] = []
    for qi, q in enumerate(query):
        for li, word in enumerate(listed):
            sim = word_similarity(q, word)
            if sim:
                edges.append((sim, (qi,), (li,)))
        if len(q) >= 6:
            for li in range(len(listed)):
                # In the listed order; a person's names in either ("Ramimakhlouf").
                for lj in (li - 1, li + 1) if person else (li + 1,):
                    if 0 <= lj < len(listed):
                        joined = listed[li] + listed[lj]
                        sim = fuzz.ratio(q, joined) / 100.0
                        if sim >= _COMPOUND_SIMILARITY:
                            edges.append((sim, (qi,), (min(li, lj), max(li, lj))))
    for qi in range(len(query) - 1):
        joined = query[qi] + query[qi + 1]
        for li, word in enumerate(listed):
            if len(word) >= 6:
                sim = fuzz.ratio(joined, word) / 100.0
                if sim >= _COMPOUND_SIMILARITY:
                    edges.append((sim, (qi, qi + 1), (li,)))
    edges.sort(key=lambda e: (-e[0], -len(e[1]) - len(e[2])))
    q_used: set[int] = set()
    l_used: set[int] = set()
    chosen: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
    for sim, q_at, l_at in edges:
        if q_used.isdisjoint(q_at) and l_used.isdisjoint(l_at):
            q_used.update(q_at)
            l_used.update(l_at)
            chosen.append((q_at, l_at, sim))
    chosen.sort(key=lambda c: c[0])
    return chosen


def _numbers_differ(query: tuple[str, ...], listed: tuple[str, ...], q_used: set[int]) -> bool:
    """Both names carry numbers and none of the query's found its equal ("HAO FAN 2" / 6)."""
    q_numbers = {w for w in query if _has_digit(w)}
    l_numbers = {w for w in listed if _has_digit(w)}
    return bool(q_numbers and l_numbers and not (q_numbers & l_numbers))
