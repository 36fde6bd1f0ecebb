"""cProfile of the bulk paths: the top lines of the OFAC SDN ingest + diff, the 100,000-row
Comtrade ingest and the sanctions index build of a generated OpenSanctions list.

Each runs once in this process (the OFAC and Comtrade ingests after a warm-up that imports
every module they use), into a SQLite database in a temporary folder; the lines are sorted by
the time spent in each function itself. The figures of ``docs/sanctions.md`` (Profiles) come
from it.

Run: .venv/bin/python -m bench.profile_ingest [--top 12] [--entities 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bench.bench_sanctions import AFTER, BEFORE, TODAY, _database
from bench.bench_scale import write_targets
from bench.bench_trade import AS_OF, write_comtrade_csv
from briefing.appstate import Briefing
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.sanctions.search import sanctions
from briefing.settings import load_settings

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def _profiled(label: str, work: Callable[[], object], top: int) -> None:
    profile = cProfile.Profile()
    started, cpu = time.perf_counter(), time.process_time()
    profile.enable()
    work()
    profile.disable()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    body = lines[lines.index(next(x for x in lines if x.lstrip().startswith("ncalls"))) :]
    print(f"--- {label}: {wall:.2f} s under the profiler ({cpu:.2f} s CPU)")
    root = str(Path(__file__).resolve().parent.parent) + "/"
    for line in body:
        print(line.replace(root, "").replace(sys.prefix + "/lib/", ""))
    print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for step in ("warm-up", "profiled"):
            folder = tmp / f"sdn-{step}"
            folder.mkdir()
            with _database(args.database_url, str(folder)) as url:
                brief = Briefing.load(load_settings(database_url=url, _env_file=None))
                ingest(brief, [BEFORE], IngestOptions(today=TODAY), NOW)
                run = partial(ingest, brief, [AFTER], IngestOptions(today=TODAY), NOW)
                if step == "warm-up":
                    run()
                else:
                    _profiled("OFAC SDN ingest + diff (14,484 entries)", run, args.top)
                brief.engine.dispose()
        csv_path = tmp / "comtrade.csv"
        write_comtrade_csv(csv_path)
        for step in ("warm-up", "profiled"):
            folder = tmp / f"trade-{step}"
            folder.mkdir()
            with _database(args.database_url, str(folder)) as url:
                settings = load_settings(database_url=url, chart_dir=tmp / "charts", _env_file=None)
                brief = Briefing.load(settings)
                options = IngestOptions(as_of=AS_OF, today=AS_OF)
                run = partial(ingest, brief, [csv_path], options, NOW)
                if step == "warm-up":
                    run()
                else:
                    _profiled("Comtrade CSV ingest (100,000 rows)", run, args.top)
                brief.engine.dispose()
        targets = tmp / "lists" / "default_2024-02-23.targets.simple.csv"
        targets.parent.mkdir()
        write_targets(targets, args.entities)
        with _database(args.database_url, str(targets.parent)) as url:
            brief = Briefing.load(load_settings(database_url=url, _env_file=None))
            ingest(brief, [targets], IngestOptions(today=TODAY), NOW)
            _profiled(
                f"sanctions index build ({args.entities:,} entities)",
                partial(sanctions(brief).index, TODAY),
                args.top,
            )
            brief.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
