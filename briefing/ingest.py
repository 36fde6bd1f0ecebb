"""``python bot.py ingest``: detect each file's format and hand it to its loader.

Formats are listed explicitly in :data:`FORMATS` (first match wins). A loader validates the whole
input before it replaces anything, so a bad file leaves the last good data serving; it returns
the :class:`~briefing.updates.Update` records its changes produced, which the caller stores and
the running bot posts as alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from briefing.appstate import Briefing
from briefing.generation import bump_generation
from briefing.updates import Update, record_updates

log = logging.getLogger(__name__)

# total units (or None when unknown), units done so far
ProgressCallback = Callable[[str, int | None, int], None]


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
    load: Callable[[Briefing, list[Path], IngestOptions], IngestResult]


def _formats() -> tuple[Format, ...]:
    # Explicit registration: one line per supported format.
    from briefing.sanctions import formats as sanctions  # late: it imports this module
    from briefing.trade import ingest as trade  # late: it imports this module

    return (
        sanctions.OFAC,
        sanctions.OPENSANCTIONS_FTM,
        sanctions.OPENSANCTIONS_SIMPLE,
        trade.FORMAT,
    )


def ingest(
    brief: Briefing, paths: Sequence[Path], options: IngestOptions, now: datetime
) -> list[IngestResult]:
    """Load every path; raise :class:`IngestError` for the first file no format takes or that fails."""
    for path in paths:
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
    remaining = list(paths)
    groups: list[tuple[Format, list[Path]]] = []
    for fmt in _formats():
        taken = fmt.claim(remaining)
        if taken:
            groups.append((fmt, taken))
            remaining = [p for p in remaining if p not in taken]
    if remaining:
        names = ", ".join(str(p) for p in remaining)
        known = ", ".join(f.name for f in _formats()) or "none"
        raise IngestError(f"{names}: not a format I can load (known formats: {known})")
    results: list[IngestResult] = []
    from briefing.watch.alerts import rescreen_new_lists, snapshot_ids  # late: a cycle

    lists_before = snapshot_ids(brief.engine)
    try:
        for fmt, taken in groups:
            result = fmt.load(brief, taken, options)
            record_updates(brief.engine, result.updates, now)
            results.append(result)
    except IngestError as exc:
        if not results:
            raise
        # Each format loads in its own transaction: say plainly what did load before the refusal.
        loaded = "; ".join(f"{r.fmt}: {r.summary}" for r in results)
        raise IngestError(
            f"{exc}\nNothing from the refused file was replaced, but these loaded before it: {loaded}"
        ) from exc
    finally:
        if results:
            bump_generation(brief.engine)
        brief.refresh()
        if results:
            # Where a new list version's update is recorded, every watchlist is screened on it
            # (the delivery planner catches up on a version this missed, e.g. after a crash).
            try:
                rescreen_new_lists(
                    brief.engine, lists_before, now, command=brief.settings.command_name
                )
            except Exception:
                log.exception("rescreening the watchlists failed; the planner will try again")
    return results
