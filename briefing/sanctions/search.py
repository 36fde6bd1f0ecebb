"""The in-memory sanctions index: fuzzy name search over the lists in force.

Built lazily, on the first sanctions query, from the newest stored list of each source, and
cached on the :class:`~briefing.core.Briefing` (``_sanctions_index``) until
:meth:`~briefing.core.Briefing.refresh` drops it after an ingest. A trade question never
touches it.

Matching works on :func:`~briefing.sanctions.normalise.name_key` keys of every name and alias:

1. each query word is looked up in the vocabulary of all name words with
   ``rapidfuzz.process.extract`` (``fuzz.ratio``, so a typo or a transliteration left-over
   still finds its word), and the names holding those words become candidates;
2. the whole query, words sorted, is compared with every name, words sorted
   (``process.extract`` with ``fuzz.ratio`` — order-free, catches run-together words);
3. a candidate's score weighs how much of the query it covers (most) against how much of the
   name is left unmatched (a little), so "wuhan maiwe" finds WUHAN MAIWE COMMUNICATION CO LTD
   and ranks KALASHNIKOV CONCERN above KALASHNIKOV, Alexander Petrovich for "kalashnikov".
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz, process

from briefing.sanctions.diff import ListDiff, diff_lists
from briefing.sanctions.model import Entry, Snapshot
from briefing.sanctions.normalise import LEGAL_FORM_WORDS, name_key
from briefing.sanctions.store import in_force, list_snapshots, load_entries

if TYPE_CHECKING:
    from briefing.core import Briefing

MATCH_THRESHOLD = 82.0
WORD_CUTOFF = 75.0
COVERAGE_FLOOR = 80.0
_LEGAL_FORMS = sorted(w for w in LEGAL_FORM_WORDS if len(w) >= 5)
_IDENTIFIER = re.compile(r"^(?=.*\d)[0-9A-Za-z\-./]{6,}$")


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    snapshot: Snapshot
    score: float
    matched: str  # the name or alias (or identifier) that matched

    @property
    def via_alias(self) -> bool:
        return self.matched != self.entry.name


def _near_legal_form(word: str) -> bool:
    if len(word) < 5:
        return False
    return process.extractOne(word, _LEGAL_FORMS, scorer=fuzz.ratio, score_cutoff=80) is not None


class _ByLength:
    """Strings sorted by length, so a fuzzy lookup only scans the lengths that can reach the
    cutoff (``fuzz.ratio`` ≥ c needs the shorter string to be ≥ c/(200-c) of the longer)."""

    def __init__(self, strings: Sequence[str]) -> None:
        order = sorted(range(len(strings)), key=lambda i: len(strings[i]))
        self._strings = [strings[i] for i in order]
        self._index = np.array(order, dtype=np.int64)
        self._lengths = np.array([len(s) for s in self._strings], dtype=np.int64)

    def similar(self, query: str, cutoff: float, limit: int) -> list[tuple[int, float]]:
        """(original index, score) of the ``limit`` best strings scoring ≥ ``cutoff``."""
        factor = cutoff / (200.0 - cutoff)
        low = int(np.searchsorted(self._lengths, int(len(query) * factor), side="left"))
        high = int(np.searchsorted(self._lengths, int(len(query) / factor) + 1, side="left"))
        if high <= low:
            return []
        scores = process.cdist(
            [query],
            self._strings[low:high],
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            dtype=np.uint8,
        )[0]
        hits = np.nonzero(scores)[0]
        if len(hits) > limit:
            hits = hits[np.argsort(-scores[hits], kind="stable")[:limit]]
        return [(int(self._index[low + h]), float(scores[h])) for h in hits]


class SanctionsIndex:
    """Names and aliases of the lists in force, ready for fuzzy search."""

    def __init__(self, lists: Sequence[tuple[Snapshot, Sequence[Entry]]]) -> None:
        self.lists = tuple((snap, tuple(entries)) for snap, entries in lists)
        self._owner: list[tuple[int, int]] = []
        self._text: list[str] = []
        self._words: list[tuple[str, ...]] = []
        sorted_keys: list[str] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for list_no, (_, entries) in enumerate(self.lists):
            for entry_no, entry in enumerate(entries):
                keys: dict[str, str] = {}
                for text in (entry.name, *entry.aliases):
                    key = name_key(text)
                    if key and key not in keys:
                        keys[key] = text
                for key, text in keys.items():
                    choice = len(self._text)
                    words = tuple(key.split())
                    self._owner.append((list_no, entry_no))
                    self._text.append(text)
                    self._words.append(words)
                    sorted_keys.append(" ".join(sorted(words)))
                    for word in set(words):
                        postings[word].append(choice)
        self._vocabulary = list(postings)
        self._postings = [np.array(postings[w], dtype=np.int64) for w in self._vocabulary]
        self._word_no = {w: i for i, w in enumerate(self._vocabulary)}
        self._by_word_length = _ByLength(self._vocabulary)
        self._by_name_length = _ByLength(sorted_keys)
        # Remarks and details of every entry in one string, for identifier look-ups.
        texts = [f"{e.remarks} {e.details}".lower() for _, e in self.entries()]
        lengths = [len(t) + 1 for t in texts]
        starts = np.asarray(np.cumsum([0, *lengths[:-1]]) if texts else [], dtype=np.int64)
        owners = [
            (list_no, entry_no)
            for list_no, (_, entries) in enumerate(self.lists)
            for entry_no in range(len(entries))
        ]
        self._haystack = ("\0".join(texts), starts, owners)

    def __len__(self) -> int:
        return sum(len(entries) for _, entries in self.lists)

    @property
    def snapshots(self) -> tuple[Snapshot, ...]:
        return tuple(snap for snap, _ in self.lists)

    def entries(self) -> list[tuple[Snapshot, Entry]]:
        return [(snap, e) for snap, entries in self.lists for e in entries]

    def search(self, query: str, limit: int = 5, threshold: float = MATCH_THRESHOLD) -> list[Match]:
        """The best ``limit`` entries scoring at least ``threshold`` (0–100), best first."""
        best: dict[tuple[int, int], tuple[float, str]] = {}
        for choice, score in self._score(query, threshold).items():
            owner = self._owner[choice]
            if owner not in best or score > best[owner][0]:
                best[owner] = (score, self._text[choice])
        for owner, token in self._identifier_hits(query).items():
            best[owner] = (100.0, f"identifier {token}")
        ranked = sorted(
            best.items(),
            key=lambda item: (-item[1][0], self.lists[item[0][0]][1][item[0][1]].name),
        )
        out: list[Match] = []
        for (list_no, entry_no), (score, matched) in ranked:
            if score < threshold or len(out) >= limit:
                break
            snap, entries = self.lists[list_no]
            out.append(Match(entries[entry_no], snap, round(score, 1), matched))
        return out

    def _similar_words(self, word: str, exact_will_do: bool = False) -> dict[str, float]:
        if len(word) <= 2 or (exact_will_do and word in self._word_no):
            return {word: 100.0} if word in self._word_no else {}
        found = self._by_word_length.similar(word, WORD_CUTOFF, limit=40)
        return {self._vocabulary[i]: score for i, score in found}

    def _score(self, query: str, threshold: float) -> dict[int, float]:
        words = name_key(query).split()
        # A misspelt legal form ("COMAPNY", "LIMTED") is dropped like a well-spelt one.
        words = [w for w in words if not _near_legal_form(w)] or words
        if not words:
            return {}
        weights = [float(len(w)) for w in words]
        total_weight = sum(weights)
        # An upper bound of each name's coverage of the query, vectorised over all names;
        # only names that can reach the threshold are scored exactly.
        upper = np.zeros(len(self._text), dtype=np.float32)
        similar = []
        # In a long query, a word spelt as on the list needs no fuzzy neighbours.
        exact_will_do = len(words) >= 3
        for word, weight in zip(words, weights, strict=True):
            hits = self._similar_words(word, exact_will_do)
            similar.append(hits)
            best = np.zeros(len(self._text), dtype=np.float32)
            for hit, score in hits.items():
                owners = self._postings[self._word_no[hit]]
                best[owners] = np.maximum(best[owners], score)
            upper += best * (weight / total_weight)
        candidates = set(np.nonzero(upper >= min(threshold, COVERAGE_FLOOR))[0].tolist())
        whole = dict(self._by_name_length.similar(" ".join(sorted(words)), threshold, limit=20))
        candidates.update(whole)
        return {
            choice: max(self._exact_score(choice, similar, weights), whole.get(choice, 0.0))
            for choice in candidates
        }

    def _exact_score(
        self, choice: int, similar: list[dict[str, float]], weights: list[float]
    ) -> float:
        """Coverage of the query (each name word used once) weighed with the share of the
        name that the query accounts for."""
        free = list(self._words[choice])
        covered = 0.0
        used_length = 0
        for index in sorted(range(len(weights)), key=lambda i: -weights[i]):
            hits = similar[index]
            best_at, best_score = -1, 0.0
            for at, word in enumerate(free):
                score = hits.get(word, 0.0)
                if score > best_score:
                    best_at, best_score = at, score
            if best_at >= 0:
                covered += weights[index] * best_score
                used_length += len(free.pop(best_at))
        coverage = covered / sum(weights)
        name_length = sum(len(w) for w in self._words[choice]) or 1
        precision = 100.0 * used_length / name_length
        score = 0.85 * coverage + 0.15 * precision
        return min(score, coverage) if coverage < COVERAGE_FLOOR else score

    def _identifier_hits(self, query: str) -> dict[tuple[int, int], str]:
        """Entries whose remarks or details hold an identifier from the query (a USCC, IMO,
        INN or registration number)."""
        tokens = [t.strip(".,;") for t in query.split() if _IDENTIFIER.match(t.strip(".,;"))]
        if not tokens:
            return {}
        text, starts, owners = self._haystack
        out = {}
        for token in tokens:
            for found in re.finditer(re.escape(token.lower()), text):
                at = int(np.searchsorted(starts, found.start(), side="right")) - 1
                out[owners[at]] = token
        return out


class SanctionsData:
    """What the sanctions commands read: the snapshot list and fuzzy indexes by as-of date."""

    def __init__(self, brief: Briefing) -> None:
        self._engine = brief.engine
        with self._engine.connect() as conn:
            self.snapshots: tuple[Snapshot, ...] = tuple(list_snapshots(conn))
        self._indexes: dict[tuple[int, ...], SanctionsIndex] = {}
        self._diffs: dict[tuple[int, int], ListDiff] = {}
        self._lock = threading.Lock()

    def in_force(self, as_of: date) -> list[Snapshot]:
        return in_force(self.snapshots, as_of)

    def index(self, as_of: date) -> SanctionsIndex:
        """The index of the lists in force on ``as_of`` (built once per set of lists)."""
        chosen = self.in_force(as_of)
        key = tuple(s.snapshot_id for s in chosen)
        with self._lock:
            found = self._indexes.get(key)
            if found is None:
                with self._engine.connect() as conn:
                    lists = [(s, load_entries(conn, s.snapshot_id)) for s in chosen]
                found = SanctionsIndex(lists)
                if len(self._indexes) >= 4:
                    self._indexes.pop(next(iter(self._indexes)))
                self._indexes[key] = found
        return found

    def diff(self, base: Snapshot, current: Snapshot) -> ListDiff:
        """What changed from ``base`` to ``current`` (same source), computed once."""
        key = (base.snapshot_id, current.snapshot_id)
        with self._lock:
            found = self._diffs.get(key)
            if found is None:
                with self._engine.connect() as conn:
                    old = load_entries(conn, base.snapshot_id)
                    new = load_entries(conn, current.snapshot_id)
                found = diff_lists(current.source, base.list_date, old, new, current.list_date)
                self._diffs[key] = found
        return found


_BUILD_LOCK = threading.Lock()


def sanctions(brief: Briefing) -> SanctionsData:
    """The sanctions data cached on ``brief`` (read on first use, dropped by ``refresh()``)."""
    data = brief._sanctions_index
    if isinstance(data, SanctionsData):
        return data
    with _BUILD_LOCK:
        data = brief._sanctions_index
        if not isinstance(data, SanctionsData):
            data = SanctionsData(brief)
            brief._sanctions_index = data
    return data
