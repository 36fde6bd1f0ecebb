"""The delivery service: each subscribed channel's daily digest and the update alerts, on
every platform (Slack, Discord, the console) the same way.

The pieces (docs/delivery.md):

- :mod:`.planner` turns subscriptions and updates into ledger rows, once per period;
- :mod:`.ledger` is the database's record of what is owed, claimed, sent, failed, skipped;
- :mod:`.worker` claims due rows under a lease, posts them, settles them;
- :mod:`.compose` writes what is posted (the worker is handed it);
- :mod:`.leader` picks the one process (of several on PostgreSQL) that fires the planner;
- APScheduler (:mod:`.timer`) is only the timer that wakes the planner once a minute.

:func:`start_delivery` runs all of that in a process. :func:`deliver_due` and
:func:`deliver_alerts` do one synchronous pass at a given ``now`` (plan, then post what is
due), which is what the tests drive. The behaviour is the same either way: one
digest per channel per local day (DST included), up to 6 hours late and skipped after that,
alerts once per (update, channel) to channels subscribed to the update's topic, a permanent
error pauses the subscription and tells the admin.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from briefing.appstate import Briefing
from briefing.clock import require_aware
from briefing.delivery import metrics
from briefing.delivery.compose import DeliveryReplies
from briefing.delivery.leader import LocalLeader, PostgresLeader, make_leadership
from briefing.delivery.ledger import KIND_ALERT, KIND_DIGEST, KIND_WATCH
from briefing.delivery.planner import (
    ALERT_WINDOW,
    DEFAULT_STALE_AFTER,
    Planner,
)
from briefing.delivery.poster import Poster
from briefing.delivery.schedule import local_schedule, next_digest_at
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.delivery.timer import make_scheduler

if TYPE_CHECKING:
    from briefing.feeds.service import FetchService

from briefing.delivery.worker import (
    DeliveryReport,
    Outcome,
    Worker,
    WorkerConfig,
)
from briefing.feeds.catalog import scheduled_feeds
from briefing.feeds.service import FetchService
from briefing.settings import Settings

log = logging.getLogger(__name__)

TICK_SECONDS = 60

__all__ = [
    "ALERT_WINDOW",
    "DEFAULT_STALE_AFTER",
    "TICK_SECONDS",
    "DeliveryReport",
    "DeliveryService",
    "deliver_alerts",
    "deliver_due",
    "local_schedule",
    "next_digest_at",
    "run_tick",
    "start_delivery",
    "worker_config",
]


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        lease=timedelta(seconds=settings.delivery_lease_s),
        retry_base=timedelta(seconds=settings.delivery_retry_base_s),
        channel_interval_s=settings.delivery_channel_interval_s,
        workspace_concurrency=settings.delivery_workspace_concurrency,
        concurrency=settings.delivery_concurrency,
        claim_batch=settings.delivery_claim_batch,
        chart_attempts=settings.delivery_chart_attempts,
    )


def stale_after_of(settings: Settings) -> timedelta:
    return timedelta(hours=settings.delivery_stale_after_h)


def _count(outcome: Outcome, _delivery: object) -> None:
    metrics.OUTCOMES.labels(outcome.value).inc()


def deliver_due(
    brief: Briefing,
    poster: Poster,
    now: datetime,
    *,
    stale_after: timedelta | None = None,
) -> DeliveryReport:
    """Plan the digests due by ``now``, then post every digest that is due and not yet posted."""
    now = require_aware(now)
    stale = stale_after if stale_after is not None else stale_after_of(brief.settings)
    planner = Planner(brief.engine, stale_after=stale)
    plan = planner.plan_digests(SubscriptionStore(brief.engine).active(), now)
    worker = Worker(
        brief,
        poster,
        DeliveryReplies(brief),
        config=worker_config(brief.settings),
        observe=_count,
    )
    report = worker.run_once(now, kinds=[KIND_DIGEST])
    report.skipped[:0] = plan.skipped
    return report


def deliver_alerts(
    brief: Briefing,
    poster: Poster,
    now: datetime,
    *,
    window: timedelta = ALERT_WINDOW,
) -> DeliveryReport:
    """Plan each update detected recently for the channels subscribed to its topic, and each
    watchlist rescreen with changes for its channel, then post every alert that is due and not
    yet posted."""
    now = require_aware(now)
    planner = Planner(brief.engine, alert_window=window)
    planner.plan_alerts(SubscriptionStore(brief.engine).active(), now)
    planner.plan_watch_alerts(now)
    worker = Worker(
        brief,
        poster,
        DeliveryReplies(brief),
        config=worker_config(brief.settings),
        observe=_count,
    )
    return worker.run_once(now, kinds=[KIND_ALERT, KIND_WATCH])


def run_tick(brief: Briefing, poster: Poster, now: datetime) -> None:
    """One synchronous pass: digests, then alerts; a failure in one is logged and never stops
    the other."""
    try:
        deliver_due(brief, poster, now)
    except Exception:
        log.exception("the digest delivery tick failed")
    try:
        deliver_alerts(brief, poster, now)
    except Exception:
        log.exception("the alert delivery tick failed")


class DeliveryService:
    """A process's share of delivery: worker threads always; the planning timer while leader."""

    def __init__(
        self,
        brief: Briefing,
        poster: Poster,
        *,
        config: WorkerConfig | None = None,
        tick_s: float | None = None,
        name: str | None = None,
    ) -> None:
        settings = brief.settings
        self.brief = brief
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.tick_s = tick_s if tick_s is not None else settings.delivery_tick_s
        self.planner = Planner(brief.engine, stale_after=stale_after_of(settings), owner=self.name)
        self.worker = Worker(
            brief,
            poster,
            DeliveryReplies(brief),
            config=config or worker_config(settings),
            owner=f"{self.name}:{os.urandom(3).hex()}",
            observe=_count,
        )
        self.scheduler: BackgroundScheduler = make_scheduler()
        self.leadership: LocalLeader | PostgresLeader = make_leadership(
            brief.engine, on_elected=self.plan_soon, name=self.name
        )
        if isinstance(self.leadership, PostgresLeader):
            self.leadership.retry_s = min(settings.delivery_leader_retry_s, 5.0)
        self._plan_lock = threading.Lock()
        self.fetcher = self._fetcher()

    def _fetcher(self) -> FetchService | None:
        """The scheduled fetch of the live data feeds (FEEDS), run while this process leads."""
        feeds = scheduled_feeds(self.brief.settings)
        if not feeds:
            return None
        return FetchService(
            self.brief,
            feeds,
            leadership=self.leadership,
            notify=self.notify_admins,
            on_new_data=self.plan_soon,
            scheduler=self.scheduler,
        )

    def notify_admins(self, text: str) -> None:
        """A private note to each admin who set up a subscription (once per workspace)."""
        told: set[tuple[str, str, str]] = set()
        for sub in SubscriptionStore(self.brief.engine).active():
            key = (sub.channel.platform, sub.channel.workspace_id, sub.created_by)
            if key in told:
                continue
            told.add(key)
            try:
                self.worker.poster.notify_user(sub.channel, sub.created_by, text)
            except Exception:
                log.warning("could not tell %s: %s", sub.created_by, text, exc_info=True)

    def start(self) -> DeliveryService:
        metrics.watch_ledger(self.brief.engine)
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.tick_s),
            id="delivery",
            next_run_time=datetime.now(UTC),  # first tick at start, not a minute later
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
            replace_existing=True,
        )
        if self.fetcher is not None:
            self.fetcher.start()
        self.scheduler.start()
        self.worker.start()
        self.leadership.start()
        log.info(
            "delivery started (%s): planning every %g s when leader, %d posts at once",
            self.name,
            self.tick_s,
            self.worker.config.concurrency,
        )
        return self

    def plan_soon(self) -> None:
        """Run the planner now (on the timer's thread) rather than at the next tick."""
        try:
            self.scheduler.modify_job("delivery", next_run_time=datetime.now(UTC))
        except Exception:
            log.debug("could not bring the planning tick forward", exc_info=True)

    def tick(self) -> None:
        leading = self.leadership.is_leader
        metrics.LEADER.set(1 if leading else 0)
        if not leading:
            return
        self.plan(datetime.now(UTC))

    def plan(self, now: datetime) -> None:
        with self._plan_lock:
            try:
                report = self.planner.plan(now)
            except Exception:
                log.exception("planning deliveries failed; the next tick tries again")
                return
        if report.planned:
            metrics.PLANNED.labels("planned").inc(len(report.planned))
            log.info("planned %d deliveries", len(report.planned))
            self.worker.wake()
        if report.skipped:
            metrics.PLANNED.labels("skipped").inc(len(report.skipped))

    def shutdown(self, wait: bool = True) -> None:
        try:
            self.scheduler.shutdown(wait=wait)
        except Exception:
            log.debug("scheduler already stopped", exc_info=True)
        self.leadership.stop()
        self.worker.stop(timeout_s=10.0 if wait else 2.0)
        metrics.LEADER.set(0)


def start_delivery(
    brief: Briefing, poster: Poster, *, tick_s: float | None = None
) -> DeliveryService:
    """Start this process's delivery (workers, leader election, the planning timer); the
    caller shuts it down with ``.shutdown()``."""
    return DeliveryService(brief, poster, tick_s=tick_s).start()
