"""Slack over HTTP: signed `/brief trade 2024` against a bare bolt app, on loopback.

Each app runs in its own subprocess on the same server (waitress, 16 threads) with the same bolt
settings (request verification on, ``process_before_response=True``):

- bare: one listener that acks with a constant text;
- bot: China–Russia Brief as it runs — a quick command is answered in the ack itself (Block Kit
  message, sources and all), and the same question asked again that day is served from its
  reply cache until new data lands;
- bot, no reply cache: every request dispatched and rendered afresh (a diagnostic showing the
  cost of answering, not a way to run).

A load client with 16 keep-alive connections sends freshly signed requests, the apps taking
turns for two rounds. Printed: answered requests per second and latency p50/p99 for each, the
ratio bot / bare (target ≥ 0.8) and the bot's p99 (target < 300 ms). Every bot answer is checked
to carry the 2024 total ($244.8 bn); an ack without it counts as a failure.

Run: .venv/bin/python -m bench.bench_slack_http
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from briefing.settings import PROJECT_ROOT

CONNECTIONS = 16
REQUESTS_PER_PHASE = 2000
WARMUP_REQUESTS = 200
ROUNDS = 2
PHASE_TIME_LIMIT_S = 60.0
DRAIN_TIME_LIMIT_S = 120.0
SECRET = "bench-signing-secret"
COMMAND_TEXT = "trade 2024"
VARIANTS = ("bare", "bot", "uncached")
LABELS = {
    "bare": "bare bolt app (constant ack)",
    "bot": "China–Russia Brief",
    "uncached": "  (bot, no reply cache)",
}
EXPECTED = {"bare": "ok", "bot": "$244.8 bn", "uncached": "$244.8 bn"}


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# -- the processes under test ---------------------------------------------------------------


def serve_fake() -> None:
    from tests.fakes.fake_slack import FakeSlack

    with FakeSlack() as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


def serve_app(variant: str, api_url: str, database_url: str) -> None:
    import logging

    from pydantic import SecretStr
    from slack_bolt import Ack

    from briefing.appstate import Briefing
    from briefing.platforms.slack.app import SlackCommands, bolt_app, build_app
    from briefing.platforms.slack.client import make_client
    from briefing.platforms.slack.server import HttpServer, make_wsgi_app
    from briefing.settings import load_settings
    from handlers import TABLE

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # queue depth notes
    settings = load_settings(
        _env_file=None,
        database_url=database_url,
        slack_bot_token=SecretStr("xoxb-bench"),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=api_url,
    )
    client = make_client(settings)
    if variant == "bare":
        app = bolt_app(client, signing_secret=SECRET)

        def ack_only(ack: Ack) -> None:
            ack("ok")

        app.command(settings.command_name)(ack_only)
    else:
        commands = SlackCommands(Briefing.load(settings), client, TABLE)
        if variant == "uncached":
            commands.replies.maxsize = 0
        app = build_app(commands, signing_secret=SECRET)
    server = HttpServer(make_wsgi_app(app), "127.0.0.1", 0)
    print(server.url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def _spawn(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_slack_http", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise RuntimeError(f"{args} did not start: {url!r}")
    return proc, url


# -- the load client ------------------------------------------------------------------------


@dataclass
class Phase:
    sent: int
    seconds: float
    latencies_ms: list[float]
    failures: int


@dataclass
class Result:
    phases: list[Phase] = field(default_factory=list)

    @property
    def acked(self) -> int:
        return sum(len(p.latencies_ms) for p in self.phases)

    @property
    def rate(self) -> float:
        return self.acked / sum(p.seconds for p in self.phases)

    def latency(self, q: float) -> float:
        return _percentile([x for p in self.phases for x in p.latencies_ms], q)

    @property
    def failures(self) -> int:
        return sum(p.failures for p in self.phases)


def _load(url: str, requests: int, response_url: str, expected: str) -> Phase:
    from tests.fakes.fake_slack import signed_headers, slash_body

    port = int(url.rsplit(":", 1)[1])
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    failures = [0]
    deadline = time.monotonic() + PHASE_TIME_LIMIT_S

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            if i >= requests:
                break
            body = slash_body(COMMAND_TEXT, response_url=f"{response_url}/{i}")
            headers = signed_headers(SECRET, body)
            start = time.perf_counter()
            try:
                conn.request("POST", "/slack/events", body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read().decode("utf-8")
                ok = response.status == 200 and expected in answer
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                mine.append((time.perf_counter() - start) * 1000)
            else:
                failed += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return Phase(min(requests, next(counter)), seconds, latencies, failures[0])


def run() -> dict[str, Result]:
    results = {v: Result() for v in VARIANTS}
    procs: list[subprocess.Popen[str]] = []
    try:
        fake, fake_url = _spawn("fake")
        procs.append(fake)
        response_url = f"{fake_url}/response"
        with tempfile.TemporaryDirectory() as tmp:
            urls: dict[str, str] = {}
            for variant in VARIANTS:
                db = f"sqlite:///{Path(tmp) / variant}.db"
                proc, urls[variant] = _spawn("serve", variant, f"{fake_url}/api", db)
                procs.append(proc)
            for variant in VARIANTS:
                _load(urls[variant], WARMUP_REQUESTS, response_url, EXPECTED[variant])
            for _ in range(ROUNDS):
                for variant in VARIANTS:
                    phase = _load(
                        urls[variant], REQUESTS_PER_PHASE, response_url, EXPECTED[variant]
                    )
                    results[variant].phases.append(phase)
    finally:
        for proc in procs:
            if proc.stdin:
                proc.stdin.close()
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return results


def main() -> None:
    results = run()
    print(
        f"Signed '/brief {COMMAND_TEXT}' over HTTP on loopback, waitress, {CONNECTIONS} keep-alive "
        f"connections, {ROUNDS}×{REQUESTS_PER_PHASE} requests per app:"
    )
    for variant in VARIANTS:
        r = results[variant]
        print(
            f"  {LABELS[variant]:<30} {r.rate:7.0f} answers/s   p50 {r.latency(0.5):6.1f} ms   "
            f"p99 {r.latency(0.99):6.1f} ms   failed {r.failures}"
        )
    bare, bot, uncached = results["bare"], results["bot"], results["uncached"]
    print(
        f"  ratio bot / bare {bot.rate / bare.rate:.2f} (target ≥ 0.8; without the reply cache "
        f"{uncached.rate / bare.rate:.2f}); bot p99 {bot.latency(0.99):.1f} ms (target < 300 ms)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["fake"]:
        serve_fake()
    elif sys.argv[1:2] == ["serve"]:
        serve_app(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
