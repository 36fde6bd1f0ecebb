"""The console platform: an interactive prompt and the scriptable ``say`` form."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from briefing.appstate import Briefing, Context, FileError, SharedFile
from briefing.caller import Caller
from briefing.render.text import render_text
from briefing.replies import Reply
from handlers import dispatch

CONSOLE_CALLER = Caller(platform="console", user_id="console", channel_id="console", is_admin=True)


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


def run_command(brief: Briefing, line: str, today: date) -> Reply:
    command = brief.settings.command_name
    ctx = Context(
        brief=brief,
        today=today,
        command=command,
        caller=CONSOLE_CALLER,
        files=ConsoleFiles(brief.settings.chart_dir.parent / "results"),
    )
    return dispatch(strip_command(line, command), ctx)


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
    brief: Briefing, commands: Iterable[str], today: date, *, as_json: bool, out: TextIO
) -> None:
    if as_json:
        payload = [reply_json(c, run_command(brief, c, today)) for c in commands]
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    for i, command in enumerate(commands):
        if i:
            out.write("\n")
        out.write(render_text(run_command(brief, command, today)) + "\n")


def interactive(
    brief: Briefing,
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
            out.write(render_text(run_command(brief, line, today())) + "\n\n")
    except KeyboardInterrupt:
        out.write("\n")
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(history_file)
