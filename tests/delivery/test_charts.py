"""A digest's chart is part of its delivery: posted once with (Discord) or after (Slack) its
text, looked up when an upload's answer was lost, never the occasion of a second text; a chart
that fails after its attempts is recorded and said in the message."""

from __future__ import annotations

import time as clock_time
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from briefing.appstate import Briefing
from briefing.delivery.compose import DeliveryReplies
from briefing.delivery.ledger import ChartStatus, DeliveryStatus, Ledger, digest_delivery_id
from briefing.delivery.planner import Planner
from briefing.delivery.poster import ChannelRef, ChartOutcome
from briefing.delivery.service import deliver_due, worker_config
from briefing.delivery.subscriptions import SubscriptionStore, schedule_id_for
from briefing.delivery.worker import CHART_WITH_MESSAGE, Pacer, Worker
from briefing.platforms.discord.poster import DiscordPoster
from briefing.platforms.slack.poster import SlackPoster, chart_file_name, delivery_client
from briefing.replies import Chart, Reply, Section
from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.fake_slack import TEAM_ID, FakeSlack, iter_texts

CHANNEL = ChannelRef("slack", TEAM_ID, "C1")
DUE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DELIVERY_ID = digest_delivery_id(schedule_id_for(CHANNEL), DUE.date())


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def poster(brief: Briefing, fake: FakeSlack) -> SlackPoster:
    settings = brief.settings.model_copy(update={"slack_api_url": fake.api_url})
    return SlackPoster(delivery_client(settings, timeout_s=2))


def subscribe(brief: Briefing, channel: ChannelRef = CHANNEL) -> None:
    SubscriptionStore(brief.engine).subscribe(
        channel,
        at=time(8, 0),
        tz="UTC",
        topics=frozenset({"digest"}),
        by_user="UADMIN",
        now=DUE - timedelta(days=3),
    )


def row(brief: Briefing, delivery_id: str = DELIVERY_ID) -> dict[str, Any]:
    found = Ledger(brief.engine).row(delivery_id)
    assert found is not None
    return found


def test_a_digest_is_its_text_then_its_chart_each_posted_once(
    brief: Briefing, fake: FakeSlack, poster: SlackPoster
) -> None:
    subscribe(brief)
    report = deliver_due(brief, poster, DUE + timedelta(minutes=1))
    assert report.posted == [DELIVERY_ID]
    assert fake.delivered() == {DELIVERY_ID: 1}
    assert fake.charts() == {chart_file_name(DELIVERY_ID): 1}
    text, share = fake.messages["C1"]
    assert text.delivery_id == DELIVERY_ID
    assert float(text.ts) < float(share.ts)  # the words first, then the picture
    (upload,) = fake.calls_to("files.getUploadURLExternal")
    assert upload.params["filename"] == chart_file_name(DELIVERY_ID)
    assert upload.params["alt_txt"].startswith("China–Russia trade")
    saved = row(brief)
    assert saved["status"] == DeliveryStatus.SENT.value
    assert saved["message_id"] == text.ts
    assert saved["chart_status"] == ChartStatus.POSTED.value
    assert saved["chart_id"] == share.files[0]["id"]
    # Posted is posted: another pass changes nothing.
    deliver_due(brief, poster, DUE + timedelta(minutes=30))
    assert fake.delivered() == {DELIVERY_ID: 1}
    assert fake.charts() == {chart_file_name(DELIVERY_ID): 1}


def test_a_chart_that_keeps_failing_is_recorded_and_said_in_the_message(
    brief: Briefing, fake: FakeSlack, poster: SlackPoster
) -> None:
    subscribe(brief)
    fake.fail_next("files.completeUploadExternal", status=500, times=10)
    now = DUE + timedelta(minutes=1)
    deliver_due(brief, poster, now)
    assert row(brief)["status"] == DeliveryStatus.PENDING.value
    assert row(brief)["chart_status"] == ChartStatus.OWED.value
    for minutes in (5, 15, 40, 90):  # past every backoff
        deliver_due(brief, poster, now + timedelta(minutes=minutes))
    saved = row(brief)
    assert saved["status"] == DeliveryStatus.SENT.value
    assert saved["chart_status"] == ChartStatus.FAILED.value
    assert saved["chart_attempts"] == brief.settings.delivery_chart_attempts == 3
    assert "internal_error" in saved["chart_error"]
    assert fake.delivered() == {DELIVERY_ID: 1}  # the text once, whatever the chart did
    assert fake.charts() == {}
    assert len(fake.calls_to("files.completeUploadExternal")) == 3
    # The channel is told, in the digest itself (an edit: once, however often it is made).
    ((channel, ts, fallback, blocks),) = fake.edits
    assert (channel, ts) == ("C1", saved["message_id"])
    note = "could not be posted (internal_error); /brief chart trade draws it"
    assert note in (fallback or "")
    assert any(note in t for t in iter_texts(blocks))
    edit = fake.calls_to("chat.update")[0].params
    assert DELIVERY_ID in str(edit["metadata"])  # still findable as this delivery


def test_a_lost_chart_answer_is_looked_up_not_uploaded_again(
    brief: Briefing, fake: FakeSlack, poster: SlackPoster
) -> None:
    subscribe(brief)
    fake.lose_next_answer("files.completeUploadExternal")
    now = DUE + timedelta(minutes=1)
    deliver_due(brief, poster, now)
    saved = row(brief)
    assert saved["chart_status"] == ChartStatus.OWED.value
    assert saved["in_doubt_since"] is not None
    assert fake.charts() == {chart_file_name(DELIVERY_ID): 1}  # it did land
    deliver_due(brief, poster, now + timedelta(minutes=5))
    saved = row(brief)
    assert saved["status"] == DeliveryStatus.SENT.value
    assert saved["chart_status"] == ChartStatus.POSTED.value
    assert fake.charts() == {chart_file_name(DELIVERY_ID): 1}  # found, not uploaded again
    assert fake.delivered() == {DELIVERY_ID: 1}
    assert len(fake.calls_to("files.completeUploadExternal")) == 1
    assert fake.calls_to("conversations.history")


class Died(BaseException):
    """The process dying between two calls (nothing catches it)."""


class DiesBeforeTheChart(SlackPoster):
    def post_chart(
        self, channel: ChannelRef, chart: Chart, *, delivery_id: str, message_id: str
    ) -> str | None:
        raise Died


def test_a_crash_between_the_text_and_the_chart_posts_the_chart_once_and_the_text_never_again(
    brief: Briefing, fake: FakeSlack, poster: SlackPoster
) -> None:
    subscribe(brief)
    now = DUE + timedelta(minutes=1)
    settings = brief.settings.model_copy(update={"slack_api_url": fake.api_url})
    dying = DiesBeforeTheChart(delivery_client(settings, timeout_s=2))
    assert Planner(brief.engine).plan(now).planned == [DELIVERY_ID]
    with pytest.raises(Died):
        Worker(brief, dying, DeliveryReplies(brief), config=worker_config(brief.settings)).run_once(
            now
        )
    saved = row(brief)
    assert saved["status"] == DeliveryStatus.SENDING.value  # its worker is gone
    assert saved["message_id"] is not None
    assert saved["chart_status"] == ChartStatus.OWED.value
    # Another worker, once the lease ran out: the chart alone, after looking for it.
    later = now + worker_config(brief.settings).lease + timedelta(seconds=1)
    report = Worker(
        brief, poster, DeliveryReplies(brief), config=worker_config(brief.settings)
    ).run_once(later)
    assert report.posted == [DELIVERY_ID]
    assert fake.delivered() == {DELIVERY_ID: 1}
    assert fake.charts() == {chart_file_name(DELIVERY_ID): 1}
    assert row(brief)["chart_status"] == ChartStatus.POSTED.value
    assert fake.calls_to("conversations.history")  # the lease ran out: in doubt, looked up


def test_a_chart_still_owed_when_the_channel_unsubscribes_is_dropped(
    brief: Briefing, fake: FakeSlack, poster: SlackPoster
) -> None:
    subscribe(brief)
    fake.fail_next("files.completeUploadExternal", status=429, retry_after_s=30)
    now = DUE + timedelta(minutes=1)
    deliver_due(brief, poster, now)
    SubscriptionStore(brief.engine).unsubscribe(CHANNEL, "UADMIN", now)
    deliver_due(brief, poster, now + timedelta(minutes=2))
    saved = row(brief)
    assert (saved["status"], saved["chart_status"]) == ("sent", ChartStatus.FAILED.value)
    assert saved["chart_error"] == "unsubscribed"
    assert fake.delivered() == {DELIVERY_ID: 1}
    assert fake.charts() == {}
    assert fake.edits == []


# -- Discord: the chart is an attachment of the message ------------------------------------------


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with FakeDiscord() as server:
        yield server


def test_discord_posts_the_chart_with_its_message(brief: Briefing, discord: FakeDiscord) -> None:
    channel = ChannelRef("discord", "900", "901")
    subscribe(brief, channel)
    delivery_id = digest_delivery_id(schedule_id_for(channel), DUE.date())
    deliver_due(brief, DiscordPoster("t", api_url=discord.api_url), DUE + timedelta(minutes=1))
    (call,) = discord.calls_to("messages")
    assert len(call.files) == 1  # one request: the words and the picture land together
    saved = row(brief, delivery_id)
    assert (saved["chart_status"], saved["chart_id"]) == ("posted", CHART_WITH_MESSAGE)


def chart_reply(path: Path) -> Reply:
    return Reply(
        title="China–Russia Brief",
        sections=(Section(None, ()),),
        chart=Chart(path, "Monthly trade", "Bars"),
    )


def test_discord_says_so_when_the_chart_file_cannot_be_read(
    discord: FakeDiscord, tmp_path: Path
) -> None:
    poster = DiscordPoster("t", api_url=discord.api_url, command="/brief")
    result = poster.post(ChannelRef("discord", "900", "901"), chart_reply(tmp_path / "gone.png"))
    assert result.chart is ChartOutcome.FAILED
    assert result.chart_error is not None
    assert result.chart_error.startswith("chart_unreadable")
    (call,) = discord.calls_to("messages")
    assert call.files == {}
    text = " ".join(str(e.get("description", "")) for e in call.body["embeds"])
    assert "The chart (Monthly trade) could not be posted" in text


def test_discord_posts_the_words_alone_when_the_chart_is_too_large(
    discord: FakeDiscord, tmp_path: Path
) -> None:
    png = tmp_path / "big.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 1000)
    discord.fail_next("messages", 413, code=40005)
    poster = DiscordPoster("t", api_url=discord.api_url, sleep=lambda s: None)
    result = poster.post(ChannelRef("discord", "900", "901"), chart_reply(png), delivery_id="d1")
    assert result.chart is ChartOutcome.FAILED
    assert result.chart_error == "http_413_entity_too_large"
    first, second = discord.calls_to("messages")
    assert first.files
    assert not second.files
    assert first.body["nonce"] == second.body["nonce"]  # the same delivery
    assert len(discord.messages_in("901")) == 1


def test_a_chart_upload_does_not_wait_for_the_channels_next_message_turn() -> None:
    pacer = Pacer(interval_s=30.0, limit=2)

    def soon() -> float:
        return clock_time.monotonic() + 0.3

    assert pacer.acquire(CHANNEL, deadline=soon())  # the text
    pacer.release(CHANNEL)
    assert not pacer.acquire(CHANNEL, deadline=soon())  # another message waits for its turn
    assert pacer.acquire(CHANNEL, deadline=soon(), message=False)  # the chart need not
    assert pacer.acquire(CHANNEL, deadline=soon(), message=False)
    assert not pacer.acquire(CHANNEL, deadline=soon(), message=False)  # the workspace is full
