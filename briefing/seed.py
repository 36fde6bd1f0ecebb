"""The embedded default: load the bundled OFAC lists into an empty database.

Only the console-side commands (``console``, ``say``, ``digest``) seed, so a fresh clone can
search the real SDN list and see OFAC's 23 Feb 2024 Russia action in the digest with no set-up.
A chat deployment never seeds: its first real list would otherwise be diffed against a bundled
one and announce years of changes as new.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from briefing.appstate import Briefing
from briefing.ingest_types import IngestOptions, IngestResult
from briefing.sanctions.tables import snapshots_table

BUNDLED_OFAC = Path("sanctions/ofac")


def bundled_lists(data_dir: Path) -> list[tuple[date, Path]]:
    """The bundled SDN files with the list date their names carry, oldest first."""
    found = []
    for path in sorted((data_dir / BUNDLED_OFAC).glob("sdn_*.csv")):
        found.append((date.fromisoformat(path.stem.removeprefix("sdn_")), path))
    return found


def has_sanctions_data(brief: Briefing) -> bool:
    with brief.engine.connect() as conn:
        return conn.execute(select(snapshots_table.c.id).limit(1)).first() is not None


def seed_bundled(brief: Briefing, now: datetime) -> list[IngestResult]:
    """Ingest the bundled lists when the database holds no sanctions list at all."""
    if has_sanctions_data(brief):
        return []
    # Cold start: the loaders (pandas, the list parsers, rescreening) load only when there is
    # something to seed, not with every `say`.
    from briefing.ingest_dispatch import ingest  # noqa: PLC0415

    results: list[IngestResult] = []
    for list_date, path in bundled_lists(brief.settings.data_dir):
        options = IngestOptions(as_of=list_date, today=list_date)
        results.extend(ingest(brief, [path], options, now))
    return results
