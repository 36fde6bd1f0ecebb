"""Each feed's record in the database: schedule, last attempt and its outcome, last success, the
version of the data it holds, and the validators of its last good files.

Every write is one statement or one transaction, so replicas sharing the database agree:

- a run is *claimed* (:func:`claim`): the row's ``next_run_at`` moves on and a lease is taken
  in one conditional UPDATE, so of two processes that find a feed due only one fetches it;
- a run's end is *recorded* (:func:`finish`) with the failure count; the flag that the admins
  were told about the failures flips with a conditional UPDATE too, so they are told once per
  failing streak and once when it recovers, whichever process ran the feed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    and_,
    false,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from briefing.db import metadata
from briefing.feeds.validators import Validators

feed_state = Table(
    "feed_state",
    metadata,
    Column("feed", String(80), primary_key=True),
    Column("next_run_at", DateTime(timezone=True), nullable=True),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_outcome", String(20), nullable=True),
    Column("last_message", Text, nullable=True),
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("data_version", String(200), nullable=True),
    Column("data_date", Date, nullable=True),
    Column("content_hash", String(64), nullable=True),
    # {file name: {"etag", "last_modified", "sha256"}} of the last good download
    Column("validators_json", Text, nullable=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("failure_noticed", Boolean, nullable=False, server_default=false()),
    Column("running_by", String(200), nullable=True),
    Column("running_until", DateTime(timezone=True), nullable=True),
)


class Outcome(StrEnum):
    NEW = "new"  # new data was ingested
    UNCHANGED = "unchanged"  # downloaded, the same bytes as the last good copy
    NOT_MODIFIED = "not_modified"  # the server said 304
    REFUSED = "refused"  # the server answered, the file was refused; the last good data serves
    FAILED = "failed"  # could not be had (network, HTTP errors) after the retries

    @property
    def ok(self) -> bool:
        return self in (Outcome.NEW, Outcome.UNCHANGED, Outcome.NOT_MODIFIED)


@dataclass(frozen=True, slots=True)
class FeedState:
    feed: str
    next_run_at: datetime | None
    last_attempt_at: datetime | None
    last_outcome: Outcome | None
    last_message: str | None
    last_success_at: datetime | None
    data_version: str | None
    data_date: date | None
    content_hash: str | None
    validators: dict[str, Validators]
    failures: int
    failure_noticed: bool


def _aware(value: datetime | None) -> datetime | None:
    # SQLite keeps no offset: every stored time is UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("feed times must be timezone-aware")
    return value.astimezone(UTC)


def _validators(raw: str | None) -> dict[str, Validators]:
    if not raw:
        return {}
    found = json.loads(raw)
    return {
        name: Validators(v.get("etag"), v.get("last_modified"), v.get("sha256"))
        for name, v in found.items()
    }


def dump_validators(found: dict[str, Validators]) -> str:
    return json.dumps(
        {
            name: {"etag": v.etag, "last_modified": v.last_modified, "sha256": v.sha256}
            for name, v in sorted(found.items())
        }
    )


def _row(row: dict[str, object]) -> FeedState:
    outcome = row["last_outcome"]
    return FeedState(
        feed=str(row["feed"]),
        next_run_at=_aware(row["next_run_at"]),  # type: ignore[arg-type]
        last_attempt_at=_aware(row["last_attempt_at"]),  # type: ignore[arg-type]
        last_outcome=Outcome(str(outcome)) if outcome else None,
        last_message=row["last_message"],  # type: ignore[arg-type]
        last_success_at=_aware(row["last_success_at"]),  # type: ignore[arg-type]
        data_version=row["data_version"],  # type: ignore[arg-type]
        data_date=row["data_date"],  # type: ignore[arg-type]
        content_hash=row["content_hash"],  # type: ignore[arg-type]
        validators=_validators(row["validators_json"]),  # type: ignore[arg-type]
        failures=int(row["failures"] or 0),  # type: ignore[call-overload]
        failure_noticed=bool(row["failure_noticed"]),
    )


def load_states(engine: Engine) -> dict[str, FeedState]:
    with engine.connect() as conn:
        rows = conn.execute(select(feed_state)).mappings().all()
    return {str(r["feed"]): _row(dict(r)) for r in rows}


def load_state(engine: Engine, feed: str) -> FeedState | None:
    with engine.connect() as conn:
        row = conn.execute(select(feed_state).where(feed_state.c.feed == feed)).mappings().first()
    return _row(dict(row)) if row else None


def ensure_row(engine: Engine, feed: str, first_run_at: datetime) -> None:
    """Create ``feed``'s row (due at ``first_run_at``) unless it exists."""
    try:
        with engine.begin() as conn:
            conn.execute(feed_state.insert().values(feed=feed, next_run_at=_utc(first_run_at)))
    except IntegrityError:
        pass


def claim(
    engine: Engine,
    feed: str,
    now: datetime,
    owner: str,
    lease: timedelta,
    *,
    next_run_at: datetime | None = None,
) -> bool:
    """Take ``feed``'s run: True when this process is to fetch it now.

    With ``next_run_at`` (the schedule), only when the feed is due, and its next run moves
    there; without (a fetch by hand), whenever no other process is fetching it.
    """
    now = _utc(now)
    c = feed_state.c
    free = or_(c.running_until.is_(None), c.running_until < now)
    values: dict[str, object] = {"running_by": owner, "running_until": now + lease}
    condition = and_(c.feed == feed, free)
    if next_run_at is not None:
        condition = and_(condition, or_(c.next_run_at.is_(None), c.next_run_at <= now))
        values["next_run_at"] = _utc(next_run_at)
    with engine.begin() as conn:
        taken = conn.execute(update(feed_state).where(condition).values(**values)).rowcount
    return bool(taken)


@dataclass(frozen=True, slots=True)
class Finished:
    """What a run's end means for the admins: ``tell`` is "failing", "recovered" or None."""

    state: FeedState
    tell: str | None


def finish(
    engine: Engine,
    feed: str,
    now: datetime,
    outcome: Outcome,
    message: str,
    *,
    notice_after: int,
    data_version: str | None = None,
    data_date: date | None = None,
    content_hash: str | None = None,
    validators: dict[str, Validators] | None = None,
) -> Finished:
    """Record a run's end and release its lease, in one transaction."""
    now = _utc(now)
    c = feed_state.c
    values: dict[str, object] = {
        "last_attempt_at": now,
        "last_outcome": outcome.value,
        "last_message": message[:4000],
        "running_by": None,
        "running_until": None,
    }
    tell = None
    with engine.begin() as conn:
        if outcome.ok:
            values.update(last_success_at=now, failures=0)
            if data_version is not None:
                values["data_version"] = data_version
            if data_date is not None:
                values["data_date"] = data_date
            if content_hash is not None:
                values["content_hash"] = content_hash
            if validators is not None:
                values["validators_json"] = dump_validators(validators)
            conn.execute(update(feed_state).where(c.feed == feed).values(**values))
            recovered = conn.execute(
                update(feed_state)
                .where(c.feed == feed, c.failure_noticed.is_(True))
                .values(failure_noticed=False)
            ).rowcount
            tell = "recovered" if recovered else None
        else:
            values["failures"] = c.failures + 1
            conn.execute(update(feed_state).where(c.feed == feed).values(**values))
            noticed = conn.execute(
                update(feed_state)
                .where(c.feed == feed, c.failure_noticed.is_(False), c.failures >= notice_after)
                .values(failure_noticed=True)
            ).rowcount
            tell = "failing" if noticed else None
        row = conn.execute(select(feed_state).where(c.feed == feed)).mappings().one()
    return Finished(_row(dict(row)), tell)


def release(engine: Engine, feed: str) -> None:
    """Give a claimed run back without recording it (an interrupted run)."""
    with engine.begin() as conn:
        conn.execute(
            update(feed_state)
            .where(feed_state.c.feed == feed)
            .values(running_by=None, running_until=None)
        )
