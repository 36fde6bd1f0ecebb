"""Typed trade observations.

A trade figure is always about China's trade with Russia, in USD, for a :class:`Period` (a year,
a single month, or a year-to-date span such as Jan–Jun), for one :class:`Flow`, optionally one
HS chapter, as published by one source on one date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from briefing.replies import Source

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TOTAL_CHAPTER = "TOTAL"


class Flow(StrEnum):
    """Direction, seen from China (the reporter)."""

    TOTAL = "total"
    EXPORTS = "exports"  # China → Russia
    IMPORTS = "imports"  # Russia → China

    @property
    def label(self) -> str:
        return {"total": "Total trade", "exports": "China → Russia", "imports": "Russia → China"}[
            self.value
        ]


class PeriodKind(StrEnum):
    YEAR = "year"
    MONTH = "month"
    YTD = "ytd"


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_SPAN_RE = re.compile(r"^(\d{4})-(\d{2})\s*(?:/|\.\.)\s*(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """Months ``first_month``..``last_month`` of ``year`` (inclusive)."""

    year: int
    first_month: int
    last_month: int

    @property
    def kind(self) -> PeriodKind:
        if self.first_month == 1 and self.last_month == 12:
            return PeriodKind.YEAR
        if self.first_month == self.last_month:
            return PeriodKind.MONTH
        return PeriodKind.YTD

    @property
    def key(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.year}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.first_month:02d}"
        return f"{self.year}-{self.first_month:02d}/{self.year}-{self.last_month:02d}"

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return str(self.year)
        if self.kind is PeriodKind.MONTH:
            return f"{MONTH_ABBR[self.first_month - 1]} {self.year}"
        return f"{MONTH_ABBR[self.first_month - 1]}–{MONTH_ABBR[self.last_month - 1]} {self.year}"

    @property
    def months(self) -> int:
        return self.last_month - self.first_month + 1

    def previous_year(self) -> Period:
        return Period(self.year - 1, self.first_month, self.last_month)

    def end_ordinal(self) -> int:
        """A sortable month number for the period's last month."""
        return self.year * 12 + self.last_month - 1

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(year, 1, 12)

    @classmethod
    def month_of(cls, year: int, month: int) -> Period:
        return cls(year, month, month)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2024``, ``2024-03``, or ``2024-01/2024-06`` (also ``2024-01..2024-06``)."""
        text = text.strip()
        if re.fullmatch(r"\d{4}", text):
            return cls.year_of(int(text))
        if match := _MONTH_RE.match(text):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise ValueError(f"{text!r}: month must be 01–12")
            return cls.month_of(year, month)
        if match := _SPAN_RE.match(text):
            y1, m1, y2, m2 = (int(g) for g in match.groups())
            if y1 != y2:
                raise ValueError(f"{text!r}: a year-to-date span must stay within one year")
            if not (1 <= m1 <= m2 <= 12):
                raise ValueError(f"{text!r}: months must be 01–12 and in order")
            return cls(y1, m1, m2)
        raise ValueError(f"{text!r} is not a period (YYYY, YYYY-MM or YYYY-MM/YYYY-MM)")


@lru_cache(maxsize=4096)
def period_of(key: str) -> Period:
    """The :class:`Period` of a ``Period.key``, one object per key (a few hundred keys across
    tens of thousands of stored figures)."""
    return Period.parse(key)


@dataclass(frozen=True, slots=True)
class TradeObservation:
    period: Period
    flow: Flow
    value_usd_bn: float
    source: Source
    published_on: date
    yoy_pct: float | None = None
    hs_chapter: str = TOTAL_CHAPTER
    dataset: str = "bundled"
