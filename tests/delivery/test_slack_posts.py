"""Sends in doubt on Slack: a post whose answer was lost is found in the channel's history by
the delivery id in its metadata, and not posted again. Plus the /metrics endpoint."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from briefing.appstate import Briefing
from briefing.delivery import metrics
from briefing.delivery.compose import DeliveryReplies
from briefing.delivery.ledger import DeliveryStatus, Ledger, deliveries
from briefing.delivery.poster import ChannelRef, FindsDeliveries
from briefing.delivery.service import deliver_due
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.delivery.worker import Worker
from briefing.platforms.slack.app import bolt_app
from briefing.platforms.slack.poster import SlackPoster, delivery_client
from briefing.platforms.slack.server import make_wsgi_app
from briefing.replies import Reply
from briefing.settings import Settings
from tests.fakes.fake_slack import TEAM_ID, FakeSlack, Faults

pytestmark = pytest.mark.slow

CHANNEL = ChannelRef("slack", TEAM_ID, "C1")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def poster(settings: Settings, fake: FakeSlack) -> SlackPoster:
    configured = settings.model_copy(
        update={"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": fake.api_url}
    )
    return SlackPoster(delivery_client(configured, timeout_s=1))


def subscribe_due(brief: Briefing, now: datetime) -> str:
    at = (now - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    SubscriptionStore(brief.engine).subscribe(
        CHANNEL,
        at=at,
        tz="UTC",
        topics=frozenset({"digest"}),
        by_user="UADMIN",
        now=now - timedelta(hours=1),
    )
    day = (now - timedelta(minutes=5)).date()
    return f"sub:slack:{TEAM_ID}:C1:{day.isoformat()}"


def test_the_slack_poster_finds_a_delivery_by_its_metadata(
    poster: SlackPoster, fake: FakeSlack, brief: Briefing
) -> None:
    assert isinstance(poster, FindsDeliveries)
    before = datetime.now(UTC) - timedelta(seconds=1)
    reply = Reply(title="Alert")
    for i in range(3):
        poster.post(CHANNEL, reply, delivery_id=f"d{i}")
    ts = poster.find_delivery(CHANNEL, "d1", before)
    assert ts == fake.messages["C1"][1].ts
    assert poster.find_delivery(CHANNEL, "d9", before) is None
    assert poster.find_delivery(CHANNEL, "d1", datetime.now(UTC) + timedelta(seconds=1)) is None
    (call,) = fake.calls_to("conversations.history")[:1]
    assert call.params["include_all_metadata"] in ("1", "true", True)
    assert abs(float(call.params["oldest"]) - before.timestamp()) < 0.001


def test_without_the_history_scope_it_says_so_and_posts(
    poster: SlackPoster, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("conversations.history", status=200, error="missing_scope")
    assert poster.find_delivery(CHANNEL, "d1", datetime.now(UTC)) is None
    assert any("channels:history" in r.message for r in caplog.records)


@pytest.mark.parametrize(
    "faults",
    [Faults(reset_after_post=1.0), Faults(stall_after_post=1.0, stall_s=1.5)],
    ids=["reset-after-post", "timeout-after-post"],
)
def test_a_post_whose_answer_was_lost_is_found_not_posted_again(
    brief: Briefing, poster: SlackPoster, fake: FakeSlack, faults: Faults
) -> None:
    now = datetime.now(UTC)
    delivery_id = subscribe_due(brief, now)
    fake.faults = faults
    first = deliver_due(brief, poster, now)
    assert first.retry == [delivery_id]
    assert fake.delivered()[delivery_id] == 1  # it did land

    fake.faults = None
    second = deliver_due(brief, poster, now + timedelta(minutes=1))
    assert second.recovered == [delivery_id]
    assert second.posted == []
    assert fake.delivered()[delivery_id] == 1
    with brief.engine.connect() as conn:
        row = conn.execute(deliveries.select().where(deliveries.c.delivery_id == delivery_id)).one()
    assert row.status == DeliveryStatus.SENT.value
    assert row.message_id == fake.messages["C1"][0].ts


def test_without_the_check_a_lost_answer_posts_twice(
    brief: Briefing, poster: SlackPoster, fake: FakeSlack
) -> None:
    now = datetime.now(UTC)
    delivery_id = subscribe_due(brief, now)
    fake.faults = Faults(reset_after_post=1.0)
    deliver_due(brief, poster, now)
    fake.faults = None
    worker = Worker(brief, poster, DeliveryReplies(brief), check_history=False)
    assert worker.run_once(now + timedelta(minutes=1)).posted == [delivery_id]
    assert fake.delivered()[delivery_id] == 2


def test_a_transient_error_that_did_not_post_is_posted_after_the_check(
    brief: Briefing, poster: SlackPoster, fake: FakeSlack
) -> None:
    now = datetime.now(UTC)
    delivery_id = subscribe_due(brief, now)
    fake.fail_next("chat.postMessage", status=503)
    assert deliver_due(brief, poster, now).retry == [delivery_id]
    second = deliver_due(brief, poster, now + timedelta(minutes=1))
    assert second.posted == [delivery_id]
    assert len(fake.calls_to("conversations.history")) == 1  # a 5xx is in doubt: checked
    assert fake.delivered()[delivery_id] == 1


# -- metrics -------------------------------------------------------------------------------------


def scrape(body: bytes) -> dict[str, float]:
    values = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_report_the_ledger_and_this_process(
    brief: Briefing, poster: SlackPoster, fake: FakeSlack
) -> None:
    now = datetime.now(UTC)
    delivery_id = subscribe_due(brief, now)
    fake.fail_next("chat.postMessage", status=500)
    before = scrape(metrics.render()).get(
        'brief_delivery_process_outcomes_total{outcome="posted"}', 0.0
    )
    metrics.watch_ledger(brief.engine, clock=lambda: now + timedelta(seconds=30))
    deliver_due(brief, poster, now)
    waiting = scrape(metrics.render())
    assert waiting["brief_delivery_ledger_up"] == 1
    assert waiting["brief_delivery_queue_depth"] == 1
    assert waiting["brief_delivery_in_doubt"] == 1
    assert waiting["brief_delivery_retries_total"] == 0
    # Retried 30 s after failing: due now, and waiting since its time (5 minutes ago).
    assert waiting["brief_delivery_due"] == 1
    assert 300 <= waiting["brief_delivery_lag_seconds"] <= 420

    deliver_due(brief, poster, now + timedelta(minutes=1))
    done = scrape(metrics.render())
    assert done["brief_deliveries_sent_total"] == 1
    assert done["brief_delivery_retries_total"] == 1
    assert done["brief_delivery_queue_depth"] == 0
    assert done["brief_delivery_lag_seconds"] == 0
    assert done['brief_delivery_runs{status="planned"}'] == 1
    assert done['brief_delivery_process_outcomes_total{outcome="posted"}'] == before + 1
    assert Ledger(brief.engine).status_of(delivery_id) == DeliveryStatus.SENT.value


def test_metrics_are_served_on_the_slack_http_server_and_on_their_own_port(
    brief: Briefing, poster: SlackPoster
) -> None:
    metrics.watch_ledger(brief.engine)
    app = bolt_app(poster._client, signing_secret="secret", token_verification=False)
    wsgi = make_wsgi_app(app)
    answer: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], _exc_info: object = None
    ) -> Callable[[bytes], object]:
        answer.update(status=status, headers=dict(headers))
        return lambda _data: None

    body = b"".join(wsgi({"PATH_INFO": "/metrics", "REQUEST_METHOD": "GET"}, start_response))
    assert answer["status"] == "200 OK"
    assert answer["headers"]["Content-Type"].startswith("text/plain; version=")
    assert "brief_delivery_queue_depth 0.0" in body.decode()

    server = metrics.serve_metrics(0, "127.0.0.1")
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert b"brief_deliveries_sent_total" in response.read()
    finally:
        server.shutdown()
        server.server_close()
