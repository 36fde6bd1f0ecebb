"""Watchlist alerts with two replicas on PostgreSQL: both plan-capable (one leads and catches up
on rescreens), both deliver, against a fake Slack that rate-limits and loses answers to posts it
made — and still every channel gets its alert for a new list version exactly once."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from briefing.appstate import Briefing
from briefing.delivery.ledger import DeliveryStatus, Ledger
from briefing.delivery.poster import ChannelRef
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.watch.entries import add_entries, validate
from briefing.watch.screening import screen_and_store
from tests.conftest import OFAC_SNAPSHOTS
from tests.delivery.test_crash import Workers
from tests.fakes.fake_slack import FakeSlack, Faults

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="several replicas need PostgreSQL: set TEST_DATABASE_URL",
    ),
]

CHANNELS = [ChannelRef("slack", f"T{w}", f"C{w}x{c}") for w in range(2) for c in range(8)]
FAULTS = Faults(rate_limited=0.1, reset_after_post=0.15, retry_after_s=1, seed=17)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(faults=FAULTS, post_latency_s=0.02) as server:
        yield server


def wait_for_sent(ledger: Ledger, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ledger.counts().get(DeliveryStatus.SENT.value, 0) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out: {ledger.counts()}")


def test_two_replicas_post_each_channels_watchlist_alert_once(
    brief: Briefing, database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    ingest(
        brief,
        [OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"],
        IngestOptions(as_of=date(2024, 2, 20), today=date(2024, 2, 20)),
        now,
    )
    specs = [validate("VAZ Impuls", ref="V-1"), validate("Sunrise Textile Trading GmbH")]
    for channel in CHANNELS:
        added = add_entries(brief.engine, channel, specs, by_user="UADMIN", now=now)
        screen_and_store(brief.engine, added.entries, now)

    ledger = Ledger(brief.engine)
    workers = Workers(database_url, fake.api_url, tmp_path, extra=("--plan", "--tick-s", "1"))
    try:
        workers.start()
        workers.start()
        time.sleep(3)  # both up, one leading: its catch-up finds nothing to rescreen
        ingest(
            brief,
            [OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"],
            IngestOptions(as_of=date(2024, 2, 23), today=date(2024, 2, 23)),
            datetime.now(UTC),
        )
        wait_for_sent(ledger, len(CHANNELS), 90)
        time.sleep(3)  # a few more ticks: nothing more may be planned or posted
    finally:
        workers.stop_all()

    assert ledger.counts() == {DeliveryStatus.SENT.value: len(CHANNELS)}, workers.logs()
    delivered = fake.delivered()
    assert len(delivered) == len(CHANNELS)
    assert set(delivered.values()) == {1}
    assert all(d.startswith("watch:ofac-sdn|2024-02-23:") for d in delivered)
    for channel in CHANNELS:
        (message,) = [
            m for m in fake.messages.get(channel.channel_id, []) if m.delivery_id is not None
        ]
        assert message.text is not None
        assert "Watchlist: 1 change for this channel's names" in message.text
