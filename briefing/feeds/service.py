"""The scheduled fetch inside ``bot.py run``: each feed on its own interval, with jitter, by the
leader only.

A timer job looks every ``FETCH_TICK_S`` for feeds that are due. Only the process that leads
(the delivery planner's leadership: one of several replicas on PostgreSQL) looks at all, and a
run is claimed in the database before it starts (:func:`briefing.feeds.state.claim`), so a
feed is fetched once per interval even while leadership changes hands. Each run's next time is
its interval plus a random delay of up to ``FETCH_JITTER_S``; a new installation's first runs
are spread over that jitter too.

New data reaches the other replicas through the data generation counter, as a manual ingest
does; its update alerts go through the delivery ledger (``on_new_data`` asks the planner to
plan them now rather than at its next tick). After ``FETCH_FAILURES_BEFORE_NOTICE`` failed runs
in a row the admins are told once, and told again when the feed recovers.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from briefing.appstate import Briefing
from briefing.delivery.leader import Leadership
from briefing.delivery.timer import make_scheduler
from briefing.feeds.catalog import Feed
from briefing.feeds.fetch import FetchContext, FetchReport, run_feed
from briefing.feeds.http import Limits
from briefing.feeds.state import ensure_row
from briefing.replies import format_date

log = logging.getLogger(__name__)

JOB_ID = "feeds"


def notice_text(report: FetchReport) -> str | None:
    """What the admins are told when a run says so (``report.tell``), or None."""
    state = report.state
    feed = report.feed
    if report.tell == "failing" and state is not None:
        serving = (
            f"the data of {format_date(state.data_date)} keeps serving"
            if state.data_date
            else "the data loaded before keeps serving"
        )
        return (
            f"{feed.title}: the last {state.failures} fetches failed; {serving}. The latest: "
            f"{report.message.removeprefix(feed.title + ': ')} — I will say when it works again."
        )
    if report.tell == "recovered":
        return (
            f"{feed.title}: fetching works again — {report.message.removeprefix(feed.title + ': ')}"
        )
    return None


class FetchService:
    """Runs the scheduled feeds; ``tick`` is one look at what is due (the tests call it)."""

    def __init__(
        self,
        brief: Briefing,
        feeds: tuple[Feed, ...],
        *,
        leadership: Leadership,
        notify: Callable[[str], None] | None = None,
        on_new_data: Callable[[], None] | None = None,
        scheduler: BackgroundScheduler | None = None,
        context: FetchContext | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.brief = brief
        self.feeds = feeds
        self.leadership = leadership
        self.notify = notify
        self.on_new_data = on_new_data
        self.rng = rng or random.Random()
        self.context = context or FetchContext(limits=Limits.of(brief.settings))
        self._own_scheduler = scheduler is None
        self.scheduler = scheduler
        self.reports: list[FetchReport] = []  # the runs of this process, newest last

    def _jitter(self) -> timedelta:
        return timedelta(seconds=self.rng.uniform(0, self.brief.settings.fetch_jitter_s))

    def prepare(self, now: datetime) -> None:
        """Give each new feed its first run: within the jitter from ``now``."""
        for feed in self.feeds:
            ensure_row(self.brief.engine, feed.name, now + self._jitter())

    def start(self) -> FetchService:
        self.prepare(datetime.now(UTC))
        if self.scheduler is None:
            self.scheduler = make_scheduler()
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.brief.settings.fetch_tick_s),
            id=JOB_ID,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
            replace_existing=True,
        )
        if self._own_scheduler:
            self.scheduler.start()
        names = ", ".join(f"{f.name} every {f.every}" for f in self.feeds)
        log.info("scheduled fetch started: %s (the leader fetches)", names)
        return self

    def tick(self, now: datetime | None = None) -> list[FetchReport]:
        """Fetch every feed that is due, if this process leads; the runs made."""
        if not self.leadership.is_leader:
            return []
        done = []
        for feed in self.feeds:
            at = now or datetime.now(UTC)
            try:
                report = run_feed(
                    self.brief,
                    feed,
                    self.context,
                    at,
                    scheduled_next=at + feed.every + self._jitter(),
                )
            except Exception:
                log.exception("the scheduled fetch of %s failed", feed.name)
                continue
            if report.outcome is None:  # not due, or another process has it
                continue
            done.append(report)
            self.reports.append(report)
            self._after(report)
        return done

    def _after(self, report: FetchReport) -> None:
        if report.updates and self.on_new_data is not None:
            try:
                self.on_new_data()
            except Exception:
                log.exception("could not ask for the new data's alerts to be planned")
        text = notice_text(report)
        if text is None:
            return
        log.warning("telling the admins: %s", text)
        if self.notify is not None:
            try:
                self.notify(text)
            except Exception:
                log.exception("could not tell the admins about %s", report.feed.name)

    def shutdown(self) -> None:
        if self.scheduler is None:
            return
        try:
            if self._own_scheduler:
                self.scheduler.shutdown(wait=False)
            else:
                self.scheduler.remove_job(JOB_ID)
        except Exception:
            log.debug("the fetch timer was already stopped", exc_info=True)
