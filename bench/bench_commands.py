"""Command latency and cold start.

1. In-process latency (p50/p99) of each /brief subcommand over the bundled data pack and the
   two bundled OFAC lists, after one warm-up call each (indexes built, chart cached)
   (target: p99 ≤ 20 ms).
2. Cold `python bot.py say "/brief trade 2024"` wall time against
   `python -c "import slack_bolt, pandas, apscheduler"`, interleaved in one run
   (target: ratio ≤ 1.5).

Run: .venv/bin/python -m bench.bench_commands
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.seed import seed_bundled
from briefing.settings import PROJECT_ROOT, load_settings

COMMANDS = [
    "help",
    "help trade",
    "trade",
    "trade 2024",
    "trade 2024-12",
    "trade 2019..2025",
    "trade 2023-01..2024-06 exports",
    "digest 2024-03-08",
    "digest",
    "sources",
    "sanctions wuhan maiwe",
    "sanctions stats",
    "sanctions new",
    "chart trade 2019..2025",
    "ask what share of Russia's chips come from China?",
    "ask how much gas went through power of siberia in 2023",
    "what share of the russian car market do chinese brands have",
    "ask what was trade in 1995?",
]


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def in_process(rounds: int = 200) -> list[tuple[str, float, float]]:
    from handlers import dispatch

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            _env_file=None, database_url=f"sqlite:///{tmp}/bench.db", chart_dir=Path(tmp)
        )
        brief = Briefing.load(settings)
        seed_bundled(brief, datetime.now(UTC))  # the two bundled OFAC lists, as on first start
        ctx = Context(brief=brief, today=date(2026, 11, 23), caller=Caller(is_admin=True))
        results = []
        for command in COMMANDS:
            dispatch(command, ctx)  # warm caches once, as a running bot would be
            samples = []
            for _ in range(rounds):
                start = time.perf_counter()
                dispatch(command, ctx)
                samples.append((time.perf_counter() - start) * 1000)
            results.append((command, statistics.median(samples), _percentile(samples, 0.99)))
        brief.engine.dispose()
    return results


def _wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=PROJECT_ROOT)
    return time.perf_counter() - start


def cold_start(rounds: int = 10) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/cold.db"}
        bot = [sys.executable, str(PROJECT_ROOT / "bot.py"), "say", "/brief trade 2024"]
        baseline = [sys.executable, "-c", "import slack_bolt, pandas, apscheduler"]
        _wall(bot, env)  # create the database once; later runs find it, as a user's would
        bot_times, base_times = [], []
        for _ in range(rounds):
            bot_times.append(_wall(bot, env))
            base_times.append(_wall(baseline, env))
    return statistics.median(bot_times), statistics.median(base_times)


def main() -> None:
    print("In-process latency per subcommand (ms), bundled data pack:")
    worst = 0.0
    for command, p50, p99 in in_process():
        worst = max(worst, p99)
        print(f"  {command:<58} p50 {p50:7.3f}   p99 {p99:7.3f}")
    print(f"  worst p99: {worst:.3f} ms (target ≤ 20 ms)")
    bot, base = cold_start()
    print(
        f"Cold start: bot.py say '/brief trade 2024' {bot * 1000:.0f} ms (median of 10); "
        f"import slack_bolt, pandas, apscheduler {base * 1000:.0f} ms; ratio {bot / base:.2f} (target ≤ 1.5)"
    )


if __name__ == "__main__":
    main()
