"""The /brief app-command group: its shape as Discord sees it, and the callbacks driven with a
fake Interaction (response, defer and follow-up recorded) through the shared handlers."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import discord
import pytest
from discord import app_commands

import handlers
from briefing.appstate import Briefing, Context
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.platforms.discord.commands import (
    DESCRIPTIONS,
    FAILURE_TEXT,
    DiscordCommands,
    build_group,
    build_tree,
    command_line,
)
from briefing.replies import Chart, Reply, simple
from briefing.settings import PROJECT_ROOT
from briefing.watch.entries import entries_of
from tests.conftest import OFAC_SNAPSHOTS, TODAY
from tests.fakes.commands import table_of

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # TODAY, in the bot's time zone (UTC)
GUILD_ID = 900
CHANNEL_ID = 901
USER_ID = 555

# -- a fake Interaction ---------------------------------------------------------------------


@dataclass
class FakeUser:
    id: int = USER_ID
    name: str = "analyst"


@dataclass
class Recorder:
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def last(self, name: str) -> dict[str, Any]:
        return [kwargs for n, kwargs in self.events if n == name][-1]


class FakeResponse:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._done = False

    def is_done(self) -> bool:
        return self._done

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        assert not self._done, "responded twice"
        self._done = True
        self._recorder.events.append(("defer", {"ephemeral": ephemeral, "thinking": thinking}))

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        assert not self._done, "responded twice"
        self._done = True
        self._recorder.events.append(("send_message", {"content": content, **kwargs}))


class FakeFollowup:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    async def send(self, content: str | None = None, **kwargs: Any) -> None:
        self._recorder.events.append(("followup", {"content": content, **kwargs}))


class FakeInteraction:
    """What the adapter reads from a discord.Interaction, and what it calls on it."""

    def __init__(
        self,
        *,
        manage_channels: bool = False,
        guild_id: int | None = GUILD_ID,
        channel_id: int = CHANNEL_ID,
        user_id: int = USER_ID,
    ) -> None:
        self.recorder = Recorder()
        self.user = FakeUser(id=user_id)
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.permissions = discord.Permissions(manage_channels=manage_channels)
        self.response = FakeResponse(self.recorder)
        self.followup = FakeFollowup(self.recorder)

    async def delete_original_response(self) -> None:
        self.recorder.events.append(("delete_original", {}))

    @property
    def real(self) -> discord.Interaction[discord.Client]:
        return cast("discord.Interaction[discord.Client]", self)


@dataclass
class RecordingDispatch:
    """The real dispatch, recording each text line and when it started; optionally slow."""

    delay_s: float = 0.0
    texts: list[str] = field(default_factory=list)
    contexts: list[Context] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    def __call__(self, text: str, ctx: Context) -> Reply:
        self.texts.append(text)
        self.contexts.append(ctx)
        self.started.set()
        if self.delay_s:
            time.sleep(self.delay_s)
        return handlers.dispatch(text, ctx)


def make_commands(
    brief: Briefing, dispatch: Callable[[str, Context], Reply] | None = None, **kwargs: Any
) -> DiscordCommands:
    return DiscordCommands(brief, table_of(dispatch), clock=lambda: NOW, **kwargs)


def invoke(
    commands: DiscordCommands, subcommand: str, interaction: FakeInteraction, /, **options: Any
) -> None:
    command = build_group(commands).get_command(subcommand)
    assert isinstance(command, app_commands.Command)
    callback: Callable[..., Coroutine[Any, Any, None]] = cast("Any", command.callback)
    asyncio.run(callback(interaction.real, **options))


def titles(kwargs: dict[str, Any]) -> list[str | None]:
    return [embed.title for embed in kwargs["embeds"]]


# -- the command tree -------------------------------------------------------------------------


def _options(tree_dict: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    (sub,) = [o for o in tree_dict["options"] if o["name"] == name]
    assert sub["type"] == discord.AppCommandOptionType.subcommand.value
    return {o["name"]: o for o in sub.get("options", [])}


def test_the_tree_has_brief_with_typed_subcommands(brief: Briefing) -> None:
    client = discord.Client(intents=discord.Intents.none())
    tree = build_tree(client, make_commands(brief))
    group = tree.get_command("brief")
    assert isinstance(group, app_commands.Group)
    payload = group.to_dict(tree)
    names = [o["name"] for o in payload["options"]]
    assert names == [
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
    # Every handler the other platforms serve has its subcommand here.
    assert set(names) == {c.name for c in handlers.COMMANDS}
    for option in payload["options"]:
        assert 0 < len(option["description"]) <= 100
        assert option["description"] == DESCRIPTIONS[option["name"]]
        for inner in option.get("options", []):
            assert 0 < len(inner["description"]) <= 100, inner

    string, boolean = discord.AppCommandOptionType.string.value, 5
    trade = _options(payload, "trade")
    assert list(trade) == ["period", "flow", "detail", "share"]
    assert trade["period"]["type"] == string
    assert not trade["period"]["required"]
    assert [c["value"] for c in trade["flow"]["choices"]] == ["exports", "imports", "total"]
    assert trade["share"]["type"] == boolean

    assert list(_options(payload, "chart")) == ["period", "share"]
    sanctions = _options(payload, "sanctions")
    assert sanctions["name"]["required"] is True
    assert sanctions["name"]["autocomplete"] is True

    assert _options(payload, "ask")["question"]["required"] is True
    assert list(_options(payload, "digest")) == ["date", "share"]
    assert list(_options(payload, "sources")) == ["share"]
    help_choices = _options(payload, "help")["command"]["choices"]
    assert [c["value"] for c in help_choices] == [c.name for c in handlers.COMMANDS]

    subscribe = _options(payload, "subscribe")
    assert list(subscribe) == ["time", "timezone", "topics"]
    assert subscribe["timezone"]["autocomplete"] is True
    assert subscribe["topics"]["autocomplete"] is True
    assert not any(o["required"] for o in subscribe.values())
    assert list(_options(payload, "unsubscribe")) == ["topics"]
    assert list(_options(payload, "subscriptions")) == ["share"]
    attachment = discord.AppCommandOptionType.attachment.value
    watch = _options(payload, "watch")
    assert list(watch) == ["action", "name", "type", "country", "dob", "ref", "file", "strict"]
    assert [c["value"] for c in watch["action"]["choices"]] == [
        "list",
        "add",
        "remove",
        "import",
        "export",
    ]
    assert watch["file"]["type"] == attachment
    assert not any(o["required"] for o in watch.values())
    screen = _options(payload, "screen")
    assert screen["file"]["type"] == attachment
    assert screen["file"]["required"] is True


def test_the_group_is_named_after_command_name(brief: Briefing) -> None:
    settings = brief.settings.model_copy(update={"command_name": "/cnru"})
    commands = make_commands(dataclasses.replace(brief, settings=settings))
    assert build_group(commands).name == "cnru"


def test_command_line_puts_options_back_into_the_handler_text() -> None:
    assert command_line("trade", "2024", "exports") == "trade 2024 exports"
    assert command_line("trade", None, "") == "trade"
    assert command_line("ask", "  what  was\ntrade? ") == "ask what was trade?"


# -- the callbacks ----------------------------------------------------------------------------


def test_trade_dispatches_the_text_line_and_answers_privately(brief: Briefing) -> None:
    dispatch = RecordingDispatch()
    interaction = FakeInteraction()
    invoke(make_commands(brief, dispatch), "trade", interaction, period="2024", flow="exports")
    assert dispatch.texts == ["trade 2024 exports"]
    caller = dispatch.contexts[0].caller
    assert (caller.platform, caller.workspace_id, caller.channel_id, caller.user_id) == (
        "discord",
        str(GUILD_ID),
        str(CHANNEL_ID),
        str(USER_ID),
    )
    assert caller.is_admin is False
    assert dispatch.contexts[0].today == TODAY
    assert dispatch.contexts[0].now == NOW
    assert interaction.recorder.names() == ["send_message"]
    sent = interaction.recorder.last("send_message")
    assert sent["ephemeral"] is True
    assert sent["allowed_mentions"].to_dict() == {"parse": []}
    assert titles(sent)[0] is not None
    assert "2024" in str(titles(sent)[0])


def test_share_posts_the_answer_publicly(brief: Briefing) -> None:
    interaction = FakeInteraction()
    invoke(make_commands(brief), "sources", interaction, share=True)
    assert interaction.recorder.last("send_message")["ephemeral"] is False


def test_a_usage_error_stays_private_even_when_shared(brief: Briefing) -> None:
    interaction = FakeInteraction()
    invoke(make_commands(brief), "trade", interaction, period="2024-13", share=True)
    sent = interaction.recorder.last("send_message")
    assert sent["ephemeral"] is True
    assert "can't read" in str(titles(sent)[0])


@pytest.mark.parametrize(
    ("name", "options", "text"),
    [
        ("trade", {"period": "2024", "detail": "hs 87"}, "trade 2024 hs 87"),
        ("chart", {"period": "2019..2025"}, "chart trade 2019..2025"),
        ("chart", {}, "chart trade"),
        ("sanctions", {"name": "wuhan maiwe"}, "sanctions wuhan maiwe"),
        ("sanctions", {"name": "new"}, "sanctions new"),
        ("digest", {"as_of": "2026-11-20"}, "digest 2026-11-20"),
        ("sources", {}, "sources"),
        ("help", {"command": app_commands.Choice(name="trade", value="trade")}, "help trade"),
        (
            "subscribe",
            {"at": "07:30", "timezone": "Europe/Berlin", "topics": "sanctions"},
            "subscribe 07:30 Europe/Berlin sanctions",
        ),
        ("unsubscribe", {"topics": "trade"}, "unsubscribe trade"),
        ("subscriptions", {}, "subscriptions"),
    ],
)
def test_each_subcommand_builds_its_text_line(
    brief: Briefing, name: str, options: dict[str, Any], text: str
) -> None:
    dispatch = RecordingDispatch()
    interaction = FakeInteraction()
    invoke(make_commands(brief, dispatch), name, interaction, **options)
    assert dispatch.texts == [text]
    command = handlers.find(name)
    assert command is not None
    expected = ["defer", "followup"] if command.expensive else ["send_message"]
    assert interaction.recorder.names() == expected


def test_subscribe_without_manage_channels_is_refused(brief: Briefing) -> None:
    interaction = FakeInteraction(manage_channels=False)
    invoke(make_commands(brief), "subscribe", interaction, at="08:00", timezone="Europe/Berlin")
    sent = interaction.recorder.last("send_message")
    assert sent["ephemeral"] is True
    assert str(titles(sent)[0]).startswith("Only workspace admins")
    channel = ChannelRef("discord", str(GUILD_ID), str(CHANNEL_ID))
    assert SubscriptionStore(brief.engine).get(channel) is None


def test_subscribe_with_manage_channels_subscribes_this_channel(brief: Briefing) -> None:
    interaction = FakeInteraction(manage_channels=True)
    invoke(make_commands(brief), "subscribe", interaction, at="08:00", timezone="Europe/Berlin")
    sent = interaction.recorder.last("send_message")
    assert str(titles(sent)[0]).startswith("This channel now gets the daily digest at 08:00")
    sub = SubscriptionStore(brief.engine).get(ChannelRef("discord", str(GUILD_ID), str(CHANNEL_ID)))
    assert sub is not None
    assert sub.tz == "Europe/Berlin"
    assert sub.created_by == str(USER_ID)
    assert sub.updated_at == NOW  # the moment the interaction arrived

    other = FakeInteraction(manage_channels=False)
    invoke(make_commands(brief), "unsubscribe", other)
    assert str(titles(other.recorder.last("send_message"))[0]).startswith("Only workspace admins")


def test_configured_admins_may_subscribe_without_the_permission(brief: Briefing) -> None:
    settings = brief.settings.model_copy(update={"admin_user_ids": f"1, {USER_ID}"})
    commands = make_commands(dataclasses.replace(brief, settings=settings))
    interaction = FakeInteraction(manage_channels=False)
    invoke(commands, "subscribe", interaction)
    assert str(titles(interaction.recorder.last("send_message"))[0]).startswith(
        "This channel now gets"
    )


def test_in_a_dm_nobody_is_a_channel_admin(brief: Briefing) -> None:
    dispatch = RecordingDispatch()
    interaction = FakeInteraction(manage_channels=True, guild_id=None)
    invoke(make_commands(brief, dispatch), "subscribe", interaction)
    caller = dispatch.contexts[0].caller
    assert caller.workspace_id is None
    assert caller.is_admin is False


def test_an_expensive_command_is_deferred_before_it_runs(brief: Briefing) -> None:
    assert handlers.find("ask") is not None
    assert handlers.find("ask").expensive  # type: ignore[union-attr]
    order: list[str] = []
    interaction = FakeInteraction()

    def dispatch(text: str, ctx: Context) -> Reply:
        order.extend(interaction.recorder.names())
        order.append("handler")
        return handlers.dispatch(text, ctx)

    invoke(make_commands(brief, dispatch), "ask", interaction, question="trade in 2024?")
    assert order == ["defer", "handler"]
    assert interaction.recorder.names() == ["defer", "followup"]
    assert interaction.recorder.last("defer") == {"ephemeral": True, "thinking": True}
    followup = interaction.recorder.last("followup")
    assert followup["ephemeral"] is True
    assert followup["allowed_mentions"].to_dict() == {"parse": []}
    assert followup["embeds"]


def test_a_shared_expensive_command_defers_publicly(brief: Briefing) -> None:
    interaction = FakeInteraction()
    invoke(make_commands(brief), "ask", interaction, question="trade in 2024?", share=True)
    assert interaction.recorder.last("defer")["ephemeral"] is False
    assert interaction.recorder.last("followup")["ephemeral"] is False


def test_a_slow_handler_is_deferred_then_answered_by_follow_up(brief: Briefing) -> None:
    dispatch = RecordingDispatch(delay_s=0.4)
    interaction = FakeInteraction()
    invoke(make_commands(brief, dispatch, defer_after_s=0.05), "sources", interaction)
    assert interaction.recorder.names() == ["defer", "followup"]
    assert interaction.recorder.last("followup")["ephemeral"] is True


def test_a_private_reply_to_a_public_deferral_replaces_the_thinking_message(
    brief: Briefing,
) -> None:
    def slow_error(text: str, ctx: Context) -> Reply:
        time.sleep(0.3)
        return handlers.dispatch("digest not-a-date", ctx)

    interaction = FakeInteraction()
    invoke(make_commands(brief, slow_error, defer_after_s=0.05), "sources", interaction, share=True)
    assert interaction.recorder.names() == ["defer", "delete_original", "followup"]
    assert interaction.recorder.last("followup")["ephemeral"] is True


def test_a_failing_handler_is_logged_and_the_user_told(
    brief: Briefing, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str, ctx: Context) -> Reply:
        raise RuntimeError("boom")

    interaction = FakeInteraction()
    with caplog.at_level(logging.ERROR):
        invoke(make_commands(brief, broken), "trade", interaction, period="2024")
    sent = interaction.recorder.last("send_message")
    assert titles(sent) == [FAILURE_TEXT]
    assert sent["ephemeral"] is True
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def test_a_chart_is_attached_as_a_file(brief: Briefing, tmp_path: Path) -> None:
    png = tmp_path / "trade.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")

    def with_chart(text: str, ctx: Context) -> Reply:
        reply = simple("Monthly trade")
        return dataclasses.replace(reply, chart=Chart(png, "Monthly trade", "Bars of trade"))

    interaction = FakeInteraction()
    invoke(make_commands(brief, with_chart), "trade", interaction)
    sent = interaction.recorder.last("send_message")
    (attached,) = sent["files"]
    assert attached.filename == "trade.png"
    assert attached.description == "Bars of trade"
    assert sent["embeds"][-1].image.url == "attachment://trade.png"


# -- autocomplete -----------------------------------------------------------------------------


def _autocomplete(
    commands: DiscordCommands, name: str, option: str, current: str
) -> list[app_commands.Choice[str]]:
    command = build_group(commands).get_command(name)
    assert isinstance(command, app_commands.Command)
    parameter = command._params[option]
    assert parameter.autocomplete is not None
    callback: Callable[..., Coroutine[Any, Any, list[app_commands.Choice[str]]]] = cast(
        "Any", parameter.autocomplete
    )
    choices = asyncio.run(callback(FakeInteraction().real, current))
    assert len(choices) <= 25
    assert all(len(c.name) <= 100 and len(str(c.value)) <= 100 for c in choices)
    return choices


def test_time_zones_are_suggested(brief: Briefing) -> None:
    commands = make_commands(brief)
    assert [c.value for c in _autocomplete(commands, "subscribe", "timezone", "berl")] == [
        "Europe/Berlin"
    ]
    new_york = _autocomplete(commands, "subscribe", "timezone", "new york")
    assert "America/New_York" in [c.value for c in new_york]
    assert _autocomplete(commands, "subscribe", "timezone", "")[0].value == "UTC"


def test_topics_are_suggested(brief: Briefing) -> None:
    commands = make_commands(brief)
    values = [c.value for c in _autocomplete(commands, "subscribe", "topics", "sanc")]
    assert values[0] == "sanctions"
    assert "sanctions trade" in values
    unsubscribe = _autocomplete(commands, "unsubscribe", "topics", "trade")
    assert unsubscribe[0].value == "trade"


def load_lists(brief: Briefing) -> None:
    fixture = PROJECT_ROOT / "tests" / "fixtures" / "sanctions"
    now = datetime(2024, 3, 1, tzinfo=UTC)
    paths = [fixture / "default_2024-02-20.targets.simple.csv"]
    ingest(brief, paths, IngestOptions(today=now.date()), now)
    paths = [fixture / "default_2024-02-23.targets.simple.csv"]
    ingest(brief, paths, IngestOptions(today=now.date()), now)
    brief.refresh()


def test_sanctioned_names_are_suggested_from_the_lists_in_force(brief: Briefing) -> None:
    load_lists(brief)
    commands = make_commands(brief)
    values = [c.value for c in _autocomplete(commands, "sanctions", "name", "wuhan")]
    assert values[0] == "WUHAN MAIWE COMMUNICATION CO LTD"
    # Word order, as the search forgives it; and an alias finds its entry's name.
    reordered = [c.value for c in _autocomplete(commands, "sanctions", "name", "maiwe wuhan")]
    assert reordered[0] == "WUHAN MAIWE COMMUNICATION CO LTD"
    by_alias = [c.value for c in _autocomplete(commands, "sanctions", "name", "zala aero group")]
    assert "LLC CST" in by_alias
    # The subcommand's keywords come first when they fit.
    assert _autocomplete(commands, "sanctions", "name", "ne")[0].value == "new"
    assert _autocomplete(commands, "sanctions", "name", "st")[0].value == "stats"
    assert _autocomplete(commands, "sanctions", "name", "") == []


def test_a_slow_search_leaves_the_plain_matches(
    brief: Briefing, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_lists(brief)

    def stuck(*args: object, **kwargs: object) -> list[str]:
        time.sleep(1.0)
        return ["NEVER SHOWN"]

    monkeypatch.setattr("briefing.platforms.discord.suggest.similar_names", stuck)
    monkeypatch.setattr("briefing.platforms.discord.commands.FUZZY_SUGGEST_S", 0.1)
    commands = make_commands(brief)

    async def suggest() -> tuple[list[app_commands.Choice[str]], float]:
        started = time.monotonic()
        choices = await commands.sanctions_choices("wuhan")
        return choices, time.monotonic() - started

    choices, took_s = asyncio.run(suggest())
    values = [c.value for c in choices]
    assert values[0] == "WUHAN MAIWE COMMUNICATION CO LTD"
    assert "NEVER SHOWN" not in values
    assert took_s < 0.9


def test_no_sanctions_lists_means_no_name_suggestions(brief: Briefing) -> None:
    assert _autocomplete(make_commands(brief), "sanctions", "name", "wuhan") == []


# -- watchlists and batch screening: files attached to the command ----------------------------


@dataclass
class FakeAttachment:
    filename: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    async def read(self) -> bytes:
        return self.data


def test_watch_import_reads_the_attached_csv_and_add_builds_the_flags(brief: Briefing) -> None:
    channel = ChannelRef("discord", str(GUILD_ID), str(CHANNEL_ID))
    csv_file = FakeAttachment("desk.csv", b"name,ref\nAcme Trading,A-1\n,A-2\nBeta Metals,B-1\n")
    interaction = FakeInteraction(manage_channels=True)
    invoke(
        make_commands(brief),
        "watch",
        interaction,
        action=app_commands.Choice(name="import", value="import"),
        file=csv_file,
    )
    assert interaction.recorder.names()[0] == "defer"  # the file is read after the ack
    sent = interaction.recorder.last("followup")
    assert str(titles(sent)[0]).startswith(
        "Imported 2 names from desk.csv (kept the 2 good rows, skipped 1 bad)"
    )
    assert sent["ephemeral"] is True

    added = FakeInteraction(manage_channels=True)
    invoke(
        make_commands(brief),
        "watch",
        added,
        action=app_commands.Choice(name="add", value="add"),
        name="Sergei  Lavrov",
        entity_type=app_commands.Choice(name="person", value="person"),
        dob="1950",
        ref="P 1",
    )
    specs = [e.spec for e in entries_of(brief.engine, channel)]
    assert [(s.name, s.entity_type, s.dob, s.ref) for s in specs][-1] == (
        "Sergei Lavrov",
        "person",
        "1950",
        "P 1",
    )

    member = FakeInteraction(manage_channels=False)
    invoke(
        make_commands(brief),
        "watch",
        member,
        action=app_commands.Choice(name="import", value="import"),
        file=csv_file,
    )
    assert str(titles(member.recorder.last("followup"))[0]).startswith("Only workspace admins")
    listing = FakeInteraction(manage_channels=False)
    invoke(make_commands(brief), "watch", listing)
    assert str(titles(listing.recorder.last("send_message"))[0]).startswith(
        "This channel watches 3 names"
    )


def test_screen_sends_the_results_back_attached_to_a_private_answer(brief: Briefing) -> None:
    day = date(2024, 2, 23)
    ingest(
        brief,
        [OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"],
        IngestOptions(as_of=day, today=day),
        NOW,
    )
    interaction = FakeInteraction()
    invoke(
        make_commands(brief),
        "screen",
        interaction,
        file=FakeAttachment("batch.csv", b"name\nVAZ Impuls\nSunrise Textile Trading GmbH\n"),
    )
    sent = interaction.recorder.last("followup")
    assert str(titles(sent)[0]).startswith(
        "Screened 2 rows of batch.csv: 1 match, 0 possible matches, 1 clear."
    )
    assert sent["ephemeral"] is True
    (result,) = sent["files"]
    assert result.filename == "batch-screened.csv"
    text = result.fp.read().decode()
    assert text.splitlines()[1].startswith("2,VAZ Impuls,,match,100,U.S. Treasury OFAC SDN list")
