"""The console digest timer fires once per local day, DST transitions included."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.date import DateTrigger

from briefing.appstate import Briefing
from briefing.delivery.timer import daily_trigger, fire_digest, make_scheduler, run_console


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
def test_one_digest_per_local_day_across_dst(
    brief: Briefing, zone: str, at: time, start: datetime
) -> None:
    tz = ZoneInfo(zone)
    trigger = daily_trigger(at, tz)
    posted: list[str] = []
    previous = None
    now = start.replace(tzinfo=tz)
    fired_days = []
    for _ in range(8):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        if fire_digest(brief, f"test:{zone}:{at}", tz, fire, posted.append):
            fired_days.append(fire.astimezone(tz).date())
        previous, now = fire, fire
    first = start.date() + timedelta(days=1)
    expected = [first + timedelta(days=i) for i in range(7)]
    assert fired_days[:7] == expected
    assert len(fired_days) == len(set(fired_days))
    assert all(text.startswith("China–Russia Brief · ") for text in posted)


def test_refiring_the_same_day_posts_nothing(brief: Briefing) -> None:
    tz = ZoneInfo("Europe/Berlin")
    posted: list[str] = []
    morning = datetime(2024, 3, 8, 8, 0, tzinfo=tz)
    assert fire_digest(brief, "console", tz, morning, posted.append)
    assert not fire_digest(brief, "console", tz, morning + timedelta(hours=3), posted.append)
    assert len(posted) == 1
    assert "Jan–Feb 2024: $37.01 bn" in posted[0]


def test_scheduler_is_a_timer_only() -> None:
    scheduler = make_scheduler()
    defaults = scheduler._job_defaults
    assert defaults["coalesce"] is True
    assert defaults["misfire_grace_time"] is None


def test_run_console_prints_the_digest_when_the_timer_fires(brief: Briefing) -> None:

    tz = brief.settings.tz
    posted: list[str] = []
    stop = threading.Event()

    def post(text: str) -> None:
        posted.append(text)
        stop.set()

    soon = DateTrigger(run_date=datetime.now(tz) + timedelta(milliseconds=300), timezone=tz)
    runner = threading.Thread(
        target=run_console, args=(brief, stop), kwargs={"trigger": soon, "post": post}
    )
    runner.start()
    stopped = stop.wait(timeout=30)
    runner.join(timeout=10)
    assert stopped, "the digest job never fired"
    assert len(posted) == 1
    assert posted[0].startswith("China–Russia Brief · ")
