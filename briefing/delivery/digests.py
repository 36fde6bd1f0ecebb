"""Scheduled delivery: each subscribed channel's daily digest and the update alerts.

A timer ticks once a minute (:func:`start_delivery`); every tick asks the database what is due.
The database, not the timer, decides what was delivered:

- a digest is claimed per (subscription, local day) in ``digest_days`` before it is posted, so
  repeated ticks, restarts and several replicas post it once;
- an alert is claimed per (update, channel) in ``alerts_sent`` before it is posted.

A transient failure deletes the claim so the next tick (a minute later) tries again; a permanent
one (channel gone, bot removed, token revoked) pauses the subscription and tells the admin who
set it up. A digest more than ``stale_after`` late is skipped, not caught up.

Local times follow the subscription's IANA zone, DST included: a time that does not exist on a
spring-forward day fires at the end of the gap, a time that occurs twice on a fall-back day fires
at its first occurrence. ``now`` is always a parameter; only the timer job reads the clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Column, DateTime, Engine, String, Table, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError

from briefing.core import Briefing
from briefing.db import metadata
from briefing.delivery.poster import ChannelRef, Poster, PostError
from briefing.delivery.subscriptions import TOPIC_DIGEST, Subscription, SubscriptionStore
from briefing.delivery.timer import claim_day, digest_days, make_scheduler, unclaim_day
from briefing.digest import build_digest
from briefing.replies import Reply, ReplyKind, Section
from briefing.updates import Update, updates_between, updates_table

log = logging.getLogger(__name__)

DEFAULT_STALE_AFTER = timedelta(hours=6)
# Updates detected longer ago than this are left to the digest instead of alerted.
ALERT_WINDOW = timedelta(hours=24)
TICK_SECONDS = 60

alerts_sent = Table(
    "alerts_sent",
    metadata,
    Column("update_id", String(200), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(100), nullable=False),
    Column("channel_id", String(100), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "update_id", "platform", "workspace_id", "channel_id", name="uq_alerts_sent_update_channel"
    ),
)


@dataclass
class DeliveryReport:
    """What one tick did; each entry is a delivery id (``sub:…:2024-03-08``, ``alert:…``)."""

    posted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # too late: not caught up
    retry: list[str] = field(default_factory=list)  # transient failure: next tick retries
    paused: list[str] = field(default_factory=list)  # permanent failure: subscription paused


class _Outcome(Enum):
    POSTED = "posted"
    RETRY = "retry"
    PAUSED = "paused"


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


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # SQLite returns stored UTC timestamps naive
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _channel_label(channel: ChannelRef) -> str:
    return f"{channel.platform}:{channel.workspace_id}:{channel.channel_id}"


def _post(
    poster: Poster,
    store: SubscriptionStore,
    sub: Subscription,
    reply: Reply,
    *,
    delivery_id: str,
    now: datetime,
    command: str,
) -> tuple[_Outcome, PostError | None]:
    try:
        poster.post(sub.channel, reply, delivery_id=delivery_id)
    except PostError as exc:
        if not exc.permanent:
            log.warning("posting %s failed (%s); will retry next tick", delivery_id, exc.code)
            return _Outcome.RETRY, exc
        store.pause(sub.channel, exc.code, now)
        log.warning(
            "posting %s failed for good (%s); paused the subscription of %s",
            delivery_id,
            exc.code,
            _channel_label(sub.channel),
        )
        _notify_paused(poster, sub, exc.code, command)
        return _Outcome.PAUSED, exc
    except Exception:
        # A bug in the adapter: keep the traceback, treat as transient (the next tick retries,
        # staleness and the alert window bound how long).
        log.exception("posting %s raised; will retry next tick", delivery_id)
        return _Outcome.RETRY, None
    return _Outcome.POSTED, None


def _notify_paused(poster: Poster, sub: Subscription, code: str, command: str) -> None:
    text = (
        f"China–Russia Brief stopped posting to channel {sub.channel.channel_id}: "
        f"Slack or Discord said {code!r}. The subscription is paused. "
        f"To resume, make sure the bot can post there and run `{command} subscribe` in it."
    )
    try:
        poster.notify_user(sub.channel, sub.created_by, text)
    except Exception:
        log.warning(
            "could not tell %s that %s was paused", sub.created_by, sub.schedule_id, exc_info=True
        )


def _claimed_days(engine: Engine, since: date) -> set[tuple[str, date]]:
    stmt = select(digest_days.c.schedule_id, digest_days.c.local_day).where(
        digest_days.c.local_day >= since
    )
    with engine.connect() as conn:
        return {(row[0], row[1]) for row in conn.execute(stmt)}


def deliver_due(
    brief: Briefing,
    poster: Poster,
    now: datetime,
    *,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> DeliveryReport:
    """Post every subscribed channel's digest that is due at ``now`` and not yet posted."""
    now = _require_aware(now)
    engine = brief.engine
    command = brief.settings.command_name
    store = SubscriptionStore(engine)
    report = DeliveryReport()
    claimed = _claimed_days(engine, now.date() - timedelta(days=3))
    digests: dict[tuple[date, str], Reply] = {}
    rate_limited: set[str] = set()

    for sub in store.active():
        if TOPIC_DIGEST not in sub.topics or sub.channel.platform in rate_limited:
            continue
        try:
            zone = sub.zone
        except (ZoneInfoNotFoundError, ValueError):
            log.error("subscription %s has an unknown time zone %r", sub.schedule_id, sub.tz)
            continue
        local_today = now.astimezone(zone).date()
        # Yesterday too: a late-evening digest may still be due just after midnight.
        for day in (local_today - timedelta(days=1), local_today):
            due = local_schedule(day, sub.at, zone)
            if due > now or due < sub.updated_at or (sub.schedule_id, day) in claimed:
                continue
            delivery_id = f"{sub.schedule_id}:{day.isoformat()}"
            if not claim_day(engine, sub.schedule_id, day, now):
                continue  # another tick or replica has it
            if now - due > stale_after:
                log.warning(
                    "digest %s was due at %s, %s ago; skipped (more than %s late)",
                    delivery_id,
                    due.isoformat(),
                    now - due,
                    stale_after,
                )
                report.skipped.append(delivery_id)
                continue
            label = f"{due.astimezone(zone):%H:%M} {sub.tz}"
            reply = digests.get((day, label))
            if reply is None:
                reply = build_digest(
                    brief,
                    day,
                    since=day - timedelta(days=1),
                    local_time_label=label,
                    command=command,
                )
                digests[(day, label)] = reply
            outcome, error = _post(
                poster, store, sub, reply, delivery_id=delivery_id, now=now, command=command
            )
            if outcome is _Outcome.POSTED:
                log.info("posted digest %s", delivery_id)
                report.posted.append(delivery_id)
            elif outcome is _Outcome.PAUSED:
                report.paused.append(delivery_id)
                break
            else:
                unclaim_day(engine, sub.schedule_id, day)
                report.retry.append(delivery_id)
                if error is not None and error.retry_after_s is not None:
                    rate_limited.add(sub.channel.platform)
                    break
    return report


def _recent_updates(
    engine: Engine, now: datetime, window: timedelta
) -> list[tuple[Update, datetime]]:
    """Updates detected in ``(now - window, now]`` with their detection time, oldest first."""
    t = updates_table.c
    # A day's slack in SQL, exact in Python: SQLite keeps timestamps without their offset.
    stmt = select(t.update_id, t.detected_at, t.data_date).where(
        t.detected_at > now - window - timedelta(days=1)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    detected: dict[str, tuple[datetime, date]] = {}
    for update_id, detected_at, data_date in rows:
        at = _utc(detected_at)
        if now - window < at <= now:
            detected[update_id] = (at, data_date)
    if not detected:
        return []
    first = min(d for _, d in detected.values())
    last = max(d for _, d in detected.values())
    found = [
        (u, detected[u.update_id][0])
        for u in updates_between(engine, first - timedelta(days=1), last)
        if u.update_id in detected
    ]
    return sorted(found, key=lambda pair: (pair[1], pair[0].update_id))


def alert_reply(update: Update, command: str = "/brief") -> Reply:
    """An update as the alert posted to subscribed channels."""
    return Reply(
        title=update.title,
        sections=(Section(None, update.lines),) if update.lines else (),
        kind=ReplyKind.ALERT,
        as_of=update.data_date,
        footer=f"{command} digest · {command} subscriptions",
    )


def _claim_alert(engine: Engine, update_id: str, channel: ChannelRef, now: datetime) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(
                alerts_sent.insert().values(
                    update_id=update_id,
                    platform=channel.platform,
                    workspace_id=channel.workspace_id,
                    channel_id=channel.channel_id,
                    sent_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def _unclaim_alert(engine: Engine, update_id: str, channel: ChannelRef) -> None:
    c = alerts_sent.c
    with engine.begin() as conn:
        conn.execute(
            alerts_sent.delete().where(
                c.update_id == update_id,
                c.platform == channel.platform,
                c.workspace_id == channel.workspace_id,
                c.channel_id == channel.channel_id,
            )
        )


def _alerted(engine: Engine, update_ids: list[str]) -> set[tuple[str, ChannelRef]]:
    c = alerts_sent.c
    stmt = select(c.update_id, c.platform, c.workspace_id, c.channel_id).where(
        c.update_id.in_(update_ids)
    )
    with engine.connect() as conn:
        return {(row[0], ChannelRef(row[1], row[2], row[3])) for row in conn.execute(stmt)}


def deliver_alerts(
    brief: Briefing,
    poster: Poster,
    now: datetime,
    *,
    window: timedelta = ALERT_WINDOW,
) -> DeliveryReport:
    """Post each update detected recently to the channels subscribed to its topic, once."""
    now = _require_aware(now)
    engine = brief.engine
    command = brief.settings.command_name
    updates = _recent_updates(engine, now, window)
    report = DeliveryReport()
    if not updates:
        return report
    store = SubscriptionStore(engine)
    subs = [s for s in store.active() if any(s.wants(u.topic) for u, _ in updates)]
    if not subs:
        return report
    done = _alerted(engine, [u.update_id for u, _ in updates])
    stopped: set[ChannelRef] = set()
    rate_limited: set[str] = set()

    for update, detected_at in updates:
        reply = alert_reply(update, command)
        for sub in subs:
            channel = sub.channel
            if (
                not sub.wants(update.topic)
                or (update.update_id, channel) in done
                or channel in stopped
                or channel.platform in rate_limited
                # Subscribed after the update was detected: the digest tells it.
                or detected_at < sub.updated_at
            ):
                continue
            delivery_id = f"alert:{update.update_id}:{_channel_label(channel)}"
            if not _claim_alert(engine, update.update_id, channel, now):
                continue
            outcome, error = _post(
                poster, store, sub, reply, delivery_id=delivery_id, now=now, command=command
            )
            if outcome is _Outcome.POSTED:
                log.info("posted alert %s", delivery_id)
                report.posted.append(delivery_id)
            elif outcome is _Outcome.PAUSED:
                stopped.add(channel)
                report.paused.append(delivery_id)
            else:
                _unclaim_alert(engine, update.update_id, channel)
                report.retry.append(delivery_id)
                if error is not None and error.retry_after_s is not None:
                    rate_limited.add(channel.platform)
    return report


def run_tick(brief: Briefing, poster: Poster, now: datetime) -> None:
    """One timer tick: digests, then alerts; a failure in one is logged and never stops the other."""
    try:
        deliver_due(brief, poster, now)
    except Exception:
        log.exception("the digest delivery tick failed")
    try:
        deliver_alerts(brief, poster, now)
    except Exception:
        log.exception("the alert delivery tick failed")


def start_delivery(brief: Briefing, poster: Poster) -> BackgroundScheduler:
    """Start the once-a-minute delivery timer; the caller shuts the scheduler down."""
    scheduler = make_scheduler()

    def tick() -> None:
        run_tick(brief, poster, datetime.now(UTC))

    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=TICK_SECONDS),
        id="delivery",
        next_run_time=datetime.now(UTC),  # first tick at start, not a minute later
        coalesce=True,
        misfire_grace_time=None,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.start()
    log.info("delivery timer started: digests and alerts checked every %d s", TICK_SECONDS)
    return scheduler


def next_digest_at(sub: Subscription, now: datetime) -> datetime:
    """When (in UTC) ``sub``'s next digest is due after ``now``."""
    now = _require_aware(now)
    zone = sub.zone
    day = now.astimezone(zone).date()
    while True:
        due = local_schedule(day, sub.at, zone)
        if due > now and due >= sub.updated_at:
            return due
        day += timedelta(days=1)
