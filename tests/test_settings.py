from __future__ import annotations

import pytest

from briefing.settings import SettingsError, load_settings


def test_defaults_need_no_tokens() -> None:
    settings = load_settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.command_name == "/brief"
    settings.require()  # the console requires nothing


def test_every_invalid_setting_is_listed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("DIGEST_TIME", "25:00")
    monkeypatch.setenv("COMMAND_NAME", "brief")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    message = str(err.value)
    assert "TIMEZONE: 'Mars/Olympus' is not an IANA time zone" in message
    assert "DIGEST_TIME: '25:00' is not a time of day" in message
    assert "COMMAND_NAME" in message


def test_adapter_secrets_are_required_together() -> None:
    settings = load_settings(_env_file=None, slack_bot_token=None)
    with pytest.raises(SettingsError) as err:
        settings.require("slack_bot_token", "slack_signing_secret")
    assert err.value.problems == [
        "SLACK_BOT_TOKEN is required for this mode but not set",
        "SLACK_SIGNING_SECRET is required for this mode but not set",
    ]


def test_admin_ids_are_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "U1, U2,,U3")
    assert load_settings(_env_file=None).admin_ids == frozenset({"U1", "U2", "U3"})


def test_delivery_concurrency_is_read_under_its_former_name_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(_env_file=None).delivery_concurrency == 64
    monkeypatch.setenv("DELIVERY_THREADS", "8")
    assert load_settings(_env_file=None).delivery_concurrency == 8
    monkeypatch.delenv("DELIVERY_THREADS")
    monkeypatch.setenv("DELIVERY_CONCURRENCY", "128")
    assert load_settings(_env_file=None).delivery_concurrency == 128
    monkeypatch.setenv("DELIVERY_CONCURRENCY", "0")
    with pytest.raises(SettingsError, match=r"(?i)delivery_concurrency"):
        load_settings(_env_file=None)
