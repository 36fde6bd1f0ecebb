"""The console platform: an interactive prompt, the scriptable ``say`` form, and scheduled
delivery printed to stdout (``bot.py run --platform console``).

Delivery at the console is the delivery of every platform (:mod:`briefing.delivery.service`,
the ledger) with :class:`ConsolePoster` as its poster: the console is the channel ``console``,
subscribed to the daily digest at DIGEST_TIME in TIMEZONE (:func:`subscribe_console`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from briefing.appstate import Briefing, Context, FileError, SharedFile
from briefing.caller import Caller
from briefing.command_table import CommandTable
from briefing.delivery.poster import ChannelRef, PostError, PostResult
from briefing.delivery.schedule import next_digest_at
from briefing.delivery.subscriptions import TOPIC_DIGEST, Subscription, SubscriptionStore
from briefing.render.text import render_text
from briefing.replies import Reply

if TYPE_CHECKING:
    from briefing.delivery.service import DeliveryService

log = logging.getLogger(__name__)

CONSOLE_CALLER = Caller(platform="console", user_id="console", channel_id="console", is_admin=True)
CONSOLE_CHANNEL = ChannelRef("console", "console", "console")
# Who made the console's subscription when it follows the settings (DIGEST_TIME, TIMEZONE).
SETTINGS_USER = "settings"


def strip_command(line: str, command: str) -> str:
    """``/brief trade 2024`` and ``trade 2024`` both mean the same at the console."""
    text = line.strip()
    if text == command or text.startswith(command + " "):
        return text[len(command) :].strip()
    return text


class ConsoleFiles:
    """At the console a shared file is a path on this machine; a private one is written to a
    folder (``var/results`` beside the charts)."""

    def fetch(self, ref: str | None, *, max_bytes: int) -> SharedFile:
        if not ref:
            raise FileError("give the file's path, e.g. `watch import counterparties.csv`")
        path = Path(ref).expanduser()
        if not path.is_file():
            raise FileError(f"{ref}: no such file")
        size = path.stat().st_size
        if size > max_bytes:
            raise FileError(f"{ref} is {size:,} bytes; the limit is {max_bytes:,}")
        return SharedFile(path.name, path.read_bytes())

    def __init__(self, out_dir: Path | None = None) -> None:
        self.out_dir = out_dir

    def send_private(self, name: str, data: bytes, title: str) -> str:
        folder = self.out_dir or Path.cwd()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(data)
        return f"written to {path}"

    def progress(self, text: str) -> None:
        sys.stderr.write(text + "\n")


def run_command(brief: Briefing, table: CommandTable, line: str, today: date) -> Reply:
    command = brief.settings.command_name
    ctx = Context(
        brief=brief,
        today=today,
        command=command,
        caller=CONSOLE_CALLER,
        files=ConsoleFiles(brief.settings.chart_dir.parent / "results"),
    )
    return table.dispatch(strip_command(line, command), ctx)


def reply_json(command: str, reply: Reply) -> dict[str, Any]:
    return {
        "command": command,
        "text": render_text(reply),
        "title": reply.title,
        "kind": reply.kind.value,
        "as_of": reply.data_as_of.isoformat() if reply.data_as_of else None,
        "sources": [
            {"title": s.title, "url": s.url, "as_of": s.as_of.isoformat() if s.as_of else None}
            for s in reply.sources
        ],
        "chart": str(reply.chart.path) if reply.chart else None,
    }


def say(
    brief: Briefing,
    table: CommandTable,
    commands: Iterable[str],
    today: date,
    *,
    as_json: bool,
    out: TextIO,
) -> None:
    if as_json:
        payload = [reply_json(c, run_command(brief, table, c, today)) for c in commands]
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    for i, command in enumerate(commands):
        if i:
            out.write("\n")
        out.write(render_text(run_command(brief, table, command, today)) + "\n")


def interactive(
    brief: Briefing,
    table: CommandTable,
    today: Callable[[], date],
    history_file: Path,
    *,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
) -> None:
    """A prompt with line editing and history (readline where the terminal offers it)."""
    try:
        # Only the interactive console: importing readline changes how input() reads.
        import readline  # noqa: PLC0415

        history_file.parent.mkdir(parents=True, exist_ok=True)
        if history_file.exists():
            readline.read_history_file(history_file)
    except (ImportError, OSError):  # pragma: no cover - depends on the terminal
        readline = None  # type: ignore[assignment]
    command = brief.settings.command_name
    out.write(
        f"China–Russia Brief console. Type `{command} help` (or just `help`); Ctrl-D to quit.\n"
    )
    try:
        while True:
            try:
                line = read(f"{command}> ")
            except EOFError:
                out.write("\n")
                break
            if not line.strip():
                continue
            if line.strip() in ("quit", "exit"):
                break
            out.write(render_text(run_command(brief, table, line, today())) + "\n\n")
    except KeyboardInterrupt:
        out.write("\n")
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(history_file)


# -- scheduled delivery ----------------------------------------------------------------------


class ConsolePoster:
    """Delivery's poster at the console: each reply printed as text, then a blank line."""

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self._write = write or (lambda text: print(text, flush=True))

    def post(
        self, channel: ChannelRef, reply: Reply, *, delivery_id: str | None = None
    ) -> PostResult:
        if channel.platform != CONSOLE_CHANNEL.platform:
            # Another platform's channel, in a database it shares: that platform's bot posts it.
            raise PostError("not a console channel", permanent=False, retry_after_s=300)
        self._write(render_text(reply) + "\n")
        return PostResult(message_id=delivery_id or "console")

    def notify_user(self, channel: ChannelRef, user_id: str, text: str) -> None:
        if channel.platform == CONSOLE_CHANNEL.platform:
            self._write(text)
        else:
            log.debug("a note for %s in %s is not for the console", user_id, channel)


def subscribe_console(brief: Briefing, now: datetime) -> Subscription:
    """The console's subscription: the daily digest at DIGEST_TIME in TIMEZONE.

    Made (or brought in line with the settings) unless the console has an active subscription
    someone set with ``subscribe`` at the console, which is kept as it is.
    """
    settings = brief.settings
    store = SubscriptionStore(brief.engine)
    current = store.get(CONSOLE_CHANNEL)
    wanted = (settings.digest_local_time, settings.timezone)
    if (
        current is not None
        and current.is_active
        and (current.created_by != SETTINGS_USER or (current.at, current.tz) == wanted)
    ):
        return current
    topics = current.topics if current is not None and current.is_active else None
    return store.subscribe(
        CONSOLE_CHANNEL,
        at=settings.digest_local_time,
        tz=settings.timezone,
        topics=topics or frozenset({TOPIC_DIGEST}),
        by_user=SETTINGS_USER,
        now=now,
    )


StartDelivery = Callable[[Briefing, ConsolePoster], "DeliveryService"]


def run_console(
    brief: Briefing,
    start_delivery: StartDelivery,
    stop: threading.Event | None = None,
    *,
    poster: ConsolePoster | None = None,
) -> None:
    """Deliver to the console until ``stop`` (or Ctrl-C): the digest at DIGEST_TIME in
    TIMEZONE, once per local day, and the fetch of the scheduled feeds (FEEDS).

    ``start_delivery``: the delivery service, handed over by the entry point (importing it
    here would load the whole delivery and screening stack into ``bot.py say`` too)."""
    now = datetime.now(UTC)
    subscription = subscribe_console(brief, now)
    delivery = start_delivery(brief, poster or ConsolePoster())
    try:
        when = next_digest_at(subscription, now).astimezone(subscription.zone)
        print(
            f"China–Russia Brief is running (console). Next digest: {when:%Y-%m-%d %H:%M %Z}. "
            "Ctrl-C to stop.",
            flush=True,
        )
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        delivery.shutdown(wait=False)
