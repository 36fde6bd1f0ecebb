"""The in-memory sanctions index: screening of names, aliases and identifiers on the lists in
force.

Built lazily, on the first sanctions query, from the newest stored list of each source, and
held by the :class:`~briefing.appstate.Briefing` (its ``sanctions`` field) until
:meth:`~briefing.appstate.Briefing.refresh` drops it after an ingest. A trade question never
touches it.

Names and aliases go into a :class:`~briefing.sanctions.screen.NameIndex`, which returns tiered
hits (match / possible match) with the words that aligned; a number of six characters or more
with a digit is also looked up in the remarks (USCC, IMO, INN, registration numbers).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from briefing.db import paused_gc
from briefing.sanctions.diff import ListDiff, diff_frames
from briefing.sanctions.identifiers import Identifier, identifiers
from briefing.sanctions.model import Entry, Snapshot, entry_url
from briefing.sanctions.parties import PartyMap, load_party_map, own_id, party_entries
from briefing.sanctions.screen import NameIndex, Party, Tier
from briefing.sanctions.store import (
    in_force,
    list_snapshots,
    load_entries,
    load_entries_by_key,
    load_frame,
)

if TYPE_CHECKING:
    from briefing.appstate import Briefing

__all__ = ["Match", "SanctionsData", "SanctionsIndex", "Tier", "sanctions"]

_IDENTIFIER = re.compile(r"^(?=.*\d)[0-9A-Za-z\-./]{6,}$")
PERSON_TYPES = frozenset({"individual", "person"})


@dataclass(frozen=True, slots=True)
class Match:
    """A listed entry that matches a query: its tier, score and why."""

    entry: Entry
    snapshot: Snapshot
    score: float
    matched: str  # the name or alias (or "identifier X") that matched
    tier: Tier = Tier.MATCH
    why: str = ""  # which words aligned, what is missing on either side

    @property
    def via_alias(self) -> bool:
        return self.matched != self.entry.name and not self.via_identifier

    @property
    def via_identifier(self) -> bool:
        return self.matched.startswith("identifier ")

    @property
    def is_match(self) -> bool:
        return self.tier is Tier.MATCH

    @property
    def url(self) -> str | None:
        """The entry's page (OFAC Sanctions List Search, OpenSanctions)."""
        return entry_url(self.snapshot.source.key, self.entry.entity_key)

    @property
    def identifiers(self) -> tuple[Identifier, ...]:
        return identifiers(self.entry.remarks, self.entry.details)


# The columns the index is built from; the rest of an entry is read when a reply shows it.
INDEX_COLUMNS = ("entity_key", "name", "entity_type", "aliases", "remarks", "details")
_ENTRY_CACHE = 4096  # entries read back for replies, kept per index


_DIGIT_WORD = re.compile(r"\S*[0-9]\S*")


def _identifier_words(text: str) -> str:
    """The words of ``text`` that hold a digit, lower-cased: a query identifier (no spaces,
    at least one digit 0-9) can only be found inside one of them."""
    return " ".join(_DIGIT_WORD.findall(text.lower()))


# Whitespace to ``str.split`` and ``\s`` beyond ASCII: made a plain space before the text is read
# as bytes. As bytes: the ASCII whitespace and the NUL that ends an entry's text separate words.
_WIDE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_SEPARATOR = np.zeros(256, dtype=bool)
_SEPARATOR[[0, *b" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"]] = True
_HAYSTACK_BLOCK = 2_048  # entries read as one array: a few small arrays at a time


def _digit_words(joined: str) -> str:
    """The words of ``joined`` (entries' texts, NUL-separated) that hold a digit 0-9, each
    entry's joined by single spaces: what :func:`_identifier_words` gives for each entry, found
    with array operations over the text's bytes (a regex visits each character in Python's
    engine; at a million entries that took a sixth of the index build)."""
    if not joined.isascii():
        joined = _WIDE_SPACE.sub(" ", joined)
    raw = np.frombuffer(joined.encode(), dtype=np.uint8)
    separator = _SEPARATOR[raw]
    bounds = np.flatnonzero(np.diff(separator, prepend=True, append=True))
    starts, ends = bounds[0::2], bounds[1::2]  # each word's first byte and the byte after it
    if not len(starts):  # separators only: each entry's text is empty
        return "\x00" * joined.count("\x00")
    digit = (raw - np.uint8(48)) < 10
    kept = np.logical_or.reduceat(digit, starts)
    marks = np.zeros(len(raw) + 1, dtype=np.int8)
    marks[starts[kept]] = 1
    marks[ends[kept]] = -1
    at = np.flatnonzero(np.cumsum(marks[:-1], dtype=np.int8).astype(bool) | (raw == 0))
    out = raw[at]
    # One space between two words kept from the same entry (bytes apart, neither a NUL).
    between = (np.diff(at) > 1) & (out[:-1] != 0) & (out[1:] != 0)
    return np.insert(out, np.flatnonzero(between) + 1, np.uint8(32)).tobytes().decode()


def _haystack(remarks: Sequence[str], details: Sequence[str]) -> tuple[str, np.ndarray]:
    """Every entry's :func:`_identifier_words` of its remarks and details, NUL-joined, and
    where each entry's text starts."""
    if not remarks:
        return "", np.zeros(0, dtype=np.int64)
    texts = map(" ".join, zip(remarks, details, strict=True))
    text = "\x00".join(
        _digit_words("\x00".join(islice(texts, _HAYSTACK_BLOCK)).lower())
        for _ in range(0, len(remarks), _HAYSTACK_BLOCK)
    )
    lengths = np.fromiter(map(len, text.split("\x00")), dtype=np.int64, count=len(remarks))
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)
    return text, starts


class SanctionsIndex:
    """Names and aliases of the lists in force, ready for screening.

    Built from entries in memory, or (:meth:`from_database`) from the few columns screening
    needs, the full entries of the hits read from the database when a reply shows them: a
    million-entry list is indexed without a million entries in memory.
    """

    def __init__(
        self,
        lists: Sequence[tuple[Snapshot, Sequence[Entry]]],
        *,
        _rows: Sequence[tuple[Snapshot, pd.DataFrame]] | None = None,
        _engine: Engine | None = None,
    ) -> None:
        self._engine = _engine
        self._lists: tuple[tuple[Snapshot, tuple[Entry, ...]], ...] | None = None
        self._snapshots: tuple[Snapshot, ...]
        self._keys: list[list[str]] = []
        if _rows is None:
            self._lists = tuple((snap, tuple(entries)) for snap, entries in lists)
            self._snapshots = tuple(snap for snap, _ in self._lists)
            self._keys = [[e.entity_key for e in entries] for _, entries in self._lists]
            parties = (
                Party((e.name, *e.aliases), e.entity_type.lower() in PERSON_TYPES)
                for _, entries in self._lists
                for e in entries
            )
            remarks = [e.remarks for _, entries in self._lists for e in entries]
            details = [e.details for _, entries in self._lists for e in entries]
        else:
            self._snapshots = tuple(snap for snap, _ in _rows)
            self._keys = [frame["entity_key"].tolist() for _, frame in _rows]
            parties = (
                Party(
                    (name, *(aliases.split("\n") if aliases else ())),
                    kind.lower() in PERSON_TYPES,
                )
                for _, frame in _rows
                for name, kind, aliases in zip(
                    frame["name"].tolist(),
                    frame["entity_type"].tolist(),
                    frame["aliases"].tolist(),
                    strict=True,
                )
            )
            remarks = [text for _, frame in _rows for text in frame["remarks"].tolist()]
            details = [text for _, frame in _rows for text in frame["details"].tolist()]
        sizes = [len(keys) for keys in self._keys]
        # Party number → (list, entry) as two compact arrays.
        self._list_of = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        self._entry_of = np.concatenate(
            [np.arange(n, dtype=np.int32) for n in sizes] or [np.zeros(0, dtype=np.int32)]
        )
        self.names = NameIndex(parties)
        # The identifier-bearing words of every entry in one string, for identifier look-ups.
        self._haystack = _haystack(remarks, details)
        del remarks, details
        self._cache: OrderedDict[int, Entry] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._parties: PartyMap | None = None

    @classmethod
    def from_database(cls, engine: Engine, snapshots: Sequence[Snapshot]) -> SanctionsIndex:
        """The index of ``snapshots``, read from the database column-wise."""
        # Millions of words, tuples and postings, none in a reference cycle.
        with paused_gc():
            with engine.connect() as conn:
                rows = [(s, load_frame(conn, s.snapshot_id, INDEX_COLUMNS)) for s in snapshots]
            return cls((), _rows=rows, _engine=engine)

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._keys)

    @property
    def snapshots(self) -> tuple[Snapshot, ...]:
        return self._snapshots

    @property
    def lists(self) -> tuple[tuple[Snapshot, tuple[Entry, ...]], ...]:
        """Every entry of every list (read from the database on first use when the index was
        built from it)."""
        if self._lists is None:
            assert self._engine is not None
            with self._engine.connect() as conn:
                self._lists = tuple(
                    (snap, tuple(load_entries(conn, snap.snapshot_id))) for snap in self._snapshots
                )
        return self._lists

    def entries(self) -> list[tuple[Snapshot, Entry]]:
        return [(snap, e) for snap, entries in self.lists for e in entries]

    def entries_of(self, parties: Sequence[int]) -> list[tuple[Snapshot, Entry]]:
        """The list and full entry of each party numbered in ``parties``: those not read
        before are read from the database together, one statement per list."""
        located = [(int(self._list_of[p]), int(self._entry_of[p])) for p in parties]
        if self._lists is not None:
            return [
                (self._snapshots[list_no], self._lists[list_no][1][entry_no])
                for list_no, entry_no in located
            ]
        found: dict[int, Entry] = {}
        with self._cache_lock:
            for party in parties:
                cached = self._cache.get(party)
                if cached is not None:
                    self._cache.move_to_end(party)
                    found[party] = cached
        missing: dict[int, dict[str, int]] = {}  # list → entity key → party
        for party, (list_no, entry_no) in zip(parties, located, strict=True):
            if party not in found:
                missing.setdefault(list_no, {})[self._keys[list_no][entry_no]] = party
        if missing:
            assert self._engine is not None
            with self._engine.connect() as conn:
                for list_no, wanted in missing.items():
                    snap = self._snapshots[list_no]
                    read = load_entries_by_key(conn, snap.snapshot_id, list(wanted))
                    for key, party in wanted.items():
                        if key not in read:
                            raise LookupError(
                                f"entry {key!r} of snapshot {snap.snapshot_id} is not stored"
                            )
                        found[party] = read[key]
            with self._cache_lock:
                for party in (p for keyed in missing.values() for p in keyed.values()):
                    self._cache[party] = found[party]
                    if len(self._cache) > _ENTRY_CACHE:
                        self._cache.popitem(last=False)
        return [
            (self._snapshots[list_no], found[party])
            for party, (list_no, _) in zip(parties, located, strict=True)
        ]

    def screen(
        self, query: str, *, person: bool | None = None, include_possible: bool = True
    ) -> list[Match]:
        """Every entry matching ``query``: identifier hits and matches first, then possible
        matches (unless ``include_possible`` is false), best first."""
        by_identifier = self._identifier_hits(query)
        hits = [
            hit
            for hit in self.names.screen(query, person=person, include_possible=include_possible)
            if hit.party not in by_identifier
        ]
        # Every entry shown is read at once (one statement per list, not one per hit).
        shown = self.entries_of([*by_identifier, *(hit.party for hit in hits)])
        split = len(by_identifier)
        ranked = [
            Match(
                entry,
                snap,
                100.0,
                f"identifier {token}",
                Tier.MATCH,
                f"identifier {token} in the entry's remarks",
            )
            for token, (snap, entry) in zip(by_identifier.values(), shown[:split], strict=True)
        ]
        for hit, (snap, entry) in zip(hits, shown[split:], strict=True):
            ranked.append(Match(entry, snap, hit.score, hit.name, hit.tier, hit.explain()))
        # Stable: the name index's own order (score, then a letter-for-letter hit first)
        # holds within each tier.
        return sorted(ranked, key=lambda m: 0 if m.is_match else 1)

    # --- one party across lists (see briefing.sanctions.parties) ---------------------

    def party_map(self) -> PartyMap:
        """The parties of these lists (OpenSanctions referents), read on first use."""
        if self._parties is None:
            if self._engine is not None:
                self._parties = load_party_map(self._engine, self._snapshots)
            else:
                self._parties = PartyMap.from_entries(self.lists)
        return self._parties

    def party_key(self, match: Match) -> str:
        return self.party_map().key(match.snapshot.source.key, match.entry.entity_key)

    def party_members(self, match: Match) -> list[tuple[Snapshot, Entry]]:
        """Every entry of these lists that is ``match``'s party (``match``'s own entry too)."""
        ids = self.party_map().members(self.party_key(match))
        if self._engine is not None and self._lists is None:
            return party_entries(self._engine, self._snapshots, ids)
        return [
            (snap, e)
            for snap, entries in self.lists
            for e in entries
            if own_id(snap.source.key, e.entity_key) in ids
        ]

    def list_keys(self, list_no: int) -> list[str]:
        """The entity keys of one list of the index, without reading its entries."""
        return self._keys[list_no]

    def search(self, query: str, limit: int = 5) -> list[Match]:
        """The best ``limit`` entries for ``query`` (matches before possible matches)."""
        return self.screen(query)[:limit]

    def _identifier_hits(self, query: str) -> dict[int, str]:
        """Entries whose remarks or details hold an identifier from the query (a USCC, IMO,
        INN or registration number)."""
        tokens = [t.strip(".,;") for t in query.split() if _IDENTIFIER.match(t.strip(".,;"))]
        if not tokens:
            return {}
        text, starts = self._haystack
        out = {}
        for token in tokens:
            for found in re.finditer(re.escape(token.lower()), text):
                out[int(np.searchsorted(starts, found.start(), side="right")) - 1] = token
        return out


_SharedKey = tuple[str, tuple[tuple[int, str], ...]]
_SHARED: OrderedDict[_SharedKey, SanctionsIndex] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_KEEP_SHARED = 4


def shared_index(engine: Engine, snapshots: Sequence[Snapshot]) -> SanctionsIndex:
    """The index of ``snapshots`` (read from the database), one per process and set of lists:
    searches, watchlist rescreens and batch screening on the same lists share it."""
    key = (str(engine.url), tuple((s.snapshot_id, s.content_hash) for s in snapshots))
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is not None:
            _SHARED.move_to_end(key)
            return found
        # An index holding another version of one of these lists is dropped first: a
        # million-entry index is not kept beside the one that replaces it.
        sources = {(s.source.key, s.snapshot_id) for s in snapshots}
        names = {source for source, _ in sources}
        for other in [k for k, v in _SHARED.items() if k[0] == key[0]]:
            held = {(s.source.key, s.snapshot_id) for s in _SHARED[other].snapshots}
            if any(source in names and (source, at) not in sources for source, at in held):
                del _SHARED[other]
        found = SanctionsIndex.from_database(engine, snapshots)
        while len(_SHARED) >= _KEEP_SHARED:
            _SHARED.popitem(last=False)
        _SHARED[key] = found
        return found


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
                found = shared_index(self._engine, chosen)
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
                    old = load_frame(conn, base.snapshot_id)
                    new = load_frame(conn, current.snapshot_id)
                found = diff_frames(current.source, base.list_date, old, new, current.list_date)
                self._diffs[key] = found
        return found


def sanctions(brief: Briefing) -> SanctionsData:
    """The sanctions data of ``brief`` (read on first use, dropped by ``refresh()``)."""
    return brief.sanctions
