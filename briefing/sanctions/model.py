"""Core types of the sanctions data: a list's source, its entries, a parsed file, a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from briefing.replies import Source

if TYPE_CHECKING:
    from briefing.sanctions.store import EntryRows

OFAC_SDN_KEY = "ofac-sdn"
OFAC_CONS_KEY = "ofac-cons"
OFAC_SDN_URL = "https://sanctionslist.ofac.treas.gov/"
# One entry on OFAC's Sanctions List Search (SDN and non-SDN lists alike), by its ent_num.
OFAC_ENTRY_URL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={key}"
OPENSANCTIONS_LICENCE = "CC BY-NC 4.0"
OPENSANCTIONS_NOTICE = (
    "OpenSanctions data is licensed CC BY-NC 4.0 (non-commercial use; attribution to "
    "OpenSanctions, https://www.opensanctions.org/licensing/)."
)


@dataclass(frozen=True, slots=True)
class ListSource:
    """Who publishes a list: ``key`` names it in the database (``ofac-sdn``,
    ``opensanctions:eu_fsf``); ``short`` is the word used in titles ("OFAC")."""

    key: str
    title: str
    short: str
    url: str | None

    def cite(self, as_of: date | None) -> Source:
        return Source(title=self.title, url=self.url, as_of=as_of)

    @property
    def is_opensanctions(self) -> bool:
        return self.key.startswith("opensanctions:")


OFAC_SDN = ListSource(
    key=OFAC_SDN_KEY, title="U.S. Treasury OFAC SDN list", short="OFAC", url=OFAC_SDN_URL
)
OFAC_CONS = ListSource(
    key=OFAC_CONS_KEY,
    title="U.S. Treasury OFAC Consolidated (non-SDN) list",
    short="OFAC non-SDN",
    url=OFAC_SDN_URL,
)


def entry_url(source_key: str, entity_key: str) -> str | None:
    """The entry's page: OFAC's Sanctions List Search for OFAC lists, OpenSanctions' entity
    page for OpenSanctions data; None when the list has no page per entry."""
    if source_key in (OFAC_SDN_KEY, OFAC_CONS_KEY) and entity_key.isdigit():
        return OFAC_ENTRY_URL.format(key=entity_key)
    if source_key.startswith("opensanctions:") and entity_key:
        return f"https://www.opensanctions.org/entities/{entity_key}/"
    return None


def opensanctions_source(dataset: str) -> ListSource:
    return ListSource(
        key=f"opensanctions:{dataset}",
        title=f"OpenSanctions {dataset} dataset ({OPENSANCTIONS_LICENCE})",
        short=f"OpenSanctions {dataset}",
        url=f"https://www.opensanctions.org/datasets/{dataset}/",
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """One designation on one list: a person, company, vessel or aircraft.

    ``entity_key`` is the list's own identifier (OFAC ``ent_num``, OpenSanctions ``id``) and is
    what the diff matches on. ``referents`` and ``listings`` are not compared: they tie the
    entry to the same party on other lists (:mod:`briefing.sanctions.parties`). ``russia_programmes`` is the subset of ``programmes`` that the
    topic filter counts as Russia-related; ``link_place``/``link_reason`` say why the party is
    linked to China or Hong Kong (None when it is not).
    """

    entity_key: str
    name: str
    entity_type: str
    programmes: tuple[str, ...] = ()
    russia_programmes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    remarks: str = ""
    details: str = ""
    link_place: str | None = None
    link_reason: str | None = None
    listed_on: date | None = None
    first_seen: date | None = None
    # One party across lists (OpenSanctions): the ids other lists give this party, and the
    # lists that name it with their listing dates (None when the source gives none).
    referents: tuple[str, ...] = ()
    listings: tuple[tuple[str, date | None], ...] = ()

    @property
    def china_link(self) -> bool:
        return self.link_place is not None

    @property
    def in_topic(self) -> bool:
        """Russia-programme designations and parties linked to China or Hong Kong."""
        return bool(self.russia_programmes) or self.china_link

    def comparable(self) -> tuple[object, ...]:
        """The fields whose change makes a designation "changed" between two lists."""
        return (
            self.name,
            self.entity_type,
            self.programmes,
            self.countries,
            self.aliases,
            self.addresses,
            self.remarks,
            self.details,
            self.listed_on,
        )


COMPARED_FIELDS = (
    "name",
    "type",
    "programmes",
    "countries",
    "aliases",
    "addresses",
    "remarks",
    "details",
    "listing date",
)


@dataclass(frozen=True, slots=True)
class ParsedList:
    """A validated list read from one or more files, ready to be stored: its entries' keys and
    fingerprints, their stored columns derived on demand
    (:class:`~briefing.sanctions.store.EntryRows`)."""

    source: ListSource
    list_date: date
    date_basis: str  # "--as-of", "file name", "file contents" or "today"
    rows: EntryRows
    content_hash: str
    files: tuple[Path, ...]

    @property
    def label(self) -> str:
        return ", ".join(p.name for p in self.files)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A stored list: its metadata row (entries are loaded separately)."""

    snapshot_id: int
    source: ListSource
    list_date: date
    ingested_at: datetime | None
    entry_count: int
    content_hash: str
    files: str
    entries_kept: bool
