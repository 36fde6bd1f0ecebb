"""``bot.py doctor``: a healthy ledger passes; runs without deliveries, deliveries stuck past
their lease, a planner far behind and pending migrations each fail it (exit code 1)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time as time_module
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, update

from briefing.appstate import Briefing
from briefing.db import make_engine
from briefing.delivery.leader import PostgresLeader
from briefing.delivery.ledger import Ledger, deliveries, delivery_runs
from briefing.delivery.planner import Planner
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.doctor import Level, diagnose
from briefing.migrations import BASELINE, upgrade
from briefing.settings import PROJECT_ROOT
from tests.conftest import empty_database

NOW = datetime.now(UTC).replace(microsecond=0)


def subscribe(brief: Briefing) -> None:
    due = (NOW - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    SubscriptionStore(brief.engine).subscribe(
        ChannelRef("slack", "T1", "C1"),
        at=time(due.hour, due.minute),
        tz="UTC",
        topics=frozenset({"digest"}),
        by_user="UADMIN",
        now=NOW - timedelta(days=1),
    )


def levels(brief: Briefing, now: datetime = NOW) -> dict[str, Level]:
    return {c.name: c.level for c in diagnose(brief.engine, brief.settings, now).checks}


def test_a_planned_ledger_is_healthy(brief: Briefing) -> None:
    subscribe(brief)
    Planner(brief.engine).plan(NOW)
    with ExitStack() as stack:
        if brief.engine.dialect.name == "postgresql":
            assert levels(brief)["planner lock"] is Level.WARN  # nobody is planning
            leader = PostgresLeader(brief.engine, retry_s=0.2)
            leader.start()
            stack.callback(leader.stop)
            deadline = time_module.monotonic() + 10
            while not leader.is_leader and time_module.monotonic() < deadline:
                time_module.sleep(0.05)
        found = diagnose(brief.engine, brief.settings, NOW)
    assert found.healthy, found.render()
    assert all(c.level is Level.OK for c in found.checks), found.render()
    assert "healthy" in found.render()


def test_a_run_without_its_delivery_is_reported(brief: Briefing) -> None:
    with brief.engine.begin() as conn:
        conn.execute(
            insert(delivery_runs).values(
                run_id="sub:slack:T1:C1:2026-11-29",
                kind="digest",
                schedule_id="sub:slack:T1:C1",
                period="2026-11-29",
                due_at=NOW - timedelta(hours=1),
                status="planned",
                planned_at=NOW - timedelta(hours=1),
                planned_by="old",
            )
        )
    found = diagnose(brief.engine, brief.settings, NOW)
    assert not found.healthy
    assert levels(brief)["runs without deliveries"] is Level.FAIL
    assert "sub:slack:T1:C1:2026-11-29" in found.render()


def test_a_delivery_stuck_past_its_lease_is_reported(brief: Briefing) -> None:
    subscribe(brief)
    Planner(brief.engine).plan(NOW)
    claimed = Ledger(brief.engine).claim("gone-worker", NOW, timedelta(seconds=120))
    assert claimed
    assert levels(brief)["stuck deliveries"] is Level.OK  # its lease still runs
    later = NOW + timedelta(seconds=120 + 121)  # a lease-length past its end
    assert levels(brief, later)["stuck deliveries"] is Level.FAIL


def test_a_planner_far_behind_is_reported(brief: Briefing) -> None:
    subscribe(brief)
    assert levels(brief)["planner"] is Level.FAIL  # subscriptions, never planned
    Planner(brief.engine).plan(NOW - timedelta(hours=3))
    assert levels(brief)["planner"] is Level.FAIL
    Planner(brief.engine).plan(NOW)
    assert levels(brief)["planner"] is Level.OK


def test_a_long_queue_is_reported(brief: Briefing) -> None:
    subscribe(brief)
    Planner(brief.engine).plan(NOW)
    with brief.engine.begin() as conn:
        conn.execute(update(deliveries).values(due_at=NOW - timedelta(hours=1)))
    assert levels(brief)["queue"] is Level.FAIL


@pytest.fixture
def old_engine(tmp_path: Path) -> Iterator[Engine]:
    with empty_database(tmp_path, "old") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_pending_migrations_are_reported_and_the_ledger_left_alone(
    old_engine: Engine, brief: Briefing
) -> None:
    upgrade(old_engine, BASELINE)
    found = diagnose(old_engine, brief.settings, NOW)
    assert not found.healthy
    text = found.render()
    assert re.search(r"\b\d+ migration\(s\) pending: 0002 ", text), text
    assert "not checked until the schema is current" in text


def run_doctor(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bot.py"), "doctor", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_the_command_exits_1_when_unhealthy_and_0_when_healthy(
    brief: Briefing, database_url: str, tmp_path: Path
) -> None:
    subscribe(brief)
    unhealthy = run_doctor(database_url, tmp_path, "--json")
    assert unhealthy.returncode == 1, unhealthy.stderr
    report = json.loads(unhealthy.stdout)
    assert report["healthy"] is False
    assert {"name": "planner", "level": "fail"}.items() <= next(
        c for c in report["checks"] if c["name"] == "planner"
    ).items()
    Planner(brief.engine).plan(datetime.now(UTC))
    healthy = run_doctor(database_url, tmp_path)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.strip().endswith("healthy")
