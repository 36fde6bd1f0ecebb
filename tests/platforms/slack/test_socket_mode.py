"""Socket Mode end to end: the app connects with the app-level token to a fake WebSocket
endpoint, acks each envelope over the socket and answers through the response_url."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode import SocketModeHandler

from briefing.appstate import Briefing, Context
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import make_client
from briefing.replies import Reply
from handlers import dispatch
from tests.fakes.commands import table_of
from tests.fakes.fake_slack import FakeSlack, iter_texts, slash_payload
from tests.fakes.fake_socket_mode import FakeSocketMode

pytestmark = pytest.mark.slow

APP_TOKEN = "xapp-1-A0FAKE-1-abcdef"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def socket(fake: FakeSlack) -> Iterator[FakeSocketMode]:
    socket = FakeSocketMode()
    fake.socket_url = socket.url
    yield socket
    socket.close()


def test_socket_mode_acks_over_the_socket_and_answers(
    brief: Briefing, fake: FakeSlack, socket: FakeSocketMode
) -> None:
    settings = brief.settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_app_token": SecretStr(APP_TOKEN),
            "slack_api_url": fake.api_url,
        }
    )
    release = threading.Event()

    def slow_when_asked(text: str, ctx: Context) -> Reply:
        if text.startswith("ask"):
            assert release.wait(10)
        return dispatch(text, ctx)

    commands = SlackCommands(
        dataclasses.replace(brief, settings=settings),
        make_client(settings),
        table_of(slow_when_asked),
        clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )
    handler = SocketModeHandler(build_app(commands, signing_secret=""), APP_TOKEN)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        (opened,) = fake.calls_to("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"

        envelope = socket.send(
            "slash_commands", slash_payload("trade 2024", response_url=fake.response_url())
        )
        # A quick command is answered in the ack itself.
        quick = socket.wait_ack(envelope)
        assert quick["envelope_id"] == envelope
        assert any("$244.8 bn" in t for t in iter_texts(quick["payload"]["blocks"]))
        assert quick["payload"]["response_type"] == "ephemeral"

        slow = socket.send(
            "slash_commands",
            slash_payload("ask what was trade in 1995?", response_url=fake.response_url("r2")),
        )
        ack = socket.wait_ack(slow)  # while the answer is still blocked
        assert ack["payload"] == {"text": "Working on it…", "response_type": "ephemeral"}
        release.set()
        (answer,) = fake.wait_for("response")
        assert "1995" in str(answer.params["text"])
    finally:
        release.set()
        handler.close()  # type: ignore[no-untyped-call]
        commands.close()
