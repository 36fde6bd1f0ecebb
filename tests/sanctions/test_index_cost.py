"""What a screening costs beyond its own work: the index adds no per-name object for the cyclic
garbage collector to walk, and the entries a screening shows are read together, one statement
per list — not one per hit."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bench.bench_scale import write_targets
from briefing.appstate import Briefing
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.sanctions import search
from briefing.sanctions.opensanctions import parse_simple
from briefing.sanctions.screen import NameIndex, Party
from briefing.sanctions.search import PERSON_TYPES, sanctions
from briefing.sanctions.store import load_entries_by_key
from tests.conftest import OFAC_SNAPSHOTS

TODAY = date(2024, 3, 1)


def _tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_an_index_leaves_the_collector_nothing_per_name(tmp_path: Path) -> None:
    path = tmp_path / "default_2024-02-23.targets.simple.csv"
    write_targets(path, 20_000)
    parties = [
        Party((e.name, *e.aliases), e.entity_type.lower() in PERSON_TYPES)
        for e in parse_simple(path).entries
    ]
    NameIndex(parties[:500]).screen("Mikhail Gurevich")  # the name libraries' own tables load
    before = _tracked()
    index = NameIndex(parties)
    added = _tracked() - before
    names = len(index)
    assert names > 30_000
    # The index's own handful of containers; a form object per name would be 34,000 more.
    assert added < 100, (added, names)
    assert index.screen("Mikhail Gurevich") is not None


def test_a_screening_reads_its_entries_in_one_statement_per_list(
    brief: Briefing, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(
        brief,
        [OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"],
        IngestOptions(today=TODAY),
        datetime(2024, 3, 1, tzinfo=UTC),
    )
    index = sanctions(brief).index(TODAY)
    reads: list[int] = []

    def counted(conn: object, snapshot_id: int, keys: list[str]) -> object:
        reads.append(len(keys))
        return load_entries_by_key(conn, snapshot_id, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "load_entries_by_key", counted)
    found = index.screen("Ivanov")  # a family name many listed people share
    assert len(found) > 10
    assert reads == [len(found)]
    # Read once: the same screening again is served from the entries kept.
    again = index.screen("Ivanov")
    assert [m.entry for m in again] == [m.entry for m in found]
    assert reads == [len(found)]
