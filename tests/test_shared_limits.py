"""The replay guard and the per-user limit on slow commands hold across replicas: through the
database the replicas share (PostgreSQL) or Redis (REDIS_URL), with the in-memory form for one
process. The stores themselves, under concurrency; then two real ``bot.py run --platform slack
--http`` processes: the same signed request sent to both runs once, and a user's quota is one
quota."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text

from briefing.appstate import Briefing
from briefing.ratelimit import (
    WINDOW_S,
    DatabaseRateLimiter,
    Limiter,
    RateLimiter,
    RedisRateLimiter,
)
from briefing.security.replay import (
    DatabaseReplayGuard,
    Guard,
    RedisReplayGuard,
    ReplayGuard,
    replay_guard_for,
)
from briefing.settings import PROJECT_ROOT
from briefing.sharedstate import StoreKind, redis_client, store_kind
from tests.conftest import empty_database
from tests.fakes.fake_slack import FakeSlack, request, signed_headers, slash_body

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def redis_reachable() -> bool:
    try:
        return bool(redis_client(REDIS_URL).ping())
    except Exception:
        return False


needs_redis = pytest.mark.skipif(not redis_reachable(), reason=f"no Redis at {REDIS_URL}")
needs_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="replicas share their database on PostgreSQL: set TEST_DATABASE_URL",
)


def fresh(prefix: str) -> str:
    """A key nobody used before (Redis outlives a test run)."""
    return f"{prefix}-{uuid.uuid4().hex}"


# -- the stores --------------------------------------------------------------------------------


@pytest.fixture
def migrated(brief: Briefing) -> Engine:
    """The test's database, at the current schema."""
    return brief.engine


def guards(kind: str, engine: Engine) -> tuple[Guard, Guard]:
    """Two guards as two replicas would have them."""
    if kind == "database":
        return DatabaseReplayGuard(engine), DatabaseReplayGuard(engine)
    client = redis_client(REDIS_URL)
    return RedisReplayGuard(client), RedisReplayGuard(client)


def limiters(kind: str, engine: Engine, per_minute: int) -> tuple[Limiter, Limiter]:
    if kind == "database":
        return DatabaseRateLimiter(engine, per_minute), DatabaseRateLimiter(engine, per_minute)
    client = redis_client(REDIS_URL)
    return RedisRateLimiter(client, per_minute), RedisRateLimiter(client, per_minute)


STORES = [pytest.param("database"), pytest.param("redis", marks=needs_redis)]


@pytest.mark.parametrize("kind", STORES)
def test_a_signature_is_claimed_once_by_all_replicas(kind: str, migrated: Engine) -> None:
    first, second = guards(kind, migrated)
    signature = fresh("v0=sig")
    assert first.claim(signature)
    assert not first.claim(signature)
    assert not second.claim(signature)  # the other replica knows it too
    first.release(signature)  # not genuine after all: the real one may still come
    assert second.claim(signature)


@pytest.mark.parametrize("kind", STORES)
def test_concurrent_claims_of_one_signature_let_exactly_one_through(
    kind: str, migrated: Engine
) -> None:
    replicas = guards(kind, migrated)
    signature = fresh("v0=race")
    start = threading.Barrier(8)
    won: list[bool] = []

    def claim(guard: Guard) -> None:
        start.wait()
        won.append(guard.claim(signature))

    threads = [threading.Thread(target=claim, args=(replicas[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 7 + [True]


def test_an_expired_signature_in_the_database_may_be_claimed_again(migrated: Engine) -> None:
    now = [T0]
    guard = DatabaseReplayGuard(migrated, window_s=60, clock=lambda: now[0])
    assert guard.claim("v0=old")
    now[0] = T0 + timedelta(seconds=59)
    assert not guard.claim("v0=old")
    now[0] = T0 + timedelta(seconds=61)  # bolt refuses such an old timestamp anyway
    assert guard.claim("v0=old")
    with migrated.connect() as conn:
        stored = conn.execute(text("SELECT signature_hash FROM replay_signatures")).scalars().all()
    assert stored == [hashlib.sha256(b"v0=old").hexdigest()]  # never the signature itself


@pytest.mark.parametrize("kind", STORES)
def test_a_users_quota_is_one_quota_across_replicas(kind: str, migrated: Engine) -> None:
    first, second = limiters(kind, migrated, per_minute=3)
    user = ("slack", "T1", fresh("U"))
    other = ("slack", "T1", fresh("U"))
    assert first.take(user, T0) is None
    assert second.take(user, T0 + timedelta(seconds=10)) is None
    assert first.take(user, T0 + timedelta(seconds=20)) is None
    refusal = second.take(user, T0 + timedelta(seconds=30))
    assert refusal is not None
    assert refusal.count == 3
    assert refusal.retry_after_s == pytest.approx(30.0)
    assert first.take(other, T0 + timedelta(seconds=30)) is None  # someone else's quota
    assert first.take(user, T0 + timedelta(seconds=WINDOW_S + 0.5)) is None  # a slot is free


@pytest.mark.parametrize("kind", STORES)
def test_concurrent_requests_of_one_user_are_counted_in_turn(kind: str, migrated: Engine) -> None:
    replicas = limiters(kind, migrated, per_minute=5)
    user = ("discord", "G1", fresh("U"))
    start = threading.Barrier(12)
    allowed: list[bool] = []

    def take(limiter: Limiter, i: int) -> None:
        start.wait()
        allowed.append(limiter.take(user, T0 + timedelta(milliseconds=i)) is None)

    threads = [threading.Thread(target=take, args=(replicas[i % 2], i)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


def test_an_unreachable_store_falls_back_to_this_process(
    migrated: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    guard = DatabaseReplayGuard(migrated)
    limiter = DatabaseRateLimiter(migrated, 1)
    with migrated.begin() as conn:  # the tables are gone: the store cannot be used
        conn.execute(text("DROP TABLE replay_signatures"))
        conn.execute(text("DROP TABLE rate_limits"))
    with caplog.at_level(logging.ERROR):
        assert guard.claim("v0=x")
        assert not guard.claim("v0=x")  # still caught within this process
        assert limiter.take(("slack", "T1", "U1"), T0) is None
        assert limiter.take(("slack", "T1", "U1"), T0) is not None
    assert "cannot be reached" in caplog.text


def test_the_store_follows_the_deployment(brief: Briefing) -> None:
    settings = brief.settings
    expected = StoreKind.DATABASE if brief.engine.dialect.name == "postgresql" else StoreKind.MEMORY
    assert store_kind(settings, brief.engine) is expected
    expected_guard = DatabaseReplayGuard if expected is StoreKind.DATABASE else ReplayGuard
    assert isinstance(replay_guard_for(settings, brief.engine), expected_guard)
    with_redis = settings.model_copy(update={"redis_url": SecretStr(REDIS_URL)})
    assert store_kind(with_redis, brief.engine) is StoreKind.REDIS
    assert isinstance(replay_guard_for(with_redis, brief.engine), RedisReplayGuard)
    assert isinstance(RateLimiter(1), RateLimiter)


# -- two replicas over HTTP --------------------------------------------------------------------

SECRET = "replicas-share-this-signing-secret"
ANNOUNCED = re.compile(r"Slack events at (http://127\.0\.0\.1:\d+)/slack/events")


@dataclass
class Replica:
    proc: subprocess.Popen[bytes]
    log: Path
    url: str = ""


def start_replicas(
    urls: list[str], fake: FakeSlack, folder: Path, stack: ExitStack, **extra: str
) -> list[Replica]:
    replicas = []
    for i, database_url in enumerate(urls):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_"))}
        env.update(
            DATABASE_URL=database_url,
            CHART_DIR=str(folder / "charts"),
            SLACK_BOT_TOKEN="xoxb-replicas",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
            PLATFORM="console",
            LOG_LEVEL="INFO",
            **extra,
        )
        log = folder / f"replica{i}.log"
        proc = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "bot.py"), "run", "--platform", "slack",
             "--http", "--port", "0", "--host", "127.0.0.1"],
            stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=folder,
        )  # fmt: skip
        stack.callback(stop, proc)
        replicas.append(Replica(proc, log))
    deadline = time.monotonic() + 90
    for replica in replicas:
        while not replica.url:
            match = ANNOUNCED.search(replica.log.read_text(errors="replace"))
            if match:
                replica.url = match.group(1)
            elif replica.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(replica.log.read_text(errors="replace"))
            else:
                time.sleep(0.1)
    return replicas


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def post(replica: Replica, body: str, headers: dict[str, str]) -> int:
    return request(replica.url, "POST", "/slack/events", body, headers=headers).status


def both_ways(
    replicas: list[Replica], fake: FakeSlack, user: str
) -> tuple[Callable[[], None], list[int]]:
    """The checks, run once the replicas are up."""
    statuses: list[int] = []

    def check() -> None:
        # The same signed request, sent to both replicas at once: one runs it.
        body = slash_body("sources", response_url=fake.response_url("same"), user_id=user)
        headers = signed_headers(SECRET, body)
        start = threading.Barrier(2)

        def send(replica: Replica) -> None:
            start.wait()
            statuses.append(post(replica, body, headers))

        threads = [threading.Thread(target=send, args=(r,)) for r in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return check, statuses


def quota_check(replicas: list[Replica], fake: FakeSlack, user: str) -> list[str]:
    """Three slow commands from one user, alternating replicas, at 2 a minute: the third is
    refused wherever it lands. The answers, in order."""
    for i, replica in enumerate([replicas[0], replicas[1], replicas[0]]):
        body = slash_body("digest", response_url=fake.response_url(f"q{i}"), user_id=user)
        assert post(replica, body, signed_headers(SECRET, body)) == 200
        fake.wait_for("response", count=i + 1, timeout_s=60)
    answers = []
    for i in range(3):
        (call,) = [c for c in fake.responses() if c.path.endswith(f"/q{i}")]
        answers.append(str(call.params.get("text", "")))
    return answers


def run_replica_checks(replicas: list[Replica], fake: FakeSlack) -> None:
    user = fresh("U")
    check, statuses = both_ways(replicas, fake, user)
    check()
    assert sorted(statuses) == [200, 401], statuses
    logs = "".join(r.log.read_text(errors="replace") for r in replicas)
    assert logs.count("refused a replayed Slack request") == 1
    answers = quota_check(replicas, fake, fresh("U"))
    assert "slow answers" not in answers[0]
    assert "slow answers" not in answers[1]
    assert "You've asked for 2 slow answers" in answers[2], answers


@pytest.mark.slow
@needs_postgres
def test_two_replicas_sharing_the_database_run_a_request_once_and_count_one_quota(
    database_url: str, tmp_path: Path
) -> None:
    with FakeSlack() as fake, ExitStack() as stack:
        replicas = start_replicas(
            [database_url, database_url], fake, tmp_path, stack, EXPENSIVE_COMMANDS_PER_MINUTE="2"
        )
        run_replica_checks(replicas, fake)


@pytest.mark.slow
@needs_redis
def test_two_replicas_sharing_redis_run_a_request_once_and_count_one_quota(
    tmp_path: Path,
) -> None:
    # Each replica its own database (two SQLite files, or two PostgreSQL schemas): only Redis
    # is shared, so only Redis can make them agree.
    with (
        empty_database(tmp_path, "a") as first,
        empty_database(tmp_path, "b") as second,
        FakeSlack() as fake,
        ExitStack() as stack,
    ):
        replicas = start_replicas(
            [first, second],
            fake,
            tmp_path,
            stack,
            EXPENSIVE_COMMANDS_PER_MINUTE="2",
            REDIS_URL=REDIS_URL,
        )
        run_replica_checks(replicas, fake)


@pytest.mark.slow
def test_without_a_shared_store_each_process_counts_alone(tmp_path: Path) -> None:
    """The control: two processes on separate SQLite files and no Redis do not share a thing
    — which is what the two tests above would show if their store were not shared."""
    with (
        empty_database(tmp_path, "a") as first,
        empty_database(tmp_path, "b") as second,
        FakeSlack() as fake,
        ExitStack() as stack,
    ):
        replicas = start_replicas([first, second], fake, tmp_path, stack)
        check, statuses = both_ways(replicas, fake, fresh("U"))
        check()
        assert statuses == [200, 200]
