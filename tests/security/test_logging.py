"""No secret is ever logged: the HTTP flows run with every logger at DEBUG (slack_sdk then logs
request parameters and response bodies, tokens included) and the captured logs are scanned for
token patterns and the configured secret values."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from briefing.appstate import Briefing, Context
from briefing.delivery.poster import ChannelRef, PostError
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import make_client
from briefing.platforms.slack.oauth import BOT_SCOPES, build_oauth_bot
from briefing.platforms.slack.poster import SlackPoster, delivery_client
from briefing.platforms.slack.server import HttpServer, make_wsgi_app
from briefing.replies import Reply, simple
from briefing.security.crypto import generate_key
from briefing.security.redact import (
    REDACTED,
    RedactingFilter,
    install_redaction,
    secret_values,
    uninstall_redaction,
)
from handlers import dispatch
from tests.fakes.commands import table_of
from tests.fakes.fake_slack import (
    TEAM_ID,
    FakeSlack,
    request,
    signed_post,
    slash_body,
)

pytestmark = pytest.mark.slow

SIGNING_SECRET = "5e1f5e1f5e1f5e1f0123456789abcdef"
CLIENT_SECRET = "d0n7-l06-m3-c113n7-53cr37"
KEY = generate_key()
BOT_TOKEN = "xoxb-2222-3333-SeCrEtBoTtOkEnVaLuE00"
APP_TOKEN = "xapp-1-A0123-4567-89abcdef0123456789"
REFRESH_1 = "xoxe-1-UmVmcmVzaC1vbmUtc2VjcmV0"
ROTATED = "xoxe.xoxb-1-Um90YXRlZC1zZWNyZXQ"
REFRESH_2 = "xoxe-1-UmVmcmVzaC10d28tc2VjcmV0"
USER_TOKEN = "xoxp-2222-3333-4444-VXNlclRva2Vu"
SECRETS = (
    SIGNING_SECRET,
    CLIENT_SECRET,
    KEY,
    BOT_TOKEN,
    APP_TOKEN,
    REFRESH_1,
    ROTATED,
    REFRESH_2,
    USER_TOKEN,
)
TOKEN_LIKE = re.compile(r"xox[a-z]-|xox[a-z]\.xox|xapp-")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(admins={"UADMIN"}) as fake:
        yield fake


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, as with LOG_LEVEL=DEBUG; redaction removed afterwards."""
    caplog.set_level(logging.DEBUG)
    for name in ("slack_sdk", "slack_bolt", "urllib3", "waitress", "briefing"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    uninstall_redaction()


def assert_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    texts = [caplog.text]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.extend(t for t in (record.exc_text, record.stack_info) if t)
    everything = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in everything
    leaked = TOKEN_LIKE.search(everything)
    assert leaked is None, everything[max(0, leaked.start() - 200) : leaked.end() + 200]


def test_oauth_install_commands_and_posts_log_no_secret(
    brief: Briefing, fake: FakeSlack, debug_logs: pytest.LogCaptureFixture
) -> None:
    settings = brief.settings.model_copy(
        update={
            "slack_client_id": "1111.2222",
            "slack_client_secret": SecretStr(CLIENT_SECRET),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "token_encryption_key": SecretStr(KEY),
            "slack_api_url": fake.api_url,
        }
    )
    oauth_brief = dataclasses.replace(brief, settings=settings)
    install_redaction(secret_values(settings))  # as run_slack does at start

    def failing_or_not(text: str, ctx: Context) -> Reply:
        if text == "explode":
            raise RuntimeError(f"a bug that mentions {BOT_TOKEN} and {SIGNING_SECRET}")
        return dispatch(text, ctx)

    bot = build_oauth_bot(oauth_brief, table_of(failing_or_not))
    server = HttpServer(make_wsgi_app(bot.app), "127.0.0.1", 0)
    server.start_in_thread()
    try:
        fake.oauth_grants["CODE"] = {
            "app_id": "AFAKE",
            "authed_user": {"id": "UINSTALLER", "access_token": USER_TOKEN, "scope": "x"},
            "scope": ",".join(BOT_SCOPES),
            "token_type": "bot",
            "access_token": BOT_TOKEN,
            "refresh_token": REFRESH_1,
            "expires_in": 60,  # expiring: the next use refreshes it
            "bot_user_id": "UBOT",
            "team": {"id": TEAM_ID, "name": "Fake team"},
            "is_enterprise_install": False,
        }
        fake.oauth_grants[REFRESH_1] = {
            "token_type": "bot",
            "access_token": ROTATED,
            "refresh_token": REFRESH_2,
            "expires_in": 43200,
        }
        start = request(server.url, "GET", "/slack/install")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        cookie = start.headers["set-cookie"].split(";")[0]
        done = request(
            server.url,
            "GET",
            f"/slack/oauth_redirect?code=CODE&state={state}",
            headers={"Cookie": cookie},
        )
        assert done.status == 200

        # A slow command answers through the response_url; a quick one in the ack.
        expected = 0
        for text, slow in [
            ("subscribe daily 08:00 UTC", True),
            ("trade 2024", False),
            ("ask what was trade in 2024?", True),
            ("explode", True),
        ]:
            body = slash_body(text, response_url=fake.response_url(), user_id="UADMIN")
            assert signed_post(server.url, body, SIGNING_SECRET).status == 200
            expected += slow
            fake.wait_for("response", expected)
        forged = slash_body("help", response_url=fake.response_url())
        assert signed_post(server.url, forged, "wrong-secret").status == 401

        bot.poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
        fake.channel_errors["CGONE"] = "channel_not_found"
        with pytest.raises(PostError):
            bot.poster.post(ChannelRef("slack", TEAM_ID, "CGONE"), simple("Digest"))
        fake.fail_next("chat.postMessage", status=500)
        with pytest.raises(PostError):
            bot.poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
    finally:
        server.close()
        bot.commands.close()

    assert [c.params["grant_type"] for c in fake.calls_to("oauth.v2.access")[1:]] == [
        "refresh_token"
    ]
    # The flows did log secrets at DEBUG (slack_sdk logs the oauth.v2.access answer); all redacted.
    assert REDACTED in debug_logs.text
    assert any(r.name.startswith("slack_sdk") for r in debug_logs.records)
    assert_no_secret(debug_logs)


def test_token_mode_commands_and_posts_log_no_secret(
    brief: Briefing, fake: FakeSlack, debug_logs: pytest.LogCaptureFixture
) -> None:
    settings = brief.settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_app_token": SecretStr(APP_TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": fake.api_url,
        }
    )
    token_brief = dataclasses.replace(brief, settings=settings)
    install_redaction(secret_values(settings))
    commands = SlackCommands(token_brief, make_client(settings), table_of())
    server = HttpServer(
        make_wsgi_app(build_app(commands, signing_secret=SIGNING_SECRET)), "127.0.0.1", 0
    )
    server.start_in_thread()
    try:
        for text in ("subscriptions", "sources"):
            body = slash_body(text, response_url=fake.response_url(), user_id="UADMIN")
            assert signed_post(server.url, body, SIGNING_SECRET).status == 200
        fake.wait_for("response")
        poster = SlackPoster(delivery_client(settings))
        poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
        fake.fail_next("chat.postMessage", status=429, retry_after_s=1)
        with pytest.raises(PostError):
            poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
        logging.getLogger("briefing.test").warning("settings at start: %r", settings)
        logging.getLogger("briefing.test").debug("raw: %s %s", BOT_TOKEN, APP_TOKEN)
    finally:
        server.close()
        commands.close()
    time.sleep(0.1)
    assert_no_secret(debug_logs)


# -- the filter ---------------------------------------------------------------------------------


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args or None, exc_info)


def test_the_filter_redacts_messages_arguments_and_tracebacks() -> None:
    redactor = RedactingFilter([SIGNING_SECRET, "short"])
    record = _record("token %s and secret %s", BOT_TOKEN, SIGNING_SECRET)
    assert redactor.filter(record) is True  # never drops a record
    assert record.getMessage() == f"token {REDACTED} and secret {REDACTED}"

    try:
        raise ValueError(f"refresh with {REFRESH_1} failed")
    except ValueError as exc:
        failed = _record("rotation failed", exc=exc)
    redactor.filter(failed)
    assert failed.exc_text is not None
    assert REFRESH_1 not in failed.exc_text
    assert "refresh with [redacted] failed" in failed.exc_text

    plain = _record("a %s message with short words", "plain")
    redactor.filter(plain)
    assert plain.getMessage() == "a plain message with short words"  # short values are ignored
    assert plain.args == ("plain",)  # untouched records keep their arguments


@pytest.mark.parametrize(
    "token",
    [BOT_TOKEN, USER_TOKEN, APP_TOKEN, REFRESH_1, ROTATED, "xoxa-2-abc", "xoxs-1-2-3", "xoxr-1"],
)
def test_every_slack_token_shape_is_redacted(token: str) -> None:
    text = RedactingFilter().redact(f"before {token}, after")
    assert text == f"before {REDACTED}, after"


def test_redaction_applies_to_loggers_and_handlers_created_later() -> None:
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    install_redaction([CLIENT_SECRET])
    try:
        logger = logging.getLogger("briefing.test.later")
        logger.propagate = False
        logger.addHandler(Collect())
        logger.setLevel(logging.DEBUG)
        logger.debug("client secret %s, bot token %s", CLIENT_SECRET, BOT_TOKEN)
        install_redaction([KEY])  # a second call adds secrets to the same filter
        logger.info("key %s", KEY)
    finally:
        uninstall_redaction()
    assert seen == [f"client secret {REDACTED}, bot token {REDACTED}", f"key {REDACTED}"]


def test_secret_values_lists_every_configured_secret(brief: Briefing) -> None:
    other_key = generate_key()
    settings = brief.settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_client_secret": SecretStr(CLIENT_SECRET),
            "token_encryption_key": SecretStr(f"{KEY}, {other_key}"),
            "discord_bot_token": SecretStr("discord-token-value-123"),
        }
    )
    values = secret_values(settings)
    for secret in (BOT_TOKEN, SIGNING_SECRET, CLIENT_SECRET, KEY, other_key):
        assert secret in values
    assert "discord-token-value-123" in values
