"""The console's digest goes through the delivery ledger like a chat channel's: once per local
day, DST transitions included, printed to stdout by the console poster."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from briefing.appstate import Briefing
from briefing.delivery.ledger import Ledger
from briefing.delivery.service import DeliveryService, deliver_due, start_delivery
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.delivery.timer import make_scheduler
from briefing.platforms.console import (
    CONSOLE_CHANNEL,
    SETTINGS_USER,
    ConsolePoster,
    run_console,
    subscribe_console,
)
from briefing.replies import simple


def console_brief(brief: Briefing, zone: str, at: time) -> Briefing:
    settings = brief.settings.model_copy(update={"timezone": zone, "digest_time": f"{at:%H:%M}"})
    return dataclasses.replace(brief, settings=settings)


@pytest.mark.parametrize(
    ("zone", "at", "start"),
    [
        ("Europe/Berlin", time(8, 0), datetime(2024, 3, 28, 12)),
        ("Europe/Berlin", time(2, 30), datetime(2024, 3, 28, 12)),  # 02:30 does not exist on 31 Mar
        ("Europe/Berlin", time(2, 30), datetime(2024, 10, 24, 12)),  # 02:30 happens twice on 27 Oct
        (
            "America/New_York",
            time(1, 30),
            datetime(2024, 11, 1, 12),
        ),  # 01:30 happens twice on 3 Nov
        (
            "America/New_York",
            time(2, 15),
            datetime(2024, 3, 7, 12),
        ),  # 02:15 does not exist on 10 Mar
        (
            "Australia/Sydney",
            time(2, 30),
            datetime(2024, 4, 4, 12),
        ),  # southern-hemisphere fall-back
    ],
)
def test_one_console_digest_per_local_day_across_dst(
    brief: Briefing, zone: str, at: time, start: datetime
) -> None:
    tz = ZoneInfo(zone)
    console = console_brief(brief, zone, at)
    now = start.replace(tzinfo=tz)
    subscribe_console(console, now)
    printed: list[str] = []
    poster = ConsolePoster(printed.append)
    for step in range(1, 7 * 12 + 1):  # every two hours for a week
        deliver_due(console, poster, now + timedelta(hours=2 * step))
    days = [text.split(" · ")[1] for text in printed]
    first = start.date() + timedelta(days=1)
    expected = [
        f"{first + timedelta(days=i):%a} {(first + timedelta(days=i)).day}" for i in range(7)
    ]
    assert [" ".join(d.split()[:2]) for d in days] == expected
    assert all(text.startswith("China–Russia Brief · ") for text in printed)


def test_a_second_tick_the_same_day_prints_nothing(brief: Briefing) -> None:
    console = console_brief(brief, "Europe/Berlin", time(8, 0))
    tz = ZoneInfo("Europe/Berlin")
    subscribe_console(console, datetime(2024, 3, 7, 12, tzinfo=tz))
    printed: list[str] = []
    morning = datetime(2024, 3, 8, 8, 0, tzinfo=tz)
    assert deliver_due(console, ConsolePoster(printed.append), morning).posted
    assert not deliver_due(
        console, ConsolePoster(printed.append), morning + timedelta(hours=3)
    ).posted
    assert len(printed) == 1
    assert "Jan–Feb 2024: $37.01 bn" in printed[0]
    assert printed[0].endswith("\n")  # a blank line after each reply, as before


def test_the_console_subscription_follows_the_settings_unless_someone_set_it(
    brief: Briefing,
) -> None:
    now = datetime(2024, 3, 8, 9, tzinfo=UTC)
    made = subscribe_console(console_brief(brief, "Europe/Berlin", time(8)), now)
    assert (made.at, made.tz, made.created_by) == (time(8), "Europe/Berlin", SETTINGS_USER)
    assert made.topics == frozenset({"digest"})
    again = subscribe_console(console_brief(brief, "Europe/Berlin", time(8)), now + timedelta(1))
    assert again.updated_at == made.updated_at  # unchanged: not written again
    moved = subscribe_console(console_brief(brief, "Asia/Tokyo", time(7)), now + timedelta(2))
    assert (moved.at, moved.tz) == (time(7), "Asia/Tokyo")
    # `subscribe` typed at the console wins over the settings.
    SubscriptionStore(brief.engine).subscribe(
        CONSOLE_CHANNEL,
        at=time(6),
        tz="UTC",
        topics=frozenset({"digest", "trade"}),
        by_user="console",
        now=now + timedelta(3),
    )
    kept = subscribe_console(console_brief(brief, "Asia/Tokyo", time(7)), now + timedelta(4))
    assert (kept.at, kept.tz, kept.created_by) == (time(6), "UTC", "console")


def test_the_console_poster_leaves_other_platforms_channels_alone(brief: Briefing) -> None:
    printed: list[str] = []
    poster = ConsolePoster(printed.append)
    with pytest.raises(Exception, match="not a console channel") as raised:
        poster.post(dataclasses.replace(CONSOLE_CHANNEL, platform="slack"), simple("Hi"))
    assert raised.value.permanent is False  # type: ignore[attr-defined]
    poster.notify_user(dataclasses.replace(CONSOLE_CHANNEL, platform="slack"), "U1", "note")
    poster.notify_user(CONSOLE_CHANNEL, SETTINGS_USER, "OFAC SDN: fetched")
    assert printed == ["OFAC SDN: fetched"]


def test_scheduler_is_a_timer_only() -> None:
    scheduler = make_scheduler()
    defaults = scheduler._job_defaults
    assert defaults["coalesce"] is True
    assert defaults["misfire_grace_time"] is None


def test_run_console_prints_the_digest_when_it_is_due(brief: Briefing) -> None:
    tz = ZoneInfo("Europe/Berlin")
    due = (datetime.now(tz) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    console = console_brief(brief, "Europe/Berlin", due.time())
    subscribe_console(console, due - timedelta(days=1))  # subscribed yesterday
    printed: list[str] = []
    stop = threading.Event()

    def write(text: str) -> None:
        printed.append(text)
        stop.set()

    def start(brief: Briefing, poster: ConsolePoster) -> DeliveryService:
        return start_delivery(brief, poster, tick_s=0.2)

    runner = threading.Thread(
        target=run_console, args=(console, start, stop), kwargs={"poster": ConsolePoster(write)}
    )
    runner.start()
    stopped = stop.wait(timeout=30)
    runner.join(timeout=10)
    assert stopped, "the digest was never printed"
    assert len(printed) == 1
    assert printed[0].startswith("China–Russia Brief · ")
    assert Ledger(brief.engine).counts() == {"sent": 1}
