"""One party across lists: the entries of several lists that name the same person or company.

OpenSanctions merges the listings of one party from many sources into one entity and says so:
an FtM entity's ``referents`` are the ids the other sources give it (``ofac-16911`` for OFAC
SDN entry 16911, ``gb-hmt-16273``, ``eu-fsf-eu-8282-49``…), its ``datasets`` and ``Sanction``
entities the lists that name it and when. They are stored with each entry (``referents`` and
``listings``, :data:`~briefing.sanctions.store.PARTY_COLUMNS`).

Every stored entry has an *own id* in OpenSanctions' id space (:func:`own_id`): an OFAC entry
``ofac-<ent_num>``, an OpenSanctions entry its ``id``. A :class:`PartyMap` joins own ids and
referents into parties (connected components: an OpenSanctions entity that names two OFAC
entries makes the three one party), and gives each entry its party key — the smallest
OpenSanctions id of the party, or the entry's own id when nothing links it. A
``targets.simple.csv`` row of OpenSanctions' ``us_ofac_sdn`` dataset (id ``ofac-45934``) and
OFAC's entry 45934 share their own id, so they are one party without any referent.

Two entries are never joined on their names: only ids join them, so two companies with similar
names stay two results.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine, select

from briefing.replies import format_date
from briefing.sanctions.model import OFAC_CONS_KEY, OFAC_SDN_KEY, Entry, Snapshot
from briefing.sanctions.store import load_entries_by_key
from briefing.sanctions.tables import entries_table

if TYPE_CHECKING:
    from briefing.sanctions.search import Match

_OFAC_SOURCES = (OFAC_SDN_KEY, OFAC_CONS_KEY)
# The OpenSanctions datasets that are a loaded OFAC list (its line says it already).
_DATASET_SOURCE = {"us_ofac_sdn": OFAC_SDN_KEY, "us_ofac_cons": OFAC_CONS_KEY}
_SOURCE_LABELS = {OFAC_SDN_KEY: "US OFAC SDN", OFAC_CONS_KEY: "US OFAC non-SDN"}
# Readable names of the commonest OpenSanctions datasets; any other is shown as its code.
DATASET_LABELS = {
    "us_ofac_sdn": "US OFAC SDN",
    "us_ofac_cons": "US OFAC non-SDN",
    "us_trade_csl": "US Consolidated Screening List",
    "us_sam_exclusions": "US SAM exclusions",
    "us_bis_denied": "US BIS Denied Persons",
    "eu_fsf": "EU financial sanctions (FSF)",
    "eu_journal_sanctions": "EU Official Journal",
    "eu_sanctions_map": "EU Sanctions Map",
    "eu_travel_bans": "EU travel bans",
    "gb_hmt_sanctions": "UK HM Treasury (OFSI)",
    "gb_fcdo_sanctions": "UK FCDO",
    "gb_coh_disqualified": "UK disqualified directors",
    "un_sc_sanctions": "UN Security Council",
    "ch_seco_sanctions": "Swiss SECO",
    "ca_dfatd_sema_sanctions": "Canada SEMA",
    "au_dfat_sanctions": "Australia DFAT",
    "nz_russia_sanctions": "New Zealand Russia Sanctions Act",
    "jp_mof_sanctions": "Japan MOF",
    "jp_meti_ru": "Japan METI (Russia)",
    "jp_meti_eul": "Japan METI end-user list",
    "ua_nsdc_sanctions": "Ukraine NSDC",
    "ua_war_sanctions": "Ukraine War & Sanctions",
    "fr_tresor_gels_avoir": "France Trésor asset freezes",
    "be_fod_sanctions": "Belgium FPS Finance",
    "mc_fund_freezes": "Monaco fund freezes",
    "lv_fiu_sanctions": "Latvia FIU",
    "tw_shtc": "Taiwan SHTC",
}
_MAX_LISTINGS = 12


def own_id(source_key: str, entity_key: str) -> str:
    """An entry's id in OpenSanctions' id space: ``ofac-<ent_num>`` for OFAC's lists (SDN and
    non-SDN share one numbering), the entity's own id for OpenSanctions data."""
    if source_key in _OFAC_SOURCES and entity_key.isdigit():
        return f"ofac-{entity_key}"
    return entity_key


def dataset_label(dataset: str) -> str:
    return DATASET_LABELS.get(dataset, dataset)


def source_label(snap: Snapshot) -> str:
    return _SOURCE_LABELS.get(snap.source.key, snap.source.short)


class PartyMap:
    """Own ids and referents joined into parties; :meth:`key` gives an entry's party."""

    def __init__(self, links: Iterable[tuple[str, Sequence[str]]] = ()) -> None:
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            root = x
            while parent[root] != root:
                root = parent[root]
            while parent[x] != root:  # path compression
                parent[x], x = root, parent[x]
            return root

        owners: list[str] = []
        for own, referents in links:
            if not referents:
                continue
            owners.append(own)
            parent.setdefault(own, own)
            for other in referents:
                parent.setdefault(other, other)
                a, b = find(own), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        # A party is named after its smallest OpenSanctions id (an entity that linked it).
        name: dict[str, str] = {}
        for own in owners:
            root = find(own)
            if root not in name or own < name[root]:
                name[root] = own
        self._key = {x: name[find(x)] for x in parent}
        members: dict[str, set[str]] = {}
        for x, key in self._key.items():
            members.setdefault(key, set()).add(x)
        self._members = {k: frozenset(v) for k, v in members.items()}

    @classmethod
    def from_entries(cls, lists: Iterable[tuple[Snapshot, Iterable[Entry]]]) -> PartyMap:
        return cls(
            (own_id(snap.source.key, e.entity_key), e.referents)
            for snap, entries in lists
            for e in entries
            if e.referents
        )

    def __len__(self) -> int:
        return len(self._members)

    def key(self, source_key: str, entity_key: str) -> str:
        """The party of an entry: its party's key, or its own id when nothing links it."""
        own = own_id(source_key, entity_key)
        return self._key.get(own, own)

    def members(self, key: str) -> frozenset[str]:
        """Every id the party ``key`` is known by (its own key alone when nothing links it)."""
        return self._members.get(key, frozenset({key}))


_MAPS: dict[tuple[str, tuple[int, ...]], PartyMap] = {}
_MAPS_LOCK = threading.Lock()


def load_party_map(engine: Engine, snapshots: Sequence[Snapshot]) -> PartyMap:
    """The parties of the stored lists ``snapshots`` (only entries with referents are read),
    built once per process and set of lists."""
    cache_key = (str(engine.url), tuple(sorted(s.snapshot_id for s in snapshots)))
    with _MAPS_LOCK:
        found = _MAPS.get(cache_key)
    if found is not None:
        return found
    e = entries_table.c
    links: list[tuple[str, Sequence[str]]] = []
    with engine.connect() as conn:
        for snap in snapshots:
            stmt = select(e.entity_key, e.referents).where(
                e.snapshot_id == snap.snapshot_id, e.referents.is_not(None)
            )
            for entity_key, referents in conn.execute(stmt):
                if referents:
                    links.append((own_id(snap.source.key, entity_key), referents.split("\n")))
    found = PartyMap(links)
    with _MAPS_LOCK:
        while len(_MAPS) >= 8:
            _MAPS.pop(next(iter(_MAPS)))
        _MAPS[cache_key] = found
    return found


def party_entries(
    engine: Engine, snapshots: Sequence[Snapshot], ids: Iterable[str]
) -> list[tuple[Snapshot, Entry]]:
    """Every stored entry of ``snapshots`` whose own id is one of ``ids`` (a party's members),
    in the order of the lists."""
    wanted = set(ids)
    ofac = sorted(i[5:] for i in wanted if i.startswith("ofac-") and i[5:].isdigit())
    out: list[tuple[Snapshot, Entry]] = []
    with engine.connect() as conn:
        for snap in snapshots:
            keys = ofac if snap.source.key in _OFAC_SOURCES else sorted(wanted)
            if keys:
                found = load_entries_by_key(conn, snap.snapshot_id, keys)
                out.extend((snap, found[k]) for k in keys if k in found)
    return out


@dataclass(frozen=True, slots=True)
class Listing:
    """One list that names the party, and when (as far as the data says)."""

    label: str  # "US OFAC SDN", "EU financial sanctions (FSF)"
    day: date | None  # the listing date, or the list's date for a loaded list
    detail: str = ""  # "entry 45934, list of 23 Feb 2024"

    def describe(self) -> str:
        if self.detail:
            return f"{self.label} ({self.detail})"
        return f"{self.label} (listed {format_date(self.day)})" if self.day else self.label


def listings_of(
    members: Sequence[tuple[Snapshot, Entry]], as_of: date | None = None
) -> list[Listing]:
    """Every list naming the party whose loaded entries are ``members``: each loaded list
    (OFAC's with its entry and list date), then what OpenSanctions entities say of other lists,
    dated ones first (earliest first), then undated ones by name; a list once. A listing dated
    after ``as_of`` is left out (it was not known then)."""
    by_list: dict[int, tuple[Snapshot, list[Entry]]] = {}
    said: dict[str, Listing] = {}
    sources = {snap.source.key for snap, _ in members}
    for snap, entry in members:
        if not snap.source.is_opensanctions:
            by_list.setdefault(snap.snapshot_id, (snap, []))[1].append(entry)
            continue
        own = snap.source.key.partition(":")[2]
        for dataset, listed in entry.listings or ((own, None),):
            if _DATASET_SOURCE.get(dataset) in sources:
                continue  # the loaded OFAC list says it, with its date
            detail = ""
            day = listed
            if day is None and dataset == own:
                # The loaded dataset itself: its listing date, else when it was first seen.
                day = entry.listed_on
                if day is None and entry.first_seen:
                    detail = f"first seen {format_date(entry.first_seen)}"
            if as_of is not None and day is not None and day > as_of:
                continue
            label = dataset_label(dataset)
            current = said.get(label)
            if current is None or (day is not None and (current.day or date.max) > day):
                said[label] = Listing(label, day, detail)
    loaded: list[Listing] = []
    for snap, entries in by_list.values():
        keys = ", ".join(e.entity_key for e in entries)
        seen = sorted(e.first_seen for e in entries if e.first_seen)
        since = ""
        if seen and seen[0] != snap.list_date:
            since = f", first seen {format_date(seen[0])}"
        noun = "entries" if len(entries) > 1 else "entry"
        loaded.append(
            Listing(
                source_label(snap),
                snap.list_date,
                f"{noun} {keys}, list of {format_date(snap.list_date)}{since}",
            )
        )
    others = sorted(
        said.values(), key=lambda x: (x.day is None and not x.detail, x.day or date.min, x.label)
    )
    return loaded + others


def describe_listings(listings: Sequence[Listing], limit: int = _MAX_LISTINGS) -> str:
    """``US OFAC SDN (entry 45934, list of 23 Feb 2024); UK FCDO (listed 8 Feb 2023); …``."""
    shown = "; ".join(x.describe() for x in listings[:limit])
    more = len(listings) - limit
    return shown + (f"; +{more} more" if more > 0 else "")


M = TypeVar("M")


def group_by_party(matches: Sequence[M], key_of: Callable[[M], str]) -> list[list[M]]:
    """``matches`` (best first) grouped by party, each group best first, groups in the order
    of their best member."""
    groups: dict[str, list[M]] = {}
    for match in matches:
        groups.setdefault(key_of(match), []).append(match)
    return list(groups.values())


def match_party(parties: PartyMap, match: Match) -> str:
    return parties.key(match.snapshot.source.key, match.entry.entity_key)


__all__ = [
    "Listing",
    "PartyMap",
    "dataset_label",
    "describe_listings",
    "group_by_party",
    "listings_of",
    "load_party_map",
    "own_id",
    "party_entries",
]
