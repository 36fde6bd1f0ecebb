"""The in-memory trade index: built once at load, answers every query from dicts."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from briefing.trade.model import TOTAL_CHAPTER, Flow, Period, PeriodKind, TradeObservation

_BUILD_LOCK = threading.Lock()


def _published(obs: TradeObservation) -> date:
    return obs.published_on


@dataclass(frozen=True, slots=True)
class Coverage:
    first: Period
    last: Period


class TradeIndex:
    """All known observations keyed by (period, flow, HS chapter), each list oldest first.

    :meth:`deferred` makes an index that is built on its first use: an ingest hands the next
    query the index of what it committed without building it inside the ingest.
    """

    def __init__(self, observations: Iterable[TradeObservation]) -> None:
        self._pending: Callable[[], Iterable[TradeObservation]] | None = None
        self._build(observations)

    @classmethod
    def deferred(cls, observations: Callable[[], Iterable[TradeObservation]]) -> TradeIndex:
        """An index of ``observations()``, called and indexed when the index is first used."""
        index = cls.__new__(cls)
        index._pending = observations
        return index

    def _build(self, observations: Iterable[TradeObservation]) -> None:
        by_key: dict[tuple[Period, Flow, str], list[TradeObservation]] = defaultdict(list)
        for obs in observations:
            by_key[(obs.period, obs.flow, obs.hs_chapter)].append(obs)
        for bucket in by_key.values():
            if len(bucket) > 1:
                bucket.sort(key=_published)
        self._by_key = by_key
        self._periods = sorted(
            {key[0] for key in by_key}, key=lambda p: (p.end_ordinal(), -p.months)
        )
        self._by_publication = sorted(
            (o for bucket in by_key.values() for o in bucket), key=_published
        )

    def _ensure(self) -> None:
        """Build a deferred index (once, whichever thread asks first)."""
        if self._pending is None:
            return
        with _BUILD_LOCK:
            pending = self._pending
            if pending is not None:
                self._build(pending())
                self._pending = None

    def __len__(self) -> int:
        self._ensure()
        return sum(len(b) for b in self._by_key.values())

    def observations(self) -> list[TradeObservation]:
        self._ensure()
        return list(self._by_publication)

    def get(
        self, period: Period, flow: Flow, as_of: date, chapter: str = TOTAL_CHAPTER
    ) -> list[TradeObservation]:
        """Current value per source for a period/flow, as known on ``as_of``.

        Several sources may report the same period; each keeps its own latest figure (a later
        figure from the same source is a revision and replaces the earlier one).
        """
        self._ensure()
        latest: dict[str, TradeObservation] = {}
        for obs in self._by_key.get((period, flow, chapter), ()):
            if obs.published_on <= as_of:
                # An ingested dataset is one series: its later figure is a revision even when
                # the source text changed. Bundled rows are told apart by their reporting outlet.
                series = obs.dataset if obs.dataset != "bundled" else f"bundled|{obs.source.title}"
                latest[series] = obs
        return sorted(latest.values(), key=lambda o: o.published_on)

    def best(
        self, period: Period, flow: Flow, as_of: date, chapter: str = TOTAL_CHAPTER
    ) -> TradeObservation | None:
        found = self.get(period, flow, as_of, chapter)
        return found[-1] if found else None

    def periods(self, as_of: date, kind: PeriodKind | None = None) -> list[Period]:
        """Periods with at least one figure published by ``as_of``, oldest first."""
        self._ensure()
        out = []
        for period in self._periods:
            if kind is not None and period.kind is not kind:
                continue
            if any(self.get(period, flow, as_of) for flow in Flow):
                out.append(period)
        return out

    def chapters(self, period: Period, as_of: date) -> list[str]:
        self._ensure()
        return sorted(
            {
                key[2]
                for key, bucket in self._by_key.items()
                if key[0] == period
                and key[2] != TOTAL_CHAPTER
                and any(o.published_on <= as_of for o in bucket)
            }
        )

    def coverage(self, as_of: date) -> Coverage | None:
        periods = self.periods(as_of)
        if not periods:
            return None
        return Coverage(first=min(periods, key=lambda p: (p.year, p.first_month)), last=periods[-1])

    def published_between(self, after: date, until: date) -> list[TradeObservation]:
        """Observations published in ``(after, until]``, oldest first."""
        self._ensure()
        return [o for o in self._by_publication if after < o.published_on <= until]

    def latest_release(self, as_of: date) -> list[TradeObservation]:
        """Observations of the most recent publication date on or before ``as_of``."""
        self._ensure()
        known = [o for o in self._by_publication if o.published_on <= as_of]
        if not known:
            return []
        newest = known[-1].published_on
        return [o for o in known if o.published_on == newest]
