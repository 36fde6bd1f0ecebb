"""A fan-out with many posts in flight: every digest posted once with its chart, never more
than the per-workspace cap at once, never faster than Slack's one message a second per
channel (the fake answers a faster post with a 429), and the claims batched."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from briefing.appstate import Briefing
from briefing.delivery.compose import DeliveryReplies
from briefing.delivery.ledger import DeliveryStatus, Ledger, observe_writes
from briefing.delivery.planner import Planner
from briefing.delivery.poster import ChannelRef, PostResult
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.delivery.worker import Worker, WorkerConfig
from briefing.platforms.slack.poster import SlackPoster, delivery_client
from briefing.replies import Chart, Reply
from briefing.settings import Settings
from tests.fakes.fake_slack import FakeSlack

pytestmark = pytest.mark.slow

WORKSPACES = 3
PER_WORKSPACE = 12
CAP = 2


class CountingPoster(SlackPoster):
    """The Slack poster, counting the calls in flight per workspace."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.active: Counter[str] = Counter()
        self.most: Counter[str] = Counter()

    def _enter(self, channel: ChannelRef) -> None:
        with self.lock:
            self.active[channel.workspace_id] += 1
            w = channel.workspace_id
            self.most[w] = max(self.most[w], self.active[w])

    def _leave(self, channel: ChannelRef) -> None:
        with self.lock:
            self.active[channel.workspace_id] -= 1

    def post(
        self, channel: ChannelRef, reply: Reply, *, delivery_id: str | None = None
    ) -> PostResult:
        self._enter(channel)
        try:
            return super().post(channel, reply, delivery_id=delivery_id)
        finally:
            self._leave(channel)

    def post_chart(
        self, channel: ChannelRef, chart: Chart, *, delivery_id: str, message_id: str
    ) -> str | None:
        self._enter(channel)
        try:
            return super().post_chart(
                channel, chart, delivery_id=delivery_id, message_id=message_id
            )
        finally:
            self._leave(channel)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(post_latency_s=0.05, channel_interval_s=1.0) as server:
        yield server


def test_many_posts_in_flight_keep_every_limit_and_post_each_digest_once(
    brief: Briefing, settings: Settings, fake: FakeSlack
) -> None:
    now = datetime.now(UTC)
    at = (now - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    store = SubscriptionStore(brief.engine)
    for w in range(WORKSPACES):
        for c in range(PER_WORKSPACE):
            store.subscribe(
                ChannelRef("slack", f"T{w}", f"C{w}{c:02d}"),
                at=at,
                tz="UTC",
                topics=frozenset({"digest"}),
                by_user="UADMIN",
                now=now - timedelta(hours=1),
            )
    planned = Planner(brief.engine).plan(now).planned
    assert len(planned) == WORKSPACES * PER_WORKSPACE
    configured = settings.model_copy(
        update={"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": fake.api_url}
    )
    poster = CountingPoster(delivery_client(configured, timeout_s=5))
    claims: list[str] = []
    remove = observe_writes(lambda write, step: claims.append(step) if write == "claim" else None)
    config = WorkerConfig(concurrency=16, workspace_concurrency=CAP, poll_s=0.1)
    worker = Worker(brief, poster, DeliveryReplies(brief), config=config)
    worker.start()
    ledger = Ledger(brief.engine)
    try:
        deadline = time.monotonic() + 60
        while ledger.counts().get(DeliveryStatus.SENT.value, 0) < len(planned):
            assert time.monotonic() < deadline, ledger.counts()
            time.sleep(0.1)
    finally:
        worker.stop()
        remove()
    # Each digest once, its chart once; nothing refused for going too fast.
    assert set(fake.delivered()) == set(planned)
    assert set(fake.delivered().values()) == {1}
    assert len(fake.charts()) == len(planned)
    assert set(fake.charts().values()) == {1}
    assert [c for c in fake.calls if c.status == 429] == []
    # Never more than the cap in flight per workspace, and the cap was used.
    assert max(poster.most.values()) == CAP
    # 36 rows in far fewer claims than rows.
    assert 0 < claims.count("commit") < len(planned) // 2


def test_stopping_gives_back_the_rows_no_thread_started(
    brief: Briefing, settings: Settings
) -> None:
    now = datetime.now(UTC)
    at = (now - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    store = SubscriptionStore(brief.engine)
    for c in range(12):
        store.subscribe(
            ChannelRef("slack", f"T{c % 4}", f"C{c:02d}"),
            at=at,
            tz="UTC",
            topics=frozenset({"digest"}),
            by_user="UADMIN",
            now=now - timedelta(hours=1),
        )
    planned = Planner(brief.engine).plan(now).planned
    with FakeSlack(post_latency_s=0.4) as slow:
        configured = settings.model_copy(
            update={"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": slow.api_url}
        )
        poster = SlackPoster(delivery_client(configured, timeout_s=5))
        # Two posting threads, so a claim takes three rows: one waits in the queue.
        worker = Worker(
            brief, poster, DeliveryReplies(brief), config=WorkerConfig(concurrency=2, poll_s=0.1)
        )
        worker.start()
        slow.wait_for("chat.postMessage", 1)
        worker.stop()
        counts = Ledger(brief.engine).counts()
    # Nothing is left leased to a stopped worker: posted, or pending for the next one at once.
    assert DeliveryStatus.SENDING.value not in counts
    assert sum(counts.values()) == len(planned)
    assert counts.get(DeliveryStatus.PENDING.value, 0) >= 1
    assert set(slow.delivered().values()) <= {1}
