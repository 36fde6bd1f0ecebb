"""Run one feed: download its files, refuse a broken upstream, ingest like ``bot.py ingest``.

The steps, each of which can stop the run with the last good data still serving:

1. take the feed's run (:func:`~.state.claim`), so two processes never fetch one feed at once;
2. download every file into a fresh folder (:func:`~.http.download`: conditional GET,
   limits, retries); a ``304`` reuses the last good copy kept under ``FEEDS_DIR``;
3. nothing new when every file answered ``304``, or when the bytes hash to the last good
   content (a server that ignores validators costs a download, never a re-ingest);
4. otherwise :func:`briefing.ingest_dispatch.ingest` — the same format detection, validation and
   refusal rules (empty, truncated, wrongly encoded, a list shrunk by half without ``force``)
   and the same update records as a manual ingest, so the same alerts;
5. only then do the files become the feed's last good copy and its validators stored.

The outcome is recorded in the feed's row (:func:`~.state.finish`), which also says when the
admins are to be told about repeated failures, or a recovery.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from briefing.appstate import Briefing
from briefing.feeds.catalog import Feed, FeedKind, Resource
from briefing.feeds.http import (
    Downloaded,
    DownloadError,
    Limits,
    download,
    http_date,
    make_client,
)
from briefing.feeds.state import (
    FeedState,
    Finished,
    Outcome,
    claim,
    ensure_row,
    finish,
    load_state,
    release,
)
from briefing.feeds.validators import Validators
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestError, IngestOptions, IngestResult, ProgressCallback
from briefing.replies import format_date
from briefing.trade import comtrade

log = logging.getLogger(__name__)

# A run's lease: longer than any download and ingest should take; a crashed run is retried
# after it.
LEASE = timedelta(hours=1)
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True, slots=True)
class FetchReport:
    feed: Feed
    outcome: Outcome | None  # None: another process is fetching this feed right now
    message: str
    results: tuple[IngestResult, ...] = ()
    tell: str | None = None  # "failing" | "recovered": the admins are to be told
    state: FeedState | None = None

    @property
    def updates(self) -> int:
        return sum(len(r.updates) for r in self.results)


@dataclass
class FetchContext:
    """What a run needs besides the feed: injectable so tests never sleep and never leave
    127.0.0.1."""

    limits: Limits
    client: httpx.Client | None = None
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    progress: ProgressCallback | None = None
    # Comtrade: the function that returns the API's answer (the real one needs the network).
    comtrade_frame: Callable[[str, list[int]], Any] | None = None


class _RefusedError(Exception):
    def __init__(self, message: str, outcome: Outcome = Outcome.REFUSED) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True, slots=True)
class _Fetched:
    files: dict[str, Downloaded]  # by local file name (optional files the server lacks: absent)
    version: str | None
    data_date: date | None
    as_of: date | None  # the date the ingest gives the data (None: the files say)


def feed_dir(brief: Briefing, feed: Feed) -> Path:
    return Path(brief.settings.feeds_dir) / feed.name


def run_feed(
    brief: Briefing,
    feed: Feed,
    ctx: FetchContext,
    now: datetime,
    *,
    force: bool = False,
    scheduled_next: datetime | None = None,
) -> FetchReport:
    """Fetch ``feed`` once. ``scheduled_next``: this is the schedule's run (only when due;
    its next run moves there); without it, a run by hand."""
    if feed.unavailable is not None:
        return FetchReport(
            feed, Outcome.FAILED, f"{feed.title}: cannot run here: {feed.unavailable}"
        )
    ensure_row(brief.engine, feed.name, now)
    if not claim(brief.engine, feed.name, now, ctx.owner, LEASE, next_run_at=scheduled_next):
        return FetchReport(feed, None, f"{feed.title}: not due, or another process is fetching it")
    previous = load_state(brief.engine, feed.name)
    own_client = ctx.client is None
    client = ctx.client or make_client(ctx.limits)
    base = feed_dir(brief, feed)
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="incoming-", dir=base))
    try:
        success: _Success | None = None
        try:
            report, success = _run(
                brief,
                feed,
                ctx=ctx,
                client=client,
                previous=previous,
                work=work,
                now=now,
                force=force,
            )
        except _RefusedError as exc:
            report = FetchReport(feed, exc.outcome, f"{feed.title}: {exc}")
        except DownloadError as exc:
            outcome = Outcome.REFUSED if exc.refused else Outcome.FAILED
            report = FetchReport(feed, outcome, f"{feed.title}: {exc}")
        except Exception as exc:  # a bug or the disk: counted as a failure, logged in full
            log.exception("fetching %s failed unexpectedly", feed.name)
            report = FetchReport(feed, Outcome.FAILED, f"{feed.title}: {type(exc).__name__}: {exc}")
    except BaseException:  # interrupted: the run is given back, not recorded
        release(brief.engine, feed.name)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if own_client:
            client.close()
    assert report.outcome is not None
    if report.outcome.ok:
        done = _finish_ok(brief, feed, report, success or _Success(None, None, None, None), now)
    else:
        done = finish(
            brief.engine,
            feed.name,
            now,
            report.outcome,
            report.message,
            notice_after=brief.settings.fetch_failures_before_notice,
        )
        log.warning("%s", report.message)
    return FetchReport(feed, report.outcome, report.message, report.results, done.tell, done.state)


# What a successful run leaves to record (set by _run, stored by _finish_ok).
@dataclass(frozen=True, slots=True)
class _Success:
    version: str | None
    data_date: date | None
    content_hash: str | None
    validators: dict[str, Validators] | None


def _finish_ok(
    brief: Briefing, feed: Feed, report: FetchReport, success: _Success, now: datetime
) -> Finished:
    log.info("%s", report.message)
    return finish(
        brief.engine,
        feed.name,
        now,
        report.outcome or Outcome.UNCHANGED,
        report.message,
        notice_after=brief.settings.fetch_failures_before_notice,
        data_version=success.version,
        data_date=success.data_date,
        content_hash=success.content_hash,
        validators=success.validators,
    )


def _ok(
    feed: Feed,
    outcome: Outcome,
    message: str,
    success: _Success,
    results: tuple[IngestResult, ...] = (),
) -> tuple[FetchReport, _Success]:
    return FetchReport(feed, outcome, message, results), success


def _run(
    brief: Briefing,
    feed: Feed,
    *,
    ctx: FetchContext,
    client: httpx.Client,
    previous: FeedState | None,
    work: Path,
    now: datetime,
    force: bool,
) -> tuple[FetchReport, _Success]:
    current = feed_dir(brief, feed) / "current"
    if feed.kind is FeedKind.COMTRADE:
        return _run_comtrade(
            brief, feed, ctx=ctx, previous=previous, work=work, now=now, force=force
        )
    known = previous.validators if previous is not None else {}
    if feed.kind is FeedKind.OPENSANCTIONS:
        fetched = _fetch_opensanctions(
            feed,
            ctx=ctx,
            client=client,
            previous=previous,
            work=work,
            current=current,
            known=known,
            now=now,
        )
    else:
        fetched = _fetch_files(
            feed,
            ctx=ctx,
            client=client,
            work=work,
            current=current,
            known=known,
            resources=feed.resources,
            now=now,
        )
    if fetched is None:  # OpenSanctions: the index names the version already loaded
        version = previous.data_version if previous else None
        return _ok(
            feed,
            Outcome.NOT_MODIFIED,
            f"{feed.title}: version {version} is the newest; nothing to load",
            _Success(None, None, None, None),
        )
    validators = {name: d.validators for name, d in fetched.files.items()}
    content = _content_hash(validators)
    when = f" ({_describe_version(fetched)})" if fetched.version or fetched.data_date else ""
    if all(d.status == "not_modified" for d in fetched.files.values()):
        return _ok(
            feed,
            Outcome.NOT_MODIFIED,
            f"{feed.title}: not modified since the last fetch{when}",
            _Success(fetched.version, fetched.data_date, content, validators),
        )
    if previous is not None and previous.content_hash == content and not force:
        return _ok(
            feed,
            Outcome.UNCHANGED,
            f"{feed.title}: the same bytes as the last good copy{when}; not loaded again",
            _Success(fetched.version, fetched.data_date, content, validators),
        )
    stage = work / "stage"
    stage.mkdir()
    paths = []
    for name, got in fetched.files.items():
        source = got.path if got.status == "new" else current / name
        assert source is not None
        target = stage / _dated(
            name, fetched.as_of if feed.kind is FeedKind.OPENSANCTIONS else None
        )
        shutil.copyfile(source, target)
        paths.append(target)
    options = IngestOptions(
        as_of=fetched.as_of if feed.kind is FeedKind.FILES and feed.topic == "sanctions" else None,
        force=force,
        today=now.astimezone(brief.settings.tz).date(),
        progress=ctx.progress,
        replace_same_day=True,
    )
    try:
        results = ingest(brief, paths, options, now)
    except IngestError as exc:
        raise _RefusedError(
            f"the fetched file was refused, the last good data keeps serving: {exc}"
        ) from None
    # The new last good copy, under the names the server's files have.
    fresh = work / "current"
    fresh.mkdir()
    for name, got in fetched.files.items():
        source = got.path if got.status == "new" else current / name
        assert source is not None
        shutil.copyfile(source, fresh / name)
    old = work / "old"
    if current.exists():
        current.replace(old)
    fresh.replace(current)
    summary = "; ".join(r.summary for r in results)
    updates = sum(len(r.updates) for r in results)
    told = f" — {updates} update{'s' if updates != 1 else ''} to announce" if updates else ""
    return _ok(
        feed,
        Outcome.NEW,
        f"{feed.title}: loaded{when}: {summary}{told}",
        _Success(fetched.version, fetched.data_date, content, validators),
        tuple(results),
    )


def _describe_version(fetched: _Fetched) -> str:
    if fetched.version:
        return f"version {fetched.version}"
    assert fetched.data_date is not None
    return f"data of {format_date(fetched.data_date)}"


def _dated(name: str, day: date | None) -> str:
    return name if day is None else f"{day.isoformat()}_{name}"


def _content_hash(validators: dict[str, Validators]) -> str:
    digest = hashlib.sha256()
    for name in sorted(validators):
        digest.update(f"{name}\0{validators[name].sha256}\n".encode())
    return digest.hexdigest()


def _fetch_files(
    feed: Feed,
    *,
    ctx: FetchContext,
    client: httpx.Client,
    work: Path,
    current: Path,
    known: dict[str, Validators],
    resources: tuple[Resource, ...],
    now: datetime,
    version: str | None = None,
    data_date: date | None = None,
) -> _Fetched:
    files: dict[str, Downloaded] = {}
    for resource in resources:
        had = known.get(resource.filename)
        cached = current / resource.filename
        # Ask conditionally only with the last good copy at hand (another replica may have
        # fetched it last): a 304 without it would leave nothing to load.
        conditional = had if had is not None and cached.is_file() else None
        got = download(
            client,
            resource.url,
            work / resource.filename,
            previous=conditional,
            max_bytes=feed.max_bytes,
            limits=ctx.limits,
            optional=resource.optional,
            sleep=ctx.sleep,
            rng=ctx.rng,
        )
        if got.status == "not_modified" and conditional is not None:
            # Keep the stored hash; take newer validators if the server sent any.
            got = Downloaded(got.url, got.status, validators=conditional, attempts=got.attempts)
        if got.status != "missing":
            files[resource.filename] = got
    if not files:
        raise _RefusedError("the server has none of the feed's files", Outcome.FAILED)
    main = files.get(resources[0].filename)
    if main is None:
        raise _RefusedError(f"{resources[0].url}: the main file is missing", Outcome.FAILED)
    if data_date is None:
        modified = http_date(main.validators.last_modified)
        data_date = modified.astimezone(UTC).date() if modified else now.astimezone(UTC).date()
    return _Fetched(files, version, data_date, data_date)


def _fetch_opensanctions(
    feed: Feed,
    *,
    ctx: FetchContext,
    client: httpx.Client,
    previous: FeedState | None,
    work: Path,
    current: Path,
    known: dict[str, Validators],
    now: datetime,
) -> _Fetched | None:
    """Read the dataset's ``index.json`` (its version, its files), then fetch the export."""
    (index_resource,) = feed.resources
    index = download(
        client,
        index_resource.url,
        work / "index.json",
        previous=None,
        max_bytes=5_000_000,
        limits=ctx.limits,
        sleep=ctx.sleep,
        rng=ctx.rng,
    )
    assert index.path is not None
    try:
        meta = json.loads(index.path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _RefusedError(f"{index_resource.url}: not a dataset index (JSON): {exc}") from None
    if not isinstance(meta, dict):
        raise _RefusedError(f"{index_resource.url}: not a dataset index (a JSON object)")
    export = feed.export or "targets.simple.csv"
    version = str(meta.get("version") or meta.get("updated_at") or "") or None
    day = _date_of(meta)
    if (
        previous is not None
        and version
        and previous.data_version == version
        and (current / _local_export(feed, export)).is_file()
    ):
        return None
    url = None
    for resource in meta.get("resources") or ():
        if isinstance(resource, dict) and resource.get("name") == export:
            url = resource.get("url")
    if not isinstance(url, str) or not url:
        raise _RefusedError(f"{index_resource.url}: the index lists no {export} resource")
    resources = (Resource(url, _local_export(feed, export)),)
    return _fetch_files(
        feed,
        ctx=ctx,
        client=client,
        work=work,
        current=current,
        known=known,
        resources=resources,
        now=now,
        version=version,
        data_date=day,
    )


def _local_export(feed: Feed, export: str) -> str:
    # The dataset's name in the file name: the ingest names the list by it.
    return f"{feed.dataset}.{export}"


def _date_of(meta: dict[str, Any]) -> date | None:
    for key in ("updated_at", "last_change", "last_export", "version"):
        value = meta.get(key)
        if isinstance(value, str):
            match = _DATE.match(value)
            if match:
                try:
                    return date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    continue
    return None


def _run_comtrade(
    brief: Briefing,
    feed: Feed,
    *,
    ctx: FetchContext,
    previous: FeedState | None,
    work: Path,
    now: datetime,
    force: bool,
) -> tuple[FetchReport, _Success]:
    """China → Russia monthly figures of this year and last, through comtradeapicall."""
    key = brief.settings.comtrade_api_key
    if key is None:
        raise _RefusedError("set COMTRADE_API_KEY", Outcome.FAILED)
    today = now.astimezone(brief.settings.tz).date()
    years = [today.year - 1, today.year]
    try:
        if ctx.comtrade_frame is not None:
            frame = ctx.comtrade_frame(key.get_secret_value(), years)
        else:
            frame = comtrade.fetch_frame(key.get_secret_value(), years, monthly=True)
    except comtrade.FetchError as exc:
        raise _RefusedError(str(exc), Outcome.FAILED) from None
    label = f"monthly_{years[0]}-{years[1]}"
    try:
        path, _ = comtrade.frame_to_file(frame, work, today, label)
    except IngestError as exc:
        raise _RefusedError(f"the API's answer was refused: {exc}") from None
    content = hashlib.sha256(path.read_bytes()).hexdigest()
    if previous is not None and previous.content_hash == content and not force:
        return _ok(
            feed,
            Outcome.UNCHANGED,
            f"{feed.title}: the same figures as the last fetch; not loaded again",
            _Success(None, None, content, None),
        )
    options = IngestOptions(as_of=today, force=force, today=today, progress=ctx.progress)
    try:
        results = ingest(brief, [path], options, now)
    except IngestError as exc:
        raise _RefusedError(f"the fetched figures were refused: {exc}") from None
    current = feed_dir(brief, feed) / "current"
    current.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, current / "comtrade.json")
    summary = "; ".join(r.summary for r in results)
    return _ok(
        feed,
        Outcome.NEW,
        f"{feed.title}: loaded: {summary}",
        _Success(f"fetched {today.isoformat()}", today, content, None),
        tuple(results),
    )
