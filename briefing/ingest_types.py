"""The types every loader shares: what an ingest is asked, what it returns, how it refuses.

A leaf: it imports nothing of the project at run time (the two names under ``TYPE_CHECKING``
are for the type checker only), so the dispatcher (:mod:`briefing.ingest_dispatch`) and every
loader it registers import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from briefing.appstate import Briefing
    from briefing.updates import Update

# total units (or None when unknown), units done so far
ProgressCallback = Callable[[str, int | None, int], None]

# What the dispatcher writes in a loader's own transaction, just before it commits: the updates
# the load produced and the bump of the data generation. A loader calls it once, last, inside
# that transaction — so new data, its update and the signal to the other replicas are stored
# together or not at all (a crash in between loses no alert and leaves nothing half-loaded).
Seal = Callable[["Connection", "Sequence[Update]"], None]


class IngestError(ValueError):
    """A file was refused; the message says which file and why. Nothing was replaced."""


@dataclass(frozen=True, slots=True)
class IngestOptions:
    as_of: date | None = None
    force: bool = False
    today: date = field(default_factory=date.today)
    # A list dated like one already loaded replaces it (a publisher's second release of the
    # day, fetched by a feed); the shrink rule still holds.
    replace_same_day: bool = False
    progress: ProgressCallback | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    source: str
    fmt: str
    records: int
    as_of: date
    summary: str
    updates: tuple[Update, ...] = ()


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    # Which of the given paths this format takes (empty when none); may take several at once,
    # e.g. OFAC's sdn.csv with add.csv, alt.csv and sdn_comments.csv beside it.
    claim: Callable[[Sequence[Path]], list[Path]]
    load: Callable[[Briefing, list[Path], IngestOptions, Seal], IngestResult]
