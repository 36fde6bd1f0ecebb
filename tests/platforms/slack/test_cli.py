"""`python bot.py run --platform slack --http` as an operator runs it, against the fake Slack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefing.settings import PROJECT_ROOT
from tests.conftest import BotProcess, BotRunner
from tests.fakes.fake_slack import FakeSlack, iter_texts, request, signed_post, slash_body

pytestmark = pytest.mark.slow

SECRET = "cli-test-signing-secret"


def _env(database_url: str, **slack: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ADMIN_"))}
    env.update(DATABASE_URL=database_url, PLATFORM="console", **slack)
    return env


def _bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "bot.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,  # away from any developer's .env
    )


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _http_bot(fake: FakeSlack, database_url: str, bot_runner: BotRunner) -> BotProcess:
    """``bot.py run --platform slack --http`` on a free port, once it announced its URL."""
    env = _env(
        database_url,
        SLACK_BOT_TOKEN="xoxb-cli-token",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
    )
    return bot_runner.start(
        "run", "--platform", "slack", "--http", "--port", "0", "--host", "127.0.0.1",
        env=env,
        ready=r"(http://127\.0\.0\.1:\d+)/slack/events",
    )  # fmt: skip


def test_run_slack_http_serves_signed_commands(
    fake: FakeSlack, database_url: str, bot_runner: BotRunner
) -> None:
    bot = _http_bot(fake, database_url, bot_runner)
    url = bot.announced()
    try:
        assert fake.calls_to("auth.test")  # the token was checked at start

        health = request(url, "GET", "/healthz")
        assert (health.status, health.body) == (200, "ok")
        body = slash_body("trade 2024", response_url=fake.response_url())
        answer = signed_post(url, body, SECRET)
        assert answer.status == 200
        assert any("$244.8 bn" in text for text in iter_texts(json.loads(answer.body)["blocks"]))
        assert signed_post(url, body, "wrong-secret").status == 401
    finally:
        returncode = bot.stop()
    assert returncode == 0, bot.log()
    assert fake.responses() == []  # answered in the ack; the forged request ran nothing


def test_sigterm_stops_the_bot_as_ctrl_c_does(
    fake: FakeSlack, database_url: str, bot_runner: BotRunner
) -> None:
    bot = _http_bot(fake, database_url, bot_runner)
    assert request(bot.announced(), "GET", "/healthz").status == 200
    # docker stop, systemd and Kubernetes send SIGTERM; it must not end the process mid-post.
    assert bot.stop(signum=signal.SIGTERM) == 0, bot.log()
    assert "Traceback" not in bot.log()


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        (["--http"], ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]),
        ([], ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]),
    ],
)
def test_missing_secrets_are_all_named_at_once(
    database_url: str, tmp_path: Path, args: list[str], missing: list[str]
) -> None:
    proc = _bot("run", "--platform", "slack", *args, env=_env(database_url), cwd=tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    for name in missing:
        assert f"{name} is required" in err
