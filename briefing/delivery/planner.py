"""The planner: turns subscriptions and updates into ledger rows, once per period.

Run by the leader when the timer fires (and by :func:`~.digests.deliver_due` in one go). It
inserts, if absent, a run per (schedule, local period) and a delivery per (channel, item):

- **Digests.** For each active digest subscription, every local day whose digest time falls in
  the planning window. The window starts at the previous plan's watermark (minus a small
  overlap), so periods missed while no process was planning are found on start; it ends at
  ``now``. A period more than ``stale_after`` old is recorded as a *skipped* run (logged once)
  instead of being planned. Ids are deterministic, so clocks that jump back, overlapping ticks
  and two planners at once cannot plan a period twice.
- **Alerts.** Each update detected in the last ``alert_window`` becomes a run with one delivery
  per channel subscribed to its topic before the update was detected.
- **Watchlist alerts.** Each list version a watchlist was rescreened on in the last
  ``alert_window`` becomes a run with one delivery per channel it had changes for.

A run and its deliveries are inserted in one transaction: a crash leaves both or neither. A
database that holds digest runs without their delivery (written by an older version, which
used two transactions) is repaired: the first pass of each planner, and one every
``WATERMARK_EVERY`` after that, gives each such run of the last week its delivery (pending, or
skipped when too late or when the subscription is gone). Alert runs missing deliveries are
completed by every pass, as long as the update is within the alert window.

Local times follow the subscription's IANA zone, DST included: a time that does not exist on a
spring-forward day fires at the end of the gap, a time that occurs twice on a fall-back day fires
at its first occurrence. ``now`` is always a parameter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select

from briefing.clock import require_aware, utc
from briefing.delivery.ledger import (
    KIND_ALERT,
    KIND_DIGEST,
    DeliveryStatus,
    Ledger,
    OrphanRun,
    RunStatus,
    alert_delivery_id,
    alert_run_id,
    digest_delivery_id,
)
from briefing.delivery.schedule import digest_days_due
from briefing.delivery.subscriptions import TOPIC_DIGEST, Subscription, SubscriptionStore
from briefing.updates import updates_table
from briefing.watch.alerts import plan_watch_alerts

log = logging.getLogger(__name__)

DEFAULT_STALE_AFTER = timedelta(hours=6)
# Updates detected longer ago than this are left to the digest instead of alerted.
ALERT_WINDOW = timedelta(hours=24)
# Without a watermark (a new database), look back this far: yesterday's late digest included.
FIRST_LOOKBACK = timedelta(days=1)
# Never look back further than this, however long the planner was down.
MAX_LOOKBACK = timedelta(days=7)
# Re-examine a little before the watermark: a clock that stepped back, a slow commit.
OVERLAP = timedelta(minutes=10)
# The watermark is written at most this often: a wider window costs a few lookups, a write per
# tick costs a commit per tick.
WATERMARK_EVERY = timedelta(minutes=30)


@dataclass
class PlanReport:
    """What one planning pass inserted; each entry is a delivery id."""

    planned: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # too late: recorded, not sent


@dataclass
class Planner:
    engine: Engine
    stale_after: timedelta = DEFAULT_STALE_AFTER
    alert_window: timedelta = ALERT_WINDOW
    owner: str = "planner"

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.engine)
        self._repaired_at: datetime | None = None

    def plan(self, now: datetime) -> PlanReport:
        """Plan digests and alerts due by ``now``, then move the watermark to ``now``."""
        now = require_aware(now)
        report = PlanReport()
        subs = SubscriptionStore(self.engine).active()
        self.plan_digests(subs, now, report)
        self.plan_alerts(subs, now, report)
        self.plan_watch_alerts(now, report)
        return report

    def plan_watch_alerts(self, now: datetime, report: PlanReport | None = None) -> PlanReport:
        """A delivery per channel for each watchlist rescreen with changes in the alert
        window (:mod:`briefing.watch.alerts`)."""
        now = require_aware(now)
        report = report if report is not None else PlanReport()
        report.planned.extend(
            plan_watch_alerts(self.engine, self.ledger, now, self.alert_window, self.owner)
        )
        return report

    @staticmethod
    def window_start(now: datetime, watermark: datetime | None) -> datetime:
        if watermark is None:
            return now - FIRST_LOOKBACK
        return max(min(watermark, now) - OVERLAP, now - MAX_LOOKBACK)

    def plan_digests(
        self, subs: list[Subscription], now: datetime, report: PlanReport | None = None
    ) -> PlanReport:
        """Plan (or record as skipped) every digest due since the watermark; move it to ``now``."""
        now = require_aware(now)
        report = report if report is not None else PlanReport()
        watermark = self.ledger.watermark()
        if watermark is None:  # a new ledger: keep what an older version already sent
            self.ledger.import_legacy(now)
        self._plan_digests(subs, self.window_start(now, watermark), now, report)
        if self._repaired_at is None or now - self._repaired_at >= WATERMARK_EVERY:
            self.repair(subs, now, report)
            self._repaired_at = now
        if watermark is None or now - watermark >= WATERMARK_EVERY:
            self.ledger.advance_watermark(now)
        return report

    def _plan_digests(
        self, subs: list[Subscription], start: datetime, now: datetime, report: PlanReport
    ) -> None:
        candidates: list[tuple[Subscription, date, datetime, str]] = []
        for sub in subs:
            if TOPIC_DIGEST not in sub.topics:
                continue
            try:
                days = digest_days_due(sub, start, now)
            except (ZoneInfoNotFoundError, ValueError):
                log.error("subscription %s has an unknown time zone %r", sub.schedule_id, sub.tz)
                continue
            for day, due in days:
                candidates.append((sub, day, due, digest_delivery_id(sub.schedule_id, day)))
        if not candidates:
            return
        known = self.ledger.existing_runs(c[3] for c in candidates)
        runs: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        late: dict[str, tuple[datetime, timedelta]] = {}
        for sub, day, due, delivery_id in candidates:
            if delivery_id in known:
                continue
            stale = now - due > self.stale_after
            runs.append(
                {
                    "run_id": delivery_id,
                    "kind": KIND_DIGEST,
                    "schedule_id": sub.schedule_id,
                    "period": day.isoformat(),
                    "due_at": due,
                    "status": (RunStatus.SKIPPED if stale else RunStatus.PLANNED).value,
                    "planned_at": now,
                    "planned_by": self.owner,
                }
            )
            if stale:
                late[delivery_id] = (due, now - due)
            rows.append(self._digest_row(sub, day, due, now, stale=stale))
        # One transaction; the run decides: only the process that inserted it inserts its
        # delivery.
        new_runs, _ = self.ledger.insert_planned(runs, rows, name="plan_digests")
        self._report(rows, new_runs, late, report)

    def _digest_row(
        self, sub: Subscription, day: date, due: datetime, now: datetime, *, stale: bool
    ) -> dict[str, Any]:
        zone = ZoneInfo(sub.tz)
        delivery_id = digest_delivery_id(sub.schedule_id, day)
        return {
            "delivery_id": delivery_id,
            "run_id": delivery_id,
            "kind": KIND_DIGEST,
            "topic": TOPIC_DIGEST,
            "platform": sub.channel.platform,
            "workspace_id": sub.channel.workspace_id,
            "channel_id": sub.channel.channel_id,
            "local_day": day,
            "label": f"{due.astimezone(zone):%H:%M} {sub.tz}",
            "update_id": None,
            "status": (DeliveryStatus.SKIPPED if stale else DeliveryStatus.PENDING).value,
            "due_at": due,
            "expires_at": due + self.stale_after,
            "next_attempt_at": due,
            "created_at": now,
            "finished_at": now if stale else None,
            "last_error": "stale" if stale else None,
        }

    def _report(
        self,
        rows: list[dict[str, Any]],
        inserted_runs: set[str],
        late: dict[str, tuple[datetime, timedelta]],
        report: PlanReport,
    ) -> None:
        for row in rows:
            delivery_id = row["delivery_id"]
            if row["run_id"] not in inserted_runs:
                continue
            if delivery_id in late:
                due, age = late[delivery_id]
                log.warning(
                    "digest %s was due at %s, %s ago; skipped (more than %s late)",
                    delivery_id,
                    due.isoformat(),
                    age,
                    self.stale_after,
                )
                report.skipped.append(delivery_id)
            else:
                report.planned.append(delivery_id)

    def repair(
        self, subs: list[Subscription], now: datetime, report: PlanReport | None = None
    ) -> PlanReport:
        """Give each digest run of the last week that has no delivery (a crash between two
        writes of an older version) its delivery: pending when still due, skipped when too late
        or when the channel's subscription is gone."""
        now = require_aware(now)
        report = report if report is not None else PlanReport()
        orphans = self.ledger.orphan_digest_runs(now - MAX_LOOKBACK)
        if not orphans:
            return report
        by_schedule = {s.schedule_id: s for s in subs if TOPIC_DIGEST in s.topics}
        rows: list[dict[str, Any]] = []
        late: dict[str, tuple[datetime, timedelta]] = {}
        for orphan in orphans:
            sub = by_schedule.get(orphan.schedule_id)
            try:
                day = date.fromisoformat(orphan.period)
            except ValueError:
                log.error("run %s has a period that is not a day: %r", orphan.run_id, orphan.period)
                continue
            if sub is None:
                rows.append(self._gone_row(orphan, day, now))
                continue
            stale = now - orphan.due_at > self.stale_after
            if stale:
                late[orphan.run_id] = (orphan.due_at, now - orphan.due_at)
            rows.append(self._digest_row(sub, day, orphan.due_at, now, stale=stale))
        _, inserted = self.ledger.insert_planned([], rows, name="plan_repair", only_new_runs=False)
        log.warning(
            "repaired %d digest run(s) that had no delivery (written by an older version)",
            len(inserted),
        )
        self._report([r for r in rows if r["delivery_id"] in inserted], inserted, late, report)
        return report

    def _gone_row(self, orphan: OrphanRun, day: date, now: datetime) -> dict[str, Any]:
        """A skipped delivery for a run whose channel no longer wants its digest."""
        platform, workspace_id, channel_id = _channel_of(orphan.schedule_id)
        return {
            "delivery_id": orphan.run_id,
            "run_id": orphan.run_id,
            "kind": KIND_DIGEST,
            "topic": TOPIC_DIGEST,
            "platform": platform,
            "workspace_id": workspace_id,
            "channel_id": channel_id,
            "local_day": day,
            "label": None,
            "update_id": None,
            "status": DeliveryStatus.SKIPPED.value,
            "due_at": orphan.due_at,
            "expires_at": orphan.due_at + self.stale_after,
            "next_attempt_at": orphan.due_at,
            "created_at": now,
            "finished_at": now,
            "last_error": "subscription gone",
        }

    def plan_alerts(
        self, subs: list[Subscription], now: datetime, report: PlanReport | None = None
    ) -> PlanReport:
        now = require_aware(now)
        report = report if report is not None else PlanReport()
        updates = recent_updates(self.engine, now, self.alert_window)
        if not updates:
            return report
        self.ledger.import_legacy(now)
        runs = [
            {
                "run_id": alert_run_id(update_id),
                "kind": KIND_ALERT,
                "schedule_id": "alert",
                "period": update_id,
                "due_at": detected_at,
                "status": RunStatus.PLANNED.value,
                "planned_at": now,
                "planned_by": self.owner,
            }
            for update_id, _topic, detected_at in updates
        ]
        existing = self.ledger.existing_deliveries(str(r["run_id"]) for r in runs)
        rows: list[dict[str, Any]] = []
        for update_id, topic, detected_at in updates:
            for sub in subs:
                # Subscribed after the update was detected: the digest tells it.
                if not sub.wants(topic) or detected_at < sub.updated_at:
                    continue
                delivery_id = alert_delivery_id(update_id, sub.channel)
                if delivery_id in existing:
                    continue
                rows.append(
                    {
                        "delivery_id": delivery_id,
                        "run_id": alert_run_id(update_id),
                        "kind": KIND_ALERT,
                        "topic": topic,
                        "platform": sub.channel.platform,
                        "workspace_id": sub.channel.workspace_id,
                        "channel_id": sub.channel.channel_id,
                        "local_day": None,
                        "label": None,
                        "update_id": update_id,
                        "status": DeliveryStatus.PENDING.value,
                        "due_at": detected_at,
                        "expires_at": detected_at + self.alert_window,
                        "next_attempt_at": detected_at,
                        "created_at": now,
                    }
                )
        known = self.ledger.existing_runs(str(r["run_id"]) for r in runs)
        runs = [r for r in runs if r["run_id"] not in known]
        if not runs and not rows:
            return report
        # Runs and deliveries in one transaction. A run already there (planned by an earlier
        # pass or another planner) still gets the deliveries it lacks: inserting a delivery
        # is itself idempotent, and a channel subscribed before the update always wants it.
        _, inserted = self.ledger.insert_planned(
            runs, rows, name="plan_alerts", only_new_runs=False
        )
        report.planned.extend(r["delivery_id"] for r in rows if r["delivery_id"] in inserted)
        return report


def _channel_of(schedule_id: str) -> tuple[str, str, str]:
    """``sub:slack:T1:C1`` → (``slack``, ``T1``, ``C1``)."""
    parts = schedule_id.split(":", 3)
    if len(parts) != 4:
        return ("unknown", "unknown", schedule_id)
    return (parts[1], parts[2], parts[3])


def recent_updates(
    engine: Engine, now: datetime, window: timedelta
) -> list[tuple[str, str, datetime]]:
    """(update id, topic, detected at) of updates detected in ``(now - window, now]``, oldest
    first."""
    t = updates_table.c
    # A day's slack in SQL, exact in Python: SQLite keeps timestamps without their offset.
    stmt = select(t.update_id, t.topic, t.detected_at).where(
        t.detected_at > now - window - timedelta(days=1)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    found = []
    for update_id, topic, detected_at in rows:
        at = utc(detected_at)
        if now - window < at <= now:
            found.append((str(update_id), str(topic), at))
    return sorted(found, key=lambda r: (r[2], r[0]))
