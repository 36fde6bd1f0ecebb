"""Planning is atomic: a run and its deliveries are written in one transaction, digests and
alerts alike, so a failure between the two statements leaves neither; runs that an older version
left without their delivery are repaired by the next pass."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, insert, select

from briefing.appstate import Briefing
from briefing.delivery.ledger import (
    DeliveryStatus,
    Ledger,
    RunStatus,
    alert_run_id,
    deliveries,
    delivery_runs,
    digest_delivery_id,
    observe_writes,
)
from briefing.delivery.planner import Planner
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore, schedule_id_for
from briefing.replies import Line
from briefing.updates import Update, record_update

NOW = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
C1 = ChannelRef("slack", "T1", "C1")
C2 = ChannelRef("slack", "T1", "C2")


class CrashError(Exception):
    pass


@pytest.fixture
def crash_after() -> Iterator[list[str]]:
    """Names ``write step`` events after which a ledger transaction fails (before its commit)."""
    targets: list[str] = []

    def observe(write: str, step: str) -> None:
        if f"{write} {step}" in targets:
            raise CrashError(f"{write} {step}")

    remove = observe_writes(observe)
    yield targets
    remove()


def subscribe(brief: Briefing, channel: ChannelRef, topics: set[str]) -> None:
    SubscriptionStore(brief.engine).subscribe(
        channel,
        at=time(8, 0),
        tz="UTC",
        topics=frozenset(topics),
        by_user="UADMIN",
        now=NOW - timedelta(days=3),
    )


def counts(brief: Briefing) -> tuple[int, int]:
    with brief.engine.connect() as conn:
        runs = conn.execute(select(func.count()).select_from(delivery_runs)).scalar_one()
        rows = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
    return int(runs), int(rows)


def sanctions_update(brief: Briefing) -> str:
    update = Update(
        update_id="ofac:planning",
        topic="sanctions",
        title="New designations",
        lines=(Line("1 added."),),
        data_date=date(2026, 11, 20),
    )
    record_update(brief.engine, update, NOW - timedelta(minutes=30))
    return update.update_id


def test_a_failure_between_a_digest_run_and_its_delivery_leaves_neither(
    brief: Briefing, crash_after: list[str]
) -> None:
    subscribe(brief, C1, {"digest"})
    subscribe(brief, C2, {"digest"})
    crash_after.append("plan_digests runs")
    with pytest.raises(CrashError):
        Planner(brief.engine).plan(NOW)
    assert counts(brief) == (0, 0)  # rolled back together
    crash_after.clear()
    report = Planner(brief.engine).plan(NOW)  # the next pass plans them, whole
    assert sorted(report.planned) == [
        digest_delivery_id(schedule_id_for(c), NOW.date()) for c in (C1, C2)
    ]
    assert counts(brief) == (2, 2)


def test_a_failure_between_an_alert_run_and_its_deliveries_leaves_neither(
    brief: Briefing, crash_after: list[str]
) -> None:
    subscribe(brief, C1, {"sanctions"})
    subscribe(brief, C2, {"sanctions"})
    update_id = sanctions_update(brief)
    crash_after.append("plan_alerts runs")
    with pytest.raises(CrashError):
        Planner(brief.engine).plan(NOW)
    assert counts(brief) == (0, 0)
    crash_after.clear()
    report = Planner(brief.engine).plan(NOW)
    assert len(report.planned) == 2
    assert Ledger(brief.engine).existing_runs([alert_run_id(update_id)]) == {
        alert_run_id(update_id)
    }
    assert counts(brief) == (1, 2)


def orphan(brief: Briefing, channel: ChannelRef, due: datetime) -> str:
    """A digest run without its delivery, as the version that used two transactions left it."""
    run_id = digest_delivery_id(schedule_id_for(channel), due.date())
    with brief.engine.begin() as conn:
        conn.execute(
            insert(delivery_runs).values(
                run_id=run_id,
                kind="digest",
                schedule_id=schedule_id_for(channel),
                period=due.date().isoformat(),
                due_at=due,
                status=RunStatus.PLANNED.value,
                planned_at=due,
                planned_by="old",
            )
        )
    return run_id


def test_runs_left_without_a_delivery_are_repaired_by_the_next_pass(brief: Briefing) -> None:
    subscribe(brief, C1, {"digest"})
    subscribe(brief, C2, {"digest"})
    today = orphan(brief, C1, NOW - timedelta(minutes=5))
    long_ago = orphan(brief, C1, NOW - timedelta(days=2, minutes=5))
    gone = orphan(brief, ChannelRef("slack", "T1", "CGONE"), NOW - timedelta(minutes=5))
    ledger = Ledger(brief.engine)
    assert len(ledger.orphan_digest_runs(NOW - timedelta(days=7))) == 3

    report = Planner(brief.engine).plan(NOW)

    assert today in report.planned  # still due: posted as usual
    assert ledger.status_of(today) == DeliveryStatus.PENDING.value
    assert long_ago in report.skipped  # too late to be worth posting: recorded, not sent
    assert ledger.status_of(long_ago) == DeliveryStatus.SKIPPED.value
    assert ledger.status_of(gone) == DeliveryStatus.SKIPPED.value  # nobody wants it any more
    assert ledger.orphan_digest_runs(NOW - timedelta(days=7)) == []
    # C2's own digest of today was planned beside them, once.
    assert digest_delivery_id(schedule_id_for(C2), NOW.date()) in report.planned
    assert Planner(brief.engine).plan(NOW + timedelta(minutes=1)).planned == []
