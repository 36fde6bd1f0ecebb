"""Sourced facts and dated events from the news material and sector reports in the data pack."""

from __future__ import annotations

import re
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


_SEED_DOC = re.compile(r"^\d{3}_[0-9a-f]+\.txt$")


def cited(outlet: str, source_doc: str, source_url: str | None, as_of: date) -> Source:
    """The :class:`Source` of a fact or event: a seed article, a web page, or another document.

    A page address shortened with "…" (as some reports give it) is shown but never linked.
    """
    linkable = source_doc.startswith("http") and "…" not in source_doc
    if _SEED_DOC.match(source_doc):
        title = f"{outlet}, in seed article {source_doc}"
    elif linkable:
        title = outlet
    else:
        title = f"{outlet}, via {source_doc}"
    return Source(title=title, url=source_url or (source_doc if linkable else None), as_of=as_of)


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
        return cited(self.outlet, self.source_doc, self.source_url, self.as_of)


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
        return cited(self.outlet, self.source_doc, self.source_url, self.day)

    @property
    def date_label(self) -> str:
        if self.precision == "year":
            return f"{self.day.year}"
        if self.precision == "month":
            return f"{self.day:%b %Y}"
        return f"{self.day.day} {self.day:%b %Y}"
