"""The application state: settings, database, data pack and the in-memory indexes that every
handler, the digest and the scheduled jobs read.

Loaded once at start (data pack validated, indexes built); handlers get it through
:class:`Context` together with the as-of date, so nothing below the entry points calls ``now()``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine

from briefing.caller import Caller
from briefing.datapack import DataPack, load_datapack
from briefing.db import make_engine
from briefing.facts import Event, Fact
from briefing.generation import current_generation
from briefing.migrations import upgrade as upgrade_schema
from briefing.settings import Settings
from briefing.trade.index import TradeIndex
from briefing.trade.tables import load_observations as load_trade_observations

if TYPE_CHECKING:
    from briefing.ask.retrieve import Retriever
    from briefing.sanctions.search import SanctionsData


@dataclass
class Briefing:
    settings: Settings
    engine: Engine
    datapack: DataPack
    # The in-memory indexes, each a typed field of this object and rebuilt by refresh(): the
    # trade figures (built at load), the sanctions lists' search data and the ask engine's
    # documents (both built on first use: a trade question never loads the lists).
    trade: TradeIndex
    _sanctions: SanctionsData | None = field(default=None, init=False, repr=False)
    _ask: Retriever | None = field(default=None, init=False, repr=False)
    _build_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    # The data generation the indexes were built from, and when it was last compared.
    _generation: int = field(default=-1, init=False, repr=False)
    _checked_at: float = field(default=0.0, init=False, repr=False)
    # A trade index an ingest built of what it committed, and the generation it built on.
    _prepared_trade: tuple[int, TradeIndex] | None = field(default=None, init=False, repr=False)

    @property
    def sanctions(self) -> SanctionsData:
        """The sanctions lists' search data: the lists in force and their name indexes."""
        data = self._sanctions
        if data is None:
            # Cold start: the search stack (numpy, rapidfuzz, rigour) loads on the first
            # sanctions question, not with every command.
            from briefing.sanctions.search import SanctionsData  # noqa: PLC0415

            with self._build_lock:
                data = self._sanctions
                if data is None:
                    data = self._sanctions = SanctionsData(self)
        return data

    @property
    def ask(self) -> Retriever:
        """The ask engine's documents: the data pack's facts and events, indexed per recipe."""
        found = self._ask
        if found is None:
            # Cold start: the retrieval stack loads on the first question in words.
            from briefing.ask.retrieve import Retriever  # noqa: PLC0415

            with self._build_lock:
                found = self._ask
                if found is None:
                    found = self._ask = Retriever(self.facts, self.events)
        return found

    @property
    def facts(self) -> tuple[Fact, ...]:
        return self.datapack.facts

    @property
    def events(self) -> tuple[Event, ...]:
        return self.datapack.events

    @classmethod
    def load(cls, settings: Settings, engine: Engine | None = None) -> Briefing:
        """Validate the data pack, open the database (upgrading its schema), build the indexes."""
        datapack = load_datapack(settings.data_dir)
        engine = engine or make_engine(settings.database_url)
        upgrade_schema(engine)
        brief = cls(settings=settings, engine=engine, datapack=datapack, trade=TradeIndex(()))
        brief.refresh()
        return brief

    def refresh(self) -> None:
        """Rebuild the in-memory indexes from the data pack and the database, together: the
        trade index now, the sanctions search data on its next use. The ask engine's documents
        are the data pack's alone, which does not change while the process runs: they stay."""
        prepared, self._prepared_trade = self._prepared_trade, None
        self._generation = current_generation(self.engine)
        self._checked_at = time.monotonic()
        with self._build_lock:
            self._sanctions = None
        if prepared is not None and prepared[0] + 1 == self._generation:
            # This process's own ingest is the only change since the index it built on: the
            # index it built of what it committed is the database's state.
            self.trade = prepared[1]
            return
        self.trade = TradeIndex((*self.datapack.trade, *load_trade_observations(self.engine)))

    def prepare_trade(self, built_on: int, index: TradeIndex) -> None:
        """Offer the next :meth:`refresh` an index an ingest built of the trade data as it
        committed it, on top of generation ``built_on``; taken only when that ingest's bump is
        the one change since."""
        self._prepared_trade = (built_on, index)

    @property
    def generation(self) -> int:
        """The data generation the in-memory indexes were built from."""
        return self._generation

    def ensure_fresh(self, max_age_s: float = 30.0) -> None:
        """Rebuild the indexes if another process ingested data (checked at most every 30 s)."""
        if time.monotonic() - self._checked_at < max_age_s:
            return
        self._checked_at = time.monotonic()
        if current_generation(self.engine) != self._generation:
            self.refresh()


class FileError(ValueError):
    """A file shared with a command could not be read; the message says why."""


@dataclass(frozen=True, slots=True)
class SharedFile:
    name: str
    data: bytes


class FileSource(Protocol):
    """Files shared with a command: a Slack file (its id or link), a Discord attachment, a
    path at the console. ``ref`` None: the one the platform attached to the command."""

    def fetch(self, ref: str | None, *, max_bytes: int) -> SharedFile: ...

    def send_private(self, name: str, data: bytes, title: str) -> str:
        """Give a file to the caller alone (Slack: a direct message); says where it went."""
        ...

    def progress(self, text: str) -> None:
        """Tell the caller how a long command is getting on (at most a few times)."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    brief: Briefing
    today: date
    command: str = "/brief"
    caller: Caller = field(default_factory=Caller)
    # The moment the request arrived; entry points set it (the default is read at construction).
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Where a command that takes a file (``watch import``) finds it; None: this platform has none.
    files: FileSource | None = None
