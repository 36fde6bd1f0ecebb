"""Watchlist alerts: from a newly committed list version to one ledger delivery per channel.

1. :func:`rescreen_new_lists` runs where the ingest path (``bot.py ingest``, and anything that
   loads lists through it) has committed new list versions and recorded their updates: each new
   list that is the newest of its source is rescreened (:func:`~.screening.rescreen`), which
   writes a ``watch_rescreens`` row per channel, with its alert when something changed.
2. The delivery planner (:func:`plan_watch_alerts`) turns each such row of the alert window into
   a run per list version and a delivery per channel (kind ``watch``), inserted if absent: once
   per channel and version, however many planners run.
3. The worker builds the reply from the row (:func:`watch_reply`) and posts it as any alert;
   a channel that no longer watches anything is skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select

from briefing.clock import utc
from briefing.delivery.ledger import (
    KIND_WATCH,
    DeliveryStatus,
    Ledger,
    RunStatus,
    channel_label,
)
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import Subscription, SubscriptionStatus
from briefing.replies import Reply, ReplyKind, Section
from briefing.sanctions.model import Snapshot
from briefing.sanctions.store import list_snapshots
from briefing.updates import line_from_dict
from briefing.watch.entries import count_of, last_adder
from briefing.watch.screening import RescreenReport, rescreen
from briefing.watch.tables import watch_rescreens_table

log = logging.getLogger(__name__)

TOPIC_WATCH = "watch"


def snapshot_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {s.snapshot_id for s in list_snapshots(conn)}


def rescreen_new_lists(
    engine: Engine, before: Iterable[int], now: datetime, *, command: str = "/brief"
) -> list[RescreenReport]:
    """Rescreen every watchlist on each list stored since ``before`` (snapshot ids) that is
    now the newest of its source, against the list before it."""
    known = set(before)
    with engine.connect() as conn:
        snapshots = list_snapshots(conn)
    by_source: dict[str, list[Snapshot]] = {}
    for snap in snapshots:
        if snap.entries_kept:
            by_source.setdefault(snap.source.key, []).append(snap)
    reports = []
    for kept in by_source.values():
        newest = kept[-1]  # list_snapshots orders by date within a source
        if newest.snapshot_id in known:
            continue
        previous = kept[-2] if len(kept) > 1 else None
        report = rescreen(engine, newest, previous, now, command=command)
        if report.entries:
            log.info(
                "rescreened %d watched names (%d screened again) on %s %s: %d channel(s) alerted",
                report.entries,
                report.screened,
                report.source_key,
                report.version,
                report.alerts,
            )
        reports.append(report)
    return reports


def watch_key(source_key: str, version: str) -> str:
    """What the delivery's ``update_id`` holds: ``ofac-sdn|2024-02-23:ab12…``."""
    return f"{source_key}|{version}"


def watch_run_id(source_key: str, version: str) -> str:
    return f"watch:{watch_key(source_key, version)}"


def watch_delivery_id(source_key: str, version: str, channel: ChannelRef) -> str:
    return f"{watch_run_id(source_key, version)}:{channel_label(channel)}"


def plan_watch_alerts(
    engine: Engine, ledger: Ledger, now: datetime, window: timedelta, owner: str
) -> list[str]:
    """Insert (if absent) a run per list version and a delivery per channel for the rescreens
    with changes in ``(now - window, now]``; returns the delivery ids inserted.

    First it catches up: a newest list some watchlist was not rescreened on (the process that
    loaded it died before it could) is rescreened now; a channel already done is left alone."""
    try:
        rescreen_new_lists(engine, (), now)
    except Exception:
        log.exception("rescreening the watchlists failed; the next pass tries again")
    r = watch_rescreens_table.c
    stmt = select(
        r.platform, r.workspace_id, r.channel_id, r.source_key, r.version, r.screened_at
    ).where(r.changes > 0, r.screened_at > now - window - timedelta(days=1))
    with engine.connect() as conn:
        found = [row for row in conn.execute(stmt) if now - window < utc(row.screened_at) <= now]
    if not found:
        return []
    runs: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for row in found:
        at = utc(row.screened_at)
        run_id = watch_run_id(row.source_key, row.version)
        run = runs.get(run_id)
        if run is None or at < run["due_at"]:
            runs[run_id] = {
                "run_id": run_id,
                "kind": KIND_WATCH,
                "schedule_id": "watch",
                "period": watch_key(row.source_key, row.version),
                "due_at": at,
                "status": RunStatus.PLANNED.value,
                "planned_at": now,
                "planned_by": owner,
            }
        channel = ChannelRef(row.platform, row.workspace_id, row.channel_id)
        rows.append(
            {
                "delivery_id": watch_delivery_id(row.source_key, row.version, channel),
                "run_id": run_id,
                "kind": KIND_WATCH,
                "topic": TOPIC_WATCH,
                "platform": channel.platform,
                "workspace_id": channel.workspace_id,
                "channel_id": channel.channel_id,
                "local_day": None,
                "label": None,
                "update_id": watch_key(row.source_key, row.version),
                "status": DeliveryStatus.PENDING.value,
                "due_at": at,
                "expires_at": at + window,
                "next_attempt_at": at,
                "created_at": now,
            }
        )
    existing = ledger.existing_deliveries(runs)
    rows = [row for row in rows if row["delivery_id"] not in existing]
    known = ledger.existing_runs(runs)
    new_runs = [run for run_id, run in runs.items() if run_id not in known]
    if not rows and not new_runs:
        return []
    _, inserted = ledger.insert_planned(
        new_runs, rows, name="plan_watch_alerts", only_new_runs=False
    )
    return [row["delivery_id"] for row in rows if row["delivery_id"] in inserted]


def watch_reply(
    engine: Engine, key: str, channel: ChannelRef, command: str = "/brief"
) -> Reply | None:
    """The alert a channel is owed for one rescreen; None when its row is gone."""
    source_key, _, version = key.partition("|")
    r = watch_rescreens_table.c
    stmt = select(watch_rescreens_table).where(
        r.platform == channel.platform,
        r.workspace_id == channel.workspace_id,
        r.channel_id == channel.channel_id,
        r.source_key == source_key,
        r.version == version,
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    if row is None:
        return None
    sections = tuple(
        Section(raw["heading"], tuple(line_from_dict(d) for d in raw["lines"]))
        for raw in json.loads(row["lines_json"])
    )
    return Reply(
        title=row["title"],
        sections=sections,
        kind=ReplyKind.ALERT,
        as_of=row["list_date"],
        footer=f"{command} watch list · {command} watch export · {command} help watch",
    )


def watch_recipient(
    engine: Engine, channel: ChannelRef, sub: Subscription | None, at: datetime
) -> Subscription | None:
    """Who a watchlist alert goes to: the channel, as long as it watches something (it needs
    no subscription). Returned as a subscription so a permanent failure pauses and tells as
    for any delivery (told: the channel's subscriber, else whoever last added a name)."""
    if count_of(engine, channel) == 0:
        return None
    if sub is not None and sub.status is SubscriptionStatus.ACTIVE:
        return sub
    return Subscription(
        channel=channel,
        at=time(0, 0),
        tz="UTC",
        topics=frozenset({TOPIC_WATCH}),
        status=SubscriptionStatus.ACTIVE,
        paused_reason=None,
        created_by=(sub.created_by if sub is not None else None)
        or last_adder(engine, channel)
        or "unknown",
        created_at=at,
        updated_at=at,
    )
