"""Kill -9 at every ledger write: a real ``bot.py run --platform slack --http`` process is killed
right after each statement that writes the delivery ledger and right after each commit, in
planning and in delivery (the chart step included), then restarted — and every due post lands
exactly once, its chart too.

How the points are found: the process is started with tests/crashpoints first on its
PYTHONPATH, whose sitecustomize logs every ledger write event (each statement that changed the
ledger, then its transaction's commit; :func:`briefing.delivery.ledger.observe_writes`) and,
with ``BRIEF_CRASH_AT="write step#K"``, sends the process SIGKILL right after the K-th
occurrence of that event. A first run without a crash lists the events; then each one is a
separate run on a database of its own: start, die there, restart (on PostgreSQL: the restarted
replica and a second one, together), wait until the ledger has nothing open, and count at the
fake Slack — by the delivery id in each message's metadata and by each chart's file name — one
text and one chart per delivery.

The scenario: one channel subscribed to the daily digest (due ten minutes ago; it has a chart,
uploaded after its text) and to sanctions alerts, and one sanctions update (an alert, no chart).
Twice: on the straight path, and with Slack answering the first post with a 429 (the channel is
held, the post retried) and losing its answer to the first chart upload (the chart is in doubt,
found in the channel, not uploaded again) — so the retry and hold writes are crash points too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from briefing.db import make_engine
from briefing.delivery.ledger import ChartStatus, DeliveryStatus, Ledger, alert_delivery_id
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.migrations import upgrade as upgrade_schema
from briefing.platforms.slack.poster import chart_file_name
from briefing.replies import Line
from briefing.settings import PROJECT_ROOT
from briefing.updates import Update, record_update
from tests.conftest import empty_database
from tests.fakes.fake_slack import TEAM_ID, FakeSlack

pytestmark = pytest.mark.slow

HOOK = PROJECT_ROOT / "tests" / "crashpoints"
RUN_ARGS = ("run", "--platform", "slack", "--http", "--port", "0", "--host", "127.0.0.1")
CHANNEL = ChannelRef("slack", TEAM_ID, "CCRASH")
UPDATE_ID = "ofac:crash-points"
# Crash points run four at a time, each with its own database, fake Slack and processes.
PARALLEL = 4
SETTLE_S = 60.0
# Writes that only a slow machine makes: a lease renewed before posting (claim to post took more
# than a third of the lease), a row given back because its workspace stayed busy. They are not
# crash points of their own (the run without a crash must have none: it is repeated until so),
# and in the runs that crash they only come in addition to the counted ones.
TIMING_WRITES = ("renew ", "retry_paced ")
CLEAN_TRIES = 3


def replicas() -> int:
    """PostgreSQL: the restart runs two replicas at once; SQLite is one process."""
    return 2 if os.environ.get("TEST_DATABASE_URL") else 1


@dataclass
class Scenario:
    """A database with the subscription and the update, planned and delivered by real bots."""

    database_url: str
    charts: Path
    logs: Path
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def digest_id(self) -> str:
        due_day = (self.now - timedelta(minutes=10)).date()
        return f"sub:slack:{CHANNEL.workspace_id}:{CHANNEL.channel_id}:{due_day.isoformat()}"

    @property
    def alert_id(self) -> str:
        return alert_delivery_id(UPDATE_ID, CHANNEL)

    def set_up(self) -> None:
        engine = make_engine(self.database_url)
        try:
            upgrade_schema(engine)
            due = (self.now - timedelta(minutes=10)).time().replace(second=0, microsecond=0)
            SubscriptionStore(engine).subscribe(
                CHANNEL,
                at=due,
                tz="UTC",
                topics=frozenset({"digest", "sanctions"}),
                by_user="UADMIN",
                now=self.now - timedelta(hours=1),
            )
            update = Update(
                update_id=UPDATE_ID,
                topic="sanctions",
                title="New sanctions designations — OFAC",
                lines=(Line("2 added, 0 changed, 0 removed."),),
                data_date=date(2026, 11, 20),
            )
            record_update(engine, update, self.now - timedelta(minutes=5))
        finally:
            engine.dispose()

    def env(self, fake: FakeSlack, crash_log: Path | None, crash_at: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DELIVERY_"))}
        env.update(
            DATABASE_URL=self.database_url,
            CHART_DIR=str(self.charts),
            SLACK_BOT_TOKEN="xoxb-crash-points",
            SLACK_SIGNING_SECRET="crash-points-signing-secret",
            SLACK_API_URL=fake.api_url,
            PLATFORM="console",
            LOG_LEVEL="INFO",
            # One worker thread: the order of the writes is the same from run to run.
            DELIVERY_THREADS="1",
            DELIVERY_LEASE_S="4",
            DELIVERY_RETRY_BASE_S="0.2",
            DELIVERY_TICK_S="1",
            DELIVERY_CHANNEL_INTERVAL_S="0",
            DELIVERY_LEADER_RETRY_S="1",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join([str(HOOK), str(PROJECT_ROOT)]),
        )
        env.pop("BRIEF_CRASH_LOG", None)
        env.pop("BRIEF_CRASH_AT", None)
        if crash_log is not None:
            env["BRIEF_CRASH_LOG"] = str(crash_log)
            env["BRIEF_CRASH_AT"] = crash_at
        return env

    def start(
        self, fake: FakeSlack, name: str, *, crash_log: Path | None = None, crash_at: str = ""
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        return subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "bot.py"), *RUN_ARGS],
            cwd=self.logs,  # away from any developer's .env
            env=self.env(fake, crash_log, crash_at),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def settled(self) -> bool:
        engine = make_engine(self.database_url)
        try:
            ledger = Ledger(engine)
            if ledger.counts() != {DeliveryStatus.SENT.value: 2}:
                return False
            row = ledger.row(self.digest_id)
            return row is not None and row["chart_status"] is not None
        finally:
            engine.dispose()

    def ledger_rows(self) -> dict[str, dict[str, object]]:
        engine = make_engine(self.database_url)
        try:
            ledger = Ledger(engine)
            return {
                d: row
                for d in (self.digest_id, self.alert_id)
                if (row := ledger.row(d)) is not None
            }
        finally:
            engine.dispose()

    def all_logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.logs.glob("*.log"))
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def wait_until(scenario: Scenario, procs: list[subprocess.Popen[bytes]], what: str) -> None:
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        if scenario.settled():
            return
        if all(p.poll() is not None for p in procs):
            break
        time.sleep(0.2)
    raise AssertionError(
        f"{what}: the ledger did not settle: {scenario.ledger_rows()}\n{scenario.all_logs()}"
    )


def events(path: Path) -> list[str]:
    """``write step`` of each event in a crash log, in order."""
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line]


def crash_points(clean: list[str]) -> list[str]:
    """``write step#K`` for every event of a run: the K-th occurrence of that event."""
    seen: Counter[str] = Counter()
    points = []
    for event in clean:
        seen[event] += 1
        points.append(f"{event}#{seen[event]}")
    return points


@dataclass
class Point:
    at: str  # write step#K: the event the process died after
    texts: Counter[str]
    charts: Counter[str]
    rows: dict[str, dict[str, object]]


@contextmanager
def scenario_in(tmp_path: Path, name: str, charts: Path) -> Iterator[Scenario]:
    folder = tmp_path / name
    folder.mkdir()
    with empty_database(folder, name) as url:
        scenario = Scenario(url, charts, folder)
        scenario.set_up()
        yield scenario


def script_faults(fake: FakeSlack, faults: bool) -> None:
    if faults:
        fake.fail_next("chat.postMessage", status=429, retry_after_s=1)
        fake.lose_next_answer("files.completeUploadExternal")


def run_clean(tmp_path: Path, charts: Path, faults: bool) -> list[str]:
    """The ledger write events of planning and delivering the scenario without a crash, from
    a run that made no write only a slow machine makes."""
    for attempt in range(1, CLEAN_TRIES + 1):
        seen = run_clean_once(tmp_path, charts, faults, attempt)
        if not [e for e in seen if e.startswith(TIMING_WRITES)]:
            return seen
    raise AssertionError(f"every run without a crash renewed a lease or paced a post: {seen}")


def run_clean_once(tmp_path: Path, charts: Path, faults: bool, attempt: int) -> list[str]:
    with scenario_in(tmp_path, f"clean{attempt}", charts) as scenario, FakeSlack() as fake:
        script_faults(fake, faults)
        crash_log = scenario.logs / "events.txt"
        bot = scenario.start(fake, "bot", crash_log=crash_log)
        try:
            wait_until(scenario, [bot], "the run without a crash")
            time.sleep(1.5)  # a tick more: any later write would be counted too
        finally:
            stop(bot)
        assert fake.delivered() == {scenario.digest_id: 1, scenario.alert_id: 1}
        assert fake.charts() == {chart_file_name(scenario.digest_id): 1}
        return events(crash_log)


def run_point(tmp_path: Path, charts: Path, faults: bool, number: int, at: str) -> Point:
    """Die right after write event ``at``, restart, settle; what the fake Slack received."""
    with (
        scenario_in(tmp_path, f"p{number:02d}", charts) as scenario,
        FakeSlack() as fake,
        ExitStack() as running,
    ):
        script_faults(fake, faults)
        crash_log = scenario.logs / "events.txt"
        doomed = scenario.start(fake, "doomed", crash_log=crash_log, crash_at=at)
        running.callback(stop, doomed)
        try:
            doomed.wait(SETTLE_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the process never reached write event {at}:\n{scenario.all_logs()}"
            ) from None
        seen = events(crash_log)
        assert doomed.returncode == -signal.SIGKILL, scenario.all_logs()
        event, _, nth = at.rpartition("#")
        assert seen[-1:] == [event], (at, seen, scenario.all_logs())
        assert seen.count(event) == int(nth), (at, seen)
        survivors = [scenario.start(fake, f"restart{i}") for i in range(replicas())]
        for proc in survivors:
            running.callback(stop, proc)
        wait_until(scenario, survivors, f"after the kill at write event {at}")
        time.sleep(0.5)  # a post racing the last settle would show now
        return Point(at, fake.delivered(), fake.charts(), scenario.ledger_rows())


@pytest.mark.parametrize("faults", [False, True], ids=["straight", "429-and-lost-chart-answer"])
def test_kill_9_at_every_ledger_write_loses_nothing_and_posts_nothing_twice(
    tmp_path: Path, faults: bool
) -> None:
    charts = tmp_path / "charts"  # shared: the chart is drawn once, by the clean run
    clean = run_clean(tmp_path, charts, faults)
    # Planning (runs and deliveries in one transaction, the watermark, the legacy mark) and
    # delivery (claims; the text recorded; the chart recorded) all write the ledger.
    kinds = {e.split()[0] for e in clean}
    assert {"plan_digests", "plan_alerts", "claim", "text_posted", "sent"} <= kinds, clean
    assert "plan_digests runs" in clean, clean
    assert "plan_digests deliveries" in clean, clean
    if faults:
        assert {"hold_channel", "retry", "retry_chart"} <= kinds, clean

    targets = crash_points(clean)
    with ThreadPoolExecutor(PARALLEL) as pool:
        points = list(
            pool.map(
                lambda n: run_point(tmp_path, charts, faults, n, targets[n]), range(len(targets))
            )
        )

    digest_chart = None
    for point in points:
        digest_id, alert_id = sorted(point.rows, key=lambda d: not d.startswith("sub:"))
        digest_chart = chart_file_name(digest_id)
        where = f"killed right after write event {point.at}"
        assert point.texts == {digest_id: 1, alert_id: 1}, where  # 0 lost, 0 twice
        assert point.charts == {digest_chart: 1}, where  # the chart once, never the text twice
        assert point.rows[digest_id]["status"] == DeliveryStatus.SENT.value, where
        assert point.rows[digest_id]["chart_status"] == ChartStatus.POSTED.value, where
        assert point.rows[alert_id]["status"] == DeliveryStatus.SENT.value, where
        assert point.rows[alert_id]["chart_status"] is None, where
    assert digest_chart is not None
    assert [p.at for p in points] == targets
    print(
        f"\n{len(points)} crash points ({len(set(clean))} kinds of write event, "
        f"{replicas()} replica(s) after each restart): " + ", ".join(targets)
    )
