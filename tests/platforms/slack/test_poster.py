"""SlackPoster against the fake Web API: retries, error mapping, private notes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from briefing.appstate import Briefing
from briefing.daily_digest import build_digest
from briefing.delivery.poster import ChannelRef, PostError
from briefing.platforms.slack.client import make_client
from briefing.platforms.slack.poster import PERMANENT_ERRORS, SlackPoster
from briefing.replies import Reply
from briefing.settings import Settings
from tests.conftest import TODAY
from tests.fakes.fake_slack import TEAM_ID, FakeSlack, iter_texts

pytestmark = pytest.mark.slow

CHANNEL = ChannelRef("slack", TEAM_ID, "C1")
FAST_BACKOFF_S = 0.01  # the retry count is under test, not the waiting


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _settings(settings: Settings, api_url: str) -> Settings:
    return settings.model_copy(
        update={"slack_bot_token": SecretStr("xoxb-test-token"), "slack_api_url": api_url}
    )


@pytest.fixture
def poster(settings: Settings, fake: FakeSlack) -> SlackPoster:
    return SlackPoster(make_client(_settings(settings, fake.api_url), backoff_s=FAST_BACKOFF_S))


@pytest.fixture
def digest(brief: Briefing) -> Reply:
    return build_digest(brief, TODAY, command="/brief")


def test_a_post_carries_blocks_a_fallback_and_the_delivery_id(
    poster: SlackPoster, fake: FakeSlack, digest: Reply
) -> None:
    result = poster.post(CHANNEL, digest, delivery_id="sub-7:2026-11-23")
    (call,) = fake.calls_to("chat.postMessage")
    assert re.fullmatch(r"\d+\.\d{6}", result.message_id or "")  # the message's Slack ts
    assert call.params["channel"] == "C1"
    assert digest.title.split(" · ")[0] in str(call.params["text"])
    assert any("China–Russia Brief" in t for t in iter_texts(call.params["blocks"]))
    assert call.params["metadata"] == {
        "event_type": "brief_delivery",
        "event_payload": {"delivery_id": "sub-7:2026-11-23"},
    }
    assert call.params["unfurl_links"] is False
    assert "link_names" not in call.params
    assert "parse" not in call.params


def test_a_429_is_retried_after_retry_after(
    poster: SlackPoster, fake: FakeSlack, digest: Reply
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after_s=1)
    result = poster.post(CHANNEL, digest)
    first, second = fake.calls_to("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert result.message_id is not None


def test_a_long_retry_after_is_left_to_the_caller(
    poster: SlackPoster, fake: FakeSlack, digest: Reply
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after_s=120)
    with pytest.raises(PostError) as err:
        poster.post(CHANNEL, digest)
    assert (err.value.code, err.value.permanent, err.value.retry_after_s) == (
        "ratelimited",
        False,
        120.0,
    )
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_a_bounded_number_of_times(
    poster: SlackPoster, fake: FakeSlack, digest: Reply, status: int
) -> None:
    fake.fail_next("chat.postMessage", status=status, times=2)
    assert poster.post(CHANNEL, digest).message_id is not None
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [status, status, 200]

    fake.fail_next("chat.postMessage", status=status, times=5)
    with pytest.raises(PostError) as err:
        poster.post(CHANNEL, digest)
    assert not err.value.permanent
    assert len(fake.calls_to("chat.postMessage")) == 3 + 3  # one try and two retries


@pytest.mark.parametrize("code", sorted(PERMANENT_ERRORS))
def test_gone_channels_and_dead_tokens_are_permanent(
    poster: SlackPoster, fake: FakeSlack, digest: Reply, code: str
) -> None:
    fake.channel_errors["C1"] = code
    with pytest.raises(PostError) as err:
        poster.post(CHANNEL, digest)
    assert (err.value.code, err.value.permanent) == (code, True)
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_other_api_errors_are_transient(
    poster: SlackPoster, fake: FakeSlack, digest: Reply
) -> None:
    fake.channel_errors["C1"] = "fatal_error"
    with pytest.raises(PostError) as err:
        poster.post(CHANNEL, digest)
    assert (err.value.code, err.value.permanent) == ("fatal_error", False)


def test_an_unreachable_slack_is_a_transient_error(settings: Settings, digest: Reply) -> None:
    with FakeSlack() as gone:
        api_url = gone.api_url
    poster = SlackPoster(make_client(_settings(settings, api_url), backoff_s=FAST_BACKOFF_S))
    with pytest.raises(PostError) as err:
        poster.post(CHANNEL, digest)
    assert err.value.code.startswith("connection_error")
    assert not err.value.permanent


def test_notify_user_is_ephemeral_or_else_a_dm(poster: SlackPoster, fake: FakeSlack) -> None:
    poster.notify_user(CHANNEL, "U1", "Subscribed #general to the daily digest.")
    (note,) = fake.calls_to("chat.postEphemeral")
    assert (note.params["channel"], note.params["user"]) == ("C1", "U1")

    fake.ephemeral_errors["C1"] = "not_in_channel"
    poster.notify_user(CHANNEL, "U1", "The digest could not be posted to #general.")
    (dm,) = fake.calls_to("chat.postMessage")
    assert fake.calls_to("conversations.open")[0].params["users"] == "U1"
    assert dm.params["channel"] == "DU1"
    assert dm.params["text"] == "The digest could not be posted to #general."


def test_notify_user_never_raises(settings: Settings) -> None:
    with FakeSlack() as gone:
        api_url = gone.api_url
    poster = SlackPoster(make_client(_settings(settings, api_url), backoff_s=FAST_BACKOFF_S))
    poster.notify_user(CHANNEL, "U1", "hello")  # logged, not raised
