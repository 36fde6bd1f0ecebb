"""Digest fan-out: 10,000 channels in 100 workspaces, through the delivery ledger, against a
local fake Slack that behaves like a remote one (each chat.postMessage takes ``LATENCY_S`` and
a channel gets at most one message a second, else a 429 with Retry-After).

Every party runs in its own process: the fake Slack, the bare client, the delivery replicas.

- bare: a client loop with ``THREADS`` threads calling the same ``SlackPoster.post`` with the
  same digest (chat.postMessage plus the chart upload) to distinct channels, no database: the
  fake's raw capacity at that concurrency;
- 1 replica: ``bot.py run``'s delivery worker with its default settings (4 threads, ≤ 4 posts at
  once per workspace) planning nothing, claiming from the ledger on PostgreSQL, posting,
  settling;
- 3 replicas: three such processes sharing the ledger (claims with SKIP LOCKED).

Printed: posts per second for each, 1 replica / bare (target ≥ 0.7), 3 replicas / 1 replica
(target ≥ 2). Rates are measured from the first post to the last within a time bound
(``PHASE_LIMIT_S``); a phase that hits the bound says how many it posted.

Run: .venv/bin/python -m bench.bench_delivery   (PostgreSQL from BENCH_DATABASE_URL or
TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from briefing.settings import PROJECT_ROOT

WORKSPACES = 100
CHANNELS = 10_000
THREADS = 4  # DELIVERY_THREADS' default
LATENCY_S = 0.1
PHASE_LIMIT_S = 60.0
BARE_POSTS = 2_000


# -- the processes ---------------------------------------------------------------------------


def serve_fake(latency_s: float) -> None:
    from tests.fakes.fake_slack import FakeSlack

    with FakeSlack(post_latency_s=latency_s, channel_interval_s=1.0) as fake:
        print(fake.api_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


def bare_loop(api_url: str, posts: int, threads: int) -> None:
    """Post the digest to ``posts`` distinct channels with ``threads`` threads; print timings."""
    from pydantic import SecretStr

    from briefing.core import Briefing
    from briefing.delivery.poster import ChannelRef
    from briefing.digest import build_digest
    from briefing.platforms.slack.poster import SlackPoster, delivery_client
    from briefing.settings import load_settings

    settings = load_settings(
        database_url=f"sqlite:///{Path(os.environ['BENCH_TMP']) / 'bare.db'}",
        slack_api_url=api_url,
        slack_bot_token=SecretStr("xoxb-bench"),
        _env_file=None,
    )
    brief = Briefing.load(settings)
    reply = build_digest(brief, datetime.now(UTC).date(), local_time_label="08:00 UTC")
    poster = SlackPoster(delivery_client(settings))
    lock = threading.Lock()
    done: list[float] = []
    todo = iter(range(posts))

    def run() -> None:
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            channel = ChannelRef("slack", f"B{i % WORKSPACES:03d}", f"CB{i:05d}")
            # The message, then its chart: the two calls a delivered digest makes.
            posted = poster.post(channel, reply, delivery_id=f"bare:{i}")
            if reply.chart is not None:
                poster.post_chart(
                    channel,
                    reply.chart,
                    delivery_id=f"bare:{i}",
                    message_id=posted.message_id or "",
                )
            with lock:
                done.append(time.monotonic())

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({"posted": len(done), "first": min(done), "last": max(done)}), flush=True)


@contextlib.contextmanager
def fake_slack(latency_s: float) -> Iterator[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.bench_delivery",
            "--role",
            "fake",
            "--latency",
            str(latency_s),
        ],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # broken pipes when a phase stops with posts in flight
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()
        proc.wait(10)


# -- the ledger ------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_schema(base_url: str) -> Iterator[str]:
    from sqlalchemy import text

    from briefing.db import make_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def plan_fan_out(database_url: str, channels: int) -> float:
    """Subscribe ``channels`` channels to a digest due now; plan it. Returns seconds to plan."""
    from briefing.db import make_engine, upgrade_schema
    from briefing.delivery.planner import Planner
    from briefing.delivery.subscriptions import subscriptions_table

    engine = make_engine(database_url)
    upgrade_schema(engine)
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    rows = [
        {
            "platform": "slack",
            "workspace_id": f"T{i % WORKSPACES:03d}",
            "channel_id": f"C{i:05d}",
            "digest_time": f"{due.hour:02d}:{due.minute:02d}",
            "tz": "UTC",
            "topics": "digest",
            "status": "active",
            "paused_reason": None,
            "created_by": "UADMIN",
            "created_at": now - timedelta(days=1),
            "updated_at": now - timedelta(days=1),
        }
        for i in range(channels)
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 1000):
            conn.execute(subscriptions_table.insert(), rows[start : start + 1000])
    started = time.monotonic()
    report = Planner(engine).plan(now)
    elapsed = time.monotonic() - started
    assert len(report.planned) == channels, len(report.planned)
    engine.dispose()
    return elapsed


def sent_window(database_url: str) -> tuple[int, float]:
    """(deliveries sent, seconds from the first to the last)."""
    from sqlalchemy import func, select

    from briefing.db import make_engine
    from briefing.delivery.ledger import deliveries

    engine = make_engine(database_url)
    d = deliveries.c
    with engine.connect() as conn:
        count, first, last = conn.execute(
            select(func.count(), func.min(d.finished_at), func.max(d.finished_at)).where(
                d.status == "sent"
            )
        ).one()
    engine.dispose()
    if not count or count < 2:
        return int(count or 0), 0.0
    return int(count), (last - first).total_seconds()


def run_replicas(
    database_url: str, api_url: str, replicas: int, channels: int, tmp: Path
) -> dict[str, float]:
    from briefing.db import make_engine
    from briefing.delivery.ledger import Ledger

    procs = []
    for r in range(replicas):
        log = (tmp / f"replica{r}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable, "-m", "tests.delivery_worker",
                    "--database-url", database_url,
                    "--slack-api-url", api_url,
                    "--name", f"r{r}",
                    "--threads", str(THREADS),
                    "--lease-s", "60",
                    "--timeout-s", "10",
                    "--retry-base-s", "1",
                    "--max-seconds", str(PHASE_LIMIT_S + 30),
                ],
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )  # fmt: skip
    engine = make_engine(database_url)
    ledger = Ledger(engine)
    deadline = time.monotonic() + PHASE_LIMIT_S
    try:
        while time.monotonic() < deadline:
            if ledger.counts().get("sent", 0) >= channels:
                break
            time.sleep(0.5)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(10)
        engine.dispose()
    sent, seconds = sent_window(database_url)
    return {"sent": sent, "seconds": seconds, "rate": sent / seconds if seconds else 0.0}


def run_bare(api_url: str, posts: int, threads: int, tmp: Path) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable, "-m", "bench.bench_delivery", "--role", "bare",
            "--api-url", api_url, "--posts", str(posts), "--threads", str(threads),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BENCH_TMP": str(tmp)},
        capture_output=True,
        text=True,
        timeout=PHASE_LIMIT_S * 3,
        check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    seconds = result["last"] - result["first"]
    return {"sent": result["posted"], "seconds": seconds, "rate": result["posted"] / seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["bench", "fake", "bare"], default="bench")
    parser.add_argument("--latency", type=float, default=LATENCY_S)
    parser.add_argument("--api-url")
    parser.add_argument("--posts", type=int, default=BARE_POSTS)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--channels", type=int, default=CHANNELS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.role == "fake":
        serve_fake(args.latency)
        return
    if args.role == "bare":
        bare_loop(args.api_url, args.posts, args.threads)
        return

    import tempfile

    base_url = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/test"
    )
    channels = args.channels
    print(
        f"digest fan-out: {channels} channels in {WORKSPACES} workspaces; fake Slack: "
        f"{LATENCY_S * 1000:.0f} ms per chat.postMessage, 1 message/s per channel; "
        f"{THREADS} threads per process; PostgreSQL ledger"
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with fake_slack(LATENCY_S) as api_url:
            results["bare"] = run_bare(api_url, BARE_POSTS, THREADS, tmp)
            results["bare ×3"] = run_bare(api_url, BARE_POSTS, THREADS * 3, tmp)
        for replicas in (1, 3):
            with fresh_schema(base_url) as url, fake_slack(LATENCY_S) as api_url:
                plan_s = plan_fan_out(url, channels)
                results[f"{replicas} replica"] = run_replicas(url, api_url, replicas, channels, tmp)
                results[f"{replicas} replica"]["plan_s"] = plan_s

    for name, r in results.items():
        extra = f", planned in {r['plan_s']:.1f} s" if "plan_s" in r else ""
        bound = "" if r["sent"] >= channels or name.startswith("bare") else " (time bound hit)"
        print(
            f"  {name:<10} {r['rate']:8.1f} posts/s  ({int(r['sent'])} posts in "
            f"{r['seconds']:.1f} s{extra}){bound}"
        )
    one, three = results["1 replica"], results["3 replica"]
    print(f"  1 replica / bare:      {one['rate'] / results['bare']['rate']:.2f}  (target ≥ 0.7)")
    print(f"  3 replicas / 1:        {three['rate'] / one['rate']:.2f}  (target ≥ 2)")
    print(f"  3 replicas / bare ×3:  {three['rate'] / results['bare ×3']['rate']:.2f}")


if __name__ == "__main__":
    main()
