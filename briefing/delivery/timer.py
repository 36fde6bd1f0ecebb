"""APScheduler as a timer only.

The scheduler never decides what was delivered: an in-memory job store, ``coalesce=True`` and
``misfire_grace_time=None`` so a late wake-up still fires once, and the database records what
was done. Delivery uses it to wake the planner (:mod:`.service`, the ledger) on every platform,
the console included; the feeds use it for their scheduled fetches.
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler


def make_scheduler() -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": {"type": "memory"}},
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )
