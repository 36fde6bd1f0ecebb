"""`ask` over the whole question bank: latency, cold start, and the retrieval alternatives scored.

1. In-process latency of `ask` for every bank question (p50/p99; target p99 ≤ 20 ms), after one
   warm-up pass (indexes and the embedding model loaded, as in a running bot).
2. Cold start: `bot.py say "/brief trade 2024"` against the import floor
   `python -c "import slack_bolt, pandas, apscheduler"` (target ratio ≤ 1.5), and the first
   `ask` in a fresh process (the model loaded on first use).
3. Development and held-out scores for each retrieval recipe, each at the threshold that scores
   best on the development split without answering any of its unanswerable questions.

Run: .venv/bin/python -m bench.bench_ask            (everything)
     .venv/bin/python -m bench.bench_ask --dev-only (development scores only)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from briefing.appstate import Briefing, Context
from briefing.ask.answer import answer
from briefing.ask.retrieve import ALTERNATIVES, SHIPPED, Recipe
from briefing.caller import Caller
from briefing.seed import seed_bundled
from briefing.settings import PROJECT_ROOT, load_settings
from handlers import dispatch
from tests.ask_bank.checks import BankQuestion
from tests.ask_bank.development import DEVELOPMENT
from tests.ask_bank.heldout import HELD_OUT
from tests.ask_bank.score import Score, score
from tests.conftest import TODAY

THRESHOLDS = tuple(round(0.15 + 0.025 * i, 3) for i in range(19))  # 0.15 … 0.60
COLD_RUNS = 10


def run(bank: tuple[BankQuestion, ...], ctx: Context, recipe: Recipe) -> Score:
    return score(bank, lambda q: answer(q.text, ctx.brief, ctx.today, recipe=recipe), ctx)


def tuned(ctx: Context, recipe: Recipe) -> tuple[Recipe, Score]:
    """The recipe at the threshold that is best on development (all its unanswerables honest)."""
    by_threshold = {t: run(DEVELOPMENT, ctx, recipe.with_threshold(t)) for t in THRESHOLDS}
    best = max(
        THRESHOLDS,
        key=lambda t: (
            by_threshold[t].unanswerable_right == by_threshold[t].unanswerable,
            by_threshold[t].right,
            -abs(t - recipe.min_score),
        ),
    )
    return recipe.with_threshold(best), by_threshold[best]


def latency(ctx: Context) -> tuple[float, float]:
    commands = [q.text if q.bare else f"ask {q.text}" for q in DEVELOPMENT + HELD_OUT]
    for command in commands:
        dispatch(command, ctx)
    samples = []
    for _ in range(5):
        for command in commands:
            start = time.perf_counter()
            dispatch(command, ctx)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[round(0.99 * (len(samples) - 1))]


def _seconds(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=PROJECT_ROOT)
    return time.perf_counter() - start


def cold_start() -> tuple[float, float, float]:
    """Medians over interleaved runs: import floor, `say "/brief trade 2024"`, a first `ask`
    (which loads the retrieval index and the embedding model)."""
    floor = [sys.executable, "-c", "import slack_bolt, pandas, apscheduler"]
    trade = [sys.executable, "bot.py", "say", "/brief trade 2024"]
    ask = [sys.executable, "bot.py", "say", "/brief ask how many cars did chinese brands sell"]
    times: dict[str, list[float]] = {"floor": [], "trade": [], "ask": []}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/cold.db"}
        _seconds(trade, env)  # create the database once; later runs find it, as a user's would
        for _ in range(COLD_RUNS):
            times["floor"].append(_seconds(floor, env))
            times["trade"].append(_seconds(trade, env))
            times["ask"].append(_seconds(ask, env))
    floor_s, trade_s, ask_s = (statistics.median(times[k]) for k in ("floor", "trade", "ask"))
    return floor_s, trade_s, ask_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-only", action="store_true", help="development scores only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            _env_file=None, database_url=f"sqlite:///{tmp}/bench.db", chart_dir=Path(tmp)
        )
        brief = Briefing.load(settings)
        seed_bundled(brief, datetime(2024, 2, 24, tzinfo=UTC))
        ctx = Context(brief=brief, today=TODAY, caller=Caller(user_id="U1", is_admin=True))
        if not args.dev_only:
            p50, p99 = latency(ctx)
            total = len(DEVELOPMENT) + len(HELD_OUT)
            print(f"ask over the bank ({total} questions × 5): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
            floor, trade, first_ask = cold_start()
            print(
                f"cold start (median of {COLD_RUNS}): import floor {floor:.2f} s; "
                f'`say "/brief trade 2024"` {trade:.2f} s = {trade / floor:.2f}× the floor; '
                f"first `ask` {first_ask:.2f} s = {first_ask / floor:.2f}×"
            )
        print("Retrieval recipes (threshold chosen on development):")
        for recipe in ALTERNATIVES:
            best, dev = tuned(ctx, recipe)
            line = (
                f"  {recipe.name:<34} threshold {best.min_score:.3f}: {dev.summary('development')}"
            )
            if not args.dev_only:
                line += f"; {run(HELD_OUT, ctx, best).summary('held-out')}"
            print(line, flush=True)
        print(f"  shipped: {SHIPPED}")
        brief.engine.dispose()


if __name__ == "__main__":
    main()
