"""Fetching feeds over real HTTP from a file server on 127.0.0.1 serving the repository's files:
conditional GET, the content hash, retries (never a real sleep), limits, and every way a broken
upstream is refused while the last good data keeps serving."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from briefing.appstate import Briefing
from briefing.delivery.poster import ChannelRef
from briefing.delivery.service import deliver_alerts
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.feeds.catalog import Feed, find_feeds
from briefing.feeds.fetch import FetchContext, FetchReport, run_feed
from briefing.feeds.http import USER_AGENT, Limits
from briefing.feeds.state import Outcome, load_state
from briefing.generation import current_generation
from briefing.platforms.slack.poster import SlackPoster, delivery_client
from briefing.sanctions.store import list_snapshots
from briefing.settings import Settings, load_settings
from tests.conftest import FIXTURES, OFAC_SNAPSHOTS
from tests.fakes.fake_slack import TEAM_ID, FakeSlack
from tests.fakes.file_server import HTML_ERROR, Fault, FileServer
from tests.trade.test_comtrade import api_frame

pytestmark = pytest.mark.slow

SDN_OLD = OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"
SDN_NEW = OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"
FEB_20 = datetime(2024, 2, 20, 21, 5, tzinfo=UTC)
FEB_23 = datetime(2024, 2, 23, 20, 40, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as files:
        yield files


def feed_settings(
    database_url: str, tmp_path: Path, server: FileServer, **extra: object
) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "chart_dir": tmp_path / "charts",
        "feeds_dir": tmp_path / "feeds",
        "ofac_base_url": server.base_url + "ofac/",
        "opensanctions_base_url": server.base_url + "os/",
        "opensanctions_datasets": "default",
        "customs_csv_url": server.base_url + "customs/releases.csv",
        "fetch_attempts": 3,
        "fetch_retry_base_s": 0.5,
        "fetch_timeout_s": 5.0,
        "_env_file": None,
    }
    values.update(extra)
    return load_settings(**values)


@pytest.fixture
def live(database_url: str, tmp_path: Path, server: FileServer, engine: Engine) -> Briefing:
    return Briefing.load(feed_settings(database_url, tmp_path, server), engine)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def fetch(
    brief: Briefing, name: str, sleeps: Sleeps, *, force: bool = False, now: datetime = NOW
) -> FetchReport:
    (feed,) = find_feeds(brief.settings, [name])
    ctx = FetchContext(limits=Limits.of(brief.settings), sleep=sleeps)
    return run_feed(brief, feed, ctx, now, force=force)


def sdn_feed(brief: Briefing) -> Feed:
    (feed,) = find_feeds(brief.settings, ["ofac_sdn"])
    return feed


def snapshots(brief: Briefing) -> list[str]:
    with brief.engine.connect() as conn:
        return [s.list_date.isoformat() for s in list_snapshots(conn, "ofac-sdn")]


def test_first_fetch_loads_the_list_and_the_second_is_a_304(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)

    first = fetch(live, "ofac_sdn", sleeps)
    assert first.outcome is Outcome.NEW, first.message
    assert snapshots(live) == ["2024-02-20"]  # dated by Last-Modified
    (request,) = server.requests_to("ofac/SDN.CSV")
    assert request.headers["user-agent"] == USER_AGENT
    assert "if-none-match" not in request.headers
    # The companions the server lacks were asked for and left out.
    assert [r.status for r in server.requests_to("ofac/ADD.CSV")] == [404]
    state = load_state(live.engine, "ofac_sdn")
    assert state is not None
    assert state.last_outcome is Outcome.NEW
    assert state.data_date is not None
    assert state.data_date.isoformat() == "2024-02-20"
    generation = current_generation(live.engine)

    second = fetch(live, "ofac_sdn", sleeps, now=NOW + timedelta(hours=8))
    assert second.outcome is Outcome.NOT_MODIFIED, second.message
    last = server.requests_to("ofac/SDN.CSV")[-1]
    assert last.status == 304
    assert last.headers["if-none-match"] == server.files["/ofac/SDN.CSV"].etag
    assert "if-modified-since" in last.headers
    assert current_generation(live.engine) == generation  # nothing re-ingested
    state = load_state(live.engine, "ofac_sdn")
    assert state is not None
    assert state.last_success_at == NOW + timedelta(hours=8)
    assert sleeps == []


def test_a_server_that_ignores_validators_costs_a_download_not_a_reload(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.conditional = False
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    assert fetch(live, "ofac_sdn", sleeps).outcome is Outcome.NEW
    generation = current_generation(live.engine)

    again = fetch(live, "ofac_sdn", sleeps)
    assert again.outcome is Outcome.UNCHANGED, again.message
    assert [r.status for r in server.requests_to("ofac/SDN.CSV")] == [200, 200]
    assert current_generation(live.engine) == generation


def subscribe(brief: Briefing, channels: list[str], topics: frozenset[str]) -> None:
    store = SubscriptionStore(brief.engine)
    for channel in channels:
        store.subscribe(
            ChannelRef("slack", TEAM_ID, channel),
            at=datetime(2026, 1, 1, 8, 0).time(),
            tz="UTC",
            topics=topics,
            by_user="UADMIN",
            now=NOW - timedelta(days=1),
        )


def test_a_newer_list_alerts_each_subscribed_channel_exactly_once(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    subscribe(live, ["C1", "C2"], frozenset({"sanctions"}))
    subscribe(live, ["C3"], frozenset({"trade"}))  # not subscribed to sanctions
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    assert fetch(live, "ofac_sdn", sleeps).outcome is Outcome.NEW  # the baseline: no update

    server.put("ofac/SDN.CSV", SDN_NEW, FEB_23)
    later = NOW + timedelta(hours=8)
    report = fetch(live, "ofac_sdn", sleeps, now=later)
    assert report.outcome is Outcome.NEW, report.message
    assert report.updates == 1
    assert snapshots(live) == ["2024-02-20", "2024-02-23"]

    with FakeSlack() as slack:
        configured = live.settings.model_copy(
            update={"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": slack.api_url}
        )
        poster = SlackPoster(delivery_client(configured, timeout_s=2))
        # Two workers at once (as two replicas would be), then the schedule fetching the
        # same list again and delivering once more: still one alert per channel.
        passes = [
            threading.Thread(
                target=deliver_alerts, args=(live, poster, later + timedelta(minutes=1))
            )
            for _ in range(2)
        ]
        for thread in passes:
            thread.start()
        for thread in passes:
            thread.join(60)
        again = fetch(live, "ofac_sdn", sleeps, now=later + timedelta(hours=8))
        assert again.outcome is Outcome.NOT_MODIFIED
        deliver_alerts(live, poster, later + timedelta(hours=8, minutes=1))
        posted = [m for msgs in slack.messages.values() for m in msgs]
        delivered = slack.delivered()
    assert sorted(m.channel for m in posted) == ["C1", "C2"]
    assert all("OFAC" in (m.text or "") for m in posted)
    assert len(delivered) == 2
    assert set(delivered.values()) == {1}


def test_503_with_retry_after_then_success(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    server.fail_next("ofac/SDN.CSV", Fault("status", 503, retry_after="7"), times=2)

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.NEW, report.message
    assert [r.status for r in server.requests_to("ofac/SDN.CSV")] == [503, 503, 200]
    assert sleeps == [7.0, 7.0]  # Retry-After honoured, never actually slept


def test_5xx_without_retry_after_backs_off_with_jitter_and_gives_up(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    assert fetch(live, "ofac_sdn", sleeps).outcome is Outcome.NEW
    server.put("ofac/SDN.CSV", SDN_NEW, FEB_23)
    server.fail_next("ofac/SDN.CSV", Fault("status", 502), times=3)

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.FAILED
    assert "HTTP 502" in report.message
    assert "gave up after 3 tries" in report.message
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 1.5
    assert snapshots(live) == ["2024-02-20"]  # the last good list keeps serving
    state = load_state(live.engine, "ofac_sdn")
    assert state is not None
    assert state.failures == 1
    assert state.last_outcome is Outcome.FAILED


def test_a_stalled_server_times_out(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine, sleeps: Sleeps
) -> None:
    brief = Briefing.load(
        feed_settings(database_url, tmp_path, server, fetch_timeout_s=0.2, fetch_attempts=2),
        engine,
    )
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    server.fail_next("ofac/SDN.CSV", Fault("stall"), times=2)

    report = fetch(brief, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.FAILED
    assert "timed out" in report.message
    assert "2 tries" in report.message
    assert snapshots(brief) == []


def test_a_body_cut_short_of_its_length_is_retried(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    server.fail_next("ofac/SDN.CSV", Fault("truncate"))

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.NEW, report.message
    assert len(server.requests_to("ofac/SDN.CSV")) == 2
    assert not list((live.settings.feeds_dir / "ofac_sdn").glob("incoming-*"))


def test_a_body_cut_short_every_time_fails(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    server.fail_next("ofac/SDN.CSV", Fault("truncate"), times=3)

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.FAILED
    assert "gave up after 3 tries" in report.message
    assert snapshots(live) == []


def test_a_body_cut_without_a_length_is_refused_by_the_ingest(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    assert fetch(live, "ofac_sdn", sleeps).outcome is Outcome.NEW
    server.put("ofac/SDN.CSV", SDN_NEW, FEB_23)
    server.fail_next("ofac/SDN.CSV", Fault("cut"))

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.REFUSED, report.message
    assert "truncated" in report.message
    assert "last good data keeps serving" in report.message
    assert snapshots(live) == ["2024-02-20"]
    # The refused bytes did not become the last good copy: the next run downloads again.
    again = fetch(live, "ofac_sdn", sleeps)
    assert again.outcome is Outcome.NEW, again.message
    assert server.requests_to("ofac/SDN.CSV")[-1].status == 200


def test_an_html_error_page_is_refused(live: Briefing, server: FileServer, sleeps: Sleeps) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    assert fetch(live, "ofac_sdn", sleeps).outcome is Outcome.NEW
    server.fail_next("ofac/SDN.CSV", Fault("html"))

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.REFUSED
    assert "web page" in report.message
    assert snapshots(live) == ["2024-02-20"]


def test_an_html_page_sent_as_csv_is_refused(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", HTML_ERROR, FEB_20, content_type="text/csv")

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.REFUSED
    assert "HTML page" in report.message


def test_a_wrongly_encoded_list_is_refused(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    assert fetch(live, "ofac_sdn", sleeps).outcome is Outcome.NEW
    utf16 = SDN_NEW.read_bytes().decode("latin-1").encode("utf-16")
    server.put("ofac/SDN.CSV", utf16, FEB_23)

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.REFUSED
    assert "UTF-16" in report.message
    assert snapshots(live) == ["2024-02-20"]


def test_an_empty_file_is_refused(live: Briefing, server: FileServer, sleeps: Sleeps) -> None:
    server.put("ofac/SDN.CSV", b"", FEB_20)

    report = fetch(live, "ofac_sdn", sleeps)

    assert report.outcome is Outcome.REFUSED
    assert "empty" in report.message


def test_a_list_that_shrank_by_half_is_refused_without_force(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    assert fetch(live, "ofac_sdn", sleeps).outcome is Outcome.NEW
    lines = SDN_NEW.read_bytes().splitlines(keepends=True)
    server.put("ofac/SDN.CSV", b"".join(lines[: len(lines) // 4]), FEB_23)

    refused = fetch(live, "ofac_sdn", sleeps)
    assert refused.outcome is Outcome.REFUSED
    assert "shrank by more than half" in refused.message
    assert snapshots(live) == ["2024-02-20"]

    forced = fetch(live, "ofac_sdn", sleeps, force=True)
    assert forced.outcome is Outcome.NEW, forced.message
    assert snapshots(live) == ["2024-02-20", "2024-02-23"]


def test_a_file_over_the_size_limit_is_refused_before_download(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("ofac/SDN.CSV", SDN_OLD, FEB_20)
    feed = replace(sdn_feed(live), max_bytes=1000)
    ctx = FetchContext(limits=Limits.of(live.settings), sleep=sleeps)

    report = run_feed(live, feed, ctx, NOW)

    assert report.outcome is Outcome.REFUSED
    assert "over this feed's limit" in report.message


def test_opensanctions_reads_the_index_for_its_version_and_file(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    def publish(version: str, fixture: str, when: datetime) -> None:
        path = f"os/default/{version}/targets.simple.csv"
        server.put(path, FIXTURES / "sanctions" / fixture, when)
        index = {
            "name": "default",
            "version": version,
            "updated_at": when.strftime("%Y-%m-%dT%H:%M:%S"),
            "resources": [
                {"name": "entities.ftm.json", "url": server.base_url + "nowhere.json"},
                {"name": "targets.simple.csv", "url": server.base_url + path},
            ],
        }
        server.put("os/default/index.json", json.dumps(index).encode(), when, "application/json")

    publish("20240220210500-abc", "default_2024-02-20.targets.simple.csv", FEB_20)
    first = fetch(live, "opensanctions_default", sleeps)
    assert first.outcome is Outcome.NEW, first.message
    assert "version 20240220210500-abc" in first.message

    same = fetch(live, "opensanctions_default", sleeps)
    assert same.outcome is Outcome.NOT_MODIFIED
    assert len(server.requests_to("os/default/20240220210500-abc/targets.simple.csv")) == 1

    publish("20240223204000-def", "default_2024-02-23.targets.simple.csv", FEB_23)
    newer = fetch(live, "opensanctions_default", sleeps)
    assert newer.outcome is Outcome.NEW, newer.message
    assert newer.updates == 1
    state = load_state(live.engine, "opensanctions_default")
    assert state is not None
    assert state.data_version == "20240223204000-def"
    assert state.data_date is not None
    assert state.data_date.isoformat() == "2024-02-23"


def test_an_index_that_is_not_json_is_refused(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("os/default/index.json", b"{not json", FEB_20, "application/json")

    report = fetch(live, "opensanctions_default", sleeps)

    assert report.outcome is Outcome.REFUSED
    assert "not a dataset index" in report.message


def test_a_customs_csv_at_the_operators_url(
    live: Briefing, server: FileServer, sleeps: Sleeps
) -> None:
    server.put("customs/releases.csv", FIXTURES / "trade" / "customs_releases.csv", FEB_20)
    before = len(live.trade)

    report = fetch(live, "customs", sleeps)

    assert report.outcome is Outcome.NEW, report.message
    assert report.updates >= 1
    assert len(live.trade) > before


def test_the_comtrade_feed_loads_the_apis_answer_once(
    database_url: str, tmp_path: Path, server: FileServer, engine: Engine, sleeps: Sleeps
) -> None:
    brief = Briefing.load(
        feed_settings(database_url, tmp_path, server, comtrade_api_key=SecretStr("k")), engine
    )
    asked: list[tuple[str, list[int]]] = []

    def answer(key: str, years: list[int]) -> object:
        asked.append((key, years))
        return api_frame()

    (feed,) = find_feeds(brief.settings, ["comtrade"])
    ctx = FetchContext(limits=Limits.of(brief.settings), sleep=sleeps, comtrade_frame=answer)

    first = run_feed(brief, feed, ctx, NOW)
    assert first.outcome is Outcome.NEW, first.message
    assert asked == [("k", [2025, 2026])]
    again = run_feed(brief, feed, ctx, NOW + timedelta(days=7))
    assert again.outcome is Outcome.UNCHANGED, again.message


def test_the_comtrade_feed_is_off_without_a_key(live: Briefing, sleeps: Sleeps) -> None:
    (feed,) = find_feeds(live.settings, ["comtrade"])
    assert feed.unavailable is not None
    assert "COMTRADE_API_KEY" in feed.unavailable
    report = fetch(live, "comtrade", sleeps)
    assert report.outcome is Outcome.FAILED
    assert "COMTRADE_API_KEY" in report.message
