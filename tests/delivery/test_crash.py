"""Crash recovery: delivery processes killed with SIGKILL at random moments, a fake Slack that
rate-limits, fails, and loses answers to posts it made — and still every delivery is posted
exactly once (counted by the delivery id in each message's metadata at the fake).

The control run turns the history check off and must show duplicates: proof that this test can
see them. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from briefing.appstate import Briefing
from briefing.delivery.ledger import DeliveryStatus, Ledger
from briefing.delivery.planner import Planner
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.replies import Line
from briefing.settings import PROJECT_ROOT
from briefing.updates import Update, record_update
from tests.fakes.fake_slack import FakeSlack, Faults

pytestmark = pytest.mark.slow

WORKSPACES = 4
CHANNELS_PER_WORKSPACE = 40  # × (digest + alert) = 320 deliveries
FAULTS = Faults(
    rate_limited=0.10,
    server_error=0.05,
    reset_after_post=0.01,
    stall_after_post=0.01,
    stall_s=1.5,  # the workers' client timeout is 1 s
    retry_after_s=1,
    seed=20261123,
)


def plan_fan_out(brief: Briefing, now: datetime, channels_per_workspace: int) -> int:
    """Subscribe the channels to a digest due ten minutes ago and to sanctions alerts, record
    one sanctions update, plan: one digest and one alert per channel."""
    store = SubscriptionStore(brief.engine)
    due = (now - timedelta(minutes=10)).time().replace(second=0, microsecond=0)
    for w in range(WORKSPACES):
        for c in range(channels_per_workspace):
            store.subscribe(
                ChannelRef("slack", f"T{w}", f"C{w}x{c:03d}"),
                at=due,
                tz="UTC",
                topics=frozenset({"digest", "sanctions"}),
                by_user="UADMIN",
                now=now - timedelta(hours=1),
            )
    update = Update(
        update_id="ofac:crash-test",
        topic="sanctions",
        title="New sanctions designations — OFAC",
        lines=(Line("3 added, 0 changed, 0 removed."),),
        data_date=date(2026, 11, 20),
    )
    record_update(brief.engine, update, now - timedelta(minutes=5))
    report = Planner(brief.engine).plan(now)
    return len(report.planned)


@dataclass
class Workers:
    database_url: str
    api_url: str
    log_dir: Path
    extra: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        name = f"w{self.started}"
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.delivery.worker_process",
                "--database-url",
                self.database_url,
                "--slack-api-url",
                self.api_url,
                "--name",
                name,
                "--max-seconds",
                "240",
                *self.extra,
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.procs.append(proc)
        return proc

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def kill9(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.alive():
            self.kill9(proc)

    def logs(self, *, full: bool = False) -> str:
        texts = (p.read_text() for p in sorted(self.log_dir.glob("w*.log")))
        return "\n".join(t if full else t[-3000:] for t in texts)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(faults=FAULTS, post_latency_s=0.1) as server:
        yield server


def open_count(engine: Engine) -> int:
    counts = Ledger(engine).counts()
    return counts.get(DeliveryStatus.PENDING.value, 0) + counts.get(DeliveryStatus.SENDING.value, 0)


def run_with_kills(
    workers: Workers, engine: Engine, *, seed: int, max_kills: int, budget_s: float
) -> int:
    """Two workers at a time; every 0.3–2.5 s one of them is killed with SIGKILL and replaced,
    until the ledger has nothing open; then one last worker finishes in peace. Returns kills."""
    rng = random.Random(seed)
    deadline = time.monotonic() + budget_s
    kills = 0
    try:
        workers.start()
        workers.start()
        while kills < max_kills and open_count(engine) and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.3, 2.5))
            alive = workers.alive()
            if alive:
                workers.kill9(rng.choice(alive))
                kills += 1
            while len(workers.alive()) < 2:
                workers.start()
        # No more kills: the survivors finish (their leases and the dead ones' run out).
        while open_count(engine) and time.monotonic() < deadline + 60:
            if not workers.alive():
                workers.start()
            time.sleep(0.2)
    finally:
        workers.stop_all()
    return kills


def test_kill_9_at_random_moments_loses_nothing_and_posts_nothing_twice(
    brief: Briefing, database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    planned = plan_fan_out(brief, datetime.now(UTC), CHANNELS_PER_WORKSPACE)
    assert planned == WORKSPACES * CHANNELS_PER_WORKSPACE * 2 >= 300
    workers = Workers(database_url, fake.api_url, tmp_path)
    kills = run_with_kills(workers, brief.engine, seed=7, max_kills=12, budget_s=90)

    ledger = Ledger(brief.engine)
    counts = ledger.counts()
    delivered = fake.delivered()
    duplicates = {d: n for d, n in delivered.items() if n > 1}
    assert kills >= 5, workers.logs()
    assert counts == {DeliveryStatus.SENT.value: planned}, (counts, workers.logs())
    first = sorted(duplicates)[:1]
    history = [line for line in workers.logs(full=True).splitlines() if first and first[0] in line]
    assert duplicates == {}, (first, "\n".join(history))
    assert len(delivered) == planned  # 0 lost
    # The faults did happen, and some posts were in doubt and found rather than re-posted.
    statuses = [c.status for c in fake.calls_to("chat.postMessage")]
    assert statuses.count(429) > 10
    assert statuses.count(500) > 5
    assert fake.calls_to("conversations.history")
    assert "had in fact posted" in workers.logs(full=True)


def test_control_without_the_history_check_shows_duplicates(
    brief: Briefing, database_url: str, tmp_path: Path
) -> None:
    # More answers lost than in the real run, so the duplicates are certain, not likely.
    faults = Faults(reset_after_post=0.05, stall_after_post=0.05, stall_s=1.5, seed=5)
    with FakeSlack(faults=faults, post_latency_s=0.02) as fake:
        planned = plan_fan_out(brief, datetime.now(UTC), 20)
        workers = Workers(database_url, fake.api_url, tmp_path, extra=("--no-history",))
        run_with_kills(workers, brief.engine, seed=11, max_kills=2, budget_s=60)
        delivered = fake.delivered()
    assert len(delivered) == planned  # nothing lost…
    duplicates = {d: n for d, n in delivered.items() if n > 1}
    assert len(duplicates) >= 3  # …but without the check, posts in doubt show twice
