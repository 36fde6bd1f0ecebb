"""What a right answer to a bank question must contain.

Each check is data; ``tests/ask/test_bank.py`` evaluates it against the reply and the data pack.
Periods are written as the trade files write them: ``2024``, ``2024-12``, ``2025-01/2025-06``.
Flows are seen from China: ``total``, ``exports`` (China → Russia), ``imports`` (Russia → China).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Facts:
    """Every fact named: its statement on a line that cites the fact's own source."""

    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Events:
    """Every event named: its title on a line that cites the event's source."""

    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Trade:
    """The figure for ``period``/``flow`` (reported, or summed from its months) in the direct
    answer, on a line citing its source."""

    period: str
    flow: str = "total"


@dataclass(frozen=True, slots=True)
class TradeOrNearest:
    """As :class:`Trade` when the data holds the period and flow; otherwise an honest "no
    figure for <period>" that names at least one period the data does hold."""

    period: str
    flow: str = "total"


@dataclass(frozen=True, slots=True)
class Change:
    """The year-on-year change of ``period``/``flow`` (as stated, or computed from the data)."""

    period: str
    flow: str = "total"


@dataclass(frozen=True, slots=True)
class Balance:
    """China's exports minus imports for ``period``, computed from the data, with sources."""

    period: str


@dataclass(frozen=True, slots=True)
class Compare:
    """Both figures of a comparison, each cited."""

    first: str
    second: str
    flow: str = "total"


@dataclass(frozen=True, slots=True)
class Extreme:
    """The full year with the highest (``high``) or lowest (``low``) figure the data holds."""

    which: str
    flow: str = "total"


@dataclass(frozen=True, slots=True)
class Premise:
    """A false premise about the direction of trade in ``period`` corrected from the data:
    the real change, with its source."""

    period: str
    flow: str = "total"


@dataclass(frozen=True, slots=True)
class Listed:
    """A sanctions search that finds ``name`` (a substring of the entry's name, any case) and
    names the list it was found on."""

    name: str


@dataclass(frozen=True, slots=True)
class NotListed:
    """An honest "not on the lists I hold" for the name, naming the list(s) searched."""

    name: str


@dataclass(frozen=True, slots=True)
class Added:
    """The count of designations the list of ``list_date`` added on the one before (from the
    stored lists), with the list named."""

    list_date: str
    removed: bool = False


@dataclass(frozen=True, slots=True)
class LinkedAdded:
    """The parties linked to ``place`` (China, Hong Kong, or both with ``any``) added by the list
    of ``list_date``: their number and at least the first names."""

    list_date: str
    place: str = "any"


@dataclass(frozen=True, slots=True)
class NotLoaded:
    """The reply says first that ``list_word`` (EU, UK, Entity List) is not loaded and names
    the list(s) it does hold."""

    list_word: str


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """An honest no-answer: no figure, no source cited; ``mentions`` must appear."""

    mentions: tuple[str, ...] = ()


Check = (
    Facts
    | Events
    | Trade
    | TradeOrNearest
    | Change
    | Balance
    | Compare
    | Extreme
    | Premise
    | Listed
    | NotListed
    | Added
    | LinkedAdded
    | NotLoaded
    | NoAnswer
)


@dataclass(frozen=True, slots=True)
class BankQuestion:
    text: str
    checks: tuple[Check, ...]
    bare: bool = False  # sent as bare text after the command, not as `ask …`

    @property
    def unanswerable(self) -> bool:
        return any(isinstance(c, NoAnswer | NotListed) for c in self.checks)


def q(text: str, *checks: Check, bare: bool = False) -> BankQuestion:
    return BankQuestion(text, checks, bare)


def facts(*ids: str) -> Facts:
    return Facts(ids)


def events(*ids: str) -> Events:
    return Events(ids)


def no(*mentions: str) -> NoAnswer:
    return NoAnswer(mentions)
