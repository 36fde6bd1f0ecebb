"""Scheduled delivery to Discord: channels subscribed with /brief subscribe get their digest once
per local day and alerts once, through DiscordPoster, against the fake Discord."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.delivery.poster import ChannelRef
from briefing.delivery.service import deliver_alerts, deliver_due
from briefing.delivery.subscriptions import SubscriptionStatus, SubscriptionStore
from briefing.platforms.discord.poster import DiscordPoster, nonce_for
from briefing.replies import Line, Source
from briefing.updates import Update, record_update
from handlers import dispatch
from tests.conftest import TODAY
from tests.fakes.fake_discord import FakeDiscord

GUILD = "900"
ADMIN = "555"
SUBSCRIBED_AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    with FakeDiscord() as server:
        yield server


def subscribe(brief: Briefing, channel_id: str, text: str, now: datetime = SUBSCRIBED_AT) -> None:
    caller = Caller(
        platform="discord", user_id=ADMIN, workspace_id=GUILD, channel_id=channel_id, is_admin=True
    )
    reply = dispatch(text, Context(brief=brief, today=TODAY, caller=caller, now=now))
    assert reply.title.startswith("This channel now gets"), reply.title


def test_each_subscribed_channel_gets_its_digest_once_per_local_day(
    brief: Briefing, fake: FakeDiscord
) -> None:
    fake.channel_errors["903"] = 10003  # deleted after subscribing
    subscribe(brief, "901", "subscribe daily 08:00 Europe/Berlin")
    subscribe(brief, "902", "subscribe 08:00 America/New_York")
    subscribe(brief, "903", "subscribe 08:00 Europe/Berlin")

    poster = DiscordPoster("token", api_url=fake.api_url)
    posted_at: dict[str, list[datetime]] = {}
    now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    while now <= datetime(2026, 11, 25, 0, 0, tzinfo=UTC):
        before = len(fake.calls_to("messages"))
        deliver_due(brief, poster, now)
        deliver_due(brief, poster, now)  # a second tick at the same instant posts nothing
        for call in fake.calls_to("messages")[before:]:
            channel = call.path.split("/")[2]
            posted_at.setdefault(channel, []).append(now)
        now += timedelta(minutes=15)

    berlin_8am = [datetime(2026, 11, d, 7, 0, tzinfo=UTC) for d in (23, 24)]
    new_york_8am = [datetime(2026, 11, d, 13, 0, tzinfo=UTC) for d in (23, 24)]
    assert posted_at["901"] == berlin_8am
    assert posted_at["902"] == new_york_8am
    assert len(fake.messages_in("901")) == 2

    first = fake.calls_to("messages")[0]
    assert first.body["nonce"] == nonce_for(f"sub:discord:{GUILD}:901:2026-11-23")
    assert first.body["enforce_nonce"] is True
    assert first.body["allowed_mentions"] == {"parse": []}
    assert first.body["embeds"][0]["title"].startswith("China–Russia Brief")

    # The deleted channel was tried once, its subscription paused, the admin told by DM.
    assert posted_at["903"] == berlin_8am[:1]
    assert posted_at["dm-555"] == berlin_8am[:1]
    sub = SubscriptionStore(brief.engine).get(ChannelRef("discord", GUILD, "903"))
    assert sub is not None
    assert sub.status is SubscriptionStatus.PAUSED
    assert sub.paused_reason == "http_404_unknown_channel"


def test_a_rate_limited_digest_is_retried_on_a_later_tick_and_posted_once(
    brief: Briefing, fake: FakeDiscord
) -> None:
    subscribe(brief, "901", "subscribe 08:00 UTC")
    poster = DiscordPoster("token", api_url=fake.api_url, max_wait_s=1)
    fake.fail_next("messages", 429, retry_after_s=30)
    due = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    first = deliver_due(brief, poster, due)
    assert first.retry == [f"sub:discord:{GUILD}:901:2026-11-23"]
    second = deliver_due(brief, poster, due + timedelta(minutes=1))
    assert second.posted == first.retry
    deliver_due(brief, poster, due + timedelta(minutes=2))
    assert len(fake.messages_in("901")) == 1


def test_an_alert_is_posted_once_to_channels_that_want_its_topic(
    brief: Briefing, fake: FakeDiscord
) -> None:
    subscribed = datetime(2024, 2, 1, tzinfo=UTC)
    subscribe(brief, "901", "subscribe sanctions", subscribed)
    subscribe(brief, "902", "subscribe trade", subscribed)
    ofac = Source("OFAC SDN list", "https://ofac.treasury.gov/", date(2024, 2, 23))
    update = Update(
        update_id="ofac:2024-02-23",
        topic="sanctions",
        title="New sanctions designations — OFAC, 23 Feb 2024",
        lines=(Line("553 added (552 under RUSSIA-EO14024) @everyone", ofac),),
        data_date=date(2024, 2, 23),
    )
    detected = datetime(2024, 2, 24, 9, 0, tzinfo=UTC)
    record_update(brief.engine, update, detected)
    poster = DiscordPoster("token", api_url=fake.api_url)
    for minute in range(3):
        deliver_alerts(brief, poster, detected + timedelta(minutes=minute))
    (message,) = fake.messages
    assert message.channel_id == "901"
    (embed,) = message.body["embeds"]
    assert embed["title"] == "New sanctions designations — OFAC, 23 Feb 2024"
    assert "@\u200beveryone" in embed["description"]
    assert embed["footer"]["text"].startswith("Data as of 23 Feb 2024")
