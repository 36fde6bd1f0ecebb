"""Sourced facts and dated events from the news material and sector reports in the data pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from briefing.replies import Source

TOPICS = (
    "trade",
    "sanctions",
    "energy",
    "cars",
    "technology",
    "payments",
    "investment",
    "diplomacy",
)
UNITS = ("pct", "usd_bn", "usd_m", "usd", "bcm", "cny_bn", "count", "multiple", "units", "k_units")
EVENT_KINDS = (
    "sanctions",
    "tariffs",
    "policy",
    "corporate",
    "summit",
    "trade_release",
    "energy",
)


class AsOfBasis(StrEnum):
    PUBLISHED = "published"
    INFERRED = "inferred"
    PERIOD_END = "period_end"


@dataclass(frozen=True, slots=True)
class Fact:
    fact_id: str
    topic: str
    statement: str
    value: float | None
    value_high: float | None
    unit: str
    period: str
    outlet: str
    source_doc: str
    source_url: str | None
    as_of: date
    as_of_basis: AsOfBasis
    keywords: tuple[str, ...]

    @property
    def source(self) -> Source:
        doc = self.source_doc
        title = self.outlet if doc.startswith("http") else f"{self.outlet}, in seed article {doc}"
        return Source(
            title=title,
            url=self.source_url or (doc if doc.startswith("http") else None),
            as_of=self.as_of,
        )


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    day: date
    precision: str
    kind: str
    title: str
    detail: str
    outlet: str
    source_doc: str
    source_url: str | None

    @property
    def source(self) -> Source:
        doc = self.source_doc
        title = self.outlet if doc.startswith("http") else f"{self.outlet}, in seed article {doc}"
        return Source(
            title=title,
            url=self.source_url or (doc if doc.startswith("http") else None),
            as_of=self.day,
        )

    @property
    def date_label(self) -> str:
        if self.precision == "year":
            return f"{self.day.year}"
        if self.precision == "month":
            return f"{self.day:%b %Y}"
        return f"{self.day.day} {self.day:%b %Y}"
