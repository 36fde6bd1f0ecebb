"""``bot.py doctor``: is the database, its schema and the delivery ledger in a good state?

Read-only: it never migrates or repairs anything, so it can run beside the bot, against a
database it is about to upgrade, or from a cron job. Each check is ``ok``, ``warn`` (worth a
look, not a fault) or ``fail``; the command exits 1 when any check fails.

- **schema**: the database's migration revision against this version's head (pending
  revisions; a database made before migrations; one newer than this version).
- **runs without deliveries**: planned digest runs of the last week with no delivery row (a
  crash between two writes of an older version; the planner repairs them at its next pass, so
  one that stays means no planner is running).
- **stuck deliveries**: rows still ``sending`` a lease-length after their lease ran out: no worker
  is taking them over.
- **planner**: the watermark (how far planning has got) against the clock, when there are
  digest subscriptions; on PostgreSQL, whether any replica holds the planner lock.
- **queue**: the oldest due delivery's wait, and the counts by status and chart outcome.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, inspect, text

from briefing.delivery.leader import lock_key
from briefing.delivery.ledger import ORPHAN_LOOKBACK, Ledger
from briefing.delivery.subscriptions import TOPIC_DIGEST, SubscriptionStore
from briefing.migrations import current, head, known, pending_from
from briefing.settings import Settings

# The planner writes its watermark every 30 minutes while it runs.
WATERMARK_LATE = timedelta(hours=1)
LAG_WARN = timedelta(minutes=10)
LAG_FAIL = timedelta(minutes=30)
SHOWN = 3  # ids listed per finding


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    level: Level
    detail: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    checks: list[Check]

    @property
    def healthy(self) -> bool:
        return all(c.level is not Level.FAIL for c in self.checks)

    def render(self) -> str:
        marks = {Level.OK: "ok  ", Level.WARN: "WARN", Level.FAIL: "FAIL"}
        lines = [f"{marks[c.level]}  {c.name}: {c.detail}" for c in self.checks]
        lines.append("healthy" if self.healthy else "UNHEALTHY")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {"healthy": self.healthy, "checks": [asdict(c) for c in self.checks]}, indent=2
        )


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} days"


def diagnose(engine: Engine, settings: Settings, now: datetime) -> Diagnosis:
    checks: list[Check] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        checks.append(Check("database", Level.FAIL, f"cannot connect: {type(exc).__name__}"))
        return Diagnosis(checks)
    checks.append(Check("database", Level.OK, f"{engine.dialect.name}, reachable"))
    schema = _schema(engine)
    checks.append(schema)
    if schema.level is Level.FAIL:
        checks.append(Check("ledger", Level.WARN, "not checked until the schema is current"))
        return Diagnosis(checks)
    checks.extend(_ledger(engine, settings, now))
    return Diagnosis(checks)


def _schema(engine: Engine) -> Check:
    revision = current(engine)
    newest = head()
    if revision == newest:
        return Check("schema", Level.OK, f"at {newest} (current)")
    if revision is None:
        tables = set(inspect(engine).get_table_names())
        if tables:
            return Check(
                "schema",
                Level.FAIL,
                "made before migrations (no alembic_version): start the bot or run "
                "`bot.py migrate` to upgrade it",
            )
        return Check("schema", Level.FAIL, "empty: start the bot or run `bot.py migrate`")
    if not known(revision):
        return Check(
            "schema",
            Level.FAIL,
            f"at {revision}, newer than this version knows (its newest is {newest}): "
            "run the newer version",
        )
    missing = pending_from(revision)
    listed = ", ".join(f"{s.revision} ({s.doc})" for s in missing)
    return Check(
        "schema",
        Level.FAIL,
        f"at {revision}; {len(missing)} migration(s) pending: {listed}. Start the bot or "
        "run `bot.py migrate`",
    )


def _ledger(engine: Engine, settings: Settings, now: datetime) -> list[Check]:
    ledger = Ledger(engine)
    lease = timedelta(seconds=settings.delivery_lease_s)
    stats = ledger.stats(now, stuck_after=lease)
    checks: list[Check] = []

    orphans = ledger.orphan_digest_runs(now - ORPHAN_LOOKBACK, limit=1000)
    if orphans:
        shown = ", ".join(o.run_id for o in orphans[:SHOWN])
        checks.append(
            Check(
                "runs without deliveries",
                Level.FAIL,
                f"{len(orphans)} planned digest run(s) have no delivery ({shown}…); the "
                "planner gives them one at its next pass: is a bot running?",
            )
        )
    else:
        checks.append(Check("runs without deliveries", Level.OK, "none"))

    if stats.stuck:
        since = stats.stuck_since
        age = f" since {since:%Y-%m-%d %H:%M} UTC ({_ago(now - since)})" if since else ""
        checks.append(
            Check(
                "stuck deliveries",
                Level.FAIL,
                f"{stats.stuck} delivery(ies) in flight past their lease{age}: no worker is "
                "taking them over; is a bot running?",
            )
        )
    else:
        checks.append(Check("stuck deliveries", Level.OK, "none"))

    subs = SubscriptionStore(engine).active()
    digests = sum(1 for s in subs if TOPIC_DIGEST in s.topics)
    watermark = stats.watermark
    if digests == 0:
        checks.append(Check("planner", Level.OK, "no digest subscriptions to plan"))
    elif watermark is None:
        checks.append(
            Check("planner", Level.FAIL, f"{digests} digest subscription(s), never planned")
        )
    elif now - watermark > WATERMARK_LATE:
        checks.append(
            Check(
                "planner",
                Level.FAIL,
                f"planned through {watermark:%Y-%m-%d %H:%M} UTC, {_ago(now - watermark)} ago "
                f"(it moves every 30 min while a planner runs); {digests} digest subscription(s)",
            )
        )
    else:
        checks.append(
            Check(
                "planner",
                Level.OK,
                f"planned through {watermark:%H:%M} UTC ({_ago(now - watermark)} ago); "
                f"{digests} digest subscription(s)",
            )
        )
    if engine.dialect.name == "postgresql" and digests:
        checks.append(_planner_lock(engine))

    lag = timedelta(seconds=stats.lag_s)
    level = Level.FAIL if lag > LAG_FAIL else Level.WARN if lag > LAG_WARN else Level.OK
    counts = ", ".join(f"{n} {s}" for s, n in sorted(stats.by_status.items())) or "none yet"
    charts = ", ".join(f"{n} {s}" for s, n in sorted(stats.charts.items()))
    detail = f"{stats.due_now} due now, oldest waiting {_ago(lag)}; deliveries: {counts}"
    if charts:
        detail += f"; charts: {charts}"
    checks.append(Check("queue", level, detail))
    return checks


def _planner_lock(engine: Engine) -> Check:
    with engine.connect() as conn:
        schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
        held = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": lock_key(schema)},
        ).scalar_one()
    if held:
        return Check("planner lock", Level.OK, "held by a replica")
    return Check("planner lock", Level.WARN, "no replica holds it: no one is planning right now")
