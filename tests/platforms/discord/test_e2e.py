"""`python bot.py run --platform discord` end to end, against the fake Discord (REST + gateway).

The real entry point, discord.py and the adapter run in a child process with DISCORD_API_URL
pointing at the fake: the bot logs in, registers /brief, connects to the gateway; the test sends
interactions as Discord would and checks what the bot answers over REST.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefing.db import make_engine
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore
from tests.conftest import BotProcess, BotRunner
from tests.fakes.fake_discord import APPLICATION_ID, FakeDiscord, FakeGateway

pytestmark = pytest.mark.slow

GUILD = "900"
CHANNEL = "901"
EPHEMERAL = 1 << 6
MANAGE_CHANNELS = 1 << 4
_ids = itertools.count(1)


def interaction(
    subcommand: str,
    options: list[dict[str, Any]] | None = None,
    *,
    permissions: int = 0,
    kind: int = 2,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for ``/brief <subcommand>`` in a guild channel."""
    n = next(_ids)
    user = {"id": "555", "username": "analyst", "discriminator": "0", "avatar": None}
    return {
        "id": str(1400000000000000000 + n),
        "application_id": APPLICATION_ID,
        "type": kind,
        "token": f"token-{n}",
        "version": 1,
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "channel": {
            "id": CHANNEL,
            "type": 0,
            "guild_id": GUILD,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        },
        "member": {
            "user": {**user, "global_name": None},
            "roles": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        },
        "app_permissions": str((1 << 11) | (1 << 14) | (1 << 15)),
        "locale": "en-GB",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
        "data": {
            "id": "1300000000000000000",
            "name": "brief",
            "type": 1,
            "options": [{"type": 1, "name": subcommand, "options": options or []}],
        },
    }


def option(name: str, value: Any, *, kind: int = 3, focused: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"type": kind, "name": name, "value": value}
    if focused:
        found["focused"] = True
    return found


@pytest.fixture
def fake() -> Iterator[tuple[FakeDiscord, FakeGateway]]:
    with FakeGateway() as gateway, FakeDiscord(gateway_url=gateway.url) as rest:
        yield rest, gateway


@pytest.fixture
def bot(
    fake: tuple[FakeDiscord, FakeGateway],
    database_url: str,
    tmp_path: Path,
    bot_runner: BotRunner,
) -> BotProcess:
    rest, _ = fake
    env = {
        **os.environ,
        "DISCORD_BOT_TOKEN": "fake-token",
        "DISCORD_API_URL": rest.api_url,
        "DATABASE_URL": database_url,
        "CHART_DIR": str(tmp_path / "charts"),
        "ADMIN_USER_IDS": "",
        "LOG_LEVEL": "INFO",
    }
    return bot_runner.start("run", "--platform", "discord", env=env, ready=r"running \(Discord\)")


def test_the_bot_serves_brief_on_discord(
    bot: BotProcess,
    fake: tuple[FakeDiscord, FakeGateway],
    database_url: str,
    tmp_path: Path,
) -> None:
    rest, gateway = fake
    try:
        (sync,) = rest.wait_for("sync", 1, timeout_s=60)
        assert gateway.identified.wait(30)
    except AssertionError:
        raise AssertionError(bot.log()) from None

    # Logged in with the token, registered /brief with its subcommands, no privileged intents.
    assert rest.calls_to("me")[0].headers["authorization"] == "Bot fake-token"
    (command,) = sync.body
    assert command["name"] == "brief"
    assert [o["name"] for o in command["options"]] == [
        "trade",
        "chart",
        "sanctions",
        "ask",
        "digest",
        "sources",
        "help",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "watch",
        "screen",
    ]
    identify = next(f for f in gateway.received if f.get("op") == 2)
    assert identify["d"]["token"] == "fake-token"
    assert identify["d"]["intents"] == 1  # GUILDS only

    # /brief trade period:2024 flow:exports — a private answer with embeds, no mentions.
    gateway.dispatch(
        "INTERACTION_CREATE",
        interaction("trade", [option("period", "2024"), option("flow", "exports")]),
    )
    (answer,) = rest.wait_for("callback", 1)
    assert answer.body["type"] == 4
    data = answer.body["data"]
    assert data["flags"] & EPHEMERAL
    assert data["allowed_mentions"] == {"parse": []}
    assert "2024" in data["embeds"][0]["title"]

    # /brief ask … share:True — expensive: deferred publicly, answered by a follow-up.
    gateway.dispatch(
        "INTERACTION_CREATE",
        interaction(
            "ask",
            [option("question", "what was trade in 2024?"), option("share", True, kind=5)],
        ),
    )
    deferred = rest.wait_for("callback", 2)[1]
    assert deferred.body["type"] == 5
    assert not deferred.body.get("data", {}).get("flags", 0) & EPHEMERAL
    (followup,) = rest.wait_for("followup", 1)
    assert followup.path == f"/webhooks/{APPLICATION_ID}/token-2"
    assert followup.body["allowed_mentions"] == {"parse": []}
    assert followup.body["embeds"]

    # /brief subscribe without Manage Channels is refused; with it, the channel is subscribed.
    berlin = [option("time", "07:30"), option("timezone", "Europe/Berlin")]
    gateway.dispatch("INTERACTION_CREATE", interaction("subscribe", berlin))
    refusal = rest.wait_for("callback", 3)[2]
    assert refusal.body["data"]["embeds"][0]["title"].startswith("Only workspace admins")
    gateway.dispatch(
        "INTERACTION_CREATE", interaction("subscribe", berlin, permissions=MANAGE_CHANNELS)
    )
    done = rest.wait_for("callback", 4)[3]
    assert done.body["data"]["embeds"][0]["title"].startswith(
        "This channel now gets the daily digest at 07:30 Europe/Berlin"
    )
    engine = make_engine(database_url)
    try:
        sub = SubscriptionStore(engine).get(ChannelRef("discord", GUILD, CHANNEL))
    finally:
        engine.dispose()
    assert sub is not None
    assert sub.tz == "Europe/Berlin"

    # Autocomplete: time zones as the user types.
    gateway.dispatch(
        "INTERACTION_CREATE",
        interaction("subscribe", [option("timezone", "berl", focused=True)], kind=4),
    )
    suggestions = rest.wait_for("callback", 5)[4]
    assert suggestions.body["type"] == 8
    assert suggestions.body["data"]["choices"] == [
        {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    ]

    # Stops cleanly on Ctrl-C, having logged no error on the way.
    time.sleep(0.3)  # the last response is sent; let the bot read it before stopping it
    assert bot.stop(15) == 0
    log = bot.log()
    assert " ERROR " not in log, log
    assert "Traceback" not in log, log
