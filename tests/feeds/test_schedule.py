"""The scheduled fetch: leader only, once per interval with jitter, admins told once about
repeated failures and once on recovery; freshness in /brief sources and the digest; `bot.py
fetch`; and `bot.py run` against the file server posting one alert per subscribed channel."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.daily_digest import build_digest
from briefing.delivery.poster import ChannelRef
from briefing.delivery.service import DeliveryService
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.feeds.catalog import find_feeds, scheduled_feeds
from briefing.feeds.fetch import FetchContext, run_feed
from briefing.feeds.http import Limits, retry_after
from briefing.feeds.service import FetchService
from briefing.feeds.state import Outcome, feed_state, load_state
from briefing.render.text import render_text
from briefing.settings import PROJECT_ROOT
from handlers import sources
from tests.conftest import BotProcess, BotRunner
from tests.fakes.fake_slack import TEAM_ID, FakeSlack, iter_texts, signed_post, slash_body
from tests.fakes.file_server import Fault, FileServer
from tests.feeds.test_fetch import FEB_20, FEB_23, SDN_NEW, SDN_OLD, Sleeps, feed_settings

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as files:
        yield files


class Leader:
    def __init__(self, leading: bool) -> None:
        self.is_leader = leading

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def scheduled(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine, **extra: object
) -> Briefing:
    values: dict[str, object] = {"feeds": "ofac_sdn", "fetch_jitter_s": 600.0}
    values.update(extra)
    return Briefing.load(feed_settings(database_url, tmp_path, server, **values), engine)


def service(
    brief: Briefing,
    leading: bool = True,
    notes: list[str] | None = None,
    on_new: Callable[[], None] | None = None,
) -> FetchService:
    ctx = FetchContext(limits=Limits.of(brief.settings), sleep=Sleeps())
    return FetchService(
        brief,
        scheduled_feeds(brief.settings),
        leadership=Leader(leading),
        notify=None if notes is None else notes.append,
        on_new_data=on_new,
        context=ctx,
        rng=random.Random(7),
    )


def make_due(brief: Briefing, feed: str, at: datetime) -> None:
    with brief.engine.begin() as conn:
        conn.execute(update(feed_state).where(feed_state.c.feed == feed).values(next_run_at=at))


def test_only_the_leader_fetches_and_each_feed_once_per_interval_with_jitter(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine
) -> None:
    brief = scheduled(database_url, tmp_path, server, engine)
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    follower = service(brief, leading=False)
    leader = service(brief)
    other_leader = service(brief)  # a second process that also thinks it leads
    leader.prepare(NOW - timedelta(seconds=600))  # the first run, within the jitter

    assert follower.tick(NOW) == []
    assert server.requests == []

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(len(s.tick(NOW))))
        for s in (leader, other_leader)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [0, 1]  # of two processes at once, one fetched
    assert len(server.requests_to("ofac/SDN.CSV")) == 1

    state = load_state(brief.engine, "ofac_sdn")
    assert state is not None
    assert state.next_run_at is not None
    every = timedelta(hours=8)
    assert NOW + every <= state.next_run_at <= NOW + every + timedelta(seconds=600)
    assert state.next_run_at != NOW + every  # the jitter moved it

    assert leader.tick(NOW + timedelta(hours=1)) == []  # not due yet
    (again,) = leader.tick(state.next_run_at)
    assert again.outcome is Outcome.NOT_MODIFIED


def test_admins_are_told_once_after_repeated_failures_and_once_on_recovery(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine
) -> None:
    brief = scheduled(
        database_url, tmp_path, server, engine, fetch_attempts=1, fetch_failures_before_notice=3
    )
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    notes: list[str] = []
    svc = service(brief, notes=notes)
    svc.prepare(NOW - timedelta(hours=1))
    make_due(brief, "ofac_sdn", NOW)
    (first,) = svc.tick(NOW)
    assert first.outcome is Outcome.NEW

    server.fail_next("ofac/SDN.CSV", Fault("status", 503), times=5)
    outcomes = []
    for run in range(5):
        at = NOW + timedelta(hours=9 * (run + 1))
        make_due(brief, "ofac_sdn", at)
        (report,) = svc.tick(at)
        outcomes.append(report.outcome)
    assert outcomes == [Outcome.FAILED] * 5
    assert len(notes) == 1  # after the third, not again
    assert "the last 3 fetches failed" in notes[0]
    assert "the data of 20 Feb 2024 keeps serving" in notes[0]
    assert "HTTP 503" in notes[0]

    at = NOW + timedelta(days=3)
    make_due(brief, "ofac_sdn", at)
    (recovered,) = svc.tick(at)
    assert recovered.outcome is Outcome.NOT_MODIFIED
    assert len(notes) == 2
    assert "fetching works again" in notes[1]
    make_due(brief, "ofac_sdn", at + timedelta(hours=9))
    svc.tick(at + timedelta(hours=9))
    assert len(notes) == 2


def test_new_data_asks_for_its_alerts_to_be_planned(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine
) -> None:
    brief = scheduled(database_url, tmp_path, server, engine)
    asked: list[int] = []
    svc = service(brief, on_new=lambda: asked.append(1))
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    svc.prepare(NOW)
    make_due(brief, "ofac_sdn", NOW)
    svc.tick(NOW)
    assert asked == []  # the first list is the baseline: nothing to announce
    server.put("ofac/SDN.CSV", SDN_NEW, FEB_23)
    make_due(brief, "ofac_sdn", NOW + timedelta(hours=8))
    svc.tick(NOW + timedelta(hours=8))
    assert asked == [1]


def test_sources_shows_each_feeds_freshness_and_the_digest_says_when_it_is_stale(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine
) -> None:
    brief = scheduled(database_url, tmp_path, server, engine, fetch_attempts=1)
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    svc = service(brief)
    svc.prepare(NOW)
    make_due(brief, "ofac_sdn", NOW)
    svc.tick(NOW)
    ctx = Context(brief=brief, today=NOW.date(), caller=Caller(), now=NOW)

    text = render_text(sources.handle("", ctx))
    assert "Live data" in text
    assert "OFAC SDN list: data of 20 Feb 2024" in text
    assert "last success 23 Nov 2026 09:00 UTC" in text
    assert "last attempt 23 Nov 2026 09:00 UTC: new data loaded" in text
    assert "next run 23 Nov 2026 17:" in text

    assert "Stale data" not in render_text(build_digest(brief, NOW.date()))

    later = NOW + timedelta(days=4)
    server.fail_next("ofac/SDN.CSV", Fault("status", 500), times=1)
    make_due(brief, "ofac_sdn", later)
    svc.tick(later)
    text = render_text(sources.handle("", Context(brief=brief, today=later.date(), now=later)))
    assert "last attempt 27 Nov 2026 09:00 UTC: failed (" in text
    assert "HTTP 500" in text

    digest = render_text(build_digest(brief, later.date()))
    stale = [line for line in digest.splitlines() if "Stale data" in line]
    assert len(stale) == 1
    assert "OFAC SDN list last refreshed 23 Nov 2026 (expected within 2 days)" in stale[0]
    # A digest of a day before the feed ever ran says nothing about it.
    assert "Stale data" not in render_text(build_digest(brief, date(2026, 11, 1)))


def _bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "bot.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def _env(database_url: str, server: FileServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ADMIN_"))}
    env.update(
        DATABASE_URL=database_url,
        PLATFORM="console",
        FEEDS="ofac_sdn",
        OFAC_BASE_URL=server.base_url + "ofac/",
        FEEDS_DIR=str(tmp_path / "feeds"),
        FETCH_RETRY_BASE_S="0",
        **extra,
    )
    return env


def test_bot_fetch_prints_what_happened_and_fails_on_a_refusal(
    database_url: str, server: FileServer, tmp_path: Path
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    env = _env(database_url, server, tmp_path)

    out, err = _bot("fetch", env=env, cwd=tmp_path).communicate(timeout=120)
    assert "ofac_sdn: new — OFAC SDN list: loaded (data of 20 Feb 2024)" in out, err
    assert "1 feed: 1 with new data" in out

    server.fail_next("ofac/SDN.CSV", Fault("html"))
    server.put("ofac/SDN.CSV", SDN_NEW, FEB_23)
    proc = _bot("fetch", "ofac_sdn", env=env, cwd=tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "ofac_sdn: refused" in out
    assert "the last good data keeps serving" in err

    proc = _bot("fetch", "--list", env=env, cwd=tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "ofac_sdn  [US government work, public domain]  OFAC SDN list: data of 20 Feb" in out
    assert "opensanctions_sanctions  [CC BY-NC 4.0" in out
    assert "customs  [" in out
    assert "off: set CUSTOMS_CSV_URL" in out

    proc = _bot("fetch", "nope", env=env, cwd=tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "no feed named nope" in err


SECRET = "feeds-test-signing-secret"


@pytest.mark.parametrize(
    "replicas",
    [
        1,
        pytest.param(
            2,
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not os.environ.get("TEST_DATABASE_URL"),
                    reason="several replicas need PostgreSQL: set TEST_DATABASE_URL",
                ),
            ],
        ),
    ],
)
def test_bot_run_fetches_on_schedule_and_alerts_each_channel_once(
    database_url: str, server: FileServer, brief: Briefing, replicas: int, bot_runner: BotRunner
) -> None:
    """The whole path: `bot.py run` with its feeds pointed at the file server loads the list,
    posts the update alert once per subscribed channel when a newer version appears, and
    `/brief sources` shows the feed's state — with one process, and with two replicas sharing
    PostgreSQL (only the leader fetches; every replica answers from the same state)."""
    subscribed_at = datetime.now(UTC) - timedelta(hours=1)
    store = SubscriptionStore(brief.engine)
    for channel in ("C1", "C2"):
        store.subscribe(
            ChannelRef("slack", TEAM_ID, channel),
            at=datetime(2026, 1, 1, 3, 0).time(),
            tz="UTC",
            topics=frozenset({"sanctions"}),
            by_user="UADMIN",
            now=subscribed_at,
        )
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    with FakeSlack() as slack:
        env = _env(
            database_url,
            server,
            bot_runner.cwd,
            SLACK_BOT_TOKEN="xoxb-feeds",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
            FEED_INTERVALS="ofac_sdn=1s",
            FETCH_JITTER_S="0",
            FETCH_TICK_S="0.2",
            DELIVERY_TICK_S="0.5",
            DELIVERY_CHANNEL_INTERVAL_S="0",
            DELIVERY_LEADER_RETRY_S="1",
        )
        bots: list[BotProcess] = []
        try:
            for _ in range(replicas):
                bots.append(
                    bot_runner.start(
                        "run", "--platform", "slack", "--http", "--port", "0",
                        "--host", "127.0.0.1",
                        env=env,
                        ready=r"(http://127\.0\.0\.1:\d+)/slack/events",
                    )
                )  # fmt: skip
            urls = [bot.announced() for bot in bots]

            def loaded(day: str) -> bool:
                state = load_state(brief.engine, "ofac_sdn")
                return state is not None and str(state.data_date) == day

            wait_for(lambda: loaded("2024-02-20"), "the first list")
            server.put("ofac/SDN.CSV", SDN_NEW, FEB_23)
            wait_for(lambda: loaded("2024-02-23"), "the newer list")
            wait_for(lambda: len(slack.delivered()) == 2, "an alert in each channel")
            # More scheduled runs (304s) and planning ticks: still one alert per channel.
            seen = len(server.requests_to("ofac/SDN.CSV"))
            wait_for(lambda: len(server.requests_to("ofac/SDN.CSV")) >= seen + 3, "more runs")
            assert server.requests_to("ofac/SDN.CSV")[-1].status == 304

            for url in urls:
                body = slash_body("sources", response_url=slack.response_url())
                answer = signed_post(url, body, SECRET)
                assert answer.status == 200
                texts = "\n".join(iter_texts(json.loads(answer.body)["blocks"]))
                assert "OFAC SDN list: data of 23 Feb 2024" in texts
                assert "next run" in texts
        finally:
            bot_runner.stop_all()
        delivered = slack.delivered()
        channels = sorted(m.channel for msgs in slack.messages.values() for m in msgs)
    assert channels == ["C1", "C2"]
    assert set(delivered.values()) == {1}
    # One fetch per interval (1 s here), never two processes at once: no two requests for
    # the list closer together than half the interval.
    times = [r.at for r in server.requests_to("ofac/SDN.CSV")]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.5


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class RecordingPoster:
    """Delivery's view of a platform, recording the private notes to admins."""

    def __init__(self) -> None:
        self.notes: list[tuple[str, str, str]] = []

    def post(self, channel: ChannelRef, reply: object, delivery_id: str) -> object:
        raise AssertionError("nothing is posted here")

    def notify_user(self, channel: ChannelRef, user_id: str, text: str) -> None:
        self.notes.append((channel.channel_id, user_id, text))


def test_delivery_runs_the_feeds_of_feeds_and_tells_each_admin_once(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine
) -> None:

    brief = scheduled(database_url, tmp_path, server, engine)
    store = SubscriptionStore(brief.engine)
    for channel, admin in (("C1", "UA"), ("C2", "UA"), ("C3", "UB")):
        store.subscribe(
            ChannelRef("slack", TEAM_ID, channel),
            at=datetime(2026, 1, 1, 8, 0).time(),
            tz="UTC",
            topics=frozenset({"sanctions"}),
            by_user=admin,
            now=NOW,
        )
    poster = RecordingPoster()
    delivery = DeliveryService(brief, poster)  # type: ignore[arg-type]
    assert delivery.fetcher is not None
    assert [f.name for f in delivery.fetcher.feeds] == ["ofac_sdn"]
    assert delivery.fetcher.leadership is delivery.leadership  # the planner's leader fetches

    delivery.notify_admins("OFAC SDN list: the last 3 fetches failed")
    assert sorted((user, channel) for channel, user, _ in poster.notes) == [
        ("UA", "C1"),
        ("UB", "C3"),
    ]

    quiet = Briefing.load(feed_settings(database_url, tmp_path, server, feeds="none"), engine)
    assert DeliveryService(quiet, poster).fetcher is None  # type: ignore[arg-type]


def test_retry_after_as_seconds_or_a_date() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after("Mon, 23 Nov 2026 09:01:30 GMT", now) == 90.0
    assert retry_after("Mon, 23 Nov 2026 08:00:00 GMT", now) == 0.0
    assert retry_after("soon", now) is None


def test_a_retry_after_longer_than_the_cap_waits_the_cap(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine
) -> None:
    brief = Briefing.load(
        feed_settings(database_url, tmp_path, server, fetch_retry_max_s=30), engine
    )
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    server.fail_next("ofac/SDN.CSV", Fault("status", 429, retry_after="3600"))
    sleeps = Sleeps()
    (feed,) = find_feeds(brief.settings, ["ofac_sdn"])
    report = run_feed(
        brief, feed, FetchContext(limits=Limits.of(brief.settings), sleep=sleeps), NOW
    )
    assert report.outcome is Outcome.NEW
    assert sleeps == [30.0]
