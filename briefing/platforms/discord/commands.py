"""``/brief`` as a Discord application command group, answered by the command table.

Each subcommand has typed options (``/brief trade period:2024 flow:exports``); its callback puts
them back into the text line the handlers read (``trade 2024 exports``) and runs the same
handler as every other platform (the :class:`~briefing.command_table.CommandTable` the entry
point hands over). The handler runs in a worker thread so the gateway's event loop never blocks;
Discord wants an answer within 3 seconds, so commands the table marks ``expensive`` are deferred
at once and answered with a follow-up, and any other
command still running after :attr:`DiscordCommands.defer_after_s` is deferred then.

Answers are ephemeral unless the user sets ``share:True``; usage errors and refusals always stay
private. Every send allows no mentions. Who counts as an admin (to change the channel's
subscription): a member with Manage Channels in that channel, or a user in ADMIN_USER_IDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import shlex
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal

import discord
from discord import app_commands

from briefing.appstate import Briefing, Context, FileError, SharedFile
from briefing.caller import Caller
from briefing.command_table import CommandTable, ParsedCommand
from briefing.platforms.discord import suggest
from briefing.render.discord_embeds import (
    chart_filename,
    render_content,
    render_embeds,
    to_discord_embeds,
)
from briefing.replies import Reply, ReplyKind, simple

log = logging.getLogger(__name__)

DEFER_AFTER_S = 2.0
SHAREABLE = frozenset({ReplyKind.ANSWER, ReplyKind.DIGEST, ReplyKind.ALERT, ReplyKind.NO_DATA})
FAILURE_TEXT = (
    "Sorry — something went wrong on our side while answering that. It has been logged; "
    "please try again in a minute."
)
NONE_ALLOWED = discord.AllowedMentions.none()

# Subcommand descriptions as Discord shows them (≤ 100 characters each).
DESCRIPTIONS: dict[str, str] = {
    "trade": "China–Russia trade by year or month (China customs), with sources",
    "chart": "A chart of China–Russia trade: China's exports vs imports, USD bn",
    "sanctions": "Search the sanctions lists for a person, company or vessel",
    "ask": "Ask a question in plain words; answered from sourced figures",
    "digest": "The daily digest, today's or as it stood on a past date",
    "sources": "What the data holds, where it comes from, how fresh it is",
    "help": "What this bot can do, or the details of one subcommand",
    "subscribe": "Post the daily digest and alerts in this channel (Manage Channels)",
    "unsubscribe": "Stop the digest and alerts in this channel (Manage Channels)",
    "subscriptions": "What this channel and this server receive",
    "watch": "This channel's watchlist: add, remove, list, import a CSV, export (changes: Manage Channels)",
    "screen": "Screen every name of a CSV file once; the results come back as a CSV for you",
}
WATCH_ACTIONS = ("list", "add", "remove", "import", "export")
MAX_FILE_BYTES = 2_000_000
SHARE_HELP = "Post the answer in the channel for everyone (default: only you see it)"
# Words of /brief sanctions that are not names, offered first when they fit what was typed.
SANCTIONS_KEYWORDS = (
    ("new", "new — what the newest lists added, changed and removed"),
    ("stats", "stats — each list counted by programme and China link"),
)
# Fuzzy name suggestions must not hold up Discord's 3-second autocomplete window.
FUZZY_SUGGEST_S = 1.5

Interaction = discord.Interaction[discord.Client]


def command_line(*words: str | None) -> str:
    """The handler's text from the subcommand and its options: blanks dropped, one line."""
    return " ".join(" ".join(w.split()) for w in words if w and w.strip())


class DiscordFiles:
    """:class:`~briefing.appstate.FileSource` for one interaction: its attachment, read before the
    handler runs; a private file goes back attached to the (ephemeral) answer."""

    def __init__(self, attached: SharedFile | None) -> None:
        self.attached = attached
        self.outbox: list[SharedFile] = []

    def fetch(self, ref: str | None, *, max_bytes: int) -> SharedFile:
        if self.attached is None:
            raise FileError("attach the CSV file to the command (its file option)")
        if len(self.attached.data) > max_bytes:
            raise FileError(
                f"{self.attached.name} is {len(self.attached.data):,} bytes; the limit is "
                f"{max_bytes:,}"
            )
        return self.attached

    def send_private(self, name: str, data: bytes, title: str) -> str:
        self.outbox.append(SharedFile(name, data))
        return "attached to this answer, which only you see"

    def progress(self, text: str) -> None:
        log.info("%s", text)  # Discord shows "thinking…" until the follow-up


async def read_attachment(attachment: discord.Attachment | None) -> SharedFile | None:
    """The attachment's bytes (refused past the size limit before it is downloaded)."""
    if attachment is None:
        return None
    if attachment.size > MAX_FILE_BYTES:
        raise FileError(
            f"{attachment.filename} is {attachment.size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
        )
    return SharedFile(attachment.filename, await attachment.read())


def failure_reply() -> Reply:
    return simple(FAILURE_TEXT, kind=ReplyKind.USAGE_ERROR)


class DiscordCommands:
    """Runs ``/brief`` for Discord: the caller, the dispatch, the deferral, the reply."""

    def __init__(
        self,
        brief: Briefing,
        table: CommandTable,
        *,
        clock: Callable[[], datetime] | None = None,
        defer_after_s: float = DEFER_AFTER_S,
    ) -> None:
        self.brief = brief
        self.table = table
        self._clock = clock or (lambda: datetime.now(UTC))
        self.defer_after_s = defer_after_s

    def _day(self, now: datetime) -> date:
        """The as-of date: ``now`` in the bot's time zone."""
        return now.astimezone(self.brief.settings.tz).date()

    def context(self, interaction: Interaction, files: DiscordFiles | None = None) -> Context:
        """The handler's context: the caller, and the moment the interaction arrived."""
        now = self._clock()
        return Context(
            brief=self.brief,
            today=self._day(now),
            command=self.brief.settings.command_name,
            caller=self.caller(interaction),
            now=now,
            files=files or DiscordFiles(None),
        )

    @property
    def group_name(self) -> str:
        """``brief`` for COMMAND_NAME ``/brief``."""
        return self.brief.settings.command_name.lstrip("/")

    def caller(self, interaction: Interaction) -> Caller:
        user_id = str(interaction.user.id)
        in_guild = interaction.guild_id is not None
        is_admin = (in_guild and interaction.permissions.manage_channels) or (
            user_id in self.brief.settings.admin_ids
        )
        return Caller(
            platform="discord",
            user_id=user_id,
            workspace_id=str(interaction.guild_id) if in_guild else None,
            channel_id=str(interaction.channel_id) if interaction.channel_id else None,
            is_admin=bool(is_admin),
            user_name=interaction.user.name,
        )

    def _answer(self, parsed: ParsedCommand, ctx: Context) -> Reply:
        try:
            return self.table.run(parsed, ctx)
        except Exception:
            log.exception("/%s %s failed", self.group_name, parsed.text)
            return failure_reply()

    async def run(
        self,
        interaction: Interaction,
        text: str,
        *,
        share: bool = False,
        attachment: discord.Attachment | None = None,
    ) -> None:
        """Answer ``text`` (a handler line such as ``trade 2024 exports``) to ``interaction``;
        ``attachment``: a file the command reads (``watch import``, ``screen``)."""
        command = self.table.parse(text)
        files = DiscordFiles(None)
        if attachment is not None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            try:
                files = DiscordFiles(await read_attachment(attachment))
            except (FileError, discord.HTTPException) as exc:
                await self.send(
                    interaction,
                    simple(f"I can't read that file: {exc}.", kind=ReplyKind.USAGE_ERROR),
                    share=False,
                )
                return
        ctx = self.context(interaction, files)
        ephemeral = not share
        if command.expensive and not interaction.response.is_done():
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        work = asyncio.ensure_future(asyncio.to_thread(self._answer, command, ctx))
        if not command.expensive and not interaction.response.is_done():
            done, _ = await asyncio.wait({work}, timeout=self.defer_after_s)
            if not done:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        reply = await work
        await self.send(interaction, reply, share=share and not files.outbox, extra=files.outbox)

    async def send(
        self,
        interaction: Interaction,
        reply: Reply,
        *,
        share: bool,
        extra: list[SharedFile] | None = None,
    ) -> None:
        """Send ``reply`` as the response, or as the follow-up of a deferred one; ``extra``:
        files that go with it (privately)."""
        public = share and reply.kind in SHAREABLE
        embeds = render_embeds(reply)
        files: list[discord.File] = [
            discord.File(io.BytesIO(f.data), filename=f.name) for f in extra or ()
        ]
        if reply.chart is not None:
            try:
                files.append(
                    discord.File(
                        reply.chart.path,
                        filename=chart_filename(reply.chart),
                        description=reply.chart.alt_text[:1024],
                    )
                )
            except OSError:
                log.warning("chart %s could not be read; answering without it", reply.chart.path)
                for embed in embeds:
                    embed.pop("image", None)
        kwargs: dict[str, Any] = {
            "embeds": to_discord_embeds(embeds),
            "allowed_mentions": NONE_ALLOWED,
            "ephemeral": not public,
        }
        if files:
            kwargs["files"] = files
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(**kwargs)
                return
            if share and not public:
                # The deferred "thinking…" message is public; a private answer replaces it.
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            await interaction.followup.send(**kwargs)
        except discord.HTTPException:
            log.warning("answering /%s failed", self.group_name, exc_info=True)

    async def fail(self, interaction: Interaction) -> None:
        """Tell the user something broke (the traceback is logged by the caller)."""
        kwargs: dict[str, Any] = {
            "content": render_content(FAILURE_TEXT),
            "allowed_mentions": NONE_ALLOWED,
            "ephemeral": True,
        }
        try:
            if interaction.response.is_done():
                await interaction.followup.send(**kwargs)
            else:
                await interaction.response.send_message(**kwargs)
        except discord.HTTPException:
            log.warning("could not tell the user about a failure", exc_info=True)

    # -- autocomplete --------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Build the sanctions search index now rather than on the first keystroke."""
        try:
            started = time.monotonic()
            suggest.similar_names(self.brief, "warm up", self._day(self._clock()))
            log.info("sanctions search ready in %.1f s", time.monotonic() - started)
        except Exception:
            log.exception("building the sanctions search index failed")

    async def sanctions_choices(self, typed: str) -> list[app_commands.Choice[str]]:
        """``new``/``stats`` when they fit, then the search's best names, then names containing
        the text (on the lists in force)."""
        needle = typed.strip().lower()
        choices = [
            app_commands.Choice(name=label, value=word)
            for word, label in SANCTIONS_KEYWORDS
            if needle and word.startswith(needle)
        ]
        if len(needle) < 2:
            return choices
        today = self._day(self._clock())
        fuzzy = asyncio.ensure_future(
            asyncio.to_thread(suggest.similar_names, self.brief, typed, today)
        )
        names = await asyncio.to_thread(suggest.sanctioned_names, self.brief, typed, today)
        done, _ = await asyncio.wait({fuzzy}, timeout=FUZZY_SUGGEST_S)
        # Not ready in time (the search index is still being built): plain matches will do.
        if done and fuzzy.exception() is None:
            names = fuzzy.result() + [n for n in names if n not in fuzzy.result()]
        elif done:
            log.error("sanctions suggestions failed", exc_info=fuzzy.exception())
        return choices + _choices(names[: suggest.MAX_CHOICES - len(choices)])


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    clipped = dict.fromkeys(suggest.clip(v) for v in values)  # distinct, in order
    return [app_commands.Choice(name=v, value=v) for v in clipped]


def build_group(commands: DiscordCommands) -> app_commands.Group:
    """The ``/brief`` group with one subcommand per handler, typed options and autocomplete."""
    group = app_commands.Group(
        name=commands.group_name,
        description="China–Russia trade and sanctions, with sources",
    )
    run = commands.run

    @group.command(name="trade", description=DESCRIPTIONS["trade"])
    @app_commands.describe(
        period="A year, month or range: 2024, 2024-12, 2023-01..2024-06 (default: latest)",
        flow="China's exports to Russia, imports from Russia, or the total",
        detail="By HS chapter: chapters, movers, or one chapter (hs 87, vehicles)",
        share=SHARE_HELP,
    )
    async def trade(
        interaction: Interaction,
        period: str | None = None,
        flow: Literal["exports", "imports", "total"] | None = None,
        detail: str | None = None,
        share: bool = False,
    ) -> None:
        await run(interaction, command_line("trade", period, flow, detail), share=share)

    @group.command(name="chart", description=DESCRIPTIONS["chart"])
    @app_commands.describe(
        period="Years 2019..2025, months 2024-01..2025-06, or one year (default: every year)",
        share=SHARE_HELP,
    )
    async def chart(
        interaction: Interaction, period: str | None = None, share: bool = False
    ) -> None:
        await run(interaction, command_line("chart", "trade", period), share=share)

    @group.command(name="sanctions", description=DESCRIPTIONS["sanctions"])
    @app_commands.describe(
        name="A name or identifier; or `new` (latest changes), `stats` (counts)",
        share=SHARE_HELP,
    )
    async def sanctions(interaction: Interaction, name: str, share: bool = False) -> None:
        await run(interaction, command_line("sanctions", name), share=share)

    @sanctions.autocomplete("name")
    async def sanctions_name(
        interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await commands.sanctions_choices(current)

    @group.command(name="ask", description=DESCRIPTIONS["ask"])
    @app_commands.describe(
        question="e.g. what share of Russia's car market do Chinese brands have?",
        share=SHARE_HELP,
    )
    async def ask(interaction: Interaction, question: str, share: bool = False) -> None:
        await run(interaction, command_line("ask", question), share=share)

    @group.command(name="digest", description=DESCRIPTIONS["digest"])
    @app_commands.rename(as_of="date")
    @app_commands.describe(as_of="A past date as YYYY-MM-DD (default: today)", share=SHARE_HELP)
    async def digest(
        interaction: Interaction, as_of: str | None = None, share: bool = False
    ) -> None:
        await run(interaction, command_line("digest", as_of), share=share)

    @group.command(name="sources", description=DESCRIPTIONS["sources"])
    @app_commands.describe(share=SHARE_HELP)
    async def sources(interaction: Interaction, share: bool = False) -> None:
        await run(interaction, "sources", share=share)

    @group.command(name="help", description=DESCRIPTIONS["help"])
    @app_commands.describe(command="A subcommand to explain")
    @app_commands.choices(
        command=[app_commands.Choice(name=name, value=name) for name in commands.table.names]
    )
    async def help_(
        interaction: Interaction, command: app_commands.Choice[str] | None = None
    ) -> None:
        await run(interaction, command_line("help", command.value if command else None))

    @group.command(name="subscribe", description=DESCRIPTIONS["subscribe"])
    @app_commands.rename(at="time")
    @app_commands.describe(
        at="Local time of the daily digest, HH:MM (default: the bot's DIGEST_TIME)",
        timezone="IANA time zone, e.g. Europe/Berlin (default: the bot's TIMEZONE)",
        topics="Any of: digest, sanctions, trade (default: all three)",
    )
    async def subscribe(
        interaction: Interaction,
        at: str | None = None,
        timezone: str | None = None,
        topics: str | None = None,
    ) -> None:
        await run(interaction, command_line("subscribe", at, timezone, topics))

    @subscribe.autocomplete("timezone")
    async def subscribe_timezone(
        interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(suggest.time_zones(current))

    @subscribe.autocomplete("topics")
    async def subscribe_topics(
        interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(suggest.topics(current))

    @group.command(name="unsubscribe", description=DESCRIPTIONS["unsubscribe"])
    @app_commands.describe(topics="Only stop these: digest, sanctions, trade (default: all)")
    async def unsubscribe(interaction: Interaction, topics: str | None = None) -> None:
        await run(interaction, command_line("unsubscribe", topics))

    @unsubscribe.autocomplete("topics")
    async def unsubscribe_topics(
        interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(suggest.topics(current))

    @group.command(name="subscriptions", description=DESCRIPTIONS["subscriptions"])
    @app_commands.describe(share=SHARE_HELP)
    async def subscriptions(interaction: Interaction, share: bool = False) -> None:
        await run(interaction, "subscriptions", share=share)

    @group.command(name="watch", description=DESCRIPTIONS["watch"])
    @app_commands.rename(entity_type="type")
    @app_commands.describe(
        action="list (default), add, remove, import (attach a CSV), export",
        name="The name to add or remove (remove also takes #N from the list)",
        entity_type="person, entity or vessel",
        country="Two-letter ISO country code, e.g. RU, CN, HK",
        dob="A person's date of birth: YYYY, YYYY-MM or YYYY-MM-DD",
        ref="Your own identifier for this name",
        file="import: a CSV with a header: name, type, country, dob, ref",
        strict="import: import nothing when any row is bad (default: keep the good rows)",
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=a, value=a) for a in WATCH_ACTIONS],
        entity_type=[app_commands.Choice(name=t, value=t) for t in ("person", "entity", "vessel")],
    )
    async def watch(  # noqa: PLR0917 - Discord passes options by name
        interaction: Interaction,
        action: app_commands.Choice[str] | None = None,
        name: str | None = None,
        entity_type: app_commands.Choice[str] | None = None,
        country: str | None = None,
        dob: str | None = None,
        ref: str | None = None,
        file: discord.Attachment | None = None,
        strict: bool = False,
    ) -> None:
        chosen = action.value if action else "list"
        words: list[str | None] = ["watch", chosen]
        if chosen in ("add", "remove") and name:
            words.append(_quoted(name))
        if chosen == "add":
            for flag, value in (
                ("--type", entity_type.value if entity_type else None),
                ("--country", country),
                ("--dob", dob),
                ("--ref", ref),
            ):
                if value:
                    words += [flag, _quoted(value)]
        if chosen == "remove" and ref and not name:
            words += ["--ref", _quoted(ref)]
        if chosen == "import" and strict:
            words.append("--strict")
        await run(
            interaction, command_line(*words), attachment=file if chosen == "import" else None
        )

    @group.command(name="screen", description=DESCRIPTIONS["screen"])
    @app_commands.describe(file="A CSV with a header and a name column")
    async def screen(interaction: Interaction, file: discord.Attachment) -> None:
        await run(interaction, "screen", attachment=file)

    return group


def _quoted(value: str) -> str:
    """A value as one word for the handler's shell-like split."""
    return shlex.quote(" ".join(value.split()))


def build_tree(client: discord.Client, commands: DiscordCommands) -> app_commands.CommandTree[Any]:
    """The client's command tree with ``/brief``; errors are logged and the user told."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    tree.add_command(build_group(commands))

    async def on_error(interaction: Interaction, error: app_commands.AppCommandError) -> None:
        log.error("/%s failed", commands.group_name, exc_info=error)
        await commands.fail(interaction)

    tree.on_error = on_error  # type: ignore[method-assign]
    return tree
