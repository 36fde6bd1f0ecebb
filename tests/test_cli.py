"""The public command line: `say`, `say --json`, `digest`, `console` — run as a user runs them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.appstate import Briefing
from briefing.platforms.console import interactive
from briefing.settings import PROJECT_ROOT
from handlers import TABLE
from tests.conftest import TODAY


def _bot(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "SEED_BUNDLED_LISTS": "false"}


def test_say_prints_each_reply_in_order(env: dict[str, str]) -> None:
    result = _bot("say", "/brief trade 2024", "/brief trade 1995", env=env)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("\n\nI have no")
    assert first.startswith("China–Russia trade, 2024 (China customs, USD)")
    assert "Total trade 2024: $244.8 bn" in first
    assert "China–Russia trade figure for 1995" in second


def test_say_json_is_one_array_with_command_and_text(env: dict[str, str]) -> None:
    result = _bot("say", "--json", "/brief trade 2024", "help", env=env)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [item["command"] for item in payload] == ["/brief trade 2024", "help"]
    assert all(isinstance(item["text"], str) and item["text"] for item in payload)
    assert payload[0]["sources"][0]["url"].startswith("https://bne.eu/")
    assert payload[0]["as_of"] == "2025-01-13"
    assert payload[1]["kind"] == "help"


def test_digest_as_of(env: dict[str, str]) -> None:
    result = _bot("digest", "--as-of", "2024-03-08", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("China–Russia Brief · Fri 8 Mar 2024")
    assert "$37.01 bn" in result.stdout


def test_bad_settings_fail_with_one_clear_message(env: dict[str, str]) -> None:
    result = _bot("say", "help", env={**env, "TIMEZONE": "Nowhere/Land", "DIGEST_TIME": "8am"})
    assert result.returncode == 2
    assert "TIMEZONE: 'Nowhere/Land' is not an IANA time zone" in result.stderr
    assert "DIGEST_TIME: '8am' is not a time of day" in result.stderr


def test_bad_date_is_refused(env: dict[str, str]) -> None:
    result = _bot("digest", "--as-of", "yesterday", env=env)
    assert result.returncode == 2
    assert "'yesterday' is not a date as YYYY-MM-DD" in result.stderr


def test_console_session_over_stdin(env: dict[str, str]) -> None:
    result = _bot("console", env=env, stdin="/brief trade 2024\ntrade 1995\nquit\n")
    assert result.returncode == 0, result.stderr
    assert "China–Russia Brief console" in result.stdout
    assert "Total trade 2024: $244.8 bn" in result.stdout
    assert "figure for 1995" in result.stdout


def test_interactive_loop_keeps_history(brief: Briefing, tmp_path: Path) -> None:
    lines = iter(["trade 2024", "", "help trade"])

    def read(_prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    history = tmp_path / "history"
    interactive(brief, TABLE, lambda: TODAY, history, read=read, out=out)
    assert "Total trade 2024: $244.8 bn" in out.getvalue()
    assert "/brief trade [YEAR" in out.getvalue()


def test_first_start_loads_the_bundled_ofac_lists_once(env: dict[str, str]) -> None:
    seeded = {**env, "SEED_BUNDLED_LISTS": "true"}
    first = _bot("say", "/brief sanctions wuhan maiwe", env=seeded)
    assert first.returncode == 0, first.stderr
    assert "First start: loading the bundled OFAC SDN lists" in first.stderr
    assert "WUHAN MAIWE COMMUNICATION CO LTD — entity — RUSSIA-EO14024" in first.stdout
    second = _bot("digest", "--as-of", "2024-02-24", env=seeded)
    assert second.returncode == 0, second.stderr
    assert "First start" not in second.stderr
    assert "OFAC added 553 designations (552 under RUSSIA-EO14024" in second.stdout
