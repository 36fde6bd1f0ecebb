"""Every feed, declared in one table: name, URLs, format, schedule, cadence and licence.

The base URL of each publisher is a setting (``OFAC_BASE_URL``, ``OPENSANCTIONS_BASE_URL``,
``CUSTOMS_CSV_URL``), so a mirror or a test server can stand in; docs/feeds.md lists the real
upstreams and how often each publishes. :func:`feed_table` builds the table from the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urljoin

if TYPE_CHECKING:
    from briefing.settings import Settings


class FeedKind(StrEnum):
    FILES = "files"  # fixed URLs, fetched as they are
    OPENSANCTIONS = "opensanctions"  # a dataset's index.json names its version and files
    COMTRADE = "comtrade"  # the UN Comtrade API through comtradeapicall


@dataclass(frozen=True, slots=True)
class Resource:
    """One file of a feed: where it is, and the name it is saved under (the ingest tells the
    format by it). An ``optional`` file that the server does not have (404) is left out."""

    url: str
    filename: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    title: str
    kind: FeedKind
    topic: str  # "sanctions" | "trade"
    fmt: str  # what the files are, in words
    resources: tuple[Resource, ...]
    every: timedelta  # how often the schedule fetches it
    stale_after: timedelta  # older than this, the digest says so
    licence: str
    upstream: str  # the publisher's page for people
    max_bytes: int = 300_000_000
    dataset: str | None = None  # OpenSanctions: the dataset's name
    export: str | None = None  # OpenSanctions: the export loaded (targets.simple.csv, …)
    # Why the feed cannot run here (no key, no URL), or None when it can.
    unavailable: str | None = None


OFAC_SDN_FILES = (
    ("SDN.CSV", "sdn.csv"),
    ("ADD.CSV", "add.csv"),
    ("ALT.CSV", "alt.csv"),
    ("SDN_COMMENTS.CSV", "sdn_comments.csv"),
)
OFAC_CONS_FILES = (
    ("CONS_PRIM.CSV", "cons_prim.csv"),
    ("CONS_ADD.CSV", "cons_add.csv"),
    ("CONS_ALT.CSV", "cons_alt.csv"),
    ("CONS_COMMENTS.CSV", "cons_comments.csv"),
)
OFAC_LICENCE = "US government work, public domain"
OPENSANCTIONS_LICENCE = (
    "CC BY-NC 4.0: non-commercial use with attribution; commercial use needs a licence "
    "from OpenSanctions"
)
_INTERVAL = re.compile(r"^\s*([a-z0-9_]+)\s*=\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _files(base: str, names: tuple[tuple[str, str], ...]) -> tuple[Resource, ...]:
    base = base if base.endswith("/") else base + "/"
    # The main file first; the companions (addresses, aliases, long remarks) may be missing.
    return tuple(
        Resource(urljoin(base, remote), local, optional=i > 0)
        for i, (remote, local) in enumerate(names)
    )


def split_names(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip() and p.strip().lower() != "none"]


def parse_intervals(text: str) -> dict[str, timedelta]:
    """``"ofac_sdn=4h,customs=30m"`` → {name: interval}; ValueError names a bad part."""
    found: dict[str, timedelta] = {}
    for part in split_names(text):
        match = _INTERVAL.match(part.lower())
        if match is None:
            raise ValueError(f"FEED_INTERVALS: {part!r} is not NAME=NUMBER[s|m|h|d] (e.g. 4h)")
        seconds = float(match.group(2)) * _UNITS[match.group(3)]
        if seconds <= 0:
            raise ValueError(f"FEED_INTERVALS: {part!r} must be longer than nothing")
        found[match.group(1)] = timedelta(seconds=seconds)
    return found


def feed_table(settings: Settings) -> tuple[Feed, ...]:
    """Every feed this installation knows, in a stable order."""
    feeds: list[Feed] = [
        Feed(
            name="ofac_sdn",
            title="OFAC SDN list",
            kind=FeedKind.FILES,
            topic="sanctions",
            fmt="OFAC legacy CSV files (sdn.csv, add.csv, alt.csv, sdn_comments.csv)",
            resources=_files(settings.ofac_base_url, OFAC_SDN_FILES),
            every=timedelta(hours=8),
            stale_after=timedelta(days=2),
            licence=OFAC_LICENCE,
            upstream="https://ofac.treasury.gov/sanctions-list-service",
            max_bytes=100_000_000,
        ),
        Feed(
            name="ofac_consolidated",
            title="OFAC Consolidated (non-SDN) list",
            kind=FeedKind.FILES,
            topic="sanctions",
            fmt="OFAC legacy CSV files (cons_prim.csv, cons_add.csv, cons_alt.csv, "
            "cons_comments.csv)",
            resources=_files(settings.ofac_base_url, OFAC_CONS_FILES),
            every=timedelta(hours=8),
            stale_after=timedelta(days=2),
            licence=OFAC_LICENCE,
            upstream="https://ofac.treasury.gov/sanctions-list-service",
            max_bytes=50_000_000,
        ),
    ]
    base = settings.opensanctions_base_url
    base = base if base.endswith("/") else base + "/"
    for dataset in split_names(settings.opensanctions_datasets):
        feeds.append(
            Feed(
                name=f"opensanctions_{dataset}",
                title=f"OpenSanctions {dataset}",
                kind=FeedKind.OPENSANCTIONS,
                topic="sanctions",
                fmt=f"OpenSanctions {settings.opensanctions_export}, located through the "
                "dataset's index.json",
                resources=(Resource(urljoin(base, f"{dataset}/index.json"), "index.json"),),
                every=timedelta(hours=12),
                stale_after=timedelta(days=3),
                licence=OPENSANCTIONS_LICENCE,
                upstream=f"https://www.opensanctions.org/datasets/{dataset}/",
                max_bytes=2_000_000_000,
                dataset=dataset,
                export=settings.opensanctions_export,
            )
        )
    feeds.append(
        Feed(
            name="comtrade",
            title="UN Comtrade: China → Russia",
            kind=FeedKind.COMTRADE,
            topic="trade",
            fmt="UN Comtrade API, China's reported trade with Russia: monthly totals and HS "
            "chapters 27, 84, 85, 87 of this year and last",
            resources=(),
            every=timedelta(days=7),
            stale_after=timedelta(days=45),
            licence="UN Comtrade terms of use (attribution; see comtradeplus.un.org)",
            upstream="https://comtradeplus.un.org/",
            unavailable=None
            if settings.comtrade_api_key is not None
            else "set COMTRADE_API_KEY (and install the comtrade extra)",
        )
    )
    customs = settings.customs_csv_url
    feeds.append(
        Feed(
            name="customs",
            title="China customs CSV",
            kind=FeedKind.FILES,
            topic="trade",
            fmt="customs CSV in the documented layout (docs/trade.md)",
            resources=(Resource(customs, "customs.csv"),) if customs else (),
            every=timedelta(days=1),
            stale_after=timedelta(days=45),
            licence="as its publisher says (the operator names the URL)",
            upstream=customs or "the URL in CUSTOMS_CSV_URL",
            max_bytes=20_000_000,
            unavailable=None if customs else "set CUSTOMS_CSV_URL",
        )
    )
    intervals = parse_intervals(settings.feed_intervals)
    return tuple(replace(f, every=intervals[f.name]) if f.name in intervals else f for f in feeds)


def scheduled_feeds(settings: Settings) -> tuple[Feed, ...]:
    """The feeds ``bot.py run`` fetches on their schedule: those named in FEEDS that can run."""
    wanted = split_names(settings.feeds)
    table = {f.name: f for f in feed_table(settings)}
    unknown = [name for name in wanted if name not in table]
    if unknown:
        raise ValueError(
            f"FEEDS names {', '.join(unknown)}: not a feed (known: {', '.join(table)})"
        )
    return tuple(table[n] for n in wanted if table[n].unavailable is None)


def find_feeds(settings: Settings, names: list[str]) -> tuple[Feed, ...]:
    """The feeds ``names`` (all the scheduled ones when empty); ValueError names unknown ones."""
    if not names:
        return scheduled_feeds(settings)
    table = {f.name: f for f in feed_table(settings)}
    unknown = [n for n in names if n not in table]
    if unknown:
        raise ValueError(f"no feed named {', '.join(unknown)} (known: {', '.join(table)})")
    return tuple(table[n] for n in names)
