"""Trade charts and trade ingest.

1. Chart render time, uncached (a new file each round): p50 and p90 over the bundled data,
   annual bars with the monthly panel (target: p50 ≤ 300 ms).
2. Ingest of a generated 100,000-row UN Comtrade CSV (China → Russia by HS chapter among rows
   for other partners, reporters and headings): read + validate alone, and the whole ingest
   (validation, one transaction into the database, history, updates; the index of the new
   figures is built when it is first used), in
   seconds and rows/s, each against a bare ``pandas.read_csv`` of the same file in the same
   run (the best of three reads; the ingest the best of three, each into an empty database;
   target ≤ 6× read_csv).

Run: .venv/bin/python -m bench.bench_trade [--database-url URL]
(default: a SQLite file in a temporary folder; PostgreSQL works too, in a throw-away schema).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from briefing.appstate import Briefing
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.settings import load_settings
from briefing.trade.charts import chart_data, render_chart
from briefing.trade.ingest_files import COMTRADE_COLUMNS, read_comtrade_csv
from briefing.trade.model import Period

ROWS = 100_000
AS_OF = date(2026, 11, 23)
TARGET_RATIO = 6.0


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def bench_chart(brief: Briefing, rounds: int = 25) -> tuple[float, float]:
    data = chart_data(brief.trade, Period.year_of(2019), Period.year_of(2025), AS_OF)
    assert data is not None
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        render_chart(data, Path(tmp) / "warm-up")  # the first call pays matplotlib's import
        for i in range(rounds):
            start = time.perf_counter()
            render_chart(data, Path(tmp) / f"r{i}")  # an empty directory: drawn every time
            samples.append(time.perf_counter() - start)
    return _percentile(samples, 0.5) * 1000, _percentile(samples, 0.9) * 1000


def write_comtrade_csv(path: Path, rows: int = ROWS, seed: int = 7) -> int:
    """``rows`` rows in Comtrade's layout; returns how many are China → Russia chapter rows."""
    rng = random.Random(seed)
    chapters = ["TOTAL"] + [f"{c:02d}" for c in range(1, 98) if c != 77]
    periods = [str(y) for y in range(2015, 2025)] + [
        f"{y}{m:02d}" for y in range(2020, 2025) for m in range(1, 13)
    ]
    kept: list[list[object]] = []
    for period in periods:
        for cmd in chapters:
            for flow in ("X", "M"):
                kept.append(_row(period, flow, cmd, "156", "643", rng=rng))
    out = list(kept)
    partners = ["0", "840", "398", "276", "392", "410", "704", "356"]
    while len(out) < rows:
        period = rng.choice(periods)
        kind = rng.random()
        if kind < 0.7:
            out.append(_row(period, rng.choice("XM"), rng.choice(chapters), "156", rng.choice(partners), rng=rng))  # fmt: skip
        elif kind < 0.85:
            out.append(_row(period, rng.choice("XM"), rng.choice(chapters), "643", "156", rng=rng))
        else:
            heading = f"{rng.choice(chapters[1:])}{rng.randint(1, 99):02d}"
            out.append(_row(period, rng.choice("XM"), heading, "156", "643", rng=rng))
    rng.shuffle(out)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COMTRADE_COLUMNS)
        writer.writerows(out[:rows])
    return len(kept)


def _row(
    period: str, flow: str, cmd: str, reporter: str, partner: str, *, rng: random.Random
) -> list[object]:
    monthly = len(period) == 6
    usd = round(rng.uniform(1e6, 5e9), 2)
    return [
        "C",
        "M" if monthly else "A",
        f"{period[:4]}{period[4:] or '01'}01",
        period[:4],
        int(period[4:]) if monthly else 52,
        period,
        reporter,
        "CHN" if reporter == "156" else "RUS",
        flow,
        partner,
        "X",
        cmd,
        "Description, with a comma",
        "C00",
        0,
        0,
        "",
        usd if flow == "M" else "",
        usd if flow == "X" else "",
        usd,
        "False",
        "True",
    ]


def bench_ingest(tmp: Path, database_url: str | None = None) -> None:
    import pandas as pd

    from bench.bench_sanctions import _database

    path = tmp / "comtrade_bench.csv"
    kept = write_comtrade_csv(path)
    size_mb = path.stat().st_size / 1e6

    bare = parse = whole = bare_cpu = whole_cpu = float("inf")
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        frame = pd.read_csv(path)
        bare = min(bare, time.perf_counter() - start)
        bare_cpu = min(bare_cpu, time.process_time() - cpu)
        assert len(frame) == ROWS
        del frame
        start = time.perf_counter()
        parsed = read_comtrade_csv(path, AS_OF)
        parse = min(parse, time.perf_counter() - start)
        assert len(parsed.figures) == kept

    label = "SQLite"
    for run in range(3):
        folder = tmp / f"run{run}"
        folder.mkdir()
        with _database(database_url, str(folder)) as url:
            label = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            settings = load_settings(database_url=url, chart_dir=tmp / "charts", _env_file=None)
            brief = Briefing.load(settings)
            start, cpu = time.perf_counter(), time.process_time()
            [result] = ingest(
                brief, [path], IngestOptions(as_of=AS_OF, today=AS_OF), datetime.now(UTC)
            )
            whole = min(whole, time.perf_counter() - start)
            whole_cpu = min(whole_cpu, time.process_time() - cpu)
            brief.engine.dispose()

    ratio = whole / bare
    print(f"generated CSV: {ROWS:,} rows ({size_mb:.1f} MB), {kept:,} China → Russia chapter rows")
    print(f"  bare pandas.read_csv:        {bare * 1000:7.0f} ms  ({ROWS / bare:,.0f} rows/s)")
    print(
        f"  read + validate:             {parse * 1000:7.0f} ms  ({ROWS / parse:,.0f} rows/s)"
        f"  = {parse / bare:.2f}x read_csv"
    )
    print(
        f"  whole ingest ({label}):{' ' * (15 - len(label))}{whole * 1000:7.0f} ms  "
        f"({ROWS / whole:,.0f} rows/s)  = {ratio:.2f}x read_csv "
        f"(target ≤ {TARGET_RATIO:.0f}x: {'ok' if ratio <= TARGET_RATIO else 'OVER TARGET'}); "
        f"{result.records:,} figures, {len(result.updates)} updates"
    )
    print(
        f"  in CPU time (the machine may be shared): read_csv {bare_cpu * 1000:.0f} ms, "
        f"whole ingest {whole_cpu * 1000:.0f} ms = {whole_cpu / bare_cpu:.2f}x; load average "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--ingest-only", action="store_true", help="skip the chart benchmark")
    args = parser.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        settings = load_settings(
            database_url=f"sqlite:///{tmp / 'charts.db'}", chart_dir=tmp / "charts", _env_file=None
        )
        if not args.ingest_only:
            brief = Briefing.load(settings)
            p50, p90 = bench_chart(brief)
            verdict = "ok" if p50 <= 300 else "OVER TARGET"
            print(
                f"chart render (uncached, 1000x600, annual + monthly): p50 {p50:.0f} ms, "
                f"p90 {p90:.0f} ms (target p50 <= 300 ms: {verdict})"
            )
        bench_ingest(tmp, args.database_url)


if __name__ == "__main__":
    main(sys.argv[1:])
