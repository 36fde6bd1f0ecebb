"""Several replicas on PostgreSQL: all deliver, one plans. Kill -9 the leader: another one
leads within 15 s, nothing is planned twice, nothing is posted twice or lost."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from briefing.appstate import Briefing
from briefing.delivery.leader import lock_key
from briefing.delivery.ledger import DeliveryStatus, Ledger, delivery_runs
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.replies import Line
from briefing.updates import Update, record_update
from tests.delivery.test_crash import Workers
from tests.fakes.fake_slack import FakeSlack

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="several replicas need PostgreSQL: set TEST_DATABASE_URL",
    ),
]

ELECTED = re.compile(r"(\w+) is now the delivery planner")
CHANNELS = [ChannelRef("slack", f"T{w}", f"C{w}x{c}") for w in range(3) for c in range(10)]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(post_latency_s=0.01) as server:
        yield server


def alert(update_id: str) -> Update:
    return Update(
        update_id=update_id,
        topic="sanctions",
        title=f"New designations {update_id}",
        lines=(Line("1 added."),),
        data_date=date(2026, 11, 20),
    )


def leaders(workers: Workers) -> list[tuple[float, str]]:
    """(time the log line was seen, replica) for each election, in the order they happened."""
    found = []
    for path in sorted(workers.log_dir.glob("w*.log")):
        for line in path.read_text().splitlines():
            match = ELECTED.search(line)
            if match:
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                found.append((stamp.timestamp(), match.group(1)))
    return sorted(found)


def wait_for(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_leader_failover_with_three_replicas(
    brief: Briefing, database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    # The digest falls due (digest times are whole minutes) 15–75 s from now, most likely
    # after the leader is killed: then the new leader must plan it.
    due = (now + timedelta(seconds=75)).replace(second=0, microsecond=0)
    store = SubscriptionStore(brief.engine)
    for channel in CHANNELS:
        store.subscribe(
            channel,
            at=due.time(),
            tz="UTC",
            topics=frozenset({"digest", "sanctions"}),
            by_user="UADMIN",
            now=now - timedelta(hours=1),
        )
    ledger = Ledger(brief.engine)
    workers = Workers(database_url, fake.api_url, tmp_path, extra=("--plan", "--tick-s", "1"))
    try:
        for _ in range(3):
            workers.start()
        wait_for(lambda: leaders(workers), 30, "a first leader")
        ((_, first),) = leaders(workers)

        record_update(brief.engine, alert("u1"), datetime.now(UTC))
        wait_for(
            lambda: ledger.counts().get(DeliveryStatus.SENT.value, 0) == len(CHANNELS),
            30,
            "the first alert in every channel",
        )
        (leader_proc,) = [p for i, p in enumerate(workers.procs) if f"w{i + 1}" == first]
        killed_at = time.time()
        workers.kill9(leader_proc)
        record_update(brief.engine, alert("u2"), datetime.now(UTC))

        wait_for(lambda: len(leaders(workers)) == 2, 20, "a new leader")
        (_, (elected_at, second)) = leaders(workers)
        assert second != first
        assert elected_at - killed_at <= 15

        total = 3 * len(CHANNELS)  # two alerts and one digest per channel
        wait_for(
            lambda: ledger.counts().get(DeliveryStatus.SENT.value, 0) == total,
            max(30.0, (due - datetime.now(UTC)).total_seconds() + 30),
            "the second alert and the digest in every channel",
        )
        time.sleep(2)  # a few more ticks: nothing more may be planned or posted

        with brief.engine.connect() as conn:
            holders = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": lock_key(str(conn.execute(text("SELECT current_schema()")).scalar()))},
            ).scalar()
            r = delivery_runs.c
            planned_by = dict(conn.execute(select(r.run_id, r.planned_by)).all())
    finally:
        workers.stop_all()

    assert holders == 1  # exactly one planner now
    assert len(leaders(workers)) == 2  # the survivors never both led
    assert planned_by["alert:u1"] == first
    assert planned_by["alert:u2"] == second
    digest_planner = planned_by[f"sub:slack:T0:C0x0:{due.date().isoformat()}"]
    assert digest_planner == (second if due.timestamp() > killed_at + 1 else first)
    assert ledger.counts() == {DeliveryStatus.SENT.value: total}
    delivered = fake.delivered()
    assert len(delivered) == total
    assert set(delivered.values()) == {1}
