"""The ledger and the planner: exclusive leased claims, take-overs in doubt, planning once per
period across restarts, clock jumps and DST in four time zones, pacing."""

from __future__ import annotations

import random
import threading
import time as clock_time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from briefing.appstate import Briefing
from briefing.delivery.compose import DeliveryReplies
from briefing.delivery.ledger import (
    ChartStatus,
    Delivery,
    DeliveryStatus,
    Ledger,
    RunStatus,
    _Settle,
    deliveries,
    delivery_runs,
    observe_writes,
)
from briefing.delivery.planner import Planner
from briefing.delivery.poster import ChannelRef
from briefing.delivery.schedule import local_schedule
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.delivery.worker import Pacer, Worker
from briefing.migrations.versions.m0007_console_digest_in_the_ledger import import_digest_days
from briefing.updates import Update, record_update
from tests.delivery.test_due import RecordingPoster

LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def subscribe(
    brief: Briefing,
    channel_id: str,
    at: time,
    tz: str,
    *,
    workspace: str = "T1",
    now: datetime = LONG_AGO,
) -> ChannelRef:
    channel = ChannelRef("slack", workspace, channel_id)
    SubscriptionStore(brief.engine).subscribe(
        channel, at=at, tz=tz, topics=frozenset({"digest"}), by_user="U1", now=now
    )
    return channel


def plan(brief: Briefing, now: datetime) -> tuple[list[str], list[str]]:
    report = Planner(brief.engine).plan(now)
    return report.planned, report.skipped


def runs(brief: Briefing) -> list[tuple[str, str, datetime]]:
    r = delivery_runs.c
    with brief.engine.connect() as conn:
        rows = conn.execute(select(r.run_id, r.status, r.due_at).order_by(r.run_id)).all()
    return [(str(a), str(b), c if c.tzinfo else c.replace(tzinfo=UTC)) for a, b, c in rows]


# -- claims -------------------------------------------------------------------------------------


def test_claims_are_exclusive_across_threads(brief: Briefing) -> None:
    for i in range(60):
        subscribe(brief, f"C{i:02d}", time(8), "UTC", workspace=f"T{i % 3}")
    now = datetime(2024, 3, 8, 8, 5, tzinfo=UTC)
    planned, _ = plan(brief, now)
    assert len(planned) == 60
    ledger = Ledger(brief.engine)
    taken: list[str] = []
    lock = threading.Lock()

    def claim_all(owner: str) -> None:
        for _ in range(100):
            claimed = ledger.claim(owner, now, timedelta(minutes=2), limit=3)
            if not claimed:
                return
            with lock:
                taken.extend(d.delivery_id for d in claimed)

    threads = [threading.Thread(target=claim_all, args=(f"o{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(taken) == sorted(planned)  # each once, none left behind
    assert ledger.claim("late", now, timedelta(minutes=2)) == []


def test_a_batched_claim_spreads_over_workspaces_and_skips_busy_ones(brief: Briefing) -> None:
    # Channel ids grouped by workspace, as delivery ids are: the batch must still spread.
    for w in range(4):
        for c in range(10):
            subscribe(brief, f"C{w}{c:02d}", time(8), "UTC", workspace=f"T{w}")
    now = datetime(2024, 3, 8, 8, 5, tzinfo=UTC)
    planned, _ = plan(brief, now)
    assert len(planned) == 40
    ledger = Ledger(brief.engine)
    lease = timedelta(minutes=2)
    batch = ledger.claim("w", now, lease, limit=8, per_workspace=2)
    assert len(batch) == 8
    per_workspace = Counter(d.channel.workspace_id for d in batch)
    assert per_workspace == {"T0": 2, "T1": 2, "T2": 2, "T3": 2}
    # A busy workspace is left out; at most per_workspace of the others, in channel order.
    batch = ledger.claim(
        "w", now, lease, limit=8, per_workspace=3, skip_workspaces=[("slack", "T0")]
    )
    assert Counter(d.channel.workspace_id for d in batch) == {"T1": 3, "T2": 3, "T3": 2}
    assert [d.channel.channel_id for d in batch if d.channel.workspace_id == "T1"] == [
        "C102",
        "C103",
        "C104",
    ]
    # Everything is claimed once, the last batches from what is left.
    taken = []
    while claimed := ledger.claim("w", now, lease, limit=8, per_workspace=4):
        assert max(Counter(d.channel.workspace_id for d in claimed).values()) <= 4
        taken.extend(claimed)
    assert len(taken) == 40 - 16
    assert ledger.counts() == {DeliveryStatus.SENDING.value: 40}


def test_group_commits_settle_each_row_once_and_only_while_it_is_ours(brief: Briefing) -> None:
    for i in range(30):
        subscribe(brief, f"C{i:02d}", time(8), "UTC", workspace=f"T{i % 3}")
    now = datetime(2024, 3, 8, 8, 5, tzinfo=UTC)
    plan(brief, now)
    ledger = Ledger(brief.engine)
    ledger.group_commits(max_batch=8)
    heard: list[tuple[str, str]] = []
    lock = threading.Lock()

    def hear(write: str, step: str) -> None:
        with lock:
            heard.append((write, step))

    remove = observe_writes(hear)
    try:
        claimed = ledger.claim("w", now, timedelta(minutes=2), limit=30)
        assert len(claimed) == 30
        # Ten rows were taken over by another worker meanwhile: not ours to settle.
        lost = claimed[:10]
        taken = ledger.claim("other", now + timedelta(minutes=3), timedelta(minutes=2), limit=30)
        assert len(taken) == 30
        for other in taken[10:]:
            assert ledger.mark_retry(other, "paced", now, in_doubt=False, paced=True)
        ours = ledger.claim("w", now + timedelta(minutes=3), timedelta(minutes=2), limit=30)
        assert len(ours) == 20
        results: dict[str, tuple[bool, bool]] = {}

        def settle(delivery: object) -> None:
            assert isinstance(delivery, Delivery)
            ts = f"ts-{delivery.delivery_id}"
            text = ledger.mark_text_posted(delivery, ts, now)
            # As the worker does: the text is posted, the chart settles the row.
            owed = replace(delivery, message_id=ts, chart_status=ChartStatus.OWED)
            sent = ledger.mark_sent(
                owed, None, now, chart=ChartStatus.POSTED, chart_id="F1", chart_error=None
            )
            with lock:
                results[delivery.delivery_id] = (text, sent)

        threads = [threading.Thread(target=settle, args=(d,)) for d in [*ours, *lost]]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        remove()
        ledger.close()
    assert {results[d.delivery_id] for d in ours} == {(True, True)}
    assert {results[d.delivery_id] for d in lost} == {(False, False)}
    for d in ours:
        row = ledger.row(d.delivery_id)
        assert row is not None
        assert row["status"] == DeliveryStatus.SENT.value
        assert row["message_id"] == f"ts-{d.delivery_id}"
        assert (row["chart_status"], row["chart_id"], row["lease_owner"]) == ("posted", "F1", None)
    # Lost rows are untouched: still the other worker's.
    for d in lost:
        row = ledger.row(d.delivery_id)
        assert row is not None
        assert (row["status"], row["lease_owner"]) == (DeliveryStatus.SENDING.value, "other")
    # Observers hear of each row's statement and of its commit, as with one write at a time.
    counts = Counter(heard)
    assert counts[("text_posted", "text_posted")] == counts[("text_posted", "commit")] == 20
    assert counts[("sent", "sent")] == counts[("sent", "commit")] == 20


def test_an_expired_lease_is_taken_over_in_doubt_and_the_old_owner_is_fenced_off(
    brief: Briefing,
) -> None:
    subscribe(brief, "C1", time(8), "UTC")
    now = datetime(2024, 3, 8, 8, 0, tzinfo=UTC)
    plan(brief, now)
    ledger = Ledger(brief.engine)
    lease = timedelta(seconds=30)
    (first,) = ledger.claim("dead", now, lease)
    assert first.in_doubt_since is None
    assert first.attempts == 1
    # Still leased: nobody else gets it.
    assert ledger.claim("other", now + timedelta(seconds=29), lease) == []
    # The lease ran out (the worker died mid-post): taken over, and in doubt since that attempt.
    (second,) = ledger.claim("other", now + timedelta(seconds=31), lease)
    assert second.attempts == 2
    assert second.in_doubt_since == now
    # The first owner wakes up: it may neither renew nor settle.
    assert not ledger.renew(first, now + timedelta(seconds=32), lease)
    assert not ledger.mark_sent(first, "1.0", now + timedelta(seconds=32))
    assert ledger.mark_sent(second, "2.0", now + timedelta(seconds=33))
    assert ledger.status_of(second.delivery_id) == DeliveryStatus.SENT.value


def test_a_transient_failure_in_doubt_stays_in_doubt_and_a_429_does_not(
    brief: Briefing,
) -> None:
    subscribe(brief, "C1", time(8), "UTC")
    subscribe(brief, "C2", time(8), "UTC")
    now = datetime(2024, 3, 8, 8, 0, tzinfo=UTC)
    plan(brief, now)
    ledger = Ledger(brief.engine)
    lease = timedelta(seconds=30)
    a, b = ledger.claim("w", now, lease, limit=2)
    ledger.mark_retry(a, "connection_error: TimeoutError", now, in_doubt=True)
    ledger.mark_retry(b, "ratelimited", now, in_doubt=False)
    again = {
        d.delivery_id: d for d in ledger.claim("w", now + timedelta(seconds=1), lease, limit=2)
    }
    assert again[a.delivery_id].in_doubt_since == now
    assert again[b.delivery_id].in_doubt_since is None


def test_a_retry_after_holds_the_channels_other_deliveries(brief: Briefing) -> None:
    channel = subscribe(brief, "C1", time(8), "UTC")
    subscribe(brief, "C2", time(8), "UTC")
    ledger = Ledger(brief.engine)
    now = datetime(2024, 3, 8, 8, 0, tzinfo=UTC)
    plan(brief, now)
    held = ledger.hold_channel(channel, now + timedelta(seconds=30))
    assert held == 1
    (free,) = ledger.claim("w", now, timedelta(seconds=30), limit=5)
    assert free.channel.channel_id == "C2"
    (later,) = ledger.claim("w", now + timedelta(seconds=30), timedelta(seconds=30))
    assert later.channel == channel


# -- planning across restarts and clock jumps ---------------------------------------------------


def test_scheduler_down_across_the_digest_time_plans_it_once_after_restart(
    brief: Briefing,
) -> None:
    subscribed = datetime(2024, 3, 7, 12, 0, tzinfo=UTC)
    subscribe(brief, "C1", time(8), "Europe/Berlin", now=subscribed)  # 07:00 UTC in March
    assert plan(brief, datetime(2024, 3, 8, 6, 50, tzinfo=UTC)) == ([], [])
    # Down from 06:50 to 10:30 (3.5 h late: within the 6-hour window).
    after_restart = datetime(2024, 3, 8, 10, 30, tzinfo=UTC)
    assert plan(brief, after_restart) == (["sub:slack:T1:C1:2024-03-08"], [])
    for minute in range(1, 30):
        assert plan(brief, after_restart + timedelta(minutes=minute)) == ([], [])
    # Down again across the next day's time, for 9 hours: recorded as skipped, once.
    assert plan(brief, datetime(2024, 3, 9, 6, 0, tzinfo=UTC)) == ([], [])
    late = datetime(2024, 3, 9, 16, 0, tzinfo=UTC)
    assert plan(brief, late) == ([], ["sub:slack:T1:C1:2024-03-09"])
    assert plan(brief, late + timedelta(minutes=1)) == ([], [])
    assert [(r[0], r[1]) for r in runs(brief)] == [
        ("sub:slack:T1:C1:2024-03-08", RunStatus.PLANNED.value),
        ("sub:slack:T1:C1:2024-03-09", RunStatus.SKIPPED.value),
    ]


def test_a_long_outage_records_each_missed_day_as_skipped_once(brief: Briefing) -> None:
    subscribe(brief, "C1", time(8), "UTC")
    plan(brief, datetime(2024, 3, 1, 9, 0, tzinfo=UTC))  # posted the 1st
    planned, skipped = plan(brief, datetime(2024, 3, 5, 9, 0, tzinfo=UTC))
    assert planned == ["sub:slack:T1:C1:2024-03-05"]
    assert skipped == [f"sub:slack:T1:C1:2024-03-0{d}" for d in (2, 3, 4)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clock_jumps_neither_duplicate_nor_lose_a_period(brief: Briefing, seed: int) -> None:
    """The clock runs forwards in minutes but jumps back or ahead by hours now and then (NTP
    steps, a VM resumed). Every local day is planned at most once; every day whose time the
    clock went past is planned or recorded as skipped."""
    zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
    now = datetime(2024, 3, 28, 0, 0, tzinfo=UTC)
    for i, zone in enumerate(zones):
        subscribe(brief, f"C{i}", time(7, 30), zone, now=now)
    rng = random.Random(seed)
    highest = now
    planned: list[str] = []
    skipped: list[str] = []
    for _ in range(400):
        roll = rng.random()
        if roll < 0.05:
            now -= timedelta(hours=rng.randint(1, 12))
        elif roll < 0.10:
            now += timedelta(hours=rng.randint(1, 9))
        else:
            now += timedelta(minutes=rng.randint(5, 40))
        highest = max(highest, now)
        p, s = plan(brief, now)
        planned += p
        skipped += s
    both = planned + skipped
    assert len(both) == len(set(both)), [d for d, n in Counter(both).items() if n > 1]
    start = datetime(2024, 3, 28, 0, 0, tzinfo=UTC)
    for i, zone in enumerate(zones):
        tz = ZoneInfo(zone)
        expected = {
            f"sub:slack:T1:C{i}:{d.isoformat()}"
            for d in (date(2024, 3, 27) + timedelta(days=k) for k in range(20))
            if start < local_schedule(d, time(7, 30), tz) <= highest
        }
        mine = {d for d in both if d.startswith(f"sub:slack:T1:C{i}:")}
        assert mine == expected, zone


# -- DST -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "at", "first_day"),
    [
        ("Europe/Berlin", time(2, 30), date(2024, 3, 29)),  # 02:30 missing on 31 Mar
        ("Europe/Berlin", time(2, 30), date(2024, 10, 25)),  # 02:30 twice on 27 Oct
        ("America/New_York", time(2, 15), date(2024, 3, 8)),  # missing on 10 Mar
        ("America/New_York", time(1, 30), date(2024, 11, 1)),  # twice on 3 Nov
        ("Australia/Sydney", time(2, 30), date(2024, 4, 5)),  # twice on 7 Apr (south: autumn)
        ("Australia/Sydney", time(2, 30), date(2024, 10, 4)),  # missing on 6 Oct
        ("Asia/Kolkata", time(8, 0), date(2024, 3, 29)),  # no DST at all
        ("America/Sao_Paulo", time(0, 30), date(2018, 11, 2)),  # midnight gap (2018 rules)
    ],
)
def test_one_digest_per_local_day_across_dst(
    brief: Briefing, zone: str, at: time, first_day: date
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(first_day, time(0), tz).astimezone(UTC)
    subscribe(brief, "C1", at, zone, now=start)
    now = start
    planned: list[str] = []
    end = start + timedelta(days=5)
    while now < end:
        planned += plan(brief, now)[0]
        now += timedelta(minutes=20)
    days = [date.fromisoformat(p.rsplit(":", 1)[1]) for p in planned]
    candidates = (first_day + timedelta(days=i) for i in range(-1, 7))
    assert days == [d for d in candidates if start <= local_schedule(d, at, tz) < end]
    assert len(days) >= 4
    d = deliveries.c
    with brief.engine.connect() as conn:
        due = {
            row[0]: (row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC))
            for row in conn.execute(select(d.local_day, d.due_at))
        }
    for day in days:
        assert due[day] == local_schedule(day, at, tz)
        # At the wall time, or at the end of a gap; the first of a repeated hour.
        local = due[day].astimezone(tz)
        assert local.date() == day
        assert local.fold == 0


# -- pacing --------------------------------------------------------------------------------------


def test_pacer_spaces_posts_to_a_channel_and_caps_a_workspace() -> None:
    pacer = Pacer(interval_s=0.2, limit=2)
    c1 = ChannelRef("slack", "T1", "C1")
    deadline = clock_time.monotonic() + 5
    started = clock_time.monotonic()
    times = []
    for _ in range(3):
        assert pacer.acquire(c1, deadline)
        times.append(clock_time.monotonic() - started)
        pacer.release(c1)
    assert times[1] - times[0] >= 0.19
    assert times[2] - times[1] >= 0.19
    # Two posts in flight in T1: a third channel of T1 waits, another workspace does not.
    a, b, c = (ChannelRef("slack", "T1", f"C{i}") for i in (2, 3, 4))
    assert pacer.acquire(a, deadline)
    assert pacer.acquire(b, deadline)
    assert pacer.saturated() == [("slack", "T1")]
    assert not pacer.acquire(c, clock_time.monotonic() + 0.1)
    assert pacer.acquire(ChannelRef("slack", "T2", "C9"), deadline)
    pacer.release(a, retry_after_s=0.5)
    assert pacer.acquire(c, deadline)
    # Retry-After holds that channel.
    t0 = clock_time.monotonic()
    pacer.release(b)
    pacer.release(c)
    assert pacer.acquire(a, deadline)
    assert clock_time.monotonic() - t0 >= 0.3


# -- upgrading from the version before the ledger ------------------------------------------------


def test_what_the_previous_version_sent_is_not_sent_again(brief: Briefing) -> None:

    now = datetime(2024, 3, 8, 8, 30, tzinfo=UTC)
    for channel_id in ("C1", "C2"):
        SubscriptionStore(brief.engine).subscribe(
            ChannelRef("slack", "T1", channel_id),
            at=time(8),
            tz="UTC",
            topics=frozenset({"digest", "sanctions"}),
            by_user="U1",
            now=LONG_AGO,
        )
    update = Update("ofac:1", "sanctions", "OFAC", (), date(2024, 3, 7))
    record_update(brief.engine, update, now - timedelta(minutes=20))
    # What the previous version recorded: C1's digest today (``digest_days``, which the schema
    # migration 0007 moves into the ledger) and C1's alert (``alerts_sent``).
    with brief.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE digest_days (schedule_id VARCHAR(200), local_day DATE, "
                "fired_at TIMESTAMP WITH TIME ZONE)"
            )
        )
        conn.execute(
            text("INSERT INTO digest_days VALUES ('sub:slack:T1:C1', :day, :at)"),
            {"day": date(2024, 3, 8), "at": now - timedelta(minutes=30)},
        )
        import_digest_days(conn)
        conn.execute(
            text(
                "CREATE TABLE alerts_sent (update_id VARCHAR(200), platform VARCHAR(20), "
                "workspace_id VARCHAR(100), channel_id VARCHAR(100), "
                "sent_at TIMESTAMP WITH TIME ZONE)"
            )
        )
        conn.execute(
            text("INSERT INTO alerts_sent VALUES ('ofac:1', 'slack', 'T1', 'C1', :at)"),
            {"at": now - timedelta(minutes=19)},
        )
    report = Planner(brief.engine).plan(now)
    assert sorted(report.planned) == [
        "alert:ofac:1:slack:T1:C2",
        "sub:slack:T1:C2:2024-03-08",
    ]
    poster = RecordingPoster()
    Worker(brief, poster, DeliveryReplies(brief)).run_once(now)
    assert sorted(str(p.delivery_id) for p in poster.posts) == sorted(report.planned)
    assert Ledger(brief.engine).counts() == {DeliveryStatus.SENT.value: 4}
    assert Ledger(brief.engine).import_legacy(now) == 0  # once


def test_a_last_write_left_to_commit_is_heard_of_once_committed(brief: Briefing) -> None:
    """mark_sent_then: the caller goes on at once; ``then`` hears, after the commit, whether
    the row was still ours. Texts recorded meanwhile share the groups (on PostgreSQL one
    statement updates both kinds)."""
    for i in range(24):
        subscribe(brief, f"C{i:02d}", time(8), "UTC", workspace=f"T{i % 3}")
    now = datetime(2024, 3, 8, 8, 5, tzinfo=UTC)
    plan(brief, now)
    ledger = Ledger(brief.engine)
    ledger.group_commits(max_batch=8)
    heard: dict[str, bool | None] = {}
    lock = threading.Lock()
    claimed = ledger.claim("w", now, timedelta(minutes=2), limit=24)
    assert len(claimed) == 24
    # Four rows were taken over by another worker meanwhile: not ours to settle.
    lost = claimed[:4]
    later = now + timedelta(minutes=3)
    for other in ledger.claim("other", later, timedelta(minutes=2), limit=24)[4:]:
        assert ledger.mark_retry(other, "paced", later, in_doubt=False, paced=True)
    ours = ledger.claim("w", later, timedelta(minutes=2), limit=24)
    assert len(ours) == 20
    texts, finals = ours[:10], [*ours[10:], *lost]
    try:

        def finish(delivery: Delivery) -> None:
            def then(still_ours: bool | None) -> None:
                with lock:
                    heard[delivery.delivery_id] = still_ours

            ledger.mark_sent_then(delivery, "ts", later, then)

        def text(delivery: Delivery) -> None:
            assert ledger.mark_text_posted(delivery, "ts", later)

        threads = [
            *(threading.Thread(target=finish, args=(d,)) for d in finals),
            *(threading.Thread(target=text, args=(d,)) for d in texts),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        ledger.close()  # commits what is still queued
    assert heard == {d.delivery_id: d not in lost for d in finals}
    for d in ours[10:]:
        row = ledger.row(d.delivery_id)
        assert row is not None
        assert (row["status"], row["lease_owner"]) == (DeliveryStatus.SENT.value, None)
    for d in texts:
        row = ledger.row(d.delivery_id)
        assert row is not None
        assert (row["status"], row["chart_status"]) == (DeliveryStatus.SENDING.value, "owed")
    for d in lost:
        row = ledger.row(d.delivery_id)
        assert row is not None
        assert (row["status"], row["lease_owner"]) == (DeliveryStatus.SENDING.value, "other")


def test_without_grouped_writes_the_last_write_is_made_before_its_caller_goes_on(
    brief: Briefing,
) -> None:
    subscribe(brief, "C01", time(8), "UTC")
    now = datetime(2024, 3, 8, 8, 5, tzinfo=UTC)
    plan(brief, now)
    ledger = Ledger(brief.engine)
    [delivery] = ledger.claim("w", now, timedelta(minutes=2))
    heard: list[bool | None] = []
    ledger.mark_sent_then(delivery, "ts", now, heard.append)
    assert heard == [True]
    assert ledger.status_of(delivery.delivery_id) == DeliveryStatus.SENT.value


def test_a_group_of_every_kind_of_settling_write_commits_each_one(brief: Briefing) -> None:
    """A group that mixes statements (a retry) with bulk rows (text posted, sent) — on
    PostgreSQL the bulk rows as one statement beside the others in one transaction."""
    for i in range(6):
        subscribe(brief, f"C{i:02d}", time(8), "UTC")
    now = datetime(2024, 3, 8, 8, 5, tzinfo=UTC)
    plan(brief, now)
    ledger = Ledger(brief.engine)
    claimed = ledger.claim("w", now, timedelta(minutes=2), limit=6)
    assert len(claimed) == 6
    ledger.group_commits(max_batch=8)
    writer = ledger._writer
    assert writer is not None
    try:
        retry, text, sent = claimed[:2], claimed[2:4], claimed[4:]
        # The writes a group may hold, built as the ledger builds them, committed as one group.
        group = [
            *(
                _Settle(
                    "retry",
                    stmt=update(deliveries)
                    .where(deliveries.c.delivery_id == d.delivery_id)
                    .values(status=DeliveryStatus.PENDING.value, lease_owner=None),
                )
                for d in retry
            ),
            *(ledger._text_posted(d, "ts") for d in text),
            *(
                ledger._sent(d, "ts", now, chart=None, chart_id=None, chart_error=None)
                for d in sent
            ),
        ]
        writer._commit(group)
    finally:
        ledger.close()
    assert [item.changed for item in group] == [1] * 6
    statuses = [ledger.row(d.delivery_id) for d in claimed]
    assert [(r or {}).get("status") for r in statuses] == [
        *[DeliveryStatus.PENDING.value] * 2,
        *[DeliveryStatus.SENDING.value] * 2,
        *[DeliveryStatus.SENT.value] * 2,
    ]
    assert [(r or {}).get("chart_status") for r in statuses[2:4]] == ["owed", "owed"]
