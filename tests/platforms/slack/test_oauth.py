"""OAuth distribution end to end: install through /slack/install and /slack/oauth_redirect
(against a fake oauth.v2.access), tokens encrypted at rest, each workspace answered and posted
to with its own token, token rotation, uninstall and revocation, key rotation."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text
from typer.testing import CliRunner

import bot
from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.delivery.poster import ChannelRef, PostError
from briefing.delivery.subscriptions import ALL_TOPICS, SubscriptionStatus, SubscriptionStore
from briefing.platforms.slack import require_settings
from briefing.platforms.slack.oauth import (
    BOT_SCOPES,
    EncryptedInstallationStore,
    OAuthBot,
    TokenDecryptionError,
    build_oauth_bot,
)
from briefing.platforms.slack.server import HttpServer, make_wsgi_app
from briefing.replies import Reply, simple
from briefing.security import audit
from briefing.security.audit import AuditAction
from briefing.security.crypto import TokenCipher, generate_key
from briefing.settings import PROJECT_ROOT, SettingsError, load_settings
from handlers import dispatch
from tests.conftest import BotRunner
from tests.fakes.commands import table_of
from tests.fakes.fake_slack import (
    TEAM_ID,
    FakeSlack,
    HttpAnswer,
    request,
    signed_headers,
    signed_post,
    slash_body,
)

pytestmark = pytest.mark.slow

SECRET = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "c11e47-5ec2e7-0f-th3-app-000001"
KEY = generate_key()
BOT_TOKEN = "xoxb-1111-2222-AbCdEfGhIjKlMnOpQrStUvWx"
REFRESH_1 = "xoxe-1-My0xLTExMTEtUmVmcmVzaE9uZQ"
ROTATED = "xoxe.xoxb-1-MS0xMTExLTIyMjItUm90YXRlZA"
REFRESH_2 = "xoxe-1-My0xLTExMTEtUmVmcmVzaFR3bw"
REDIRECT = "https://brief.example/slack/oauth_redirect"


def grant(token: str = BOT_TOKEN, team: str = TEAM_ID, **extra: Any) -> dict[str, Any]:
    """An oauth.v2.access answer for a bot install, as Slack sends it."""
    return {
        "app_id": "AFAKE",
        "authed_user": {"id": "UINSTALLER"},
        "scope": ",".join(BOT_SCOPES),
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": "UBOT",
        "team": {"id": team, "name": "Fake team"},
        "enterprise": None,
        "is_enterprise_install": False,
        **extra,
    }


@dataclass
class Server:
    url: str
    bot: OAuthBot
    brief: Briefing
    fake: FakeSlack
    dispatched: list[tuple[str, Caller]] = field(default_factory=list)

    def install(self, code: str = "CODE1") -> HttpAnswer:
        """A browser going through the install: /slack/install, Slack's consent, the redirect."""
        start = request(self.url, "GET", "/slack/install")
        assert start.status == 302, start
        location = urlsplit(start.headers["location"])
        assert (location.scheme, location.netloc) == ("https", "slack.com")
        query = parse_qs(location.query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["scope"] == [",".join(BOT_SCOPES)]
        assert query["redirect_uri"] == [REDIRECT]
        state = query["state"][0]
        cookie = start.headers["set-cookie"].split(";")[0]
        assert cookie == f"slack-app-oauth-state={state}"
        return request(
            self.url,
            "GET",
            f"/slack/oauth_redirect?code={code}&state={state}",
            headers={"Cookie": cookie},
        )

    def slash(self, text: str, user_id: str = "UADMIN", team_id: str = TEAM_ID) -> int:
        body = slash_body(
            text, response_url=self.fake.response_url(), user_id=user_id, team_id=team_id
        )
        return signed_post(self.url, body, SECRET).status

    def event(self, event: dict[str, Any], team_id: str = TEAM_ID) -> HttpAnswer:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": team_id,
                "api_app_id": "AFAKE",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{time.monotonic_ns()}",
                "event_time": int(time.time()),
            }
        )
        headers = {**signed_headers(SECRET, body), "Content-Type": "application/json"}
        return request(self.url, "POST", "/slack/events", body, headers=headers)


def oauth_settings_for(brief: Briefing, fake: FakeSlack, **update: Any) -> Briefing:
    settings = brief.settings.model_copy(
        update={
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": SecretStr(CLIENT_SECRET),
            "slack_signing_secret": SecretStr(SECRET),
            "token_encryption_key": SecretStr(KEY),
            "slack_api_url": fake.api_url,
            "slack_redirect_uri": REDIRECT,
            **update,
        }
    )
    return dataclasses.replace(brief, settings=settings)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(admins={"UADMIN"}) as fake:
        yield fake


@pytest.fixture
def server(brief: Briefing, fake: FakeSlack) -> Iterator[Server]:
    oauth_brief = oauth_settings_for(brief, fake)
    recorded: list[tuple[str, Caller]] = []

    def recording(text: str, ctx: Context) -> Reply:
        recorded.append((text, ctx.caller))
        return dispatch(text, ctx)

    bot = build_oauth_bot(oauth_brief, table_of(recording))
    http = HttpServer(make_wsgi_app(bot.app), "127.0.0.1", 0)
    http.start_in_thread()
    yield Server(http.url, bot, oauth_brief, fake, recorded)
    http.close()
    bot.commands.close()


def bearer(call_headers: dict[str, str]) -> str:
    return call_headers.get("authorization", "").removeprefix("Bearer ")


def raw_tokens(brief: Briefing) -> list[str]:
    """Every token column value as stored in the database."""
    found: list[str] = []
    with brief.engine.connect() as conn:
        for table in ("slack_bots", "slack_installations"):
            columns = "bot_token, bot_refresh_token"
            if table == "slack_installations":
                columns += ", user_token, user_refresh_token"
            for row in conn.execute(text(f"SELECT {columns} FROM {table}")):
                found.extend(str(v) for v in row if v is not None)
    return found


# -- settings -------------------------------------------------------------------------------


def test_oauth_mode_names_every_missing_setting(brief: Briefing) -> None:
    half = dataclasses.replace(
        brief, settings=brief.settings.model_copy(update={"slack_client_id": CLIENT_ID})
    )
    with pytest.raises(SettingsError) as err:
        require_settings(half, http=True)
    assert err.value.problems == [
        "SLACK_SIGNING_SECRET is required for this mode but not set",
        "SLACK_CLIENT_SECRET is required for this mode but not set",
        "TOKEN_ENCRYPTION_KEY is required for this mode but not set",
    ]
    with pytest.raises(SettingsError, match="need --http"):
        require_settings(half, http=False)


def test_token_mode_is_unchanged(brief: Briefing) -> None:
    with pytest.raises(SettingsError) as err:
        require_settings(brief, http=True)
    assert err.value.problems == [
        "SLACK_BOT_TOKEN is required for this mode but not set",
        "SLACK_SIGNING_SECRET is required for this mode but not set",
    ]


def test_a_bad_encryption_key_is_reported_without_echoing_it() -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None, token_encryption_key=f"{KEY},not-a-key-at-all")
    (problem,) = err.value.problems
    assert problem.startswith("TOKEN_ENCRYPTION_KEY: key 2 of 2 ")
    assert "not-a-key-at-all" not in problem
    assert KEY not in problem


# -- install --------------------------------------------------------------------------------


def test_install_stores_the_workspace_token_encrypted(server: Server, fake: FakeSlack) -> None:
    fake.oauth_grants["CODE1"] = grant()
    done = server.install()
    assert done.status == 200, done
    (exchange,) = fake.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "CODE1"
    assert exchange.params["redirect_uri"] == REDIRECT
    basic = base64.b64decode(exchange.headers["authorization"].removeprefix("Basic ")).decode()
    assert basic == f"{CLIENT_ID}:{CLIENT_SECRET}"

    stored = raw_tokens(server.brief)
    assert stored  # the installation and the bot rows hold the token...
    assert all(BOT_TOKEN not in value and "xox" not in value for value in stored)
    cipher = TokenCipher([KEY])
    assert {cipher.decrypt(value) for value in stored} == {BOT_TOKEN}  # ...encrypted
    found = server.bot.oauth.installations.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert found is not None
    assert found.bot_token == BOT_TOKEN


def test_a_redirect_without_a_valid_state_installs_nothing(server: Server, fake: FakeSlack) -> None:
    fake.oauth_grants["CODE1"] = grant()
    forged = request(server.url, "GET", "/slack/oauth_redirect?code=CODE1&state=made-up")
    assert forged.status == 400  # no state cookie: another browser
    start = request(server.url, "GET", "/slack/install")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    wrong = request(
        server.url,
        "GET",
        "/slack/oauth_redirect?code=CODE1&state=made-up",
        headers={"Cookie": "slack-app-oauth-state=made-up"},
    )
    assert wrong.status == 401  # a cookie, but a state this app never issued
    assert fake.calls_to("oauth.v2.access") == []
    assert raw_tokens(server.brief) == []
    assert state  # the genuine one is still unused


def test_a_refused_code_installs_nothing(server: Server, fake: FakeSlack) -> None:
    assert server.install("UNKNOWN").status == 401
    assert raw_tokens(server.brief) == []


def test_each_workspace_is_answered_and_posted_to_with_its_own_token(
    server: Server, fake: FakeSlack
) -> None:
    fake.oauth_grants["CODE1"] = grant()
    assert server.install().status == 200

    assert server.slash("subscribe daily 08:00 UTC") == 200
    (answer,) = fake.wait_for("response")
    assert "This channel now gets" in str(answer.params["text"])
    (lookup,) = fake.calls_to("users.info")
    assert bearer(lookup.headers) == BOT_TOKEN
    ((_, caller),) = server.dispatched
    assert (caller.workspace_id, caller.is_admin) == (TEAM_ID, True)

    poster = server.bot.poster
    poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Morning digest"))
    (post,) = fake.calls_to("chat.postMessage")
    assert bearer(post.headers) == BOT_TOKEN
    with pytest.raises(PostError) as err:
        poster.post(ChannelRef("slack", "TNOTINSTALLED", "C1"), simple("Hello"))
    assert (err.value.code, err.value.permanent) == ("not_installed", True)


def test_a_command_from_a_workspace_without_installation_runs_nothing(
    server: Server, fake: FakeSlack
) -> None:
    assert server.slash("subscriptions", team_id="TSTRANGER") == 200
    fake.wait_for("response")  # bolt's apology through the response_url
    time.sleep(0.2)
    assert server.dispatched == []
    assert fake.calls_to("users.info") == []


# -- token rotation -------------------------------------------------------------------------


def test_an_expiring_token_is_refreshed_for_a_command(server: Server, fake: FakeSlack) -> None:
    fake.oauth_grants["CODE1"] = grant(refresh_token=REFRESH_1, expires_in=60)
    fake.oauth_grants[REFRESH_1] = {
        "token_type": "bot",
        "access_token": ROTATED,
        "refresh_token": REFRESH_2,
        "expires_in": 43200,
    }
    assert server.install().status == 200
    assert server.slash("subscribe") == 200
    fake.wait_for("response")

    (refresh,) = [c for c in fake.calls_to("oauth.v2.access") if "refresh_token" in c.params]
    assert refresh.params["grant_type"] == "refresh_token"
    assert refresh.params["refresh_token"] == REFRESH_1
    (lookup,) = fake.calls_to("users.info")
    assert bearer(lookup.headers) == ROTATED
    bot = server.bot.oauth.installations.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert bot is not None
    assert (bot.bot_token, bot.bot_refresh_token) == (ROTATED, REFRESH_2)
    assert bot.bot_token_expires_at is not None
    assert bot.bot_token_expires_at > time.time() + 11 * 3600
    stored = raw_tokens(server.brief)
    assert not any(secret in value for value in stored for secret in (ROTATED, REFRESH_2))

    # Posting uses the refreshed token without refreshing again.
    server.bot.poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
    assert bearer(fake.calls_to("chat.postMessage")[0].headers) == ROTATED
    assert len([c for c in fake.calls_to("oauth.v2.access") if "refresh_token" in c.params]) == 1


def test_scheduled_posts_refresh_an_expiring_token_themselves(
    server: Server, fake: FakeSlack
) -> None:
    fake.oauth_grants["CODE1"] = grant(refresh_token=REFRESH_1, expires_in=60)
    fake.oauth_grants[REFRESH_1] = {
        "token_type": "bot",
        "access_token": ROTATED,
        "refresh_token": REFRESH_2,
        "expires_in": 43200,
    }
    assert server.install().status == 200
    server.bot.poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
    assert bearer(fake.calls_to("chat.postMessage")[0].headers) == ROTATED


def test_a_refused_refresh_fails_the_post_for_good(server: Server, fake: FakeSlack) -> None:
    fake.oauth_grants["CODE1"] = grant(refresh_token=REFRESH_1, expires_in=60)
    assert server.install().status == 200  # no grant for REFRESH_1: Slack refuses it
    with pytest.raises(PostError) as err:
        server.bot.poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
    assert (err.value.code, err.value.permanent) == ("invalid_refresh_token", True)
    assert fake.calls_to("chat.postMessage") == []


# -- uninstall and revocation ---------------------------------------------------------------


def _subscribe_two_channels(brief: Briefing) -> SubscriptionStore:
    store = SubscriptionStore(brief.engine)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for team, channel in ((TEAM_ID, "C1"), (TEAM_ID, "C2"), ("TOTHER", "C1")):
        store.subscribe(
            ChannelRef("slack", team, channel),
            at=clock_time(8),
            tz="UTC",
            topics=ALL_TOPICS,
            by_user="UADMIN",
            now=now,
        )
    return store


def test_app_uninstalled_deletes_the_credentials_and_pauses_the_workspace(
    server: Server, fake: FakeSlack
) -> None:
    fake.oauth_grants["CODE1"] = grant()
    assert server.install().status == 200
    store = _subscribe_two_channels(server.brief)

    assert server.event({"type": "app_uninstalled"}).status == 200
    assert raw_tokens(server.brief) == []
    assert server.bot.oauth.installations.find_bot(enterprise_id=None, team_id=TEAM_ID) is None
    for channel in ("C1", "C2"):
        sub = store.get(ChannelRef("slack", TEAM_ID, channel))
        assert sub is not None
        assert (sub.status, sub.paused_reason) == (SubscriptionStatus.PAUSED, "app_uninstalled")
    other = store.get(ChannelRef("slack", "TOTHER", "C1"))
    assert other is not None
    assert other.status is SubscriptionStatus.ACTIVE
    log = audit.recent(server.brief.engine, "slack", TEAM_ID)
    assert [(e.action, e.user_id, e.details) for e in log[:2]] == [
        (AuditAction.PAUSE, None, "app_uninstalled")
    ] * 2

    with pytest.raises(PostError):
        server.bot.poster.post(ChannelRef("slack", TEAM_ID, "C1"), simple("Digest"))
    assert server.slash("subscriptions") == 200
    time.sleep(0.3)
    assert server.dispatched == []


def test_a_revoked_bot_token_is_forgotten_too(server: Server, fake: FakeSlack) -> None:
    fake.oauth_grants["CODE1"] = grant()
    assert server.install().status == 200
    store = _subscribe_two_channels(server.brief)
    answer = server.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}})
    assert answer.status == 200
    assert raw_tokens(server.brief) == []
    sub = store.get(ChannelRef("slack", TEAM_ID, "C1"))
    assert sub is not None
    assert (sub.status, sub.paused_reason) == (SubscriptionStatus.PAUSED, "tokens_revoked")


def test_a_revoked_user_token_leaves_the_bot_alone(server: Server, fake: FakeSlack) -> None:
    fake.oauth_grants["CODE1"] = grant()
    assert server.install().status == 200
    store = _subscribe_two_channels(server.brief)
    answer = server.event({"type": "tokens_revoked", "tokens": {"oauth": ["UOTHER"], "bot": []}})
    assert answer.status == 200
    assert server.bot.oauth.installations.find_bot(enterprise_id=None, team_id=TEAM_ID)
    sub = store.get(ChannelRef("slack", TEAM_ID, "C1"))
    assert sub is not None
    assert sub.status is SubscriptionStatus.ACTIVE


def test_an_unsigned_uninstall_event_changes_nothing(server: Server, fake: FakeSlack) -> None:
    fake.oauth_grants["CODE1"] = grant()
    assert server.install().status == 200
    body = json.dumps(
        {"type": "event_callback", "team_id": TEAM_ID, "event": {"type": "app_uninstalled"}}
    )
    forged = request(
        server.url, "POST", "/slack/events", body, headers={"Content-Type": "application/json"}
    )
    assert forged.status == 401
    assert raw_tokens(server.brief)


# -- encryption keys ------------------------------------------------------------------------


def _installation(token: str = BOT_TOKEN) -> Installation:
    return Installation(
        app_id="AFAKE",
        enterprise_id=None,
        team_id=TEAM_ID,
        bot_token=token,
        bot_id="BFAKE",
        bot_user_id="UBOT",
        bot_scopes=list(BOT_SCOPES),
        bot_refresh_token=REFRESH_1,
        user_id="UINSTALLER",
        installed_at=time.time(),
    )


def test_rotating_the_encryption_key_with_reencryption(brief: Briefing) -> None:
    old, new = KEY, generate_key()
    before = EncryptedInstallationStore(CLIENT_ID, brief.engine, TokenCipher([old]))
    before.create_tables()  # type: ignore[no-untyped-call]
    before.save(_installation())

    both = EncryptedInstallationStore(CLIENT_ID, brief.engine, TokenCipher([new, old]))
    found = both.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert found is not None
    assert found.bot_token == BOT_TOKEN
    assert both.reencrypt() == 2  # the bot row and the installation row

    after = EncryptedInstallationStore(CLIENT_ID, brief.engine, TokenCipher([new]))
    found = after.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (BOT_TOKEN, REFRESH_1)
    with pytest.raises(TokenDecryptionError, match="rekey"):
        before.find_bot(enterprise_id=None, team_id=TEAM_ID)


def test_the_rekey_command(
    brief: Briefing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EncryptedInstallationStore(CLIENT_ID, brief.engine, TokenCipher([KEY]))
    store.create_tables()  # type: ignore[no-untyped-call]
    store.save(_installation())
    new = generate_key()
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("DATABASE_URL", brief.settings.database_url)
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", f"{new},{KEY}")
    cli = CliRunner()
    done = cli.invoke(bot.app, ["rekey"])
    assert done.exit_code == 0, done.output
    assert "2 stored installation row(s)" in done.stdout
    only_new = EncryptedInstallationStore(CLIENT_ID, brief.engine, TokenCipher([new]))
    found = only_new.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert found is not None
    assert found.bot_token == BOT_TOKEN

    done = cli.invoke(bot.app, ["rekey", "--new-key"])
    assert done.exit_code == 0
    printed = done.stdout.strip()
    assert TokenCipher([printed]).decrypt(TokenCipher([printed]).encrypt("x")) == "x"
    monkeypatch.delenv("TOKEN_ENCRYPTION_KEY")
    done = cli.invoke(bot.app, ["rekey"])
    assert done.exit_code == 2
    assert "TOKEN_ENCRYPTION_KEY is required" in done.stderr


def test_the_cipher_never_shows_its_keys() -> None:
    cipher = TokenCipher([KEY, generate_key()])
    assert KEY not in repr(cipher)
    assert cipher.decrypt(cipher.encrypt(BOT_TOKEN)) == BOT_TOKEN
    assert cipher.encrypt(None) is None
    with pytest.raises(ValueError, match="key 1 of TOKEN_ENCRYPTION_KEY"):
        TokenCipher(["short"])


# -- as an operator runs it -------------------------------------------------------------------


def _cli_env(database_url: str, **values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ADMIN_", "TOKEN_ENCRYPTION"))
    }
    env.update(DATABASE_URL=database_url, PLATFORM="console", **values)
    return env


def test_run_in_oauth_mode_names_every_missing_setting(database_url: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bot.py"), "run", "--platform", "slack", "--http"],
        env=_cli_env(database_url, SLACK_CLIENT_ID=CLIENT_ID),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    for name in ("SLACK_SIGNING_SECRET", "SLACK_CLIENT_SECRET", "TOKEN_ENCRYPTION_KEY"):
        assert f"{name} is required" in done.stderr
    assert "SLACK_BOT_TOKEN" not in done.stderr


def test_run_in_oauth_mode_serves_the_install_link(
    fake: FakeSlack, database_url: str, bot_runner: BotRunner
) -> None:
    env = _cli_env(
        database_url,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET=SECRET,
        TOKEN_ENCRYPTION_KEY=KEY,
        SLACK_API_URL=fake.api_url,
    )
    bot = bot_runner.start(
        "run", "--platform", "slack", "--http", "--port", "0", "--host", "127.0.0.1",
        env=env,
        ready=r"installs start at (http://127\.0\.0\.1:\d+)/slack/install",
    )  # fmt: skip
    url = bot.announced()
    try:
        start = request(url, "GET", "/slack/install")
        assert start.status == 302
        assert start.headers["location"].startswith("https://slack.com/oauth/v2/authorize?")
        fake.oauth_grants["CODE1"] = grant()
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        cookie = start.headers["set-cookie"].split(";")[0]
        done = request(
            url,
            "GET",
            f"/slack/oauth_redirect?code=CODE1&state={state}",
            headers={"Cookie": cookie},
        )
        assert done.status == 200
        body = slash_body("trade 2024", response_url=fake.response_url())
        assert signed_post(url, body, SECRET).status == 200
        assert fake.calls_to("auth.test")  # the command was authorized with the stored token
        assert bearer(fake.calls_to("auth.test")[-1].headers) == BOT_TOKEN
    finally:
        returncode = bot.stop()
    assert returncode == 0, bot.log()
