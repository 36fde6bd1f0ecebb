"""DiscordPoster against the fake Discord: embeds, no mentions, idempotent retries, rate limits,
and the errors that must pause a subscription."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from email.message import Message
from pathlib import Path

import pytest

from briefing.delivery.poster import ChannelRef, PostError
from briefing.platforms.discord.poster import DiscordPoster, nonce_for
from briefing.replies import Chart, Line, Reply, ReplyKind, Section, Source
from tests.fakes.fake_discord import FakeDiscord

CHANNEL = ChannelRef("discord", "900", "901")
SOURCE = Source("China customs", "https://english.customs.gov.cn/", date(2024, 3, 7))


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    with FakeDiscord() as server:
        yield server


@pytest.fixture
def poster(fake: FakeDiscord) -> DiscordPoster:
    return DiscordPoster("bot-token", api_url=fake.api_url)


@pytest.fixture
def digest() -> Reply:
    return Reply(
        title="China–Russia Brief · Fri 8 Mar 2024 @everyone",
        sections=(Section("Since yesterday", (Line("Jan–Feb trade $37.0 bn", SOURCE),)),),
        kind=ReplyKind.DIGEST,
        footer="/brief help",
    )


def test_a_post_carries_embeds_no_mentions_and_a_nonce_from_the_delivery_id(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply
) -> None:
    result = poster.post(CHANNEL, digest, delivery_id="sub:discord:900:901:2024-03-08")
    (call,) = fake.calls_to("messages")
    assert call.path == "/channels/901/messages"
    assert call.headers["authorization"] == "Bot bot-token"
    assert call.headers["user-agent"].startswith("DiscordBot (")
    body = call.body
    assert body["allowed_mentions"] == {"parse": []}
    assert body["enforce_nonce"] is True
    assert body["nonce"] == nonce_for("sub:discord:900:901:2024-03-08")
    assert len(body["nonce"]) <= 25
    (embed,) = body["embeds"]
    assert embed["title"] == "China–Russia Brief · Fri 8 Mar 2024 @\u200beveryone"
    assert embed["fields"][0]["name"] == "Since yesterday"
    assert embed["footer"]["text"].startswith("Data as of 7 Mar 2024")
    assert result.message_id == fake.messages[0].id


def test_nonces_are_stable_short_and_distinct() -> None:
    assert nonce_for("a") == nonce_for("a") != nonce_for("b")
    assert len(nonce_for("x" * 500)) == 25
    assert nonce_for(None) != nonce_for(None)
    assert len(nonce_for(None)) <= 25


def test_a_lost_response_is_retried_with_the_same_nonce_and_posts_once(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply
) -> None:
    fake.land_then_fail["901"] = 1
    poster.post(CHANNEL, digest, delivery_id="d1")
    calls = fake.calls_to("messages")
    assert [c.status for c in calls] == [502, 200]
    assert calls[0].body["nonce"] == calls[1].body["nonce"]
    assert len(fake.messages_in("901")) == 1


def test_a_429_is_retried_after_retry_after(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply
) -> None:
    fake.fail_next("messages", 429, retry_after_s=0.4)
    poster.post(CHANNEL, digest, delivery_id="d1")
    first, second = fake.calls_to("messages")
    assert first.status == 429
    assert second.status == 200
    assert second.at - first.at >= 0.4
    assert len(fake.messages) == 1


def test_a_429_with_only_a_retry_after_header_is_honoured(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply
) -> None:
    fake.fail_next("messages", 429, retry_after_s=0.3, header_only=True)
    poster.post(CHANNEL, digest, delivery_id="d1")
    first, second = fake.calls_to("messages")
    assert second.at - first.at >= 0.3


def test_a_long_retry_after_is_left_to_the_delivery_tick(fake: FakeDiscord, digest: Reply) -> None:
    poster = DiscordPoster("t", api_url=fake.api_url, max_wait_s=5)
    fake.fail_next("messages", 429, retry_after_s=60)
    started = time.monotonic()
    with pytest.raises(PostError) as caught:
        poster.post(CHANNEL, digest, delivery_id="d1")
    assert time.monotonic() - started < 5
    assert caught.value.permanent is False
    assert caught.value.retry_after_s == 60
    assert len(fake.calls_to("messages")) == 1


def test_rate_limits_are_retried_a_bounded_number_of_times(
    fake: FakeDiscord, digest: Reply
) -> None:
    waits: list[float] = []
    poster = DiscordPoster("t", api_url=fake.api_url, max_attempts=3, sleep=waits.append)
    fake.fail_next("messages", 429, retry_after_s=0.25, times=10)
    with pytest.raises(PostError) as caught:
        poster.post(CHANNEL, digest)
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after_s == 0.25
    assert waits == [0.25, 0.25]
    assert len(fake.calls_to("messages")) == 3


def test_server_errors_are_retried_with_backoff_then_reported_transient(
    fake: FakeDiscord, digest: Reply
) -> None:
    waits: list[float] = []
    poster = DiscordPoster("t", api_url=fake.api_url, max_attempts=3, sleep=waits.append)
    fake.fail_next("messages", 503, times=3)
    with pytest.raises(PostError) as caught:
        poster.post(CHANNEL, digest)
    assert caught.value.permanent is False
    assert caught.value.code == "http_503"
    assert waits == [0.5, 1.0]
    fake.fail_next("messages", 500)
    poster.post(CHANNEL, digest)
    assert len(fake.messages) == 1


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (10003, "http_404_unknown_channel"),
        (50001, "http_403_missing_access"),
        (50013, "http_403_missing_permissions"),
    ],
)
def test_gone_channels_and_lost_access_are_permanent(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply, code: int, name: str
) -> None:
    fake.channel_errors["901"] = code
    with pytest.raises(PostError) as caught:
        poster.post(CHANNEL, digest, delivery_id="d1")
    assert caught.value.permanent is True
    assert caught.value.code == name
    assert len(fake.calls_to("messages")) == 1  # never retried


def test_a_revoked_token_is_permanent(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply
) -> None:
    fake.fail_next("messages", 401, code=0)
    with pytest.raises(PostError) as caught:
        poster.post(CHANNEL, digest)
    assert caught.value.permanent is True
    assert caught.value.code == "http_401_unauthorized"


def test_a_rejected_payload_is_transient_and_not_retried(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply
) -> None:
    fake.fail_next("messages", 400, code=50035)
    with pytest.raises(PostError) as caught:
        poster.post(CHANNEL, digest)
    assert caught.value.permanent is False
    assert len(fake.calls_to("messages")) == 1


def test_an_unreachable_api_is_a_transient_error(digest: Reply) -> None:
    poster = DiscordPoster(
        "t", api_url="http://127.0.0.1:9/api/v10", max_attempts=2, sleep=lambda s: None
    )
    with pytest.raises(PostError) as caught:
        poster.post(CHANNEL, digest)
    assert caught.value.permanent is False
    assert caught.value.code.startswith("connection_error")


def test_a_chart_is_uploaded_as_an_attachment_the_embed_shows(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply, tmp_path: Path
) -> None:
    png = tmp_path / "monthly trade.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    chart = Chart(png, "Monthly trade", "Bars: monthly China–Russia trade 2022–2024")
    poster.post(CHANNEL, Reply(title=digest.title, sections=digest.sections, chart=chart))
    (call,) = fake.calls_to("messages")
    assert call.headers["content-type"].startswith("multipart/form-data")
    assert call.files == {"files[0]": ("monthly_trade.png", png.read_bytes())}
    assert call.body["attachments"] == [
        {"id": 0, "filename": "monthly_trade.png", "description": chart.alt_text}
    ]
    assert call.body["embeds"][-1]["image"] == {"url": "attachment://monthly_trade.png"}
    assert call.body["allowed_mentions"] == {"parse": []}


def test_a_missing_chart_file_still_posts_the_words(
    poster: DiscordPoster, fake: FakeDiscord, digest: Reply, tmp_path: Path
) -> None:
    chart = Chart(tmp_path / "gone.png", "Monthly trade", "Bars")
    poster.post(CHANNEL, Reply(title=digest.title, sections=digest.sections, chart=chart))
    (call,) = fake.calls_to("messages")
    assert call.files == {}
    assert all("image" not in e for e in call.body["embeds"])


def test_an_exhausted_bucket_is_waited_out_before_the_next_request(
    fake: FakeDiscord, digest: Reply
) -> None:
    waits: list[float] = []
    poster = DiscordPoster("t", api_url=fake.api_url, sleep=waits.append, clock=lambda: 100.0)
    poster._note_bucket(  # as if Discord had said the channel's bucket is empty for 0.75 s
        "/channels/901/messages",
        _headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.75"}),
    )
    poster.post(CHANNEL, digest)
    assert waits == [0.75]
    poster.post(CHANNEL, digest)
    assert waits == [0.75]  # the fake reports no exhausted bucket


def test_notify_user_sends_a_dm_and_never_raises(poster: DiscordPoster, fake: FakeDiscord) -> None:
    poster.notify_user(CHANNEL, "777", "Paused: @everyone **look**")
    (dm,) = fake.calls_to("dm")
    assert dm.body == {"recipient_id": "777"}
    (note,) = fake.calls_to("messages")
    assert note.path == "/channels/dm-777/messages"
    assert note.body["content"] == "Paused: @\u200beveryone \\*\\*look\\*\\*"
    assert note.body["allowed_mentions"] == {"parse": []}

    fake.channel_errors["dm-777"] = 50007
    poster.notify_user(CHANNEL, "777", "again")  # a closed DM is logged, not raised


def _headers(values: dict[str, str]) -> Message:
    message = Message()
    for name, value in values.items():
        message[name] = value
    return message
