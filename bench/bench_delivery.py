"""Digest fan-out through the delivery ledger, against a local fake Slack that behaves like a
remote one: each chat.postMessage takes ``--latency`` (100 ms), a channel gets at most one
message a second (else a 429 with Retry-After), and a digest is its message plus its chart
(``files_upload_v2``: three more calls).

Every party runs in its own process: the fake Slack, the clients, the delivery replicas.

- fake: the fake's own capacity — a lean client (``http.client`` on kept-alive connections,
  ``--concurrency`` digests in flight) making a digest's four calls; it must be well above
  what the bare client gets, so the fake is not what is measured;
- bare: the raw capacity of the bot's client — ``--concurrency`` threads calling the same
  ``SlackPoster.post`` and ``post_chart`` with the same digest to distinct channels, no
  database;
- 1 replica: ``bot.py run``'s delivery worker with its default settings (64 posts in flight,
  ≤ 4 at once per workspace, batched claims) posting a planned fan-out of ``--channels``
  channels (100 per workspace) from the PostgreSQL ledger;
- 3 replicas: three such processes sharing the ledger (claims with SKIP LOCKED);
- with ``--large``: the same three replicas posting 100,000 channels in 1,000 workspaces.

Printed: digests per second of each, 1 replica / bare (target ≥ 0.7), the fan-out time of each
planned fan-out (replicas started → last delivery sent; planning separately), and the CPU each
process spent per digest (the machine's cores are shared by all of them).

Run: .venv/bin/python -m bench.bench_delivery [--large] [--latency 0.1]
(PostgreSQL from BENCH_DATABASE_URL or TEST_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/test)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
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
from typing import Any
from urllib.parse import urlencode, urlsplit

from briefing.settings import PROJECT_ROOT

CHANNELS_PER_WORKSPACE = 100
CHANNELS = 10_000
LARGE_CHANNELS = 100_000
CONCURRENCY = 64  # DELIVERY_CONCURRENCY's default
LATENCY_S = 0.1
BARE_POSTS = 3_000
PHASE_LIMIT_S = 1800.0
TARGET_LARGE_S = 600.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the processes ---------------------------------------------------------------------------


def serve_fake(latency_s: float) -> None:
    from tests.fakes.fake_slack import FakeSlack

    with FakeSlack(post_latency_s=latency_s, channel_interval_s=1.0, record_calls=False) as fake:
        print(fake.api_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


def probe_loop(api_url: str, posts: int, concurrency: int) -> None:
    """The fake's capacity: a digest's four calls over kept-alive connections, no SDK."""
    url = urlsplit(api_url)
    host, port = url.hostname or "127.0.0.1", url.port
    chart = (PROJECT_ROOT / "data").glob("*.png")
    payload = next(chart, None)
    png = payload.read_bytes() if payload is not None else b"\x89PNG" + b"\0" * 40_000
    lock = threading.Lock()
    done: list[float] = []
    todo = iter(range(posts))
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer x"}

    def call(conn: http.client.HTTPConnection, path: str, body: bytes) -> dict[str, Any]:
        conn.request("POST", path, body=body, headers=form)
        answer: dict[str, Any] = json.loads(conn.getresponse().read() or b"{}")
        return answer

    def run() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                conn.close()
                return
            channel = f"CP{i:06d}"
            meta = {"event_type": "brief_delivery", "event_payload": {"delivery_id": f"p:{i}"}}
            text = {"channel": channel, "text": "digest " * 200, "metadata": json.dumps(meta)}
            call(conn, "/api/chat.postMessage", urlencode(text).encode())
            upload = call(
                conn,
                "/api/files.getUploadURLExternal",
                urlencode({"filename": f"c{i}.png", "length": len(png)}).encode(),
            )
            conn.request("POST", urlsplit(upload["upload_url"]).path, body=png)
            conn.getresponse().read()
            files = json.dumps([{"id": upload["file_id"], "title": "chart"}])
            done_body = urlencode({"files": files, "channel_id": channel}).encode()
            call(conn, "/api/files.completeUploadExternal", done_body)
            with lock:
                done.append(time.monotonic())

    workers = [threading.Thread(target=run) for _ in range(concurrency)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({"posted": len(done), "first": min(done), "last": max(done)}), flush=True)


def bare_loop(api_url: str, posts: int, concurrency: int) -> None:
    """Post the digest to ``posts`` distinct channels, ``concurrency`` at once; print timings."""
    from pydantic import SecretStr

    from briefing.appstate import Briefing
    from briefing.daily_digest import build_digest
    from briefing.delivery.poster import ChannelRef
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
            channel = ChannelRef("slack", f"B{i % 100:03d}", f"CB{i:06d}")
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

    workers = [threading.Thread(target=run) for _ in range(concurrency)]
    started = time.process_time()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    cpu = time.process_time() - started
    print(
        json.dumps({"posted": len(done), "first": min(done), "last": max(done), "cpu": cpu}),
        flush=True,
    )


class Fake:
    def __init__(self, proc: subprocess.Popen[str], api_url: str, kind: str) -> None:
        self.proc = proc
        self.api_url = api_url
        self.kind = kind

    def cpu(self) -> float:
        return cpu_s(self.proc.pid)

    def stats(self) -> dict[str, Any]:
        """The fast fake's counts: calls by method, deliveries posted, posted more than once."""
        url = urlsplit(self.api_url)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        try:
            conn.request("GET", "/_stats")
            answer: dict[str, Any] = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        return answer


@contextlib.contextmanager
def fake_slack(latency_s: float, kind: str = "fast") -> Iterator[Fake]:
    """``fast``: bench.fake_slack_fast (asyncio); ``threaded``: tests.fakes.fake_slack."""
    if kind == "fast":
        command = ["-m", "bench.fake_slack_fast", "--latency", str(latency_s)]
    else:
        command = ["-m", "bench.bench_delivery", "--role", "fake", "--latency", str(latency_s)]
    proc = subprocess.Popen(
        [sys.executable, *command],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # broken pipes when a phase stops with posts in flight
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        yield Fake(proc, proc.stdout.readline().strip(), kind)
    finally:
        proc.stdin.close()
        proc.wait(30)


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
    """Subscribe ``channels`` channels (100 per workspace; Slack-like channel ids, which do not
    group by workspace) to a digest due now; plan it. Returns seconds to plan."""
    from briefing.db import make_engine
    from briefing.delivery.planner import Planner
    from briefing.delivery.subscriptions import subscriptions_table
    from briefing.migrations import upgrade as upgrade_schema

    engine = make_engine(database_url)
    upgrade_schema(engine)
    workspaces = max(channels // CHANNELS_PER_WORKSPACE, 1)
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    rows = [
        {
            "platform": "slack",
            "workspace_id": f"T{i % workspaces:04d}",
            "channel_id": f"C{i:06d}",
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
    database_url: str, fake: Fake, replicas: int, channels: int, tmp: Path
) -> dict[str, float]:
    from briefing.db import make_engine
    from briefing.delivery.ledger import Ledger

    fake_cpu = fake.cpu()
    procs = []
    started = time.monotonic()
    for r in range(replicas):
        log = (tmp / f"replica{r}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable, "-m", "tests.delivery.worker_process",
                    "--database-url", database_url,
                    "--slack-api-url", fake.api_url,
                    "--name", f"r{r}",
                    "--concurrency", str(CONCURRENCY),
                    "--lease-s", "120",
                    "--timeout-s", "10",
                    "--retry-base-s", "1",
                    "--quiet",
                    "--max-seconds", str(PHASE_LIMIT_S + 30),
                ],
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )  # fmt: skip
    engine = make_engine(database_url)
    ledger = Ledger(engine)
    deadline = started + PHASE_LIMIT_S
    replica_cpu = 0.0
    try:
        while time.monotonic() < deadline:
            if ledger.counts().get("sent", 0) >= channels:
                break
            time.sleep(0.25)
        wall = time.monotonic() - started
        replica_cpu = sum(cpu_s(p.pid) for p in procs)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(10)
        engine.dispose()
    sent, seconds = sent_window(database_url)
    checked: dict[str, float] = {}
    if fake.kind == "fast":
        stats = fake.stats()
        checked = {"posted": stats["delivered"], "duplicates": stats["dup"]}
    return {
        **checked,
        "sent": sent,
        "seconds": seconds,
        "rate": sent / seconds if seconds else 0.0,
        "wall": wall,
        "client_cpu_ms": 1000 * replica_cpu / max(sent, 1),
        "fake_cpu_ms": 1000 * (fake.cpu() - fake_cpu) / max(sent, 1),
    }


def run_client(role: str, fake: Fake, posts: int, concurrency: int, tmp: Path) -> dict[str, float]:
    fake_cpu = fake.cpu()
    out = subprocess.run(
        [
            sys.executable, "-m", "bench.bench_delivery", "--role", role,
            "--api-url", fake.api_url, "--posts", str(posts),
            "--concurrency", str(concurrency),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BENCH_TMP": str(tmp)},
        capture_output=True,
        text=True,
        timeout=PHASE_LIMIT_S,
        check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    seconds = result["last"] - result["first"]
    posted = result["posted"]
    return {
        "sent": posted,
        "seconds": seconds,
        "rate": posted / seconds,
        "client_cpu_ms": 1000 * result.get("cpu", 0.0) / posted,
        "fake_cpu_ms": 1000 * (fake.cpu() - fake_cpu) / posted,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["bench", "fake", "bare", "probe"], default="bench")
    parser.add_argument("--latency", type=float, default=LATENCY_S)
    parser.add_argument("--api-url")
    parser.add_argument("--posts", type=int, default=BARE_POSTS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--channels", type=int, default=CHANNELS)
    parser.add_argument(
        "--large", action="store_true", help=f"also {LARGE_CHANNELS:,} channels, 3 replicas"
    )
    parser.add_argument("--skip-small", action="store_true", help="only the --large phase")
    parser.add_argument("--fake", choices=["fast", "threaded"], default="fast")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.role == "fake":
        serve_fake(args.latency)
        return
    if args.role == "bare":
        bare_loop(args.api_url, args.posts, args.concurrency)
        return
    if args.role == "probe":
        probe_loop(args.api_url, args.posts, args.concurrency)
        return

    import tempfile

    base_url = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/test"
    )
    channels = args.channels
    latency = args.latency
    print(
        f"digest fan-out; fake Slack ({args.fake}): {latency * 1000:.0f} ms per chat.postMessage, "
        f"1 message/s per channel; a digest = its message + its chart (4 calls); "
        f"{args.concurrency} in flight per process; {CHANNELS_PER_WORKSPACE} channels per "
        f"workspace; PostgreSQL ledger",
        flush=True,
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_small:
            with fake_slack(latency, args.fake) as fake:
                results["fake"] = run_client("probe", fake, args.posts, args.concurrency, tmp)
                results["bare"] = run_client("bare", fake, args.posts, args.concurrency, tmp)
            show(results)
            # The bare client again after one replica: the machine's load drifts.
            for replicas, after in ((1, "bare, again"), (3, None)):
                with fresh_schema(base_url) as url, fake_slack(latency, args.fake) as fake:
                    plan_s = plan_fan_out(url, channels)
                    name = f"{replicas} replica{'s' if replicas > 1 else ''}, {channels:,}"
                    results[name] = run_replicas(url, fake, replicas, channels, tmp)
                    results[name]["plan_s"] = plan_s
                if after:
                    with fake_slack(latency, args.fake) as fake:
                        results[after] = run_client("bare", fake, args.posts, args.concurrency, tmp)
                show(results)
        if args.large:
            with fresh_schema(base_url) as url, fake_slack(latency, args.fake) as fake:
                plan_s = plan_fan_out(url, LARGE_CHANNELS)
                name = f"3 replicas, {LARGE_CHANNELS:,}"
                results[name] = run_replicas(url, fake, 3, LARGE_CHANNELS, tmp)
                results[name]["plan_s"] = plan_s
            show(results)

    if "bare" in results:
        bares = [results[n]["rate"] for n in ("bare", "bare, again") if n in results]
        bare_rate = sum(bares) / len(bares)
        print(f"  bare (mean of {len(bares)}):        {bare_rate:.1f} digests/s")
        print(f"  fake / bare:              {results['fake']['rate'] / bare_rate:.2f}")
        one = results.get(f"1 replica, {channels:,}")
        three = results.get(f"3 replicas, {channels:,}")
        if one:
            print(f"  1 replica / bare:         {one['rate'] / bare_rate:.2f}  (target ≥ 0.7)")
        if one and three:
            print(f"  3 replicas / 1 replica:   {three['rate'] / one['rate']:.2f}")
    large = results.get(f"3 replicas, {LARGE_CHANNELS:,}")
    if large:
        print(
            f"  {LARGE_CHANNELS:,} channels by 3 replicas: {large['wall'] / 60:.1f} min "
            f"(target ≤ {TARGET_LARGE_S / 60:.0f} min)"
        )


def show(results: dict[str, dict[str, float]]) -> None:
    print("  --")
    for name, r in results.items():
        extra = ""
        if "wall" in r:
            extra += f"; fan-out {r['wall']:.1f} s, planned in {r['plan_s']:.1f} s"
            if r["sent"] < int(name.rsplit(" ", 1)[-1].replace(",", "")):
                extra += " (time bound hit)"
        if "duplicates" in r:
            extra += f"; at the fake: {int(r['posted'])} posted, {int(r['duplicates'])} twice"
        print(
            f"  {name:<22} {r['rate']:7.1f} digests/s  ({int(r['sent'])} in {r['seconds']:.1f} s"
            f"{extra}); CPU per digest: client {r['client_cpu_ms']:.2f} ms, "
            f"fake {r['fake_cpu_ms']:.2f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
