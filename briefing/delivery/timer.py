"""APScheduler as a timer only, and the console's daily digest.

The scheduler never decides what was delivered: an in-memory job store, ``coalesce=True`` and
``misfire_grace_time=None`` so a late wake-up still fires once, and the database records what
was done. Chat delivery uses it to wake the planner (:mod:`.digests`, the ledger). The console
(``bot.py run --platform console``, one process printing to stdout) fires a cron trigger at the
configured local time and claims a unique row per (schedule, local day) so a day prints once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from briefing.daily_digest import build_digest
from briefing.delivery.digest_days import digest_days
from briefing.render.text import render_text

if TYPE_CHECKING:
    from briefing.appstate import Briefing

log = logging.getLogger(__name__)


def daily_trigger(at: time, tz: ZoneInfo) -> CronTrigger:
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=tz)


def claim_day(engine: Engine, schedule_id: str, local_day: date, fired_at: datetime) -> bool:
    """Record that ``schedule_id`` fires for ``local_day``; False when it already did."""
    try:
        with engine.begin() as conn:
            conn.execute(
                digest_days.insert().values(
                    schedule_id=schedule_id, local_day=local_day, fired_at=fired_at
                )
            )
    except IntegrityError:
        return False
    return True


def unclaim_day(engine: Engine, schedule_id: str, local_day: date) -> None:
    """Forget a claim whose post failed transiently, so the next tick tries again."""
    with engine.begin() as conn:
        conn.execute(
            digest_days.delete().where(
                digest_days.c.schedule_id == schedule_id, digest_days.c.local_day == local_day
            )
        )


def make_scheduler() -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": {"type": "memory"}},
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )


def fire_digest(
    brief: Briefing,
    schedule_id: str,
    tz: ZoneInfo,
    now: datetime,
    post: Callable[[str], None],
) -> bool:
    """Post the digest for the local day of ``now`` unless that day was already posted."""
    local = now.astimezone(tz)
    if not claim_day(brief.engine, schedule_id, local.date(), now):
        log.info("digest %s for %s already posted; skipping", schedule_id, local.date())
        return False
    reply = build_digest(
        brief,
        local.date(),
        local_time_label=f"{local:%H:%M} {tz.key}",
        command=brief.settings.command_name,
    )
    post(render_text(reply))
    return True


def run_console(
    brief: Briefing,
    stop: threading.Event | None = None,
    *,
    trigger: BaseTrigger | None = None,
    post: Callable[[str], None] | None = None,
) -> None:
    """Print the digest to stdout at DIGEST_TIME in TIMEZONE, once per local day."""
    settings = brief.settings
    tz = settings.tz
    scheduler = make_scheduler()
    emit = post or (lambda text: print(text + "\n", flush=True))

    def job() -> None:
        try:
            fire_digest(brief, "console", tz, datetime.now(tz), emit)
        except Exception:
            log.exception("the console digest job failed")

    trigger = trigger or daily_trigger(settings.digest_local_time, tz)
    scheduler.add_job(job, trigger, id="digest:console")
    scheduler.start()
    next_run = trigger.get_next_fire_time(None, datetime.now(tz))
    when = f"{next_run:%Y-%m-%d %H:%M %Z}" if next_run else "none"
    print(
        f"China–Russia Brief is running (console). Next digest: {when}. Ctrl-C to stop.", flush=True
    )
    stop = stop or threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
