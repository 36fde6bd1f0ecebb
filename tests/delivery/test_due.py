"""Scheduled delivery: one digest per channel per local day (DST included), staleness, failures,
and update alerts sent once to the channels subscribed to their topic."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from briefing.appstate import Briefing
from briefing.delivery import service
from briefing.delivery.poster import ChannelRef, PostError, PostResult
from briefing.delivery.service import (
    deliver_alerts,
    deliver_due,
    local_schedule,
    next_digest_at,
    run_tick,
    start_delivery,
)
from briefing.delivery.subscriptions import ALL_TOPICS, SubscriptionStatus, SubscriptionStore
from briefing.render.slack_blocks import render_blocks
from briefing.replies import Line, Reply, ReplyKind, Source
from briefing.updates import Update, record_update

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Post:
    channel: ChannelRef
    reply: Reply
    delivery_id: str | None
    at: datetime | None


@dataclass
class RecordingPoster:
    """A Poster that records posts; ``failures[channel_id]`` are raised first, in order."""

    now: datetime | None = None
    posts: list[Post] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    notes: list[tuple[ChannelRef, str, str]] = field(default_factory=list)
    failures: dict[str, list[PostError]] = field(default_factory=dict)
    notify_fails: bool = False

    def post(
        self, channel: ChannelRef, reply: Reply, *, delivery_id: str | None = None
    ) -> PostResult:
        self.attempts.append(channel.channel_id)
        pending = self.failures.get(channel.channel_id)
        if pending:
            raise pending.pop(0)
        self.posts.append(Post(channel, reply, delivery_id, self.now))
        return PostResult(message_id=str(len(self.posts)))

    def notify_user(self, channel: ChannelRef, user_id: str, text: str) -> None:
        if self.notify_fails:
            raise PostError("user_not_found", permanent=True)
        self.notes.append((channel, user_id, text))

    def to(self, channel_id: str) -> list[Post]:
        return [p for p in self.posts if p.channel.channel_id == channel_id]


def subscribe(
    brief: Briefing,
    channel_id: str,
    at: time,
    tz: str,
    *,
    topics: frozenset[str] = ALL_TOPICS,
    now: datetime = LONG_AGO,
) -> ChannelRef:
    channel = ChannelRef("slack", "T1", channel_id)
    SubscriptionStore(brief.engine).subscribe(
        channel, at=at, tz=tz, topics=topics, by_user="U1", now=now
    )
    return channel


def ticks(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    now = start
    while now <= end:
        yield now
        now += step


def run(brief: Briefing, poster: RecordingPoster, times: Iterator[datetime]) -> None:
    for now in times:
        poster.now = now
        deliver_due(brief, poster, now)


# -- local times and DST ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "zone", "expected_utc"),
    [
        (date(2024, 3, 8), time(8), BERLIN, datetime(2024, 3, 8, 7, 0, tzinfo=UTC)),
        # Spring forward: 02:00–03:00 does not exist; the end of the gap, 03:00 CEST.
        (date(2024, 3, 31), time(2, 30), BERLIN, datetime(2024, 3, 31, 1, 0, tzinfo=UTC)),
        (date(2024, 3, 31), time(8), BERLIN, datetime(2024, 3, 31, 6, 0, tzinfo=UTC)),
        # Fall back: 02:00–03:00 happens twice; the first time, still CEST.
        (date(2024, 10, 27), time(2, 30), BERLIN, datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
        (date(2024, 3, 10), time(2, 30), NEW_YORK, datetime(2024, 3, 10, 7, 0, tzinfo=UTC)),
        (date(2024, 3, 10), time(1, 30), NEW_YORK, datetime(2024, 3, 10, 6, 30, tzinfo=UTC)),
        (date(2024, 11, 3), time(1, 30), NEW_YORK, datetime(2024, 11, 3, 5, 30, tzinfo=UTC)),
    ],
)
def test_local_schedule(day: date, at: time, zone: ZoneInfo, expected_utc: datetime) -> None:
    assert local_schedule(day, at, zone) == expected_utc


def test_one_digest_per_local_day_across_repeated_ticks(brief: Briefing) -> None:
    subscribe(brief, "C1", time(8), "Europe/Berlin")
    poster = RecordingPoster()
    start = datetime(2024, 3, 8, 6, 50, tzinfo=UTC)
    run(brief, poster, ticks(start, start + timedelta(minutes=30), timedelta(minutes=1)))
    run(brief, poster, ticks(start, start + timedelta(hours=30), timedelta(minutes=10)))
    # Ticks that overlap (two replicas, a restart) change nothing.
    run(brief, poster, ticks(start, start + timedelta(hours=30), timedelta(minutes=7)))

    posts = poster.to("C1")
    assert [p.at for p in posts] == [
        datetime(2024, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2024, 3, 9, 7, 0, tzinfo=UTC),
    ]
    first = posts[0]
    assert first.delivery_id == "sub:slack:T1:C1:2024-03-08"
    assert first.reply.kind is ReplyKind.DIGEST
    assert first.reply.title == "China–Russia Brief · Fri 8 Mar 2024 · as of 08:00 Europe/Berlin"
    assert first.reply.sections[0].heading == "Since 7 Mar 2024"
    render_blocks(first.reply)  # a real digest renders for Slack


@pytest.mark.parametrize(
    ("first_day", "last_day"),
    [(date(2024, 3, 8), date(2024, 3, 12)), (date(2024, 3, 29), date(2024, 4, 2))],
    ids=["new-york-spring-forward", "berlin-spring-forward"],
)
def test_spring_forward_gives_one_digest_per_local_day(
    brief: Briefing, first_day: date, last_day: date
) -> None:
    check_dst_window(brief, first_day, last_day)


@pytest.mark.parametrize(
    ("first_day", "last_day"),
    [(date(2024, 10, 25), date(2024, 10, 29)), (date(2024, 11, 1), date(2024, 11, 5))],
    ids=["berlin-fall-back", "new-york-fall-back"],
)
def test_fall_back_gives_one_digest_per_local_day(
    brief: Briefing, first_day: date, last_day: date
) -> None:
    check_dst_window(brief, first_day, last_day)


def check_dst_window(brief: Briefing, first_day: date, last_day: date) -> None:
    schedules = {
        "berlin-0800": (time(8), BERLIN),
        "berlin-0230": (time(2, 30), BERLIN),
        "ny-0130": (time(1, 30), NEW_YORK),
    }
    for channel_id, (at, zone) in schedules.items():
        subscribe(brief, channel_id, at, zone.key)
    poster = RecordingPoster()
    start = datetime.combine(first_day, time(0), UTC)
    end = datetime.combine(last_day, time(0), UTC)
    # Every ten minutes, and every minute through the night when the clocks change.
    every = set(ticks(start, end, timedelta(minutes=10)))
    for day in (date(2024, 3, 10), date(2024, 3, 31), date(2024, 10, 27), date(2024, 11, 3)):
        night = datetime.combine(day, time(0), UTC)
        every |= set(ticks(night, night + timedelta(hours=8), timedelta(minutes=1)))
    run(brief, poster, iter(sorted(t for t in every if start <= t <= end)))

    for channel_id, (at, zone) in schedules.items():
        posts = poster.to(channel_id)
        days = [date.fromisoformat(str(p.delivery_id).rsplit(":", 1)[1]) for p in posts]
        assert len(days) == len(set(days)), f"{channel_id} got a day twice: {days}"
        # Every local day whose time fell inside the run, exactly once, at its first instant.
        expected = [
            d
            for d in (
                first_day + timedelta(days=i) for i in range(-1, (last_day - first_day).days + 1)
            )
            if start <= local_schedule(d, at, zone) <= end
        ]
        assert days == expected, channel_id
        for post, day in zip(posts, days, strict=True):
            assert post.at == local_schedule(day, at, zone), (channel_id, day)


def test_a_digest_more_than_six_hours_late_is_skipped_not_caught_up(
    brief: Briefing, caplog: pytest.LogCaptureFixture
) -> None:
    subscribe(brief, "C1", time(8), "Europe/Berlin", now=datetime(2024, 3, 8, 0, 0, tzinfo=UTC))
    poster = RecordingPoster()
    late = datetime(2024, 3, 8, 13, 1, tzinfo=UTC)  # 14:01 in Berlin: 6 h 1 min late
    with caplog.at_level(logging.WARNING, logger="briefing.delivery.planner"):
        report = deliver_due(brief, poster, late)
        again = deliver_due(brief, poster, late + timedelta(minutes=1))
    assert poster.posts == []
    assert report.skipped == ["sub:slack:T1:C1:2024-03-08"]
    assert again.skipped == []  # logged once, not every minute
    assert sum("skipped (more than 6:00:00 late)" in r.message for r in caplog.records) == 1

    run(brief, poster, ticks(late, late + timedelta(hours=20), timedelta(minutes=5)))
    assert [p.delivery_id for p in poster.posts] == ["sub:slack:T1:C1:2024-03-09"]


def test_a_late_digest_within_six_hours_is_still_posted(brief: Briefing) -> None:
    subscribe(brief, "C1", time(8), "Europe/Berlin")
    poster = RecordingPoster()
    report = deliver_due(brief, poster, datetime(2024, 3, 8, 12, 59, tzinfo=UTC))
    assert report.posted == ["sub:slack:T1:C1:2024-03-08"]


def test_a_late_evening_digest_is_caught_up_after_midnight(brief: Briefing) -> None:
    subscribe(brief, "C1", time(23, 50), "Europe/Berlin")
    poster = RecordingPoster()
    poster.now = datetime(2024, 3, 8, 23, 10, tzinfo=UTC)  # 00:10 on 9 Mar in Berlin
    deliver_due(brief, poster, poster.now)
    assert [p.delivery_id for p in poster.posts] == ["sub:slack:T1:C1:2024-03-08"]
    assert poster.posts[0].reply.title.startswith("China–Russia Brief · Fri 8 Mar 2024")


def test_subscribing_after_todays_time_starts_tomorrow(brief: Briefing) -> None:
    subscribed_at = datetime(2024, 3, 8, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    subscribe(brief, "C1", time(8), "Europe/Berlin", now=subscribed_at)
    sub = SubscriptionStore(brief.engine).get(ChannelRef("slack", "T1", "C1"))
    assert sub is not None
    assert next_digest_at(sub, subscribed_at) == datetime(2024, 3, 9, 7, 0, tzinfo=UTC)
    poster = RecordingPoster()
    run(
        brief,
        poster,
        ticks(subscribed_at, subscribed_at + timedelta(hours=24), timedelta(minutes=5)),
    )
    assert [p.delivery_id for p in poster.posts] == ["sub:slack:T1:C1:2024-03-09"]


def test_alert_only_subscriptions_get_no_digest(brief: Briefing) -> None:
    subscribe(brief, "C1", time(8), "UTC", topics=frozenset({"sanctions", "trade"}))
    poster = RecordingPoster()
    run(
        brief,
        poster,
        ticks(
            datetime(2024, 3, 8, 7, 0, tzinfo=UTC),
            datetime(2024, 3, 8, 9, 0, tzinfo=UTC),
            timedelta(minutes=10),
        ),
    )
    assert poster.posts == []


# -- failures -----------------------------------------------------------------------------------


def test_permanent_error_pauses_and_tells_the_admin(
    brief: Briefing, caplog: pytest.LogCaptureFixture
) -> None:
    gone = subscribe(brief, "C1", time(8), "UTC")
    subscribe(brief, "C2", time(8), "UTC")
    poster = RecordingPoster(failures={"C1": [PostError("channel_not_found", permanent=True)]})
    now = datetime(2024, 3, 8, 8, 0, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="briefing.delivery.worker"):
        report = deliver_due(brief, poster, now)
    assert report.paused == ["sub:slack:T1:C1:2024-03-08"]
    assert report.posted == ["sub:slack:T1:C2:2024-03-08"]
    sub = SubscriptionStore(brief.engine).get(gone)
    assert sub is not None
    assert sub.status is SubscriptionStatus.PAUSED
    assert sub.paused_reason == "channel_not_found"
    assert any("paused the subscription of slack:T1:C1" in r.message for r in caplog.records)
    [(channel, user, text)] = poster.notes
    assert (channel, user) == (gone, "U1")
    assert "channel_not_found" in text
    assert "/brief subscribe" in text

    run(brief, poster, ticks(now, now + timedelta(days=2), timedelta(minutes=10)))
    assert poster.attempts.count("C1") == 1
    assert len(poster.to("C2")) == 3


def test_notify_failure_is_only_logged(brief: Briefing) -> None:
    subscribe(brief, "C1", time(8), "UTC")
    poster = RecordingPoster(
        failures={"C1": [PostError("is_archived", permanent=True)]}, notify_fails=True
    )
    report = deliver_due(brief, poster, datetime(2024, 3, 8, 8, 0, tzinfo=UTC))
    assert report.paused == ["sub:slack:T1:C1:2024-03-08"]


def test_transient_error_is_retried_next_tick_without_duplicates(brief: Briefing) -> None:
    subscribe(brief, "C1", time(8), "UTC")
    poster = RecordingPoster(
        failures={
            "C1": [
                PostError("connection_error: TimeoutError", permanent=False),
                PostError("internal_error", permanent=False),
            ]
        }
    )
    start = datetime(2024, 3, 8, 8, 0, tzinfo=UTC)
    first = deliver_due(brief, poster, start)
    assert first.retry == ["sub:slack:T1:C1:2024-03-08"]
    run(
        brief,
        poster,
        ticks(start + timedelta(minutes=1), start + timedelta(hours=3), timedelta(minutes=1)),
    )
    assert poster.attempts.count("C1") == 3  # one a tick, not a storm
    assert [p.at for p in poster.to("C1")] == [start + timedelta(minutes=2)]


def test_a_rate_limit_holds_that_channel_for_retry_after_and_spares_the_others(
    brief: Briefing,
) -> None:
    # Slack limits chat.postMessage per channel: a 429 in C1 holds C1 (and only C1) for its
    # Retry-After, across every replica (the hold is in the ledger), then C1 is posted once.
    for channel_id in ("C1", "C2", "C3"):
        subscribe(brief, channel_id, time(8), "UTC")
    poster = RecordingPoster(
        failures={"C1": [PostError("ratelimited", permanent=False, retry_after_s=30)]}
    )
    now = datetime(2024, 3, 8, 8, 0, tzinfo=UTC)
    report = deliver_due(brief, poster, now)
    assert poster.attempts.count("C1") == 1
    assert report.retry == ["sub:slack:T1:C1:2024-03-08"]
    assert sorted(report.posted) == ["sub:slack:T1:C2:2024-03-08", "sub:slack:T1:C3:2024-03-08"]
    # Not before Retry-After…
    assert deliver_due(brief, poster, now + timedelta(seconds=29)).posted == []
    assert poster.attempts.count("C1") == 1
    # …and once after it.
    deliver_due(brief, poster, now + timedelta(minutes=1))
    deliver_due(brief, poster, now + timedelta(minutes=2))
    assert sorted(p.channel.channel_id for p in poster.posts) == ["C1", "C2", "C3"]
    assert poster.attempts.count("C1") == 2


def test_a_crashing_poster_is_logged_with_its_traceback_and_retried(
    brief: Briefing, caplog: pytest.LogCaptureFixture
) -> None:
    subscribe(brief, "C1", time(8), "UTC")

    class Broken(RecordingPoster):
        def post(
            self, channel: ChannelRef, reply: Reply, *, delivery_id: str | None = None
        ) -> PostResult:
            raise RuntimeError("adapter bug")

    with caplog.at_level(logging.ERROR, logger="briefing.delivery.worker"):
        report = deliver_due(brief, Broken(), datetime(2024, 3, 8, 8, 0, tzinfo=UTC))
    assert report.retry == ["sub:slack:T1:C1:2024-03-08"]
    assert any(r.exc_info and "adapter bug" in str(r.exc_info[1]) for r in caplog.records)


def test_now_must_be_aware(brief: Briefing) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deliver_due(brief, RecordingPoster(), datetime(2024, 3, 8, 8, 0))


# -- alerts -------------------------------------------------------------------------------------

DETECTED = datetime(2024, 2, 23, 22, 0, tzinfo=UTC)
OFAC = Source("U.S. Treasury OFAC SDN list", "https://ofac.treasury.gov/", date(2024, 2, 23))


def sanctions_update(update_id: str = "ofac:2024-02-23") -> Update:
    return Update(
        update_id=update_id,
        topic="sanctions",
        title="New sanctions designations — OFAC, 23 Feb 2024",
        lines=(
            Line("553 added (552 under RUSSIA-EO14024), 8 changed, 0 removed.", OFAC),
            Line("Linked to China / Hong Kong (10): WUHAN MAIWE COMMUNICATION CO LTD …"),
        ),
        data_date=date(2024, 2, 23),
    )


def trade_update() -> Update:
    return Update(
        update_id="gacc:2024-03",
        topic="trade",
        title="China customs: Jan–Feb 2024 trade $37.0 bn",
        lines=(Line("+9.3% on a year earlier", Source("China customs", None, date(2024, 3, 7))),),
        data_date=date(2024, 3, 7),
    )


def alert_subscribers(brief: Briefing) -> None:
    subscribe(brief, "all", time(8), "UTC")
    subscribe(brief, "sanctions", time(8), "UTC", topics=frozenset({"sanctions"}))
    subscribe(brief, "trade", time(8), "UTC", topics=frozenset({"trade"}))
    subscribe(brief, "digest", time(8), "UTC", topics=frozenset({"digest"}))
    paused = subscribe(brief, "paused", time(8), "UTC")
    SubscriptionStore(brief.engine).pause(paused, "not_in_channel", LONG_AGO)


def test_alerts_go_once_to_channels_subscribed_to_the_topic(brief: Briefing) -> None:
    alert_subscribers(brief)
    record_update(brief.engine, sanctions_update(), DETECTED)
    poster = RecordingPoster()

    for minute in range(5):
        deliver_alerts(brief, poster, DETECTED + timedelta(minutes=minute))
    assert sorted(p.channel.channel_id for p in poster.posts) == ["all", "sanctions"]
    alert = poster.posts[0].reply
    assert alert.kind is ReplyKind.ALERT
    assert alert.title == "New sanctions designations — OFAC, 23 Feb 2024"
    assert alert.sources == (OFAC,)
    assert poster.posts[0].delivery_id == "alert:ofac:2024-02-23:slack:T1:all"
    blocks, fallback = render_blocks(alert)
    assert "553 added" in fallback
    assert blocks[0]["type"] == "header"

    later = DETECTED + timedelta(hours=1)
    record_update(brief.engine, trade_update(), later)
    report = deliver_alerts(brief, poster, later + timedelta(minutes=1))
    assert sorted(report.posted) == [
        "alert:gacc:2024-03:slack:T1:all",
        "alert:gacc:2024-03:slack:T1:trade",
    ]
    assert len(poster.posts) == 4


def test_alert_transient_failure_is_retried_once_then_sent_once(brief: Briefing) -> None:
    subscribe(brief, "C1", time(8), "UTC", topics=frozenset({"sanctions"}))
    record_update(brief.engine, sanctions_update(), DETECTED)
    poster = RecordingPoster(failures={"C1": [PostError("fatal_error", permanent=False)]})
    first = deliver_alerts(brief, poster, DETECTED)
    assert first.retry == ["alert:ofac:2024-02-23:slack:T1:C1"]
    for minute in range(1, 4):
        deliver_alerts(brief, poster, DETECTED + timedelta(minutes=minute))
    assert poster.attempts == ["C1", "C1"]
    assert len(poster.posts) == 1


def test_alert_permanent_failure_pauses_the_channel(brief: Briefing) -> None:
    channel = subscribe(brief, "C1", time(8), "UTC", topics=frozenset({"sanctions"}))
    record_update(brief.engine, sanctions_update("a"), DETECTED)
    record_update(brief.engine, sanctions_update("b"), DETECTED)
    poster = RecordingPoster(failures={"C1": [PostError("token_revoked", permanent=True)]})
    report = deliver_alerts(brief, poster, DETECTED + timedelta(minutes=1))
    assert report.paused == ["alert:a:slack:T1:C1"]
    assert poster.attempts == ["C1"]
    sub = SubscriptionStore(brief.engine).get(channel)
    assert sub is not None
    assert sub.status is SubscriptionStatus.PAUSED
    assert len(poster.notes) == 1


def test_old_updates_and_updates_before_subscribing_are_not_alerted(brief: Briefing) -> None:
    record_update(brief.engine, sanctions_update("old"), DETECTED - timedelta(days=3))
    record_update(brief.engine, sanctions_update("before"), DETECTED - timedelta(hours=1))
    subscribe(brief, "C1", time(8), "UTC", now=DETECTED - timedelta(minutes=30))
    record_update(brief.engine, sanctions_update("after"), DETECTED)
    record_update(brief.engine, sanctions_update("future"), DETECTED + timedelta(hours=1))
    poster = RecordingPoster()
    report = deliver_alerts(brief, poster, DETECTED + timedelta(minutes=1))
    assert report.posted == ["alert:after:slack:T1:C1"]


# -- the timer ----------------------------------------------------------------------------------


def test_run_tick_logs_a_failing_step_and_runs_the_other(
    brief: Briefing, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("digest bug")

    def alerts(*_args: object, **_kwargs: object) -> None:
        calls.append("alerts")

    monkeypatch.setattr(service, "deliver_due", broken)
    monkeypatch.setattr(service, "deliver_alerts", alerts)
    with caplog.at_level(logging.ERROR, logger="briefing.delivery.service"):
        run_tick(brief, RecordingPoster(), DETECTED)
    assert calls == ["alerts"]
    [record] = [r for r in caplog.records if "digest delivery tick failed" in r.message]
    assert record.exc_info is not None


def test_start_delivery_ticks_every_minute_as_a_timer_only(brief: Briefing) -> None:
    service = start_delivery(brief, RecordingPoster())
    try:
        job = service.scheduler.get_job("delivery")
        assert job is not None
        assert job.trigger.interval == timedelta(seconds=60)
        assert job.coalesce is True
        assert job.misfire_grace_time is None
        assert job.max_instances == 1
    finally:
        service.shutdown(wait=True)
