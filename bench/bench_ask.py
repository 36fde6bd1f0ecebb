"""`ask` over the whole question bank: latency, and the retrieval alternatives scored.

1. In-process latency of `ask` for every bank question (p50/p99; target p99 ≤ 20 ms), after one
   warm-up pass (indexes and the embedding model loaded, as in a running bot).
2. Development and held-out scores for each retrieval mode — BM25 alone, embeddings alone, and
   the two fused — each at the threshold that scores best on the development split without
   answering any of its unanswerable questions.

Run: .venv/bin/python -m bench.bench_ask
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from briefing.ask import retrieve
from briefing.ask.answer import answer
from briefing.ask.retrieve import Mode
from briefing.core import Briefing, Caller, Context
from briefing.seed import seed_bundled
from briefing.settings import load_settings
from handlers import dispatch
from tests.ask_bank.checks import BankQuestion
from tests.ask_bank.development import DEVELOPMENT
from tests.ask_bank.heldout import HELD_OUT
from tests.ask_bank.score import Score, score

THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def alternative(brief: Briefing, ctx: Context, mode: Mode) -> tuple[Score, Score, float]:
    def run(bank: tuple[BankQuestion, ...], threshold: float) -> Score:
        return score(
            bank, lambda q: answer(q.text, brief, ctx.today, mode=mode, min_score=threshold), ctx
        )

    by_threshold = {t: run(DEVELOPMENT, t) for t in THRESHOLDS}
    best = max(
        THRESHOLDS,
        key=lambda t: (
            by_threshold[t].unanswerable_right == by_threshold[t].unanswerable,
            by_threshold[t].right,
        ),
    )
    return by_threshold[best], run(HELD_OUT, best), best


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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            _env_file=None, database_url=f"sqlite:///{tmp}/bench.db", chart_dir=Path(tmp)
        )
        brief = Briefing.load(settings)
        seed_bundled(brief, datetime.now(UTC))
        ctx = Context(brief=brief, today=date(2026, 11, 23), caller=Caller(is_admin=True))
        p50, p99 = latency(ctx)
        total = len(DEVELOPMENT) + len(HELD_OUT)
        print(f"ask over the bank ({total} questions × 5): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        print("Retrieval alternatives (threshold chosen on development):")
        for mode in (Mode.BM25, Mode.EMBEDDINGS, Mode.FUSED):
            dev, held, best = alternative(brief, ctx, mode)
            print(
                f"  {mode:<11} threshold {best:.2f}: {dev.summary('development')}; "
                f"{held.summary('held-out')}"
            )
        print(
            f"  shipped: fused, lexical weight {retrieve.LEXICAL_WEIGHT}, "
            f"threshold {retrieve.MIN_SCORE}"
        )
        brief.engine.dispose()


if __name__ == "__main__":
    main()
