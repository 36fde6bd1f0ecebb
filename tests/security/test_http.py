"""Forged and replayed requests over real HTTP: every one gets 401 and runs nothing.

The bot serves on 127.0.0.1 (waitress) exactly as in production; requests are signed as Slack
signs them, then spoiled one way or another.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import make_client
from briefing.platforms.slack.server import HttpServer, make_wsgi_app
from briefing.replies import Reply
from briefing.security import audit
from briefing.security.replay import ReplayGuard
from handlers import dispatch
from tests.fakes.commands import table_of
from tests.fakes.fake_slack import (
    TEAM_ID,
    FakeSlack,
    HttpAnswer,
    request,
    share_click_body,
    signature,
    signed_headers,
    slash_body,
)

SECRET = "3f1c0ffee0ddba11cafe5ca1ab1e0001"
pytestmark = pytest.mark.slow


class CountingGuard(ReplayGuard):
    """The in-memory guard, counting how often it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def claim(self, signature: str) -> bool:
        self.asked += 1
        return super().claim(signature)


@dataclass
class Bot:
    url: str = ""
    guard: CountingGuard = field(default_factory=CountingGuard)
    dispatched: list[tuple[str, Caller]] = field(default_factory=list)

    def dispatch(self, text: str, ctx: Context) -> Reply:
        self.dispatched.append((text, ctx.caller))
        return dispatch(text, ctx)

    def post(self, body: str, headers: dict[str, str]) -> HttpAnswer:
        return request(self.url, "POST", "/slack/events", body, headers=headers)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(admins={"UADMIN"}) as fake:
        yield fake


@pytest.fixture
def bot(brief: Briefing, fake: FakeSlack) -> Iterator[Bot]:
    settings = brief.settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_api_url": fake.api_url,
        }
    )
    slack_brief = dataclasses.replace(brief, settings=settings)
    bot = Bot()
    commands = SlackCommands(slack_brief, make_client(settings), table_of(bot.dispatch))
    app = build_app(commands, signing_secret=SECRET)
    wsgi = make_wsgi_app(app, replay_guard=bot.guard, signing_secret=SECRET)  # as in production
    server = HttpServer(wsgi, "127.0.0.1", 0)
    bot.url = server.url
    server.start_in_thread()
    yield bot
    server.close()
    commands.close()


def _nothing_ran(bot: Bot, fake: FakeSlack) -> None:
    time.sleep(0.3)  # anything handed to the answer workers would have started by now
    assert bot.dispatched == []
    assert fake.responses() == []
    assert fake.calls_to("users.info") == []


def _body(fake: FakeSlack, text: str = "subscribe daily 08:00 UTC") -> str:
    return slash_body(text, response_url=fake.response_url(), user_id="UADMIN")


FORGERIES = {
    "wrong secret": lambda body, now: signed_headers("not-the-secret", body, now),
    "stale timestamp": lambda body, now: signed_headers(SECRET, body, now - 5 * 60 - 30),
    "future timestamp": lambda body, now: signed_headers(SECRET, body, now + 5 * 60 + 30),
    "no signature": lambda body, now: {
        k: v for k, v in signed_headers(SECRET, body, now).items() if k != "X-Slack-Signature"
    },
    "no timestamp": lambda body, now: {
        k: v
        for k, v in signed_headers(SECRET, body, now).items()
        if k != "X-Slack-Request-Timestamp"
    },
    "no headers": lambda body, now: {"Content-Type": "application/x-www-form-urlencoded"},
    "empty signature": lambda body, now: {
        **signed_headers(SECRET, body, now),
        "X-Slack-Signature": "",
    },
    "v1 signature": lambda body, now: {
        **signed_headers(SECRET, body, now),
        "X-Slack-Signature": signature(SECRET, str(now), body).replace("v0=", "v1="),
    },
    "timestamp not a number": lambda body, now: {
        **signed_headers(SECRET, body, now),
        "X-Slack-Request-Timestamp": "soon",
    },
    "timestamp in other digits": lambda body, now: {
        **signed_headers(SECRET, body, now),
        "X-Slack-Request-Timestamp": "17²³",  # digits to str.isdigit, not to int()
    },
    "signed with another timestamp": lambda body, now: {
        **signed_headers(SECRET, body, now),
        "X-Slack-Request-Timestamp": str(now - 1),
    },
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_request_gets_401_and_runs_nothing(
    bot: Bot, fake: FakeSlack, forgery: str
) -> None:
    body = _body(fake)
    answer = bot.post(body, FORGERIES[forgery](body, int(time.time())))
    assert answer.status == 401, (answer.status, answer.body)
    _nothing_ran(bot, fake)
    # Checked before the replay guard: a forgery never reaches its (shared) store.
    assert bot.guard.asked == 0


def test_a_tampered_body_gets_401_and_runs_nothing(bot: Bot, fake: FakeSlack) -> None:
    genuine = _body(fake, "subscriptions")
    headers = signed_headers(SECRET, genuine)
    tampered = genuine.replace("subscriptions", "subscribe+daily+08%3A00+UTC")
    assert tampered != genuine
    assert bot.post(tampered, headers).status == 401
    _nothing_ran(bot, fake)
    # The forged attempt did not use up the genuine request's signature.
    assert bot.post(genuine, headers).status == 200
    fake.wait_for("response")
    assert [text for text, _ in bot.dispatched] == ["subscriptions"]


def test_a_replayed_request_is_refused(bot: Bot, fake: FakeSlack, brief: Briefing) -> None:
    body = _body(fake)
    headers = signed_headers(SECRET, body)
    assert bot.post(body, headers).status == 200
    fake.wait_for("response")
    again = bot.post(body, headers)
    assert again.status == 401
    assert "replayed" in again.body
    time.sleep(0.3)
    assert [text for text, _ in bot.dispatched] == ["subscribe daily 08:00 UTC"]
    assert len(fake.responses()) == 1
    assert len(audit.recent(brief.engine, "slack", TEAM_ID)) == 1
    # A fresh request (its own trigger_id and signature) is answered as usual.
    fresh = _body(fake)
    assert bot.post(fresh, signed_headers(SECRET, fresh)).status == 200


def test_a_replayed_button_click_is_refused(bot: Bot, fake: FakeSlack) -> None:
    body = share_click_body("trade 2024", response_url=fake.response_url("click"))
    headers = signed_headers(SECRET, body)
    assert bot.post(body, headers).status == 200
    fake.wait_for("response")
    assert bot.post(body, headers).status == 401
    time.sleep(0.3)
    assert len(fake.responses()) == 1


def test_concurrent_copies_of_one_request_run_once(bot: Bot, fake: FakeSlack) -> None:
    body = _body(fake, "subscriptions")
    headers = signed_headers(SECRET, body)
    statuses: list[int] = []
    start = threading.Barrier(8)

    def send() -> None:
        start.wait()
        statuses.append(bot.post(body, headers).status)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [401] * 7
    fake.wait_for("response")
    time.sleep(0.3)
    assert len(bot.dispatched) == 1


def test_a_url_verification_is_signed_too(bot: Bot) -> None:
    body = '{"type": "url_verification", "challenge": "abc", "token": "x"}'
    headers = {"Content-Type": "application/json"}
    assert bot.post(body, headers).status == 401
    signed = {**signed_headers(SECRET, body), "Content-Type": "application/json"}
    answer = bot.post(body, signed)
    assert answer.status == 200
    assert "abc" in answer.body


def test_a_huge_body_is_refused_before_it_is_read(bot: Bot, fake: FakeSlack) -> None:
    body = urlencode({"text": "x" * (2 << 20)})
    try:
        answer = bot.post(body, signed_headers(SECRET, body))
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused (413) and closed while the client was still sending
    else:
        assert answer.status == 413
    _nothing_ran(bot, fake)


# -- the guard itself ----------------------------------------------------------------------------


def test_the_guard_forgets_a_signature_after_the_window() -> None:
    now = [1000.0]
    guard = ReplayGuard(window_s=660, clock=lambda: now[0])
    assert guard.claim("v0=a")
    assert not guard.claim("v0=a")
    now[0] += 659
    assert not guard.claim("v0=a")
    now[0] += 2
    assert guard.claim("v0=a")  # by now bolt refuses it as stale anyway
    assert len(guard) == 1


def test_the_guard_stays_bounded_and_counts_what_it_dropped() -> None:
    guard = ReplayGuard(max_entries=3, clock=lambda: 0.0)
    for i in range(5):
        assert guard.claim(f"v0={i}")
    assert len(guard) == 3
    assert guard.evicted == 2
    assert not guard.claim("v0=4")


def test_a_released_signature_can_be_claimed_again() -> None:
    guard = ReplayGuard()
    assert guard.claim("v0=x")
    guard.release("v0=x")
    assert guard.claim("v0=x")
