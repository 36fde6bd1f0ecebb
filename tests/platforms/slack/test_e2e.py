"""The Slack adapter end to end: signed requests over real HTTP to the bot (waitress on
127.0.0.1), the bot calling a fake Slack Web API and response_url on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.delivery.service import deliver_due
from briefing.generation import bump_generation
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import make_client
from briefing.platforms.slack.poster import SlackPoster
from briefing.platforms.slack.server import HttpServer, make_wsgi_app
from briefing.replies import Chart, Reply, simple
from handlers import dispatch, find
from tests.conftest import TODAY
from tests.fakes.commands import table_of
from tests.fakes.fake_slack import (
    TEAM_ID,
    FakeSlack,
    iter_texts,
    request,
    share_click_body,
    signed_headers,
    signed_post,
    slash_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_brief(brief: Briefing, fake: FakeSlack) -> Briefing:
    settings = brief.settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_api_url": fake.api_url,
            "admin_user_ids": "UCONFIGURED",
        }
    )
    return dataclasses.replace(brief, settings=settings)


@dataclass
class Bot:
    """The bot serving HTTP on an ephemeral port, with every dispatch recorded."""

    url: str = ""
    # What the bot's clock says when a request arrives (the context's now and today).
    now: datetime = MORNING
    dispatched: list[tuple[str, Caller]] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    # Tests swap this to slow a command down or make it fail.
    target: Callable[[str, Context], Reply] = dispatch

    def dispatch(self, text: str, ctx: Context) -> Reply:
        self.dispatched.append((text, ctx.caller))
        reply = self.target(text, ctx)
        self.finished.append(text)
        return reply

    def slash(self, text: str, fake: FakeSlack, **kwargs: str) -> int:
        return self.slash_ack(text, fake, **kwargs)[0]

    def slash_ack(self, text: str, fake: FakeSlack, **kwargs: str) -> tuple[int, dict[str, Any]]:
        """Send a signed slash command; the HTTP status and the ack's JSON body (if any)."""
        body = slash_body(text, response_url=fake.response_url(), **kwargs)
        answer = signed_post(self.url, body, SECRET)
        return answer.status, (json.loads(answer.body) if answer.body else {})


@pytest.fixture
def bot(slack_brief: Briefing) -> Iterator[Bot]:
    bot = Bot()
    commands = SlackCommands(
        slack_brief,
        make_client(slack_brief.settings),
        table_of(bot.dispatch),
        clock=lambda: bot.now,
    )
    server = HttpServer(make_wsgi_app(build_app(commands, signing_secret=SECRET)), "127.0.0.1", 0)
    bot.url = server.url
    server.start_in_thread()
    yield bot
    server.close()


def _message(call_params: dict[str, object]) -> tuple[list[object], str]:
    blocks = call_params.get("blocks")
    assert isinstance(blocks, list)
    return blocks, " ".join(iter_texts(blocks))


def test_trade_2024_is_answered_privately_in_the_ack(bot: Bot, fake: FakeSlack) -> None:
    status, answer = bot.slash_ack("trade 2024", fake)
    assert status == 200
    blocks, text = _message(answer)
    assert "$244.8 bn" in text
    assert "$244.8 bn" in str(answer["text"])  # the plain-text fallback too
    assert answer["response_type"] == "ephemeral"
    buttons = [
        el
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "actions"
        for el in b["elements"]
    ]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("brief_share", "trade 2024")]
    ((text_run, caller),) = bot.dispatched
    assert text_run == "trade 2024"
    # A quick command needs no admin lookup: nothing was asked of Slack.
    assert caller == Caller(
        platform="slack",
        user_id="U1",
        workspace_id=TEAM_ID,
        channel_id="C1",
        is_admin=False,
        user_name="u1",
    )
    assert "link_names" not in answer
    assert "parse" not in answer
    time.sleep(0.2)
    assert fake.responses() == []
    assert fake.calls_to("users.info") == []


def test_share_flag_posts_the_answer_in_the_channel(bot: Bot, fake: FakeSlack) -> None:
    status, answer = bot.slash_ack("--share trade 2024", fake)
    assert status == 200
    blocks, text = _message(answer)
    assert answer["response_type"] == "in_channel"
    assert "$244.8 bn" in text
    assert not [b for b in blocks if isinstance(b, dict) and b.get("type") == "actions"]
    assert bot.dispatched[0][0] == "trade 2024"


def test_share_button_reruns_the_command_in_the_channel(bot: Bot, fake: FakeSlack) -> None:
    body = share_click_body("trade 2024", response_url=fake.response_url("click"))
    assert signed_post(bot.url, body, SECRET).status == 200
    (answer,) = fake.wait_for("response")
    assert answer.path == "/response/click"
    assert answer.params["response_type"] == "in_channel"
    assert answer.params["replace_original"] is False
    assert "$244.8 bn" in _message(answer.params)[1]
    assert bot.dispatched[0][0] == "trade 2024"


def test_ack_comes_back_before_a_slow_command_finishes(bot: Bot, fake: FakeSlack) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(text: str, ctx: Context) -> Reply:
        started.set()
        assert release.wait(10), "the test never released the handler"
        return dispatch(text, ctx)

    bot.target = slow
    before = time.monotonic()
    status, ack = bot.slash_ack("trade 2024", fake)
    ack_s = time.monotonic() - before
    assert status == 200
    assert ack == {"text": "Working on it…", "response_type": "ephemeral"}
    assert started.wait(5)
    assert bot.finished == []  # acknowledged while the handler was still blocked
    assert fake.responses() == []
    release.set()
    (answer,) = fake.wait_for("response")
    assert "$244.8 bn" in _message(answer.params)[1]
    assert bot.finished == ["trade 2024"]
    assert ack_s < 3.0


def test_an_expensive_command_is_acknowledged_with_a_working_note(
    bot: Bot, fake: FakeSlack
) -> None:
    release = threading.Event()

    def slow(text: str, ctx: Context) -> Reply:
        release.wait(10)
        return simple("Done.")

    bot.target = slow
    command = find("ask")
    assert command is not None
    assert command.expensive
    body = slash_body("ask what was trade in 1995?", response_url=fake.response_url())
    ack = signed_post(bot.url, body, SECRET)
    assert bot.finished == []
    release.set()
    assert ack.status == 200
    assert json.loads(ack.body) == {"text": "Working on it…", "response_type": "ephemeral"}
    fake.wait_for("response")


def test_a_failing_command_gets_a_short_private_apology(
    bot: Bot, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str, ctx: Context) -> Reply:
        raise RuntimeError("bug in a handler")

    bot.target = broken
    status, answer = bot.slash_ack("trade 2024", fake)
    assert status == 200
    assert answer["response_type"] == "ephemeral"
    assert "went wrong" in str(answer["text"])
    assert any(r.exc_info and "bug in a handler" in str(r.exc_info[1]) for r in caplog.records)


@pytest.mark.parametrize(
    "tamper",
    ["stale timestamp", "wrong secret", "tampered body", "no signature"],
)
def test_unverifiable_requests_get_401_and_run_nothing(
    bot: Bot, fake: FakeSlack, tamper: str
) -> None:
    body = slash_body("trade 2024", response_url=fake.response_url("forged"))
    now = int(time.time())
    if tamper == "stale timestamp":
        answer = signed_post(bot.url, body, SECRET, timestamp=now - 6 * 60)
    elif tamper == "wrong secret":
        answer = signed_post(bot.url, body, "not-the-secret")
    elif tamper == "tampered body":
        good = slash_body("help", response_url=fake.response_url("forged"))
        headers = signed_headers(SECRET, good)  # signed for another body
        answer = request(bot.url, "POST", "/slack/events", body, headers=headers)
    else:
        answer = request(
            bot.url,
            "POST",
            "/slack/events",
            body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status == 401
    # A genuine request afterwards is answered, and it is the only thing that ran.
    status, ack = bot.slash_ack("help", fake)
    assert status == 200
    assert "China–Russia Brief" in str(ack["text"])
    time.sleep(0.2)
    assert fake.responses() == []
    assert [text for text, _ in bot.dispatched] == ["help"]


def test_health_check_and_unknown_paths(bot: Bot) -> None:
    health = request(bot.url, "GET", "/healthz")
    assert (health.status, health.body) == (200, "ok")
    assert request(bot.url, "GET", "/").status == 404
    assert request(bot.url, "GET", "/slack/events").status == 405


def test_admin_rights_come_from_users_info_cached_or_from_settings(
    bot: Bot, fake: FakeSlack
) -> None:
    fake.admins.add("UADMIN")
    # `subscriptions --log` reads the caller's admin status; quick read-only commands don't.
    for count, user in enumerate(("UADMIN", "UADMIN", "U2", "UCONFIGURED"), start=1):
        assert bot.slash("subscriptions --log", fake, user_id=user) == 200
        fake.wait_for("response", count)
    rights = {caller.user_id: caller.is_admin for _, caller in bot.dispatched}
    assert rights == {"UADMIN": True, "U2": False, "UCONFIGURED": True}
    asked = [c.params["user"] for c in fake.calls_to("users.info")]
    assert sorted(asked) == ["U2", "UADMIN"]  # cached for UADMIN; UCONFIGURED needs no lookup


def test_only_the_lines_that_read_admin_rights_ask_slack(bot: Bot, fake: FakeSlack) -> None:
    fake.admins.add("UADMIN")
    # Answered after the ack, through the response_url; `sources` and `trade` in the ack.
    later = ("subscriptions", "watch list", "digest")
    for count, line in enumerate(later, start=1):
        assert bot.slash(line, fake, user_id="UADMIN") == 200
        fake.wait_for("response", count)
    for line in ("sources", "trade 2024"):
        assert bot.slash(line, fake, user_id="UADMIN") == 200
    assert fake.calls_to("users.info") == []
    assert {caller.is_admin for _, caller in bot.dispatched} == {False}
    assert bot.slash("watch remove Example Trading LLC", fake, user_id="UADMIN") == 200
    fake.wait_for("response", len(later) + 1)
    assert [c.params["user"] for c in fake.calls_to("users.info")] == ["UADMIN"]
    assert bot.dispatched[-1][1].is_admin


def test_a_non_admin_cannot_subscribe_a_channel(bot: Bot, fake: FakeSlack) -> None:
    if find("subscribe") is None:
        pytest.skip("the subscribe command is not registered in this build")
    assert bot.slash("subscribe daily 08:00 Europe/Berlin", fake, user_id="U2") == 200
    (answer,) = fake.wait_for("response")
    assert answer.params["response_type"] == "ephemeral"
    assert "admin" in str(answer.params["text"]).lower()
    assert [c.params["user"] for c in fake.calls_to("users.info")] == ["U2"]
    assert fake.calls_to("chat.postMessage") == []


def test_a_chart_is_uploaded_after_the_reply(bot: Bot, fake: FakeSlack, tmp_path: Path) -> None:
    png = tmp_path / "trade.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    chart = Chart(path=png, title="China–Russia trade 2019–2025", alt_text="Bars rising to 2024")

    def charted(text: str, ctx: Context) -> Reply:
        return dataclasses.replace(dispatch("trade 2024", ctx), chart=chart)

    bot.target = charted
    assert bot.slash("chart trade --share", fake) == 200
    (complete,) = fake.wait_for("files.completeUploadExternal")
    (asked,) = fake.calls_to("files.getUploadURLExternal")
    (upload,) = fake.calls_to("upload")
    assert asked.params["alt_txt"] == "Bars rising to 2024"
    assert upload.params["bytes"] == png.stat().st_size
    assert complete.params["channel_id"] == "C1"
    assert json.loads(str(complete.params["files"]))[0]["title"] == chart.title
    assert fake.calls_to("response")[0].at <= asked.at  # the reply first, then the chart

    # A private answer's chart goes to the user's DM, not to the channel.
    assert bot.slash("chart trade", fake, user_id="U7") == 200
    completes = fake.wait_for("files.completeUploadExternal", 2)
    assert fake.calls_to("conversations.open")[0].params["users"] == "U7"
    assert completes[1].params["channel_id"] == "DU7"


def test_each_subscribed_channel_gets_its_digest_once_per_local_day(
    bot: Bot, fake: FakeSlack, slack_brief: Briefing, monkeypatch: pytest.MonkeyPatch
) -> None:

    bot.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # subscribed the day before
    fake.admins.add("UADMIN")
    fake.channel_errors["CGONE"] = "channel_not_found"
    fake.ephemeral_errors["CGONE"] = "channel_not_found"
    subscriptions = [
        ("C1", "subscribe daily 08:00 Europe/Berlin"),
        ("C2", "subscribe daily 08:00 America/New_York"),
        ("CGONE", "subscribe daily 08:00 Europe/Berlin"),
    ]
    for count, (channel, text) in enumerate(subscriptions, start=1):
        assert bot.slash(text, fake, user_id="UADMIN", channel_id=channel) == 200
        answer = fake.wait_for("response", count)[-1]
        assert "This channel now gets" in str(answer.params["text"])

    poster = SlackPoster(make_client(slack_brief.settings))
    posted_at: dict[str, list[datetime]] = {}
    now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    while now <= datetime(2026, 11, 25, 0, 0, tzinfo=UTC):
        before = len(fake.calls_to("chat.postMessage"))
        deliver_due(slack_brief, poster, now)
        deliver_due(slack_brief, poster, now)  # a second tick at the same instant posts nothing
        for call in fake.calls_to("chat.postMessage")[before:]:
            posted_at.setdefault(str(call.params["channel"]), []).append(now)
        now += timedelta(minutes=15)

    berlin_8am = [datetime(2026, 11, d, 7, 0, tzinfo=UTC) for d in (23, 24)]
    new_york_8am = [datetime(2026, 11, d, 13, 0, tzinfo=UTC) for d in (23, 24)]
    assert posted_at["C1"] == berlin_8am
    assert posted_at["C2"] == new_york_8am
    # The deleted channel was tried once, its subscription paused, the admin told by DM.
    assert posted_at["CGONE"] == berlin_8am[:1]
    assert posted_at["DUADMIN"] == berlin_8am[:1]
    (note,) = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == "DUADMIN"]
    assert "paused" in str(note.params["text"])
    digests = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == "C1"]
    assert [c.params["metadata"]["event_payload"]["delivery_id"] for c in digests] == [
        f"sub:slack:{TEAM_ID}:C1:2026-11-23",
        f"sub:slack:{TEAM_ID}:C1:2026-11-24",
    ]
    assert any("China–Russia Brief" in t for t in iter_texts(digests[0].params["blocks"]))


def test_a_repeated_quick_question_is_served_from_the_reply_cache_until_new_data(
    bot: Bot, fake: FakeSlack, slack_brief: Briefing
) -> None:
    first = bot.slash_ack("trade 2024", fake)
    second = bot.slash_ack("trade 2024", fake)
    assert first == second
    assert [text for text, _ in bot.dispatched] == ["trade 2024"]
    # Another process ingests data: once the bot notices, the question is answered afresh.
    bump_generation(slack_brief.engine)
    slack_brief._checked_at -= 60
    third = bot.slash_ack("trade 2024", fake)
    assert third[0] == 200
    assert [text for text, _ in bot.dispatched] == ["trade 2024", "trade 2024"]
    # A different day is a different question too.
    bot.now = bot.now + timedelta(days=1)
    bot.slash_ack("trade 2024", fake)
    assert len(bot.dispatched) == 3
