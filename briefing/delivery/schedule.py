"""When a channel's digest is due: its local wall time on a local day, as an instant in UTC.

Pure functions of a subscription and a clock reading, apart from the planner so that a command
telling a channel its next digest (``subscribe``, the console) loads no delivery machinery.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from briefing.clock import require_aware
from briefing.delivery.subscriptions import Subscription


@lru_cache(maxsize=16_384)  # channels share zones and times: a fan-out asks a few of them
def local_schedule(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (in UTC) the local wall time ``at`` is reached on ``day`` in ``zone``.

    UTC because Python never finds an ambiguous local time equal to one in another zone.
    In a DST gap (02:30 on a spring-forward day) that is the first valid instant after it, the
    end of the gap (03:00); for a repeated hour (01:30 on a fall-back day), the first occurrence.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)
    # A gap: the two readings of ``wall`` bracket the transition; find its first second.
    lo = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    hi = int(first.timestamp())
    lo, hi = min(lo, hi), max(lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def next_digest_at(sub: Subscription, now: datetime) -> datetime:
    """When (in UTC) ``sub``'s next digest is due after ``now``."""
    now = require_aware(now)
    zone = sub.zone
    day = now.astimezone(zone).date()
    while True:
        due = local_schedule(day, sub.at, zone)
        if due > now and due >= sub.updated_at:
            return due
        day += timedelta(days=1)


def digest_days_due(
    sub: Subscription, start: datetime, end: datetime
) -> list[tuple[date, datetime]]:
    """(local day, due instant) of ``sub``'s digests due in ``[start, end]``, oldest first."""
    zone = sub.zone
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    found = []
    day = first
    while day <= last:
        due = local_schedule(day, sub.at, zone)
        if start <= due <= end and due >= sub.updated_at:
            found.append((day, due))
        day += timedelta(days=1)
    return found
