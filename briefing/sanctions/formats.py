"""The sanctions ingest formats: which files each takes, and how a list is stored and diffed.

Registered in :func:`briefing.ingest_dispatch.FORMATS`. Every list of one ``ingest`` call is parsed and
validated first, then stored in one transaction: a refusal (bad file, a list that shrank by
more than half without ``--force``) leaves the previous snapshot serving.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection

from briefing.appstate import Briefing
from briefing.db import paused_gc
from briefing.ingest_types import Format, IngestError, IngestOptions, IngestResult, Seal
from briefing.replies import format_date
from briefing.sanctions import ofac, opensanctions
from briefing.sanctions.diff import ListDiff, diff_frames, diff_update
from briefing.sanctions.files import date_in_name
from briefing.sanctions.model import (
    OFAC_CONS,
    OFAC_SDN,
    ParsedList,
    Snapshot,
    opensanctions_source,
)
from briefing.sanctions.store import (
    copy_entries,
    delete_snapshot,
    insert_frame,
    insert_snapshot,
    list_snapshots,
    load_fingerprints,
    load_frame,
    prune,
)
from briefing.updates import Update

OFAC_FORMAT = "OFAC list files (sdn.csv or cons_prim.csv, with their add, alt and comments files)"
FTM_FORMAT = "OpenSanctions FtM entities (JSON lines)"
SIMPLE_FORMAT = "OpenSanctions targets.simple.csv"
# A list with fewer than this share of the previous list's entries is refused without --force.
SHRINK_LIMIT = 0.5
_CHUNK = 100_000  # entries derived and stored at a time


def claim_ofac(paths: Sequence[Path]) -> list[Path]:
    return [p for p in paths if ofac.role_of(p) is not None]


def claim_ftm(paths: Sequence[Path]) -> list[Path]:
    return [p for p in paths if opensanctions.looks_like_ftm(p)]


def claim_simple(paths: Sequence[Path]) -> list[Path]:
    return [p for p in paths if opensanctions.looks_like_simple(p)]


def _progress(options: IngestOptions, label: str) -> Callable[[int | None, int], None] | None:
    callback = options.progress
    if callback is None:
        return None

    def report(total: int | None, done: int) -> None:
        callback(label, total, done)

    return report


def _date(
    options: IngestOptions, path: Path, from_contents: date | None = None
) -> tuple[date, str]:
    if options.as_of is not None:
        return options.as_of, "--as-of"
    named = date_in_name(path)
    if named is not None:
        return named, "file name"
    if from_contents is not None:
        return from_contents, "file contents"
    return options.today, "today"


def load_ofac(
    brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal
) -> IngestResult:
    with paused_gc():  # a list's rows, cells and entries, none in a reference cycle
        return _load_ofac(brief, paths, options, seal)


def _load_ofac(
    brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal
) -> IngestResult:
    groups, orphans = ofac.group_files(paths)
    if orphans:
        raise IngestError(
            f"{orphans[0]}: an OFAC companion file needs the main file it belongs to (sdn.csv, "
            "or cons_prim.csv for the Consolidated list) — pass them together (sdn.csv add.csv "
            "alt.csv sdn_comments.csv) or put them side by side"
        )
    if options.as_of is not None and len(groups) > 1:
        raise IngestError(
            f"{', '.join(str(g.sdn) for g in groups)}: --as-of dates one list; load one sdn.csv "
            "at a time with it"
        )
    parsed = []
    for group in groups:
        rows, digest = ofac.parse_rows(group, _progress(options, f"OFAC {group.sdn.name}"))
        list_date, basis = _date(options, group.sdn)
        source = OFAC_CONS if group.consolidated else OFAC_SDN
        parsed.append(ParsedList(source, list_date, basis, rows, digest, group.paths))
    return store_lists(brief, OFAC_FORMAT, parsed, options, seal)


def load_ftm(
    brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal
) -> IngestResult:
    return _load_opensanctions(
        brief, FTM_FORMAT, paths, options, seal, parse=opensanctions.parse_ftm_rows
    )


def load_simple(
    brief: Briefing, paths: list[Path], options: IngestOptions, seal: Seal
) -> IngestResult:
    return _load_opensanctions(
        brief, SIMPLE_FORMAT, paths, options, seal, parse=opensanctions.parse_simple_rows
    )


def _load_opensanctions(
    brief: Briefing,
    fmt: str,
    paths: list[Path],
    options: IngestOptions,
    seal: Seal,
    *,
    parse: Callable[[Path, Callable[[int | None, int], None] | None], opensanctions.ParsedRows],
) -> IngestResult:
    with paused_gc():  # up to a million entries' rows and cells, none in a reference cycle
        return _load_lists(brief, fmt, paths, options, seal, parse=parse)


def _load_lists(
    brief: Briefing,
    fmt: str,
    paths: list[Path],
    options: IngestOptions,
    seal: Seal,
    *,
    parse: Callable[[Path, Callable[[int | None, int], None] | None], opensanctions.ParsedRows],
) -> IngestResult:
    if options.as_of is not None and len(paths) > 1:
        raise IngestError(
            f"{', '.join(map(str, paths))}: --as-of dates one list; load one file at a time with it"
        )
    parsed = []
    for path in paths:
        result = parse(path, _progress(options, f"OpenSanctions {path.name}"))
        list_date, basis = _date(options, path, result.file_date)
        parsed.append(
            ParsedList(
                opensanctions_source(result.dataset),
                list_date,
                basis,
                result.rows,
                result.content_hash,
                (path,),
            )
        )
    return store_lists(brief, fmt, parsed, options, seal)


@dataclass(frozen=True, slots=True)
class _Stored:
    summary: str
    records: int
    updates: tuple[Update, ...]


def store_lists(
    brief: Briefing, fmt: str, lists: Sequence[ParsedList], options: IngestOptions, seal: Seal
) -> IngestResult:
    """Store validated lists (oldest first) in one transaction, diff each against the list
    before it, and seal the transaction with their updates."""
    ordered = sorted(lists, key=lambda p: (p.source.key, p.list_date))
    outcomes = []
    command = brief.settings.command_name
    with brief.engine.begin() as conn:
        for parsed in ordered:
            outcomes.append(_store_one(conn, parsed, options, command))
        seal(conn, [u for o in outcomes for u in o.updates])
    summary = "\n  ".join(o.summary for o in outcomes)
    return IngestResult(
        source=", ".join(dict.fromkeys(p.source.key for p in ordered)),
        fmt=fmt,
        records=sum(o.records for o in outcomes),
        as_of=max(p.list_date for p in ordered),
        summary=summary,
        updates=tuple(u for o in outcomes for u in o.updates),
    )


def _store_one(
    conn: Connection, parsed: ParsedList, options: IngestOptions, command: str
) -> _Stored:
    source, label, day = parsed.source, parsed.label, format_date(parsed.list_date)
    path = parsed.files[0]
    existing = list_snapshots(conn, source.key)
    for snap in existing:
        if snap.content_hash == parsed.content_hash:
            return _Stored(
                f"{label}: unchanged — the same {source.title} as the list of "
                f"{format_date(snap.list_date)} already loaded",
                0,
                (),
            )
    replaced = ""
    for snap in existing:
        if snap.list_date == parsed.list_date:
            if not (options.force or options.replace_same_day):
                raise IngestError(
                    f"{path}: a different {source.title} dated {day} is already loaded; pass "
                    "--as-of with this file's own date, or --force to replace that list"
                )
            delete_snapshot(conn, snap.snapshot_id)
            replaced = f" (replaced the list of {day} loaded before)"
    existing = [s for s in existing if s.list_date != parsed.list_date]
    earlier = [s for s in existing if s.list_date < parsed.list_date]
    later = [s for s in existing if s.list_date > parsed.list_date]
    previous = earlier[-1] if earlier else None

    rows = parsed.rows
    count = len(rows)
    if previous is not None and count < previous.entry_count * SHRINK_LIMIT and not options.force:
        raise IngestError(
            f"{path}: {count:,} entries where the list of {format_date(previous.list_date)} "
            f"had {previous.entry_count:,} — it shrank by more than half, which usually means "
            "a truncated or partial file. Nothing was replaced; pass --force if the list really "
            "shrank"
        )

    store_progress = _progress(options, f"Storing {label}")
    updates: list[Update] = []
    diff: ListDiff | None = None
    if previous is not None and previous.entries_kept:
        diff = _store_against(conn, parsed, previous, store_progress)
        update = diff_update(diff, command)
        if update is not None and replaced:
            # The replaced list's update stays on record; the corrected one gets its own id.
            update = dataclass_replace(
                update, update_id=f"{update.update_id}:{parsed.content_hash[:8]}"
            )
        if update is not None:
            updates.append(update)
    else:
        # Derived and stored a chunk at a time: a million-entry list never sits in memory
        # twice over.
        snapshot_id = insert_snapshot(conn, parsed, rows.frame([]), count=count)
        for start in range(0, count, _CHUNK):
            chunk = range(start, min(start + _CHUNK, count))
            insert_frame(conn, snapshot_id, rows.frame(chunk))
            if store_progress:
                store_progress(count, chunk.stop)
    # A list older than one already loaded (a backfill) is the new baseline of the next one.
    following = later[0] if later else None
    if following is not None and following.entries_kept:
        next_frame = load_frame(conn, following.snapshot_id)
        next_diff = diff_frames(
            source, parsed.list_date, rows.frame(), next_frame, following.list_date
        )
        update = diff_update(next_diff, command)
        if update is not None:
            updates.append(update)
    prune(conn, source.key)

    where = f"{count:,} entries, {source.title} of {day} ({parsed.date_basis})"
    if diff is not None:
        linked = sum(1 for e in diff.added if e.china_link)
        text = (
            f"{label}: {where}: {diff.counts()}; {linked:,} added linked to China/Hong Kong — "
            f"compared with the list of {format_date(diff.previous_date)}"
        )
        if diff.empty:
            text = (
                f"{label}: {where}: no designation changed since {format_date(diff.previous_date)}"
            )
    elif previous is not None:
        text = (
            f"{label}: loaded {where}; the entries of the list of "
            f"{format_date(previous.list_date)} are no longer kept, so no comparison"
        )
    else:
        text = f"{label}: loaded {where} — the first {source.short} list, kept as the baseline"
    return _Stored(text + replaced, count, tuple(updates))


def _store_against(
    conn: Connection,
    parsed: ParsedList,
    previous: Snapshot,
    progress: Callable[[int | None, int], None] | None,
) -> ListDiff:
    """Store a list that follows ``previous`` and return what changed.

    Entries whose fingerprint the previous list holds are unchanged: they are copied inside the
    database, while this process derives the others and compares them field by field with
    their previous version (a frame join on the key); then the others are stored. Removed
    entries are read back for the update.
    """
    rows = parsed.rows
    prints = load_fingerprints(conn, previous.snapshot_id)
    fresh_at = [
        at
        for at, (key, fingerprint) in enumerate(zip(rows.keys, rows.fingerprints, strict=True))
        if prints.get(key) != fingerprint
    ]
    changed = [key for key in (rows.keys[at] for at in fresh_at) if key in prints]
    new_keys = set(rows.keys)
    compared = [*changed, *(k for k in prints if k not in new_keys)]
    # The previous versions of the entries that changed or went, in one read.
    before = load_frame(conn, previous.snapshot_id, keys=compared)
    snapshot_id = insert_snapshot(conn, parsed, rows.frame([]), progress, count=len(rows))
    with ThreadPoolExecutor(1, thread_name_prefix="sanctions-copy") as copier:
        # The database copies the unchanged entries; nothing else uses the connection until
        # the copy is done.
        copied = copier.submit(copy_entries, conn, previous.snapshot_id, snapshot_id, compared)
        fresh = rows.frame(fresh_at)
        # A designation's first sighting carries over; an addition is first seen on this
        # list's date (a list that dates its entries keeps its own dates).
        today = parsed.list_date.isoformat()
        seen = dict(zip(before["entity_key"].tolist(), before["first_seen"].tolist(), strict=True))
        carried = [
            own if own is not None else seen.get(key, today)
            for key, own in zip(
                fresh["entity_key"].tolist(), fresh["first_seen"].tolist(), strict=True
            )
        ]
        fresh = fresh.assign(first_seen=pd.Series(carried, dtype=object, index=fresh.index))
        diff = diff_frames(parsed.source, previous.list_date, before, fresh, parsed.list_date)
        copied.result()  # its error, if any, here
    insert_frame(conn, snapshot_id, fresh, progress)
    return diff


OFAC = Format(OFAC_FORMAT, claim_ofac, load_ofac)
OPENSANCTIONS_FTM = Format(FTM_FORMAT, claim_ftm, load_ftm)
OPENSANCTIONS_SIMPLE = Format(SIMPLE_FORMAT, claim_simple, load_simple)
