"""The platform-neutral reply model.

Handlers and the digest return a :class:`Reply`; renderers in :mod:`briefing.render` turn it into
plain text, Slack Block Kit or Discord embeds. Every line that states a figure carries the
:class:`Source` it came from, so the citation survives all the way to the rendered message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path


class ReplyKind(StrEnum):
    ANSWER = "answer"
    NO_DATA = "no_data"
    HELP = "help"
    USAGE_ERROR = "usage_error"
    REFUSAL = "refusal"
    DIGEST = "digest"
    ALERT = "alert"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a figure comes from: who published it, where, and the date of the data."""

    title: str
    url: str | None = None
    as_of: date | None = None

    def label(self) -> str:
        """A short human label: ``title, 14 Jan 2026``."""
        if self.as_of is None:
            return self.title
        return f"{self.title}, {format_date(self.as_of)}"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a reply; ``source`` is set when the line states a figure or a fact."""

    text: str
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered PNG chart with the text that stands in for it where images are not shown."""

    path: Path
    title: str
    alt_text: str


@dataclass(frozen=True, slots=True)
class Reply:
    title: str
    sections: tuple[Section, ...] = ()
    kind: ReplyKind = ReplyKind.ANSWER
    as_of: date | None = None
    footer: str | None = None
    chart: Chart | None = None
    extra_sources: tuple[Source, ...] = field(default=())
    # A command (without the leading ``/brief``) that shows more: Slack renders it as a button.
    more: str | None = None

    @property
    def sources(self) -> tuple[Source, ...]:
        """Every distinct source the reply cites, in order of first use."""
        seen: dict[tuple[str, str | None], Source] = {}
        for section in self.sections:
            for line in section.lines:
                if line.source is not None:
                    seen.setdefault((line.source.title, line.source.url), line.source)
        for source in self.extra_sources:
            seen.setdefault((source.title, source.url), source)
        return tuple(seen.values())

    @property
    def data_as_of(self) -> date | None:
        """The newest data date among the cited sources (falls back to ``as_of``)."""
        dates = [s.as_of for s in self.sources if s.as_of is not None]
        return max(dates) if dates else self.as_of


def simple(title: str, *lines: str, kind: ReplyKind = ReplyKind.ANSWER) -> Reply:
    """A reply made of plain lines with no figures (help, errors, refusals)."""
    return Reply(title=title, sections=(Section(None, tuple(Line(t) for t in lines)),), kind=kind)


def usage_error(message: str, *hints: str) -> Reply:
    return simple(message, *hints, kind=ReplyKind.USAGE_ERROR)


def format_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def format_usd_bn(value_usd_bn: float) -> str:
    """``244.81`` → ``$244.8 bn``; small values keep two decimals."""
    if abs(value_usd_bn) >= 100:
        return f"${value_usd_bn:,.1f} bn"
    return f"${value_usd_bn:,.2f} bn".replace(".00 bn", " bn")


def format_pct(value_pct: float, *, signed: bool = True) -> str:
    text = f"{value_pct:+.1f}%" if signed else f"{value_pct:.1f}%"
    return text.replace("-", "−")
