"""Kill -9 at every write of an ingest: a real ``bot.py ingest`` of the SDN list of 23 Feb 2024
(on top of the list of 20 Feb) is killed right after each statement that writes and right
before its commit — then run again. After the kill the database holds the new list with its
update and a new data generation, or none of the three; after the second run, all of them.

How the points are found: the process runs with tests/crashpoints first on its PYTHONPATH,
whose sitecustomize (with ``BRIEF_CRASH_DATABASE`` set) logs each writing statement and each
commit and, with ``BRIEF_CRASH_AT="database <event>#K"``, sends the process SIGKILL at the K-th
occurrence of that event. A first run without a crash lists the events; each is then a run of
its own on a fresh database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from briefing.appstate import Briefing
from briefing.db import make_engine
from briefing.generation import current_generation
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.sanctions.model import OFAC_SDN
from briefing.sanctions.store import list_snapshots
from briefing.settings import PROJECT_ROOT, load_settings
from briefing.updates import updates_table
from tests.conftest import OFAC_SNAPSHOTS, empty_database

pytestmark = pytest.mark.slow

HOOK = PROJECT_ROOT / "tests" / "crashpoints"
BEFORE = OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"
AFTER = OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"

State = tuple[tuple[date, ...], frozenset[str], int]


def _baseline(url: str) -> State:
    brief = Briefing.load(load_settings(database_url=url, _env_file=None))
    try:
        ingest(brief, [BEFORE], IngestOptions(today=date(2024, 3, 1)), datetime.now(UTC))
    finally:
        brief.engine.dispose()
    return _state(url)


def _state(url: str) -> State:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            days = tuple(s.list_date for s in list_snapshots(conn, OFAC_SDN.key))
            ids = frozenset(conn.execute(select(updates_table.c.update_id)).scalars())
        return days, ids, current_generation(engine)
    finally:
        engine.dispose()


def _ingest(url: str, where: Path, log: Path | None = None, at: str = "") -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEF_CRASH")}
    env.update(DATABASE_URL=url, PYTHONPATH=os.pathsep.join([str(HOOK), str(PROJECT_ROOT)]))
    if log is not None:
        env.update(BRIEF_CRASH_LOG=str(log), BRIEF_CRASH_DATABASE="1", BRIEF_CRASH_AT=at)
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bot.py"), "ingest", str(AFTER)],
        cwd=where,  # away from any developer's .env
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"bot.py ingest failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.returncode


def test_a_kill_at_any_write_leaves_all_of_an_ingest_or_none(tmp_path: Path) -> None:
    with empty_database(tmp_path, "listing") as url:
        before = _baseline(url)
        log = tmp_path / "events.log"
        assert _ingest(url, tmp_path, log) == 0
        after = _state(url)
    events = log.read_text(encoding="utf-8").split("\n")[:-1]
    database = [e for e in events if e.startswith("database ")]
    assert "database commit" in database
    assert any(e.startswith("database insert") for e in database), database
    # The complete ingest: one list more, its update, one generation more.
    assert after[0] == (*before[0], date(2024, 2, 23))
    new_updates = after[1] - before[1]
    assert len(new_updates) == 1, new_updates
    assert after[2] == before[2] + 1

    seen: Counter[str] = Counter()
    points = []
    for event in database:
        seen[event] += 1
        points.append(f"{event}#{seen[event]}")
    for number, point in enumerate(points):
        with empty_database(tmp_path, f"point{number}") as url:
            assert _baseline(url) == before
            code = _ingest(url, tmp_path, tmp_path / f"point{number}.log", point)
            assert code == -signal.SIGKILL, f"{point}: the process was not killed there"
            crashed = _state(url)
            assert crashed in (before, after), f"{point}: half an ingest is stored: {crashed}"
            assert _ingest(url, tmp_path) == 0
            assert _state(url) == after, point
