"""The one place ``ask`` touches the sanctions package: its public functions, adapted.

Everything :mod:`briefing.ask.sanctions` needs — which lists are held, a name search with the
screening matcher's own tiers, what a list added or removed compared with the one before — comes
through the three functions here, as small types of this module. When the sanctions package
changes, only this module follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING

from briefing.replies import Source
from briefing.sanctions.model import Entry, Snapshot

if TYPE_CHECKING:
    from briefing.appstate import Briefing


@dataclass(frozen=True, slots=True)
class HeldList:
    key: str
    title: str
    short: str
    list_date: date
    entry_count: int
    source: Source


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    entity_type: str
    programmes: tuple[str, ...]  # Russia programmes first where there are any
    link_place: str | None  # "China" or "Hong Kong" when the entry links it there
    first_seen: date | None


@dataclass(frozen=True, slots=True)
class Hit:
    party: Party
    held: HeldList
    score: float
    tier: str  # "match" or "possible match"
    matched: str  # the name or alias that matched


@dataclass(frozen=True, slots=True)
class ListChange:
    """What one list added and removed compared with the previous list of the same source."""

    held: HeldList
    previous_date: date
    added: tuple[Party, ...]
    removed: tuple[Party, ...]
    changed: int


def lists_held(brief: Briefing, as_of: date) -> list[HeldList]:
    return [_held(s) for s in brief.sanctions.in_force(as_of)]


def search(brief: Briefing, name: str, as_of: date, limit: int = 3) -> list[Hit]:
    data = brief.sanctions
    hits = []
    for match in data.index(as_of).search(name, limit=limit):
        tier = "match" if match.is_match else "possible match"
        hits.append(
            Hit(_party(match.entry), _held(match.snapshot), match.score, tier, match.matched)
        )
    return hits


def changes(brief: Briefing, as_of: date) -> list[ListChange]:
    """Every stored list known on ``as_of`` compared with the previous one of its source."""
    data = brief.sanctions
    out = []
    by_source: dict[str, list[Snapshot]] = {}
    for snap in data.snapshots:
        if snap.list_date <= as_of and snap.entries_kept:
            by_source.setdefault(snap.source.key, []).append(snap)
    for snaps in by_source.values():
        ordered = sorted(snaps, key=lambda s: s.list_date)
        for base, current in pairwise(ordered):
            diff = data.diff(base, current)
            out.append(
                ListChange(
                    held=_held(current),
                    previous_date=diff.previous_date,
                    added=tuple(_party(e) for e in diff.added),
                    removed=tuple(_party(e) for e in diff.removed),
                    changed=len(diff.changed),
                )
            )
    return sorted(out, key=lambda c: c.held.list_date)


def _held(snapshot: Snapshot) -> HeldList:
    return HeldList(
        key=snapshot.source.key,
        title=snapshot.source.title,
        short=snapshot.source.short,
        list_date=snapshot.list_date,
        entry_count=snapshot.entry_count,
        source=snapshot.source.cite(snapshot.list_date),
    )


def _party(entry: Entry) -> Party:
    programmes = entry.russia_programmes + tuple(
        p for p in entry.programmes if p not in entry.russia_programmes
    )
    return Party(entry.name, entry.entity_type, programmes, entry.link_place, entry.first_seen)
