"""The worker: claims due deliveries from the ledger, posts them, records the outcome.

Every replica runs workers; each thread loops *claim one → post → settle*. A claim is a lease
(``lease_owner``, ``lease_until``): a worker that dies mid-post leaves its row ``sending`` and,
once the lease runs out, another worker takes it over — as an attempt *in doubt*.

Exactly once, as far as the platform lets us:

- Before posting a delivery that is in doubt (an earlier attempt timed out, lost its
  connection, got a 5xx, or its worker died), a poster that implements
  :class:`~.poster.FindsDeliveries` is asked whether the message is already in the channel
  (Slack: the delivery id travels in the message metadata and is looked up with
  ``conversations.history``). Found → marked sent with that message id, not posted again.
- A lease is renewed (a fence) before posting when it is older than a third of its length, so
  a worker that stalled and lost its row never posts it.

Charts: a digest is done when its text and its chart are posted. Where the chart is a second
call (Slack's file upload: :class:`~.poster.PostsCharts`), the text's message id is recorded
first; every later attempt of that delivery is about the chart alone (looked up in the channel
first when in doubt), so the text is never posted twice and the chart once. After
``chart_attempts`` failed uploads (or a permanent error, or the delivery's expiry) the chart is
recorded ``failed`` and the message is edited to say so.

Failures: a transient one puts the row back to ``pending`` with ``next_attempt_at`` after an
exponential backoff, or after ``Retry-After`` for a 429 (that channel's other deliveries wait
too, in every replica); a permanent one (channel gone, bot removed, token revoked) marks it
``failed``, pauses the subscription and tells the admin who set it up. A row past its
``expires_at`` (digest: 6 h after its time; alert: 24 h after detection) is skipped.

Pacing (:class:`Pacer`): at most one message per second per channel and at most
``workspace_concurrency`` posts at once per workspace, per process.

Fan-out (:meth:`Worker.start`): ``concurrency`` threads post, each one delivery at a time; one
claimer thread leases rows for them in batches — one ``UPDATE … RETURNING`` (``SKIP LOCKED`` on
PostgreSQL) for up to ``claim_batch`` rows, at most ``workspace_concurrency`` of one workspace,
none of a workspace whose rows in hand already fill its slots — keeps up to half as many rows
again queued for the threads, and reads each batch's subscriptions in one query. Every row is
settled in the order the crash guarantees need (the text recorded before its chart is
uploaded); with several threads the settling writes wait for a group commit
(:class:`~.ledger.GroupWriter`), so one transaction records many rows.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Protocol

from briefing.appstate import Briefing
from briefing.delivery.ledger import (
    KIND_WATCH,
    ChartStatus,
    Delivery,
    Ledger,
    channel_label,
)
from briefing.delivery.poster import (
    ChannelRef,
    ChartOutcome,
    FindsDeliveries,
    Poster,
    PostError,
    PostResult,
    PostsCharts,
)
from briefing.delivery.subscriptions import Subscription, SubscriptionStore
from briefing.replies import Reply
from briefing.watch.alerts import watch_recipient

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    lease: timedelta = timedelta(seconds=120)
    retry_base: timedelta = timedelta(seconds=30)
    retry_cap: timedelta = timedelta(minutes=15)
    # How far before an in-doubt attempt to search the channel (clock skew, slow requests).
    history_margin: timedelta = timedelta(seconds=60)
    channel_interval_s: float = 1.0
    workspace_concurrency: int = 4
    # Posts in flight at once in this process (one thread each, waiting on the platform).
    concurrency: int = 64
    # At most this many rows per claim (one statement). Rows in hand (posting, or queued for a
    # thread) are kept up to ``concurrency`` and half as many again, so a thread that is done
    # finds its next row waiting; a claim waits up to ``claim_gather_s`` for room for a
    # quarter of that, so it is one statement for many rows.
    claim_batch: int = 64
    claim_gather_s: float = 0.05
    poll_s: float = 1.0
    # Chart uploads tried before the chart is given up (and the message says so).
    chart_attempts: int = 3


# The chart id recorded when the chart went with its message (Discord).
CHART_WITH_MESSAGE = "with message"


class Outcome(Enum):
    POSTED = "posted"
    RECOVERED = "recovered"  # an in-doubt attempt had in fact posted: found, not re-posted
    RETRY = "retry"
    FAILED = "failed"  # permanent: subscription paused
    SKIPPED = "skipped"  # expired, or the subscription went away
    LOST = "lost"  # our lease was taken over meanwhile; the new owner decides
    # Posted; recorded as sent when its write commits, and observed (POSTED, RECOVERED or
    # LOST) then: the posting thread did not wait (many posting threads, grouped writes).
    SETTLING = "settling"


@dataclass
class DeliveryReport:
    """What one pass did; each entry is a delivery id (``sub:…:2024-03-08``, ``alert:…``)."""

    posted: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # found already posted, not re-posted
    skipped: list[str] = field(default_factory=list)  # too late, or unsubscribed: not sent
    retry: list[str] = field(default_factory=list)  # transient failure: tried again later
    paused: list[str] = field(default_factory=list)  # permanent failure: subscription paused

    def add(self, outcome: Outcome, delivery_id: str) -> None:
        target = {
            Outcome.POSTED: self.posted,
            Outcome.RECOVERED: self.recovered,
            Outcome.RETRY: self.retry,
            Outcome.FAILED: self.paused,
            Outcome.SKIPPED: self.skipped,
        }.get(outcome)
        if target is not None:
            target.append(delivery_id)


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """``base · 2^(attempts-1)``, at most ``cap``, shortened by up to 10% so retries spread."""
    delay: timedelta = min(base * (2 ** max(attempts - 1, 0)), cap)
    return delay * (1 - 0.1 * random.random())


class Pacer:
    """At most one post per ``interval_s`` per channel, ``limit`` posts at once per workspace.

    ``acquire`` blocks (bounded by the caller's deadline); a Retry-After pushes the channel's
    next allowed time. Per process: replicas share Retry-After through the ledger instead.
    """

    def __init__(
        self,
        interval_s: float = 1.0,
        limit: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval_s = interval_s
        self.limit = max(limit, 1)
        self._clock = clock
        self._cond = threading.Condition()
        self._next_at: dict[ChannelRef, float] = {}
        self._active: dict[tuple[str, str], int] = {}

    @staticmethod
    def _workspace(channel: ChannelRef) -> tuple[str, str]:
        return (channel.platform, channel.workspace_id)

    def saturated(self) -> list[tuple[str, str]]:
        with self._cond:
            return [w for w, n in self._active.items() if n >= self.limit]

    def acquire(self, channel: ChannelRef, deadline: float, *, message: bool = True) -> bool:
        """Wait for a workspace slot and, for a message, the channel's turn; False if
        ``deadline`` passes. A chart upload (``message=False``) is not a message: it takes a
        workspace slot but neither waits for nor uses up the channel's one message a second."""
        workspace = self._workspace(channel)
        with self._cond:
            while True:
                now = self._clock()
                wait = deadline - now
                if wait <= 0:
                    return False
                if self._active.get(workspace, 0) >= self.limit:
                    self._cond.wait(min(wait, 1.0))
                    continue
                turn = self._next_at.get(channel, 0.0) if message else 0.0
                if turn > now:
                    self._cond.wait(min(wait, turn - now))
                    continue
                self._active[workspace] = self._active.get(workspace, 0) + 1
                if not message:
                    return True
                self._next_at[channel] = now + self.interval_s
                if len(self._next_at) > 50_000:  # forget channels whose turn has long come
                    self._next_at = {c: t for c, t in self._next_at.items() if t > now}
                return True

    def release(self, channel: ChannelRef, retry_after_s: float | None = None) -> None:
        workspace = self._workspace(channel)
        with self._cond:
            left = self._active.get(workspace, 1) - 1
            if left > 0:
                self._active[workspace] = left
            else:
                self._active.pop(workspace, None)
            if retry_after_s:
                until = self._clock() + retry_after_s
                self._next_at[channel] = max(self._next_at.get(channel, 0.0), until)
            self._cond.notify_all()

    def hold(self, channel: ChannelRef, seconds: float) -> None:
        with self._cond:
            until = self._clock() + seconds
            self._next_at[channel] = max(self._next_at.get(channel, 0.0), until)


class Compose(Protocol):
    """What the worker posts, written elsewhere (:class:`~.compose.DeliveryReplies`): the
    worker itself writes no text."""

    def reply(self, delivery: Delivery) -> Reply | None:
        """The reply ``delivery`` posts; None when what it announces is gone (skipped)."""
        ...

    def without_chart(self, reply: Reply, reason: str) -> Reply:
        """``reply`` once its chart was given up: the chart left out, the reason told."""
        ...

    def paused(self, sub: Subscription, code: str) -> str:
        """The note to the admin whose subscription a permanent error paused."""
        ...


Observer = Callable[[Outcome, Delivery], None]


class _Unknown:
    """Not read yet: :meth:`Worker.process` reads the subscription itself."""


_UNKNOWN = _Unknown()
# A claimed row on its way to a posting thread: the row, its subscription as read with the
# claim (None: there is none), ``time.monotonic()`` just before the claim.
_Claimed = tuple[Delivery, "Subscription | _Unknown | None", float]


class Worker:
    """Claims and posts deliveries. :meth:`run_once` for one pass at a given ``now``;
    :meth:`start` for threads that run until :meth:`stop`."""

    def __init__(
        self,
        brief: Briefing,
        poster: Poster,
        compose: Compose,
        *,
        config: WorkerConfig | None = None,
        owner: str | None = None,
        clock: Clock = utc_now,
        check_history: bool = True,
        observe: Observer | None = None,
    ) -> None:
        self.brief = brief
        self.poster = poster
        self.config = config or WorkerConfig()
        self.owner = owner or f"worker-{uuid.uuid4().hex[:12]}"
        self.clock = clock
        # Off only to prove, in tests, that without the check a lost answer posts twice.
        self.check_history = check_history
        self.observe = observe
        self.ledger = Ledger(brief.engine)
        self.store = SubscriptionStore(brief.engine)
        self.pacer = Pacer(self.config.channel_interval_s, self.config.workspace_concurrency)
        self.compose = compose
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        # Claimed rows on their way to a posting thread; None tells a thread to stop.
        self._queue: queue.SimpleQueue[_Claimed | None] = queue.SimpleQueue()
        self._slots = threading.Condition()
        self._room = 0  # rows the claimer may still take (in hand: posting or queued)
        self._held: dict[tuple[str, str], int] = {}  # rows claimed and not done, by workspace
        # Whether a delivery's last write (sent) is left to commit while its thread goes on.
        self._settle_later = False

    # -- one pass ------------------------------------------------------------------------------

    def run_once(
        self, now: datetime, *, kinds: Iterable[str] | None = None, limit: int = 100_000
    ) -> DeliveryReport:
        """Post, one at a time, every delivery due at ``now``; rows retried later stay pending."""
        report = DeliveryReport()
        kinds = list(kinds) if kinds is not None else None
        for _ in range(limit):
            started = time.monotonic()
            claimed = self.ledger.claim(self.owner, now, self.config.lease, kinds=kinds)
            if not claimed:
                break
            for delivery in claimed:
                outcome = self.process(delivery, lambda: now, started)
                report.add(outcome, delivery.delivery_id)
        return report

    # -- threads -------------------------------------------------------------------------------

    def start(self) -> None:
        count = max(self.config.concurrency, 1)
        if count > 1:
            # Many posting threads: their settling writes are committed in groups, and the
            # last write of a delivery is not waited for.
            self.ledger.group_commits(max_batch=count)
            self._settle_later = True
        with self._slots:
            self._room = count + count // 2
        for i in range(count):
            thread = threading.Thread(target=self._post_loop, name=f"delivery-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        claimer = threading.Thread(target=self._claim_loop, name="delivery-claims", daemon=True)
        claimer.start()
        self._threads.append(claimer)
        log.info(
            "delivery worker %s started: %d posts at once, ≤ %d at once per workspace",
            self.owner,
            count,
            self.config.workspace_concurrency,
        )

    def wake(self) -> None:
        """New work was planned: stop idling."""
        with self._wake:
            self._wake.notify_all()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop claiming, give back the rows no thread has started (pending again at once,
        not in doubt), let the threads finish the posts they are making."""
        self._stop.set()
        self.wake()
        with self._slots:
            self._slots.notify_all()
        deadline = time.monotonic() + timeout_s
        claimers = [t for t in self._threads if t.name == "delivery-claims"]
        for thread in claimers:
            thread.join(max(0.0, deadline - time.monotonic()))
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                continue
            delivery = item[0]
            try:
                self.ledger.mark_retry(
                    delivery, "stopped", self.clock(), in_doubt=False, paced=True
                )
            except Exception:
                log.warning("could not give back %s on stop", delivery.delivery_id, exc_info=True)
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.ledger.close()

    def _busy_workspaces(self) -> list[tuple[str, str]]:
        """Workspaces whose claimed rows fill their slots: the next claim skips them."""
        limit = max(self.config.workspace_concurrency, 1)
        with self._slots:
            return [w for w, n in self._held.items() if n >= limit]

    def _wait_room(self) -> int:
        """Block until there is room for more rows in hand (waiting a moment for more, so a
        claim takes a batch); how many."""
        count = max(self.config.concurrency, 1)
        gather = max(1, min(self.config.claim_batch, (count + count // 2) // 4))
        with self._slots:
            while self._room <= 0 and not self._stop.is_set():
                self._slots.wait(1.0)
            deadline = time.monotonic() + self.config.claim_gather_s
            while self._room < gather and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._slots.wait(left)
            return self._room

    def _claim_loop(self) -> None:
        limit = max(self.config.workspace_concurrency, 1)
        while not self._stop.is_set():
            room = self._wait_room()
            if self._stop.is_set():
                return
            # The lease counts from before the claim: a slow claim must not stretch it.
            started = time.monotonic()
            try:
                claimed = self.ledger.claim(
                    self.owner,
                    self.clock(),
                    self.config.lease,
                    limit=min(room, max(self.config.claim_batch, 1)),
                    per_workspace=limit,
                    skip_workspaces=self._busy_workspaces(),
                )
            except Exception:
                log.exception("claiming deliveries failed; retrying shortly")
                claimed = []
            if not claimed:
                with self._wake:
                    self._wake.wait(self.config.poll_s * (0.5 + random.random()))
                continue
            try:
                subs = self.store.get_many(d.channel for d in claimed)
            except Exception:
                log.exception("reading the subscriptions of a claimed batch failed")
                subs = None
            with self._slots:
                self._room -= len(claimed)
                for delivery in claimed:
                    workspace = Pacer._workspace(delivery.channel)
                    self._held[workspace] = self._held.get(workspace, 0) + 1
            for delivery in claimed:
                sub = subs.get(delivery.channel) if subs is not None else _UNKNOWN
                self._queue.put((delivery, sub, started))

    def _post_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            delivery, sub, claimed_at = item
            try:
                self.process(delivery, self.clock, claimed_at, sub=sub)
            except Exception:
                # The lease runs out and another attempt (in doubt) takes it over.
                log.exception("delivering %s failed unexpectedly", delivery.delivery_id)
            finally:
                workspace = Pacer._workspace(delivery.channel)
                with self._slots:
                    left = self._held.get(workspace, 1) - 1
                    if left > 0:
                        self._held[workspace] = left
                    else:
                        self._held.pop(workspace, None)
                    self._room += 1
                    self._slots.notify_all()

    # -- one delivery --------------------------------------------------------------------------

    def process(
        self,
        delivery: Delivery,
        clock: Clock,
        claimed_at: float,
        *,
        sub: Subscription | _Unknown | None = _UNKNOWN,
    ) -> Outcome:
        """Deliver one claimed row; ``claimed_at``: ``time.monotonic()`` just before the claim.
        ``sub``: the channel's subscription when it was read with the claim (None: it has
        none); read here when not given."""
        outcome = self._process(delivery, clock, claimed_at, sub)
        if self.observe is not None and outcome is not Outcome.SETTLING:
            self.observe(outcome, delivery)
        return outcome

    def _process(
        self,
        delivery: Delivery,
        clock: Clock,
        claimed_at: float,
        known: Subscription | _Unknown | None,
    ) -> Outcome:
        log.debug(
            "claimed %s (attempt %d, lease until %s, in doubt since %s, text posted %s)",
            delivery.delivery_id,
            delivery.attempts,
            delivery.lease_until.isoformat(),
            delivery.in_doubt_since.isoformat() if delivery.in_doubt_since else None,
            delivery.text_posted,
        )
        sub = self.store.get(delivery.channel) if isinstance(known, _Unknown) else known
        if delivery.kind == KIND_WATCH:
            # A watchlist alert needs no subscription: the channel's watchlist is enough.
            sub = watch_recipient(self.brief.engine, delivery.channel, sub, delivery.due_at)
            wanted = sub is not None
        else:
            wanted = sub is not None and sub.is_active and sub.wants(delivery.topic)
        if delivery.text_posted:  # only its chart is owed
            return self._chart(delivery, sub if wanted else None, clock, claimed_at)
        if sub is None and delivery.kind == KIND_WATCH:
            log.info("%s not sent: the channel watches nothing now", delivery.delivery_id)
            self.ledger.mark_skipped(delivery, "watchlist empty", clock())
            return Outcome.SKIPPED
        if sub is None or not wanted:
            status = sub.status.value if sub is not None else "missing"
            log.info("%s not sent: the subscription is %s", delivery.delivery_id, status)
            self.ledger.mark_skipped(delivery, f"subscription {status}", clock())
            return Outcome.SKIPPED

        if delivery.in_doubt_since is not None and self.check_history:
            found = self._find(delivery, clock)
            if isinstance(found, Outcome):
                return found
            if found is not None:
                return self._found(delivery, sub, found, clock, claimed_at)

        now = clock()
        if now > delivery.expires_at:
            log.warning(
                "%s was due at %s and is still not sent; skipped (expired at %s)",
                delivery.delivery_id,
                delivery.due_at.isoformat(),
                delivery.expires_at.isoformat(),
            )
            self.ledger.mark_skipped(delivery, "expired", now)
            return Outcome.SKIPPED

        try:
            reply = self.compose.reply(delivery)
        except Exception:
            log.exception("building the reply for %s failed", delivery.delivery_id)
            return self._retry(delivery, "build_error", clock(), in_doubt=False)
        if reply is None:
            self.ledger.mark_skipped(delivery, "update gone", clock())
            return Outcome.SKIPPED

        lease_s = self.config.lease.total_seconds()
        if not self.pacer.acquire(delivery.channel, claimed_at + lease_s / 3):
            # Its workspace or channel stayed busy for too long: give the row back, for a second.
            return self._retry(
                delivery,
                "paced",
                clock() + timedelta(seconds=1),
                in_doubt=False,
                delay=False,
                paced=True,
            )
        retry_after: float | None = None
        try:
            if not self._fence(delivery, clock, claimed_at):
                return Outcome.LOST
            try:
                result = self.poster.post(delivery.channel, reply, delivery_id=delivery.delivery_id)
            except PostError as exc:
                retry_after = exc.retry_after_s
                return self._failed(delivery, sub, exc, clock)
            except Exception:
                # A bug in the adapter: keep the traceback; it may have posted, so in doubt.
                log.exception("posting %s raised; will retry", delivery.delivery_id)
                return self._retry(delivery, "adapter_error", clock(), in_doubt=True)
        finally:
            self.pacer.release(delivery.channel, retry_after)
        return self._posted(delivery, sub, reply, result, clock=clock, claimed_at=claimed_at)

    def _fence(self, delivery: Delivery, clock: Clock, claimed_at: float) -> bool:
        """Renew the lease right before posting when it is older than a third of its length;
        False (and not posted) when it was lost meanwhile."""
        lease_s = self.config.lease.total_seconds()
        if time.monotonic() - claimed_at <= lease_s / 3:
            return True
        if self.ledger.renew(delivery, clock(), self.config.lease):
            return True
        log.warning("lost the lease of %s before posting; not posted", delivery.delivery_id)
        return False

    def _posted(
        self,
        delivery: Delivery,
        sub: Subscription,
        reply: Reply,
        result: PostResult,
        *,
        clock: Clock,
        claimed_at: float,
    ) -> Outcome:
        """Record a posted message, and go on to its chart when that is a second call."""
        if reply.chart is not None and result.chart is ChartOutcome.SEPARATE:
            if not isinstance(self.poster, PostsCharts):
                log.error(
                    "%s: the poster left the chart to a second call it lacks", delivery.delivery_id
                )
                done = self.ledger.mark_sent(
                    delivery,
                    result.message_id,
                    clock(),
                    chart=ChartStatus.FAILED,
                    chart_error="poster cannot post charts",
                )
                return Outcome.POSTED if done else Outcome.LOST
            if not self.ledger.mark_text_posted(delivery, result.message_id, clock()):
                log.warning(
                    "posted %s but its lease had been taken over; the new owner will find it",
                    delivery.delivery_id,
                )
                return Outcome.LOST
            log.info("posted the text of %s; its chart follows", delivery.delivery_id)
            owed = replace(
                delivery,
                message_id=result.message_id or "posted",
                chart_status=ChartStatus.OWED,
                in_doubt_since=None,
            )
            return self._chart(owed, sub, clock, claimed_at, reply=reply)
        chart: ChartStatus | None = None
        if reply.chart is not None:
            chart = (
                ChartStatus.FAILED if result.chart is ChartOutcome.FAILED else ChartStatus.POSTED
            )
        if chart is ChartStatus.FAILED:
            log.warning(
                "posted %s without its chart (%s); the message says so",
                delivery.delivery_id,
                result.chart_error,
            )
        return self._record_sent(
            delivery,
            result.message_id,
            clock,
            success=Outcome.POSTED,
            chart=chart,
            chart_id=CHART_WITH_MESSAGE if chart is ChartStatus.POSTED else None,
            chart_error=result.chart_error,
            posted=f"posted {delivery.delivery_id}",
            lost=(
                f"posted {delivery.delivery_id} but its lease had been taken over; the new "
                "owner will find it"
            ),
        )

    def _find(self, delivery: Delivery, clock: Clock) -> Outcome | str | None:
        """Is the text of a delivery in doubt already in the channel? Its message id, None when
        it is not (or the platform cannot tell), or an Outcome when the look-up failed."""
        poster = self.poster
        if not isinstance(poster, FindsDeliveries):
            return None  # the platform deduplicates itself (Discord nonces), or cannot tell
        assert delivery.in_doubt_since is not None
        since = delivery.in_doubt_since - self.config.history_margin
        try:
            message_id = poster.find_delivery(delivery.channel, delivery.delivery_id, since)
        except PostError as exc:
            if exc.permanent:
                return None  # the channel is gone: posting will say so and pause it
            return self._lookup_failed(delivery, exc, clock)
        except Exception:
            log.exception("checking whether %s already posted raised", delivery.delivery_id)
            return self._retry(delivery, "history_error", clock(), in_doubt=False)
        if message_id is None:
            log.info("%s was in doubt and is not in the channel; posting", delivery.delivery_id)
        return message_id

    def _lookup_failed(self, delivery: Delivery, exc: PostError, clock: Clock) -> Outcome:
        log.warning(
            "could not check whether %s already posted (%s); will retry",
            delivery.delivery_id,
            exc.code,
        )
        wait = timedelta(seconds=exc.retry_after_s) if exc.retry_after_s else None
        return self._retry(delivery, f"history: {exc.code}", clock(), in_doubt=False, wait=wait)

    def _found(
        self,
        delivery: Delivery,
        sub: Subscription,
        message_id: str,
        clock: Clock,
        claimed_at: float,
    ) -> Outcome:
        """The text of a delivery in doubt had in fact posted: record it, never post it again;
        then its chart, if it has one that is a second call."""
        log.info("%s had in fact posted (%s); not posting again", delivery.delivery_id, message_id)
        reply: Reply | None
        try:
            reply = self.compose.reply(delivery)
        except Exception:
            log.exception("building the reply for %s failed", delivery.delivery_id)
            reply = None
        chart_later = isinstance(self.poster, PostsCharts) and (
            reply is None or reply.chart is not None
        )
        if not chart_later:
            if not self.ledger.mark_sent(delivery, message_id, clock()):
                return Outcome.LOST  # taken over meanwhile; the new owner finds it too
            return Outcome.RECOVERED
        # The chart of a recovered post was never tried: it is not in doubt.
        if not self.ledger.mark_text_posted(delivery, message_id, clock()):
            return Outcome.LOST
        owed = replace(
            delivery, message_id=message_id, chart_status=ChartStatus.OWED, in_doubt_since=None
        )
        return self._chart(owed, sub, clock, claimed_at, reply=reply, recovered=True)

    # -- the chart of a posted message -----------------------------------------------------------

    def _chart(
        self,
        delivery: Delivery,
        sub: Subscription | None,
        clock: Clock,
        claimed_at: float,
        *,
        reply: Reply | None = None,
        recovered: bool = False,
    ) -> Outcome:
        """Post the chart owed by a delivery whose text is posted (its row still ours);
        ``recovered``: its text had been found posted (the outcome is then RECOVERED)."""
        assert delivery.message_id is not None
        poster = self.poster
        if sub is None:
            log.info(
                "%s: the subscription went away; its chart is not posted", delivery.delivery_id
            )
            return self._chart_done(
                delivery, ChartStatus.FAILED, clock, error="unsubscribed", recovered=recovered
            )
        if not isinstance(poster, PostsCharts):
            return self._chart_done(
                delivery, ChartStatus.FAILED, clock, error="not supported", recovered=recovered
            )
        if reply is None:
            try:
                reply = self.compose.reply(delivery)
            except Exception:
                log.exception("building the reply for %s failed", delivery.delivery_id)
                if clock() > delivery.expires_at:
                    return self._chart_done(
                        delivery, ChartStatus.FAILED, clock, error="too late", recovered=recovered
                    )
                return self._retry(delivery, "build_error", clock(), in_doubt=False)
        if reply is None or reply.chart is None:
            log.warning("%s: its chart could not be drawn again", delivery.delivery_id)
            return self._chart_done(
                delivery, ChartStatus.FAILED, clock, error="no chart", recovered=recovered
            )

        if delivery.in_doubt_since is not None and self.check_history:
            since = delivery.in_doubt_since - self.config.history_margin
            try:
                chart_id = poster.find_chart(delivery.channel, delivery.delivery_id, since)
            except PostError as exc:
                chart_id = None
                if not exc.permanent:
                    return self._lookup_failed(delivery, exc, clock)
            except Exception:
                log.exception(
                    "checking whether the chart of %s posted raised", delivery.delivery_id
                )
                return self._retry(delivery, "history_error", clock(), in_doubt=False)
            if chart_id is not None:
                log.info(
                    "the chart of %s had in fact posted (%s); not posting it again",
                    delivery.delivery_id,
                    chart_id,
                )
                return self._chart_done(
                    delivery, ChartStatus.POSTED, clock, chart_id=chart_id, recovered=recovered
                )

        now = clock()
        if delivery.chart_attempts >= self.config.chart_attempts:
            return self._give_up_chart(
                delivery, reply, delivery.chart_error or "failed", clock, recovered=recovered
            )
        if now > delivery.expires_at:
            return self._give_up_chart(delivery, reply, "too late", clock, recovered=recovered)

        lease_s = self.config.lease.total_seconds()
        if not self.pacer.acquire(delivery.channel, claimed_at + lease_s / 3, message=False):
            return self._retry(
                delivery,
                "paced",
                clock() + timedelta(seconds=1),
                in_doubt=False,
                delay=False,
                paced=True,
            )
        retry_after: float | None = None
        try:
            if not self._fence(delivery, clock, claimed_at):
                return Outcome.LOST
            try:
                chart_id = poster.post_chart(
                    delivery.channel,
                    reply.chart,
                    delivery_id=delivery.delivery_id,
                    message_id=delivery.message_id,
                )
            except PostError as exc:
                retry_after = exc.retry_after_s
                if exc.permanent:
                    return self._give_up_chart(
                        delivery, reply, exc.code, clock, recovered=recovered
                    )
                log.warning(
                    "the chart of %s failed (%s); will retry", delivery.delivery_id, exc.code
                )
                wait = timedelta(seconds=exc.retry_after_s) if exc.retry_after_s else None
                return self._retry(
                    delivery,
                    f"chart: {exc.code}",
                    clock(),
                    in_doubt=exc.retry_after_s is None,
                    wait=wait,
                    chart_attempted=True,
                )
            except Exception:
                log.exception("posting the chart of %s raised; will retry", delivery.delivery_id)
                return self._retry(
                    delivery, "chart: adapter_error", clock(), in_doubt=True, chart_attempted=True
                )
        finally:
            self.pacer.release(delivery.channel, retry_after)
        return self._chart_done(
            delivery, ChartStatus.POSTED, clock, chart_id=chart_id, recovered=recovered
        )

    def _give_up_chart(
        self, delivery: Delivery, reply: Reply, reason: str, clock: Clock, *, recovered: bool
    ) -> Outcome:
        """The chart failed after its attempts: say so in the message, record it failed."""
        assert delivery.message_id is not None
        poster = self.poster
        assert isinstance(poster, PostsCharts)
        reason = reason.removeprefix("chart: ")
        noted = self.compose.without_chart(reply, reason)
        try:
            poster.note_chart_failed(
                delivery.channel, delivery.message_id, noted, delivery_id=delivery.delivery_id
            )
        except PostError as exc:
            log.warning("could not add the chart note to %s (%s)", delivery.delivery_id, exc.code)
            if not exc.permanent and clock() <= delivery.expires_at:
                wait = timedelta(seconds=exc.retry_after_s) if exc.retry_after_s else None
                return self._retry(delivery, f"chart: {reason}", clock(), in_doubt=False, wait=wait)
        except Exception:
            log.exception("adding the chart note to %s raised", delivery.delivery_id)
            if clock() <= delivery.expires_at:
                return self._retry(delivery, f"chart: {reason}", clock(), in_doubt=False)
        log.warning(
            "the chart of %s could not be posted (%s); the message says so",
            delivery.delivery_id,
            reason,
        )
        return self._chart_done(
            delivery, ChartStatus.FAILED, clock, error=reason, recovered=recovered
        )

    def _chart_done(
        self,
        delivery: Delivery,
        status: ChartStatus,
        clock: Clock,
        *,
        chart_id: str | None = None,
        error: str | None = None,
        recovered: bool = False,
    ) -> Outcome:
        return self._record_sent(
            delivery,
            None,
            clock,
            success=Outcome.RECOVERED if recovered else Outcome.POSTED,
            chart=status,
            chart_id=chart_id,
            chart_error=error,
            posted=(
                f"posted the chart of {delivery.delivery_id}"
                if status is ChartStatus.POSTED
                else None
            ),
            lost=f"finished {delivery.delivery_id} but its lease had been taken over",
        )

    def _record_sent(
        self,
        delivery: Delivery,
        message_id: str | None,
        clock: Clock,
        *,
        success: Outcome,
        chart: ChartStatus | None = None,
        chart_id: str | None = None,
        chart_error: str | None = None,
        posted: str | None,
        lost: str,
    ) -> Outcome:
        """Record a delivery sent: its last write. With many posting threads the thread goes
        on without waiting for the commit (nothing of this delivery follows it): the outcome
        is SETTLING, and ``success`` or LOST is observed once the write committed."""
        if not self._settle_later:
            if not self.ledger.mark_sent(
                delivery,
                message_id,
                clock(),
                chart=chart,
                chart_id=chart_id,
                chart_error=chart_error,
            ):
                log.warning("%s", lost)
                return Outcome.LOST
            if posted:
                log.info("%s", posted)
            return success

        def then(ours: bool | None) -> None:
            if ours is None:
                return  # the write failed (logged): the row is taken over in doubt
            if ours:
                if posted:
                    log.info("%s", posted)
            else:
                log.warning("%s", lost)
            if self.observe is not None:
                self.observe(success if ours else Outcome.LOST, delivery)

        self.ledger.mark_sent_then(
            delivery,
            message_id,
            clock(),
            then,
            chart=chart,
            chart_id=chart_id,
            chart_error=chart_error,
        )
        return Outcome.SETTLING

    def _failed(
        self, delivery: Delivery, sub: Subscription, exc: PostError, clock: Clock
    ) -> Outcome:
        now = clock()
        if not exc.permanent:
            wait = timedelta(seconds=exc.retry_after_s) if exc.retry_after_s is not None else None
            if wait is not None:
                self.pacer.hold(delivery.channel, wait.total_seconds())
                self.ledger.hold_channel(delivery.channel, now + wait)
            log.warning("posting %s failed (%s); will retry", delivery.delivery_id, exc.code)
            # Only a 429 is a sure "not posted"; a timeout, a reset, a 5xx may have posted.
            return self._retry(
                delivery, exc.code, now, in_doubt=exc.retry_after_s is None, wait=wait
            )
        self.ledger.mark_failed(delivery, exc.code, now)
        self.store.pause(delivery.channel, exc.code, now)
        log.warning(
            "posting %s failed for good (%s); paused the subscription of %s",
            delivery.delivery_id,
            exc.code,
            channel_label(delivery.channel),
        )
        self._notify_paused(sub, exc.code)
        return Outcome.FAILED

    def _retry(
        self,
        delivery: Delivery,
        error: str,
        now: datetime,
        *,
        in_doubt: bool,
        wait: timedelta | None = None,
        delay: bool = True,
        chart_attempted: bool = False,
        paced: bool = False,
    ) -> Outcome:
        if wait is None:
            wait = (
                backoff(delivery.attempts, self.config.retry_base, self.config.retry_cap)
                if delay
                else timedelta(0)
            )
        if not self.ledger.mark_retry(
            delivery,
            error,
            now + wait,
            in_doubt=in_doubt,
            chart_attempted=chart_attempted,
            paced=paced,
        ):
            return Outcome.LOST
        return Outcome.RETRY

    def _notify_paused(self, sub: Subscription, code: str) -> None:
        text = self.compose.paused(sub, code)
        try:
            self.poster.notify_user(sub.channel, sub.created_by, text)
        except Exception:
            log.warning(
                "could not tell %s that %s was paused",
                sub.created_by,
                sub.schedule_id,
                exc_info=True,
            )
