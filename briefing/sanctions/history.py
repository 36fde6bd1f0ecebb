"""OFAC designation history: every SDN addition, removal and change from 18 Aug 2021 to
23 Feb 2024, and the monthly count of OFAC-listed entries by address country to Mar 2026.

Both files are bundled in ``data/sanctions/ofac/history/`` (provenance in ``SOURCES.md``
there) and read into memory on first use — no database table — then kept for the life of the
process. Everything here takes an ``as_of`` date and returns nothing dated after it.

Public functions, for the ``sanctions history`` command, the digest and the ``ask`` engine:

* :func:`load_history` — the history of a data folder (cached);
* :func:`monthly_designations` — additions per month under a scope (Russia programmes, links to
  China or Hong Kong, one programme), China/Hong Kong-linked ones counted apart (Russia-related
  ones, for a China or Hong Kong scope);
* :func:`designations_in` — the same summed over a period (a year, a month, a range);
* :func:`entity_history` — "when was X designated?": the additions, changes and removals of the
  entries whose name matches;
* :func:`listed_by_country` — month-end counts of entries with an address in a country.
"""

from __future__ import annotations

import csv
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from briefing.replies import Source
from briefing.sanctions.screen import NameIndex, Party, Tier
from briefing.sanctions.topic import (
    CHINA,
    HONG_KONG,
    is_russia_programme,
    link_from_remarks,
)

HISTORY_DIR = Path("sanctions/ofac/history")
CHANGES_FILE = "sdn_changes_2021-08-18_2024-02-23.csv"
PANEL_FILE = "ofac_panel_by_country_monthly.csv"
CHANGES_SOURCE_TITLE = "OFAC SDN change history (daily sdn.csv scrapes)"
CHANGES_SOURCE_URL = "https://github.com/jackdwyer/specially-designated-nationals-list"
PANEL_SOURCE_TITLE = "OFAC-listed entries by address country (jeffallen13/ofac)"
PANEL_SOURCE_URL = "https://github.com/jeffallen13/ofac"


class HistoryError(ValueError):
    """A bundled history file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the change history: an entry added, removed or changed on a day."""

    day: date
    change: str  # "added" | "removed" | "changed"
    ent_num: str
    name: str
    entity_type: str
    programmes: tuple[str, ...]
    changed_fields: tuple[str, ...]
    link_place: str | None  # China / Hong Kong, read from the remarks
    link_reason: str | None

    @property
    def russia(self) -> bool:
        return any(is_russia_programme(p) for p in self.programmes)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a count covers: ``russia`` (Russia-related programmes), ``china`` / ``hong kong``
    (entries linked to them, any programme), or one programme code (``RUSSIA-EO14024``)."""

    kind: str  # "russia" | "china" | "hong kong" | "programme"
    programme: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "programme":
            return f"under {self.programme}"
        if self.kind == "russia":
            return "under Russia-related programmes"
        return "linked to China or Hong Kong" if self.kind == "china" else "linked to Hong Kong"

    @property
    def apart(self) -> str:
        """What is counted apart within the scope."""
        if self.kind in ("china", "hong kong"):
            return "under Russia-related programmes"
        return "linked to China or Hong Kong"

    def is_apart(self, change: Change) -> bool:
        if self.kind in ("china", "hong kong"):
            return change.russia
        return change.link_place is not None

    def covers(self, change: Change) -> bool:
        if self.kind == "russia":
            return change.russia
        if self.kind == "china":
            return change.link_place in (CHINA, HONG_KONG)
        if self.kind == "hong kong":
            return change.link_place == HONG_KONG
        return self.programme in change.programmes


RUSSIA = Scope("russia")


@dataclass(frozen=True, slots=True)
class MonthCount:
    month: date  # the first day of the month
    added: int
    apart: int  # of which counted apart: China/HK-linked (or, for a China scope, Russia-related)
    removed: int

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"


@dataclass(frozen=True, slots=True)
class CountryMonth:
    month_end: date
    listed: int
    additions: int
    removals: int


@dataclass(slots=True)
class SanctionsHistory:
    changes: tuple[Change, ...]
    baseline: date  # the first scrape: rows of that day are the list as it stood, not additions
    last: date  # the last day the change history covers
    panel: dict[str, tuple[CountryMonth, ...]]  # country → month-end counts
    programmes: frozenset[str] = frozenset()
    _names: object | None = field(default=None, repr=False)
    _first_added: dict[str, date] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def changes_source(self) -> Source:
        return Source(CHANGES_SOURCE_TITLE, CHANGES_SOURCE_URL, self.last)

    def panel_source(self, as_of: date) -> Source:
        ends = [
            m.month_end for series in self.panel.values() for m in series if m.month_end <= as_of
        ]
        return Source(PANEL_SOURCE_TITLE, PANEL_SOURCE_URL, max(ends) if ends else None)

    def known(self, as_of: date) -> list[Change]:
        """The changes recorded on or before ``as_of``."""
        return [c for c in self.changes if c.day <= as_of]

    def covered_until(self, as_of: date) -> date:
        return min(self.last, as_of)


_CACHE: dict[Path, SanctionsHistory] = {}
_CACHE_LOCK = threading.Lock()


def _date(text: str, path: Path, row: int) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HistoryError(f"{path}, row {row}: {text!r} is not a date (YYYY-MM-DD)") from None


def _read_changes(path: Path) -> list[Change]:
    out: list[Change] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = {"date", "change", "ent_num", "name", "type", "programs", "remarks"}
        missing = needed - set(reader.fieldnames or ())
        if missing:
            raise HistoryError(f"{path}: missing columns {', '.join(sorted(missing))}")
        for row_no, row in enumerate(reader, start=2):
            link = link_from_remarks(row["remarks"] or "")
            out.append(
                Change(
                    day=_date(row["date"], path, row_no),
                    change=row["change"].strip(),
                    ent_num=row["ent_num"].strip(),
                    name=" ".join(row["name"].split()),
                    entity_type=row["type"].strip() or "entity",
                    programmes=tuple(
                        p.strip() for p in (row["programs"] or "").split(";") if p.strip()
                    ),
                    changed_fields=tuple(
                        f.strip() for f in (row.get("changed_fields") or "").split(";") if f.strip()
                    ),
                    link_place=link[0] if link else None,
                    link_reason=link[1] if link else None,
                )
            )
    out.sort(key=lambda c: (c.day, c.ent_num))
    return out


def _read_panel(path: Path) -> dict[str, tuple[CountryMonth, ...]]:
    series: dict[str, list[CountryMonth]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row_no, row in enumerate(reader, start=2):
            try:
                month = CountryMonth(
                    _date(row["Date"], path, row_no),
                    int(row["levels"]),
                    int(row["additions"]),
                    int(row["removals"]),
                )
            except (KeyError, ValueError) as exc:
                raise HistoryError(f"{path}, row {row_no}: {exc}") from None
            series[row["Country"].strip()].append(month)
    return {k: tuple(sorted(v, key=lambda m: m.month_end)) for k, v in series.items()}


def load_history(data_dir: Path) -> SanctionsHistory:
    """The bundled history under ``data_dir`` (read once per process)."""
    folder = (data_dir / HISTORY_DIR).resolve()
    with _CACHE_LOCK:
        found = _CACHE.get(folder)
        if found is None:
            changes_path, panel_path = folder / CHANGES_FILE, folder / PANEL_FILE
            for path in (changes_path, panel_path):
                if not path.is_file():
                    raise HistoryError(f"{path}: the bundled OFAC history file is missing")
            changes = _read_changes(changes_path)
            if not changes:
                raise HistoryError(f"{changes_path}: no rows")
            found = SanctionsHistory(
                changes=tuple(changes),
                baseline=changes[0].day,
                last=changes[-1].day,
                panel=_read_panel(panel_path),
                programmes=frozenset(p for c in changes for p in c.programmes),
            )
            _CACHE[folder] = found
    return found


def parse_scope(text: str, history: SanctionsHistory) -> Scope | None:
    """``russia``, ``china``, ``hong kong``/``hk`` or a programme code; None otherwise."""
    words = " ".join(text.lower().replace("-", " ").split())
    if words in ("", "russia", "russian"):
        return RUSSIA
    if words in ("china", "chinese", "prc", "china hk", "china hong kong"):
        return Scope("china")
    if words in ("hong kong", "hk", "hongkong"):
        return Scope("hong kong")
    wanted = " ".join(text.upper().split())
    for programme in history.programmes:
        if programme.upper() == wanted:
            return Scope("programme", programme)
    return None


def _months(first: date, last: date) -> list[date]:
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def monthly_designations(
    history: SanctionsHistory, as_of: date, scope: Scope = RUSSIA
) -> list[MonthCount]:
    """Additions (and removals) per month under ``scope`` known on ``as_of``, with the
    China/Hong Kong-linked additions counted apart; every month from the history's start to
    the last covered day, zeros included. The rows of the first scrape (the list as it stood
    on 18 Aug 2021) are not additions and are left out."""
    last = history.covered_until(as_of)
    if last <= history.baseline:
        return []
    added: dict[date, int] = defaultdict(int)
    apart: dict[date, int] = defaultdict(int)
    removed: dict[date, int] = defaultdict(int)
    for change in history.known(as_of):
        if change.day == history.baseline or not scope.covers(change):
            continue
        month = change.day.replace(day=1)
        if change.change == "added":
            added[month] += 1
            apart[month] += scope.is_apart(change)
        elif change.change == "removed":
            removed[month] += 1
    return [MonthCount(m, added[m], apart[m], removed[m]) for m in _months(history.baseline, last)]


def designations_in(
    history: SanctionsHistory, first: date, last: date, as_of: date, scope: Scope = RUSSIA
) -> tuple[int, int]:
    """(additions, of which counted apart — see :attr:`Scope.apart`) under ``scope`` from
    ``first`` to ``last`` (inclusive), as known on ``as_of``."""
    total = apart = 0
    for change in history.known(as_of):
        if (
            change.change == "added"
            and change.day != history.baseline
            and first <= change.day <= last
            and scope.covers(change)
        ):
            total += 1
            apart += scope.is_apart(change)
    return total, apart


def listed_by_country(history: SanctionsHistory, country: str, as_of: date) -> list[CountryMonth]:
    """Month-end counts of OFAC-listed entries (SDN and non-SDN, all programmes) with an
    address in ``country``, for months ended by ``as_of``."""
    wanted = country.strip().lower()
    for name, series in history.panel.items():
        if name.lower() == wanted:
            return [m for m in series if m.month_end <= as_of]
    return []


@dataclass(frozen=True, slots=True)
class EntityHistory:
    ent_num: str
    name: str
    entity_type: str
    changes: tuple[Change, ...]  # oldest first
    why: str  # why the name matched the question
    exact: bool  # a match, not a possible match


def entity_history(
    history: SanctionsHistory, name: str, as_of: date, limit: int = 3
) -> list[EntityHistory]:
    """The recorded history of the entries whose name matches ``name`` (best first), as known
    on ``as_of``: when each was added (or that it was already listed when the history starts),
    changed and removed."""
    known = history.known(as_of)
    by_entry: dict[str, list[Change]] = defaultdict(list)
    for change in known:
        by_entry[change.ent_num].append(change)
    keys = sorted(by_entry)
    with history._lock:
        cached = history._names
        if not isinstance(cached, tuple) or cached[0] != len(known):
            parties = []
            for key in keys:
                names = list(dict.fromkeys(c.name for c in reversed(by_entry[key])))
                person = by_entry[key][-1].entity_type == "individual"
                parties.append(Party(tuple(names), person))
            cached = (len(known), NameIndex(parties), keys)
            history._names = cached
    _, index, keys = cached
    assert isinstance(index, NameIndex)
    out = []
    for hit in index.screen(name, limit=limit):
        key = keys[hit.party]
        changes = by_entry[key]
        out.append(
            EntityHistory(
                ent_num=key,
                name=changes[-1].name,
                entity_type=changes[-1].entity_type,
                changes=tuple(changes),
                why=hit.explain(),
                exact=hit.tier is Tier.MATCH,
            )
        )
    return out


def first_added(history: SanctionsHistory, ent_num: str, as_of: date) -> date | None:
    """The day an SDN entry was first seen added in the history (the history's first day for
    an entry already listed then), if that is on or before ``as_of``; None when the history
    does not know the entry."""
    with history._lock:
        if history._first_added is None:
            found: dict[str, date] = {}
            for change in history.changes:
                if change.change == "added":
                    found.setdefault(change.ent_num, change.day)
            history._first_added = found
        day = history._first_added.get(ent_num)
    return day if day is not None and day <= as_of else None


def summarise(counts: Sequence[MonthCount]) -> tuple[int, int]:
    """(additions, of which counted apart) over ``counts``."""
    return sum(c.added for c in counts), sum(c.apart for c in counts)


def busiest(counts: Iterable[MonthCount], top: int = 3) -> list[MonthCount]:
    return sorted((c for c in counts if c.added), key=lambda c: (-c.added, c.month))[:top]
