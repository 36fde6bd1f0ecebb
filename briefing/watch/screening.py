"""Screening watched names: each entry's status on each list, and what changed on a new list.

Each list source (OFAC SDN, OFAC Consolidated, each OpenSanctions dataset) is screened on its
own index (:class:`~briefing.sanctions.search.SanctionsIndex` over that list alone), so a
name's tier on one list version compares with its tier on the next. The hits (at most
:data:`MAX_HITS` per entry and list: matches, then possible matches) are stored in
``watch_status`` with the list version they were found on.

Hints sharpen the explanation: a person's date of birth that differs from every DOB the
listed entry gives demotes a match to a possible match and says so; one that agrees, and the
country, are noted.

A rescreen (:func:`rescreen`) compares a new list version with each entry's stored hits: newly
matched or possibly matched, match details changed (name, type, programmes, aliases,
addresses, countries; a tier that moved), delisted (the entry is gone from the list), no longer
a hit (still listed, but the name no longer matches it). Only names that can have changed are
screened again: those whose stored hits name an entry the new list added, changed or removed;
those with a word (or two adjacent words written as one) close enough to align with a rare
word of an added or changed entry (see :class:`_Vocabulary`: a hit needs one) and enough of
whose word weight can align with such entries' words at all for the score of a possible match
(:func:`_may_score`); those equal
letter for letter to such an entry's name or alias; those with a number; and those last
screened on another version than the previous list. The others keep their hits, now dated by
the new version. A possible match that appears or fades on an entry the new list did not touch
(the word weights of a new list moving a borderline score) is stored but not alerted; a match
that does is.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from briefing.delivery.poster import ChannelRef
from briefing.replies import Line, Section, format_date
from briefing.sanctions.diff import ListDiff, diff_frames
from briefing.sanctions.identifiers import birth_years, identifiers
from briefing.sanctions.model import Entry, Snapshot, entry_url
from briefing.sanctions.normalise import fold, name_tokens
from briefing.sanctions.parties import (
    PartyMap,
    describe_listings,
    listings_of,
    load_party_map,
    own_id,
    party_entries,
)
from briefing.sanctions.screen import POSSIBLE_SCORE
from briefing.sanctions.search import PERSON_TYPES, Match, SanctionsIndex, Tier, shared_index
from briefing.sanctions.store import in_force, list_snapshots, load_frame
from briefing.updates import line_to_dict
from briefing.watch.entries import WatchEntry, all_entries
from briefing.watch.tables import (
    watch_entries_table,
    watch_rescreens_table,
    watch_status_table,
)

MAX_HITS = 3
MAX_ALERT_ITEMS = 40  # per section of one alert
_FUZZY_CUTOFF = 75.0  # below this Levenshtein ratio two words never align
_LONG_FORMS = ("limited", "company", "corporation", "incorporated", "liability")
_CARRIER_RATIO = 86  # a rare word carries a hit at 0.88 (two written as one at 0.86)


def version_of(snap: Snapshot) -> str:
    """A list version: its date and the start of its content hash."""
    return f"{snap.list_date.isoformat()}:{snap.content_hash[:12]}"


def list_label(snap: Snapshot) -> str:
    return f"{snap.source.title} of {format_date(snap.list_date)}"


# -- hits --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WatchHit:
    """One listed entry a watched name hit, as stored (enough to explain and to compare)."""

    key: str
    tier: str  # Tier value
    score: float
    matched: str  # the listed name or alias that matched
    why: str
    name: str
    entity_type: str
    programmes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    url: str | None = None
    party: str = ""  # the party across lists (briefing.sanctions.parties); "" before it was kept
    # What identifies the entry (DOB, passport, tax and registration numbers…, read from its
    # remarks); None for hits stored before they were kept.
    identifiers: tuple[str, ...] | None = None

    @property
    def is_match(self) -> bool:
        return self.tier == Tier.MATCH.value

    @property
    def via_alias(self) -> bool:
        return self.matched != self.name and not self.matched.startswith("identifier ")

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "tier": self.tier,
            "score": round(self.score, 1),
            "matched": self.matched,
            "why": self.why,
            "name": self.name,
            "type": self.entity_type,
            "programmes": list(self.programmes),
            "aliases": list(self.aliases),
            "addresses": list(self.addresses),
            "countries": list(self.countries),
            "url": self.url,
            "party": self.party,
            "identifiers": list(self.identifiers) if self.identifiers is not None else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> WatchHit:
        return cls(
            key=str(raw["key"]),
            tier=str(raw["tier"]),
            score=float(raw["score"]),
            matched=str(raw["matched"]),
            why=str(raw["why"]),
            name=str(raw["name"]),
            entity_type=str(raw["type"]),
            programmes=tuple(raw.get("programmes") or ()),
            aliases=tuple(raw.get("aliases") or ()),
            addresses=tuple(raw.get("addresses") or ()),
            countries=tuple(raw.get("countries") or ()),
            url=raw.get("url"),
            party=str(raw.get("party") or ""),
            identifiers=(
                tuple(str(i) for i in raw["identifiers"])
                if raw.get("identifiers") is not None
                else None
            ),
        )


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _hints(entry: WatchEntry, listed: Entry, tier: Tier) -> tuple[Tier, list[str]]:
    notes: list[str] = []
    spec = entry.spec
    if spec.entity_type is not None:
        listed_type = "person" if listed.entity_type.lower() in PERSON_TYPES else listed.entity_type
        if listed_type.lower() != spec.entity_type:
            notes.append(f"listed as {_a(listed_type.lower())}, not {_a(spec.entity_type)}")
            if tier is Tier.MATCH:
                tier = Tier.POSSIBLE
                notes.append("so at most a possible match")
    if spec.dob:
        found = identifiers(listed.remarks, listed.details)
        years = birth_years(found)
        if years:
            year = int(spec.dob[:4])
            listed_dobs = ", ".join(i.value for i in found if i.label == "DOB")
            if year in years:
                notes.append(f"year of birth {year} agrees (listed DOB {listed_dobs})")
            else:
                notes.append(f"DOB {spec.dob} differs from the listed DOB {listed_dobs}")
                if tier is Tier.MATCH:
                    tier = Tier.POSSIBLE
                    notes.append("so at most a possible match")
    if spec.country and listed.countries:
        # Cold start: the name libraries load with the first name matched.
        from rigour.territories import get_territory  # noqa: PLC0415

        territory = get_territory(spec.country.lower())
        names = {
            n.lower()
            for n in (
                (territory.name, territory.full_name) if territory is not None else (spec.country,)
            )
            if n
        }
        if names & {c.lower() for c in listed.countries}:
            notes.append(f"country {spec.country} agrees")
        else:
            notes.append(f"country {spec.country} not among {', '.join(listed.countries[:4])}")
    return tier, notes


def screen_entry(
    index: SanctionsIndex, entry: WatchEntry, parties: PartyMap | None = None
) -> list[WatchHit]:
    """The best hits of ``entry`` on the list ``index`` holds, matches first; each names its
    party across the loaded lists (``parties``; else the entry's own id)."""
    matches: list[Match] = index.screen(entry.spec.name, person=entry.spec.person)
    hits: list[WatchHit] = []
    for match in matches[: MAX_HITS * 2]:
        listed = match.entry
        tier, notes = _hints(entry, listed, match.tier)
        why = match.why
        if match.via_alias:
            why = f"the alias “{match.matched}” — {why}"
        if notes:
            why = f"{why}; {'; '.join(notes)}"
        hits.append(
            WatchHit(
                key=listed.entity_key,
                tier=tier.value,
                score=match.score,
                matched=match.matched,
                why=why,
                name=listed.name,
                entity_type=listed.entity_type,
                programmes=listed.programmes,
                aliases=listed.aliases,
                addresses=listed.addresses,
                countries=listed.countries,
                url=entry_url(match.snapshot.source.key, listed.entity_key),
                party=(
                    parties.key(match.snapshot.source.key, listed.entity_key)
                    if parties is not None
                    else own_id(match.snapshot.source.key, listed.entity_key)
                ),
                identifiers=tuple(str(i) for i in match.identifiers),
            )
        )
    hits.sort(key=lambda h: 0 if h.is_match else 1)  # stable: score order within a tier
    return hits[:MAX_HITS]


def hits_json(hits: Sequence[WatchHit]) -> str:
    return json.dumps([h.to_dict() for h in hits], ensure_ascii=False)


def hits_from_json(text: str) -> list[WatchHit]:
    return [WatchHit.from_dict(d) for d in json.loads(text)]


# -- per-list indexes --------------------------------------------------------------------------


def list_index(engine: Engine, snap: Snapshot) -> SanctionsIndex:
    """The index of one stored list alone: the search index of that list (built once per
    process and list, read from the database column-wise), shared with ``sanctions`` searches
    when it is the only list loaded, and with batch screening."""
    return shared_index(engine, [snap])


_DIFF_KEYS = ("entity_key", "fingerprint")


def list_diff(engine: Engine, previous: Snapshot, snap: Snapshot) -> ListDiff:
    """What changed from ``previous`` to ``snap`` (one source), read from the database: the
    keys and fingerprints of both lists first, then only the rows that were added, removed or
    whose fingerprint moved (an unchanged entry was copied with its fingerprint), so a
    million-entry list is never read whole."""
    with engine.connect() as conn:
        old = load_frame(conn, previous.snapshot_id, _DIFF_KEYS)
        new = load_frame(conn, snap.snapshot_id, _DIFF_KEYS)
        before = dict(zip(old["entity_key"].tolist(), old["fingerprint"].tolist(), strict=True))
        after = dict(zip(new["entity_key"].tolist(), new["fingerprint"].tolist(), strict=True))
        del old, new
        moved = [
            k for k, f in after.items() if f is None or before.get(k, _ABSENT) != f
        ]  # added, changed, or stored without a fingerprint
        gone = [k for k in before if k not in after]
        old_rows = load_frame(conn, previous.snapshot_id, keys=[*moved, *gone])
        new_rows = load_frame(conn, snap.snapshot_id, keys=moved)
    return diff_frames(snap.source, previous.list_date, old_rows, new_rows, snap.list_date)


_ABSENT = object()


def current_lists(engine: Engine) -> list[Snapshot]:
    """The newest list of each source whose entries are kept."""
    with engine.connect() as conn:
        return in_force(list_snapshots(conn), date.max)


# -- statuses ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Status:
    source_key: str
    source_title: str
    source_url: str | None
    version: str
    list_date: date
    hits: tuple[WatchHit, ...]

    @property
    def best(self) -> WatchHit | None:
        return self.hits[0] if self.hits else None

    @property
    def word(self) -> str:
        best = self.best
        if best is None:
            return "clear"
        return best.tier


def _insert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def screen_and_store(
    engine: Engine, entries: Sequence[WatchEntry], now: datetime
) -> dict[int, list[Status]]:
    """Screen ``entries`` on every current list and store their statuses; by entry id."""
    out: dict[int, list[Status]] = {e.entry_id: [] for e in entries}
    if not entries:
        return out
    rows: list[dict[str, Any]] = []
    lists = current_lists(engine)
    parties = load_party_map(engine, lists)
    for snap in lists:
        index = list_index(engine, snap)
        version = version_of(snap)
        for entry in entries:
            hits = screen_entry(index, entry, parties)
            out[entry.entry_id].append(
                Status(
                    snap.source.key,
                    snap.source.title,
                    snap.source.url,
                    version,
                    snap.list_date,
                    tuple(hits),
                )
            )
            rows.append(_status_row(entry.entry_id, snap, hits, now))
    ids = [e.entry_id for e in entries]
    with engine.begin() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            conn.execute(delete(watch_status_table).where(watch_status_table.c.entry_id.in_(chunk)))
        for start in range(0, len(rows), 500):
            conn.execute(watch_status_table.insert(), rows[start : start + 500])
    return out


def _status_row(
    entry_id: int, snap: Snapshot, hits: Sequence[WatchHit], now: datetime
) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "source_key": snap.source.key,
        "version": version_of(snap),
        "list_date": snap.list_date,
        "hits_json": hits_json(hits),
        "screened_at": now.astimezone(UTC),
    }


def statuses_of(engine: Engine, entry_ids: Sequence[int]) -> dict[int, list[Status]]:
    """The stored statuses of the given entries (on the lists still current), by entry id."""
    sources = {s.source.key: s.source for s in current_lists(engine)}
    out: dict[int, list[Status]] = {i: [] for i in entry_ids}
    t = watch_status_table.c
    with engine.connect() as conn:
        for start in range(0, len(entry_ids), 500):
            chunk = list(entry_ids[start : start + 500])
            for row in conn.execute(select(watch_status_table).where(t.entry_id.in_(chunk))):
                source = sources.get(row.source_key)
                if source is None:
                    continue
                out[int(row.entry_id)].append(
                    Status(
                        row.source_key,
                        source.title,
                        source.url,
                        row.version,
                        row.list_date,
                        tuple(hits_from_json(row.hits_json)),
                    )
                )
    for found in out.values():
        found.sort(key=lambda s: (not s.source_key.startswith("ofac"), s.source_key))
    return out


# -- rescreening -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One change for one watched name."""

    kind: str  # match | possible | changed | delisted | cleared
    entry: WatchEntry
    hit: WatchHit
    detail: str = ""
    # The same party's other entries on this list, and every list that names the party.
    others: tuple[Item, ...] = ()
    lists: str = ""


SECTIONS = (
    ("match", "Newly matched"),
    ("possible", "Newly possibly matched"),
    ("changed", "Match details changed"),
    ("delisted", "Delisted"),
    ("cleared", "No longer a hit"),
)


def _listing(values: Iterable[str]) -> str:
    shown = list(values)
    text = "; ".join(shown[:4])
    return text + (f" (+{len(shown) - 4} more)" if len(shown) > 4 else "")


def _changes(old: WatchHit, new: WatchHit) -> list[str]:
    parts: list[str] = []
    if old.tier != new.tier:
        parts.append(f"now a {new.tier} (was a {old.tier})")
    if old.name != new.name:
        parts.append(f"renamed from {old.name}")
    if old.entity_type != new.entity_type:
        parts.append(f"type now {new.entity_type} (was {old.entity_type})")
    for label, before, after in (
        ("programmes", old.programmes, new.programmes),
        ("aliases", old.aliases, new.aliases),
        ("addresses", old.addresses, new.addresses),
        ("countries", old.countries, new.countries),
    ):
        gained = [v for v in after if v not in before]
        lost = [v for v in before if v not in after]
        if label == "programmes":
            if gained:
                parts.append(f"now also under {', '.join(gained)}")
            if lost:
                parts.append(f"no longer under {', '.join(lost)}")
            continue
        if gained:
            parts.append(f"{label} added: {_listing(gained)}")
        if lost:
            parts.append(f"{label} removed: {_listing(lost)}")
    # The rest of the remarks (risk notes, wording) is not news; what identifies the party is.
    if old.identifiers is not None and new.identifiers is not None:
        gained = [v for v in new.identifiers if v not in old.identifiers]
        lost = [v for v in old.identifiers if v not in new.identifiers]
        if gained:
            parts.append(f"identifiers added: {_listing(gained)}")
        if lost:
            parts.append(f"identifiers removed: {_listing(lost)}")
    return parts


def compare(  # noqa: PLR0917
    entry: WatchEntry,
    old: Sequence[WatchHit],
    new: Sequence[WatchHit],
    still_listed: set[str] | frozenset[str],
    added_keys: set[str] | frozenset[str] = frozenset(),
    touched: set[str] | frozenset[str] | None = None,
) -> list[Item]:
    """What changed for ``entry`` between its stored hits and its hits on the new list.

    ``touched``: the keys the new list added, changed or removed (None: not known). A possible
    match that appears or fades on an entry the list did not touch is the word weights of a
    new list moving a borderline score, not news: it is stored, not alerted. A match that
    appears or goes always is."""
    old_by = {h.key: h for h in old}
    new_by = {h.key: h for h in new}
    items: list[Item] = []
    for key, hit in new_by.items():
        before = old_by.get(key)
        if before is None:
            if touched is not None and key not in touched and not hit.is_match:
                continue
            detail = "added to the list" if key in added_keys else ""
            items.append(Item("match" if hit.is_match else "possible", entry, hit, detail))
            continue
        parts = _changes(before, hit)
        if parts:
            items.append(Item("changed", entry, hit, "; ".join(parts)))
    for key, hit in old_by.items():
        if key in new_by:
            continue
        if key not in still_listed:
            items.append(Item("delisted", entry, hit))
        elif touched is None or key in touched or hit.is_match:
            items.append(Item("cleared", entry, hit))
    return items


_KIND_ORDER = {kind: at for at, (kind, _) in enumerate(SECTIONS)}


def by_party(items: Sequence[Item], lists_of: Callable[[str], str] | None = None) -> list[Item]:
    """One item per watched name and party: a party with several entries on the list (OFAC
    lists some companies twice; OpenSanctions' referents say they are one) is one line, under
    the section of its strongest change, with the others noted; ``lists_of`` gives the lists
    that name the party."""
    grouped: dict[tuple[int, str], list[Item]] = {}
    for item in items:
        party = item.hit.party or item.hit.key
        grouped.setdefault((item.entry.entry_id, party), []).append(item)
    out: list[Item] = []
    for (_, party), found in grouped.items():
        found.sort(key=lambda i: _KIND_ORDER.get(i.kind, len(_KIND_ORDER)))
        first = found[0]
        lists = lists_of(party) if lists_of is not None else ""
        out.append(replace(first, others=tuple(found[1:]), lists=lists))
    return out


def _tokens(text: str) -> set[tuple[str, ...]]:
    """A name's words as a company's and as a person's name (legal forms dropped or kept)."""
    return {name_tokens(text), name_tokens(text, organisation=False)}


@dataclass(frozen=True, slots=True)
class _Form:
    """One name or alias of an added or changed entry, as the screener holds it."""

    words: tuple[str, ...]
    weights: tuple[float, ...]
    pairs: dict[str, tuple[int, int]]  # two adjacent words written as one → their positions

    @property
    def total(self) -> float:
        return sum(self.weights)


class _Vocabulary:
    """The words of the entries a new list added or changed: which watched names they can be
    hits for.

    A hit needs a rare listed word aligned at a similarity of 0.88 or more (or a name equal
    letter for letter): a Levenshtein ratio of 0.88 (0.86 for two words written as one), or
    0.75 when the two words sound alike (metaphone), or two letters swapped; and any two words
    align only from a ratio of 0.75. :meth:`near` answers both: which listed words a word may
    align with, and which rare ones it may carry a hit on."""

    def __init__(self, forms: Sequence[_Form], index: SanctionsIndex) -> None:
        self.owners: dict[str, set[int]] = {}  # word (or pair) → the forms holding it
        self.rare: dict[str, set[int]] = {}  # the same for the rare words (and pairs with one)
        for at, form in enumerate(forms):
            rare = [not index.names.is_common(w) for w in form.words]
            for word, is_rare in zip(form.words, rare, strict=True):
                self.owners.setdefault(word, set()).add(at)
                if is_rare:
                    self.rare.setdefault(word, set()).add(at)
            for pair, (i, j) in form.pairs.items():
                self.owners.setdefault(pair, set()).add(at)
                if rare[i] or rare[j]:
                    self.rare.setdefault(pair, set()).add(at)
        self.words = sorted(self.owners)

    def near(self, tokens: Sequence[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """For each of ``tokens``: the listed words it may align with, and the rare ones it may
        carry a hit on (tokens with none are left out)."""
        aligns: dict[str, set[str]] = {}
        carries: dict[str, set[str]] = {}
        if not self.words or not tokens:
            return aligns, carries
        # Cold start: the name libraries load with the first name matched.
        import numpy as np  # noqa: PLC0415
        from rapidfuzz import fuzz, process  # noqa: PLC0415
        from rapidfuzz.distance import OSA  # noqa: PLC0415
        from rigour.text.phonetics import metaphone  # noqa: PLC0415

        def sound(word: str) -> str:
            return metaphone(word) if len(word) >= 4 and word.isalpha() else ""

        for t in tokens:
            if t in self.owners:
                aligns.setdefault(t, set()).add(t)
                if t in self.rare:
                    carries.setdefault(t, set()).add(t)
        fuzzy = [t for t in tokens if len(t) > 2]
        for start in range(0, len(fuzzy), 2000):
            chunk = fuzzy[start : start + 2000]
            scores = process.cdist(
                chunk, self.words, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, dtype=np.uint8
            )
            rows, cols = np.nonzero(scores)
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                token, word = chunk[row], self.words[col]
                aligns.setdefault(token, set()).add(word)
                if word in self.rare and (
                    scores[row, col] >= _CARRIER_RATIO
                    or (sound(token) != "" and sound(token) == sound(word))
                    or (len(token) == len(word) >= 5 and OSA.distance(token, word) == 1)
                ):
                    carries.setdefault(token, set()).add(word)
        return aligns, carries


def _forms(entries: Iterable[Entry], index: SanctionsIndex) -> tuple[list[_Form], set[str]]:
    """The names and aliases of ``entries`` as the screener holds them, and their folded texts
    (a name equal letter for letter is a hit whatever its words)."""
    forms: list[_Form] = []
    literals: set[str] = set()
    for e in entries:
        person = e.entity_type.lower() in PERSON_TYPES
        for text in (e.name, *e.aliases):
            literals.add(fold(text))
            words = name_tokens(text, organisation=not person)  # a person's keep legal forms
            if not words:
                continue
            pairs = {words[i] + words[i + 1]: (i, i + 1) for i in range(len(words) - 1)}
            weights = tuple(index.names.weight(w) for w in words)
            forms.append(_Form(words, weights, pairs))
    return forms, literals


@dataclass
class RescreenReport:
    """What a rescreen did, for the ingest summary and the benchmark."""

    source_key: str
    version: str
    channels: int = 0
    entries: int = 0
    screened: int = 0  # names screened again (the others kept their hits)
    screened_ids: set[int] = field(default_factory=set)
    alerts: int = 0  # channels with something to tell
    items: dict[ChannelRef, list[Item]] = field(default_factory=dict)


def _query_words(tokenised: set[tuple[str, ...]]) -> tuple[list[str], bool]:
    """The words of a watched name and its adjacent pairs written as one, to look up in a
    :class:`_Vocabulary`; True when it must be screened again anyway (a number may be an
    identifier)."""
    words: set[str] = set()
    for tokens in tokenised:
        words.update(tokens)
        words.update(x + y for x, y in itertools.pairwise(tokens))
    digits = any(any(c.isdigit() for c in w) for w in words)
    return sorted(words), digits or not words


def _may_score(
    index: SanctionsIndex,
    tokenised: set[tuple[str, ...]],
    forms: Sequence[_Form],
    carried: set[int],
    near: dict[str, set[str]],
) -> bool:
    """Can a name (``tokenised``) score a possible match on one of the ``carried`` forms, when a word (or
    two adjacent words) of it aligns at most with the listed words ``near`` gives it? An upper
    bound of the screener's score: every word that may align counts as aligned, fully."""
    # Cold start: the name libraries load with the first name matched.
    from rapidfuzz import fuzz  # noqa: PLC0415

    for tokens in tokenised:
        weights = [index.names.weight(w) for w in tokens]
        # The screener drops a misspelt legal form ("limietd") from a query: not counted.
        counted = [
            w
            for w, t in zip(weights, tokens, strict=True)
            if len(t) < 5 or max(fuzz.ratio(t, form) for form in _LONG_FORMS) < 80
        ]
        q_total = sum(counted) or sum(weights)
        units: list[tuple[tuple[int, ...], set[str]]] = [
            ((i,), near.get(t, set())) for i, t in enumerate(tokens)
        ]
        units += [
            ((i, i + 1), near.get(tokens[i] + tokens[i + 1], set())) for i in range(len(tokens) - 1)
        ]
        for at in carried:
            form = forms[at]
            listed = set(form.words) | set(form.pairs)
            q_used: set[int] = set()
            l_used: set[int] = set()
            for positions, words in units:
                hit = words & listed
                if not hit:
                    continue
                q_used.update(positions)
                for word in hit:
                    if word in form.pairs:
                        l_used.update(form.pairs[word])
                    else:
                        l_used.update(i for i, w in enumerate(form.words) if w == word)
            q_share = sum(weights[i] for i in q_used) / q_total if q_total else 0.0
            l_share = sum(form.weights[i] for i in l_used) / form.total if form.total else 0.0
            if 100.0 * (0.7 * min(q_share, 1.0) + 0.3 * l_share) >= POSSIBLE_SCORE - 1e-6:
                return True
    return False


def rescreen(
    engine: Engine,
    snap: Snapshot,
    previous: Snapshot | None,
    now: datetime,
    *,
    command: str = "/brief",
) -> RescreenReport:
    """Screen every watchlist on the new list ``snap`` (of the same source as ``previous``,
    the list before it) and record, per channel, what changed: one ``watch_rescreens`` row each
    (with its alert when something changed) and the new statuses, in one transaction. A
    channel already rescreened on this version is left alone."""
    version = version_of(snap)
    report = RescreenReport(snap.source.key, version)
    r = watch_rescreens_table.c
    t = watch_entries_table.c
    with engine.connect() as conn:
        done = {
            ChannelRef(p, ws, c)
            for p, ws, c in conn.execute(
                select(r.platform, r.workspace_id, r.channel_id).where(
                    r.source_key == snap.source.key, r.version == version
                )
            )
        }
        watching = {
            ChannelRef(p, ws, c)
            for p, ws, c in conn.execute(
                select(t.platform, t.workspace_id, t.channel_id).distinct()
            )
        }
        if watching <= done:  # every channel done already (the planner's usual pass)
            return report
        entries = [x for x in all_entries(conn) if x.channel not in done]
    if not entries:
        return report
    stored = _stored(engine, snap.source.key, [e.entry_id for e in entries])
    index = list_index(engine, snap)
    lists = current_lists(engine)
    parties = load_party_map(engine, lists)
    still_listed = frozenset(index.list_keys(0))

    previous_version = version_of(previous) if previous is not None else None
    diff: ListDiff | None = None
    if previous is not None and previous.entries_kept:
        diff = list_diff(engine, previous, snap)
    touched: set[str] = set()
    added_keys: set[str] = set()
    vocabulary: _Vocabulary | None = None
    forms: list[_Form] = []
    literals: set[str] = set()
    if diff is not None:
        added_keys = {e.entity_key for e in diff.added}
        touched = added_keys | {e.entity_key for e in diff.removed}
        touched |= {c.after.entity_key for c in diff.changed}
        forms, literals = _forms([*diff.added, *(c.after for c in diff.changed)], index)
        vocabulary = _Vocabulary(forms, index)

    # Which names to screen again.
    must: set[int] = set()
    candidates: dict[int, list[str]] = {}
    tokenised: dict[int, set[tuple[str, ...]]] = {}
    for entry in entries:
        old = stored.get(entry.entry_id)
        if old is not None and old[0] == version:
            continue  # screened on this very list (added since it was loaded)
        if vocabulary is None or old is None or old[0] != previous_version:
            must.add(entry.entry_id)
            continue
        if any(h.key in touched for h in old[1]):
            must.add(entry.entry_id)
            continue
        tokenised[entry.entry_id] = _tokens(entry.spec.name)
        words, always = _query_words(tokenised[entry.entry_id])
        if always or fold(entry.spec.name) in literals:
            must.add(entry.entry_id)
        else:
            candidates[entry.entry_id] = words
    if vocabulary is not None and candidates:
        asked = sorted({t for words in candidates.values() for t in words})
        near_any, near = vocabulary.near(asked)
        for i, words in candidates.items():
            carried = {f for t in words for word in near.get(t, ()) for f in vocabulary.rare[word]}
            if carried and _may_score(index, tokenised[i], forms, carried, near_any):
                must.add(i)

    baseline = previous is None  # the first list of its source: statuses only, no alert
    by_channel: dict[ChannelRef, list[Item]] = {}
    new_rows: list[dict[str, Any]] = []
    kept_ids: list[int] = []
    for entry in entries:
        by_channel.setdefault(entry.channel, [])
        old_hits = stored.get(entry.entry_id, (None, []))[1]
        if entry.entry_id not in must:
            kept_ids.append(entry.entry_id)
            continue
        report.screened += 1
        report.screened_ids.add(entry.entry_id)
        hits = screen_entry(index, entry, parties)
        new_rows.append(_status_row(entry.entry_id, snap, hits, now))
        if not baseline:
            by_channel[entry.channel].extend(
                compare(
                    entry,
                    old_hits,
                    hits,
                    still_listed,
                    added_keys,
                    touched if diff is not None else None,
                )
            )

    described: dict[str, str] = {}

    def lists_of(party: str) -> str:
        """Every loaded list naming the party, when more than one does."""
        if party not in described:
            members = party_entries(engine, lists, parties.members(party))
            found = listings_of(members)
            described[party] = describe_listings(found) if len(found) > 1 else ""
        return described[party]

    rescreen_rows = []
    # One list and nothing linking its entries: every party is one entry on one list.
    linked = len(lists) > 1 or len(parties) > 0
    for channel in list(by_channel):
        by_channel[channel] = by_party(by_channel[channel], lists_of if linked else None)
    for channel, items in by_channel.items():
        title, sections = alert_content(snap, previous, items, command)
        rescreen_rows.append(
            {
                "platform": channel.platform,
                "workspace_id": channel.workspace_id,
                "channel_id": channel.channel_id,
                "source_key": snap.source.key,
                "version": version,
                "list_date": snap.list_date,
                "previous_date": previous.list_date if previous is not None else None,
                "changes": len(items),
                "title": title,
                "lines_json": sections_json(sections),
                "screened_at": now.astimezone(UTC),
            }
        )
        if items:
            report.items[channel] = items
    report.channels = len(by_channel)
    report.entries = len(entries)
    report.alerts = sum(1 for items in by_channel.values() if items)

    s = watch_status_table.c
    with engine.begin() as conn:
        inserted = _insert_rescreens(conn, engine, rescreen_rows)
        if not inserted:
            return report
        # Statuses of channels another process rescreened meanwhile stay as it wrote them.
        mine = {e.entry_id for e in entries if e.channel in inserted}
        kept = [i for i in kept_ids if i in mine]
        for start in range(0, len(kept), 500):
            conn.execute(
                update(watch_status_table)
                .where(s.source_key == snap.source.key, s.entry_id.in_(kept[start : start + 500]))
                .values(version=version, list_date=snap.list_date)
            )
        rows = [row for row in new_rows if row["entry_id"] in mine]
        ids = [row["entry_id"] for row in rows]
        for start in range(0, len(ids), 500):
            conn.execute(
                delete(watch_status_table).where(
                    s.source_key == snap.source.key, s.entry_id.in_(ids[start : start + 500])
                )
            )
        for start in range(0, len(rows), 500):
            conn.execute(watch_status_table.insert(), rows[start : start + 500])
    return report


def _insert_rescreens(
    conn: Connection, engine: Engine, rows: list[dict[str, Any]]
) -> set[ChannelRef]:
    inserted: set[ChannelRef] = set()
    if not rows:
        return inserted
    insert = _insert(engine)
    t = watch_rescreens_table.c
    for start in range(0, len(rows), 200):
        stmt = (
            insert(watch_rescreens_table)
            .values(rows[start : start + 200])
            .on_conflict_do_nothing()
            .returning(t.platform, t.workspace_id, t.channel_id)
        )
        inserted.update(ChannelRef(p, w, c) for p, w, c in conn.execute(stmt))
    return inserted


def _stored(
    engine: Engine, source_key: str, entry_ids: Sequence[int]
) -> dict[int, tuple[str, list[WatchHit]]]:
    s = watch_status_table.c
    out: dict[int, tuple[str, list[WatchHit]]] = {}
    wanted = set(entry_ids)
    with engine.connect() as conn:
        for row in conn.execute(
            select(s.entry_id, s.version, s.hits_json).where(s.source_key == source_key)
        ):
            if int(row.entry_id) in wanted:
                out[int(row.entry_id)] = (str(row.version), hits_from_json(row.hits_json))
    return out


# -- the alert ---------------------------------------------------------------------------------


def _item_line(item: Item, snap: Snapshot) -> Line:
    hit = item.hit
    programmes = ", ".join(hit.programmes) or "no programme given"
    head = f"{item.entry.label()} → {hit.name} — {hit.entity_type} — {programmes}"
    if item.kind in ("match", "possible"):
        text = f"{head}" + (f" ({item.detail})" if item.detail else "") + f"; why: {hit.why}"
    elif item.kind == "changed":
        text = f"{head}: {item.detail}; why: {hit.why}"
    elif item.kind == "delisted":
        text = f"{head}: no longer on the list (was a {hit.tier})"
    else:
        text = f"{head}: still listed, but the name no longer matches it (was a {hit.tier})"
    for other in item.others:
        text += (
            f"; the same party as {snap.source.short} entry {other.hit.key} {other.hit.name}"
            f" ({_KIND_WORDS.get(other.kind, other.kind)})"
        )
    if item.lists:
        text += f"; listed by: {item.lists}"
    where = f"{snap.source.short} entry {hit.key}"
    text = f"{text}. {where}: {hit.url}" if hit.url else f"{text}. {where}"
    return Line(text, snap.source.cite(snap.list_date))


_KIND_WORDS = {
    "match": "newly matched",
    "possible": "newly possibly matched",
    "changed": "details changed",
    "delisted": "delisted",
    "cleared": "no longer a hit",
}


def alert_content(
    snap: Snapshot, previous: Snapshot | None, items: Sequence[Item], command: str
) -> tuple[str, tuple[Section, ...]]:
    """The title and sections of a channel's watchlist alert for one new list version."""
    count = len(items)
    noun = "change" if count == 1 else "changes"
    title = f"Watchlist: {count} {noun} for this channel's names on the {list_label(snap)}"
    sections: list[Section] = []
    for kind, heading in SECTIONS:
        chosen = [i for i in items if i.kind == kind]
        if not chosen:
            continue
        lines = [_item_line(i, snap) for i in chosen[:MAX_ALERT_ITEMS]]
        if len(chosen) > MAX_ALERT_ITEMS:
            lines.append(Line(f"… and {len(chosen) - MAX_ALERT_ITEMS} more: {command} watch list"))
        sections.append(Section(f"{heading} ({len(chosen)})", tuple(lines)))
    if previous is not None and sections:
        sections.append(
            Section(
                None,
                (
                    Line(
                        f"Compared with the list of {format_date(previous.list_date)}. A match: "
                        "the name aligns word for word with a listed name or alias; a possible "
                        "match: enough aligns to deserve a look. Check the identifiers before "
                        "acting."
                    ),
                ),
            )
        )
    return title, tuple(sections)


def sections_json(sections: Sequence[Section]) -> str:
    return json.dumps(
        [
            {"heading": s.heading, "lines": [line_to_dict(line) for line in s.lines]}
            for s in sections
        ],
        ensure_ascii=False,
    )
