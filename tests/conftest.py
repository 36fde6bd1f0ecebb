"""Shared fixtures: a database per test (SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import Engine, text

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.db import make_engine
from briefing.migrations import upgrade as upgrade_schema
from briefing.settings import PROJECT_ROOT, Settings, load_settings

# No test fetches a real feed: the bots the tests start (in this process or as subprocesses,
# which inherit the environment) schedule none unless a test names its own, on 127.0.0.1.
os.environ["FEEDS"] = "none"

# Every real file a test reads lives inside the repository, each folder with its provenance.
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
OFAC_SNAPSHOTS = PROJECT_ROOT / "data" / "sanctions" / "ofac"
OFAC_WATCHMAN = FIXTURES / "sanctions" / "ofac_watchman"
OPENSANCTIONS_FTM = FIXTURES / "sanctions" / "opensanctions"
EU_FSD_CODES = FIXTURES / "sanctions" / "eu_fsd" / "fsd_programme_codes.csv"
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the current schema revision, made once and copied for each test
    (the app then finds it at the head and migrates nothing)."""
    path = tmp_path_factory.mktemp("template") / "brief.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    return path


@contextmanager
def empty_database(tmp_path: Path, name: str = "brief") -> Iterator[str]:
    """A database with no tables: a new PostgreSQL schema (TEST_DATABASE_URL), dropped at the
    end, or a new SQLite file under ``tmp_path``."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh database with no rows: a PostgreSQL schema of its own, or a SQLite file (a copy
    of a database at the current schema revision)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        path = tmp_path / "brief.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url, chart_dir=tmp_path / "charts", _env_file=None)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def brief(settings: Settings, engine: Engine) -> Briefing:
    return Briefing.load(settings, engine)


@pytest.fixture
def ctx(brief: Briefing) -> Context:
    return Context(
        brief=brief, today=TODAY, caller=Caller(platform="console", user_id="U1", is_admin=True)
    )


# -- bot.py as a subprocess ------------------------------------------------------------------


@dataclass
class BotProcess:
    """``bot.py`` running as an operator runs it: its stdout read line by line (what it
    announces), its stderr (the log) written to a file."""

    proc: subprocess.Popen[str]
    log_path: Path
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    ready: re.Match[str] | None = None  # the line it announced itself with (``ready=``)

    def announced(self, group: int = 1) -> str:
        """A group of the ``ready`` pattern in the line the bot announced itself with."""
        assert self.ready is not None, "start the bot with ready=PATTERN"
        return self.ready.group(group)

    def wait_for(self, pattern: str, timeout_s: float = 60.0) -> re.Match[str]:
        """The first line on stdout (from here on) that matches ``pattern``; the test fails,
        with the bot's log, when the bot exits or prints none in time."""
        wanted = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout_s)
            except queue.Empty:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"the bot never printed {pattern!r}:\n{self.log()}")
            if not line:  # stdout closed: the bot exited
                self.proc.wait()
                pytest.fail(
                    f"the bot exited ({self.proc.returncode}) before printing {pattern!r}:\n"
                    f"{''.join(self.seen)}{self.log()}"
                )
            self.seen.append(line)
            found = wanted.search(line)
            if found is not None:
                return found

    def log(self) -> str:
        """What the bot wrote to stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout_s: float = 20.0, *, signum: int = signal.SIGINT) -> int:
        """Ctrl-C (or ``signum``: SIGTERM as ``docker stop`` sends), as an operator stops it;
        killed if it does not stop in time. Its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class BotRunner:
    """Starts ``bot.py`` subprocesses in the test's folder (away from any developer's
    ``.env``) and stops every one still running at the end of the test."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.started: list[BotProcess] = []

    def start(
        self, *args: str, env: dict[str, str], ready: str | None = None, timeout_s: float = 60.0
    ) -> BotProcess:
        """``python bot.py ARGS``; with ``ready``, wait for a line on stdout that matches it."""
        log_path = self.cwd / f"bot-{len(self.started) + 1}.log"
        with log_path.open("w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                [sys.executable, str(PROJECT_ROOT / "bot.py"), *args],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
                cwd=self.cwd,
            )
        bot = BotProcess(proc, log_path)
        self.started.append(bot)
        assert proc.stdout is not None
        threading.Thread(target=_read_lines, args=(proc.stdout, bot.lines), daemon=True).start()
        if ready is not None:
            bot.ready = bot.wait_for(ready, timeout_s)
        return bot

    def stop_all(self) -> None:
        for bot in self.started:
            if bot.proc.poll() is None:
                bot.proc.send_signal(signal.SIGINT)
        for bot in self.started:
            bot.stop()


def _read_lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)
    into.put("")  # the end: the bot exited


@pytest.fixture
def bot_runner(tmp_path: Path) -> Iterator[BotRunner]:
    """Start ``bot.py`` and wait for it to be ready: ``bot_runner.start("run", …, env=…,
    ready=r"…")``; every bot still running is stopped (Ctrl-C) at the end of the test."""
    runner = BotRunner(tmp_path)
    yield runner
    runner.stop_all()
