"""Watched names: what an admin adds (by command or CSV), their validation and storage.

An entry is a name with optional hints — type (person, entity, vessel), country (ISO 3166-1
alpha-2), date of birth (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) and the channel's own
reference — and belongs to one channel. A name is watched once per channel and reference (case,
accents and punctuation folded). Every change is written with its audit-log entry in one
transaction; nothing here reads the clock.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from briefing.delivery.poster import ChannelRef
from briefing.sanctions.normalise import fold
from briefing.security import audit
from briefing.security.audit import AuditAction
from briefing.watch.tables import watch_entries_table, watch_status_table

TYPES = ("person", "entity", "vessel")
_TYPE_WORDS = {
    "person": "person",
    "individual": "person",
    "entity": "entity",
    "company": "entity",
    "organisation": "entity",
    "organization": "entity",
    "vessel": "vessel",
    "ship": "vessel",
}
CSV_COLUMNS = ("name", "type", "country", "dob", "ref")
_COLUMN_ALIASES = {"entity_type": "type", "reference": "ref", "id": "ref", "date_of_birth": "dob"}
MAX_NAME_CHARS = 200
MAX_REF_CHARS = 100
MAX_IMPORT_ROWS = 10_000
MAX_IMPORT_BYTES = 2_000_000
MAX_ENTRIES_PER_CHANNEL = 20_000
_DOB = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class EntryError(ValueError):
    """A watched name or one of its hints is not acceptable; the message says why."""


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """What an admin asked to watch, validated."""

    name: str
    entity_type: str | None = None
    country: str | None = None
    dob: str | None = None
    ref: str = ""

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def person(self) -> bool | None:
        """True for a person, False for an entity or vessel, None when not said."""
        if self.entity_type is None:
            return None
        return self.entity_type == "person"


@dataclass(frozen=True, slots=True)
class WatchEntry:
    entry_id: int
    channel: ChannelRef
    spec: WatchSpec
    added_by: str
    added_at: datetime

    @property
    def name(self) -> str:
        return self.spec.name

    def label(self) -> str:
        """``Jiangxi Liansheng (ref C-104)``."""
        return f"{self.spec.name} (ref {self.spec.ref})" if self.spec.ref else self.spec.name


def name_key(name: str) -> str:
    return " ".join(fold(name).split())[:300]


def _country_known(code: str) -> bool:
    # Cold start: the name libraries load with the first name matched.
    from rigour.territories import get_territory  # noqa: PLC0415

    territory = get_territory(code.lower())
    # Countries and places like Hong Kong or Macao; not "ZZ" (global) or "EU".
    return territory is not None and code not in ("ZZ", "EU", "UN")


def validate(
    name: str,
    entity_type: str | None = None,
    country: str | None = None,
    dob: str | None = None,
    ref: str | None = None,
) -> WatchSpec:
    """A :class:`WatchSpec` from raw values; :class:`EntryError` names the bad one."""
    clean = " ".join(name.split())
    if not clean:
        raise EntryError("the name is empty")
    if len(clean) > MAX_NAME_CHARS:
        raise EntryError(f"the name is longer than {MAX_NAME_CHARS} characters")
    if not any(c.isalnum() for c in clean) or len(name_key(clean)) < 2:
        raise EntryError(f"{clean!r} is not a name I can screen")
    kind: str | None = None
    if entity_type and entity_type.strip():
        kind = _TYPE_WORDS.get(entity_type.strip().lower())
        if kind is None:
            raise EntryError(f"type {entity_type.strip()!r} is not one of person, entity, vessel")
    code: str | None = None
    if country and country.strip():
        code = country.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", code) or not _country_known(code):
            raise EntryError(
                f"country {country.strip()!r} is not a two-letter ISO country code (RU, CN, HK)"
            )
    born: str | None = None
    if dob and dob.strip():
        born = dob.strip()
        match = _DOB.match(born)
        if match is None:
            raise EntryError(f"date of birth {born!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        try:
            date(year, month or 1, day or 1)
        except ValueError as exc:
            raise EntryError(f"date of birth {born!r} is not a date") from exc
        if not 1800 <= year <= 2100:
            raise EntryError(f"date of birth {born!r} is not a plausible year")
    reference = " ".join((ref or "").split())
    if len(reference) > MAX_REF_CHARS:
        raise EntryError(f"the reference is longer than {MAX_REF_CHARS} characters")
    return WatchSpec(clean, kind, code, born, reference)


# -- CSV ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # the row's line in the file; the header is row 1
    message: str


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    specs: tuple[tuple[int, WatchSpec], ...]  # (row, spec) of every good row
    errors: tuple[RowError, ...]
    rows: int  # data rows read (good and bad)


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, no header, no name column, too big)."""


def decode(data: bytes, label: str) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise CsvError(f"{label} is {len(data):,} bytes; the limit is {MAX_IMPORT_BYTES:,}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError(
            f"{label} is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8"
        ) from exc


def parse_csv(text: str, label: str = "the file", *, batch: bool = False) -> ParsedCsv:
    """Read a watchlist CSV: a header with a ``name`` column and optionally ``type``,
    ``country``, ``dob``, ``ref``; comma, semicolon or tab separated. ``batch`` (a file to
    screen once, not to watch): other columns are ignored and a name may repeat."""
    if not text.strip():
        raise CsvError(f"{label} is empty")
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CsvError(f"{label}: no header row") from exc
    columns = [_COLUMN_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    if "name" not in columns:
        raise CsvError(
            f"{label}: the header has no name column (columns: {', '.join(CSV_COLUMNS)}; "
            f"found: {', '.join(h.strip() for h in header) or 'nothing'})"
        )
    unknown = [h for h, c in zip(header, columns, strict=True) if c not in CSV_COLUMNS and c]
    if unknown and not batch:
        raise CsvError(
            f"{label}: unknown column(s) {', '.join(unknown)} (columns: {', '.join(CSV_COLUMNS)})"
        )
    at = {c: i for i, c in enumerate(columns) if c in CSV_COLUMNS}
    specs: list[tuple[int, WatchSpec]] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    rows = 0
    try:
        for record in reader:
            row = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            rows += 1
            if rows > MAX_IMPORT_ROWS:
                raise CsvError(f"{label} has more than {MAX_IMPORT_ROWS:,} rows; split it")
            if len(record) > len(header) and not batch:
                errors.append(
                    RowError(row, f"{len(record)} values where the header has {len(header)}")
                )
                continue

            def cell(column: str, record: list[str] = record) -> str | None:
                i = at.get(column)
                return record[i] if i is not None and i < len(record) else None

            try:
                spec = validate(
                    cell("name") or "", cell("type"), cell("country"), cell("dob"), cell("ref")
                )
            except EntryError as exc:
                errors.append(RowError(row, str(exc)))
                continue
            dup = seen.get((spec.key, spec.ref))
            if dup is not None and not batch:
                errors.append(RowError(row, f"the same name and ref as row {dup}"))
                continue
            seen[(spec.key, spec.ref)] = row
            specs.append((row, spec))
    except csv.Error as exc:
        raise CsvError(f"{label}, row {reader.line_num}: not valid CSV ({exc})") from exc
    return ParsedCsv(tuple(specs), tuple(errors), rows)


# -- storage -----------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _entry(row: Any) -> WatchEntry:
    return WatchEntry(
        entry_id=int(row.id),
        channel=ChannelRef(row.platform, row.workspace_id, row.channel_id),
        spec=WatchSpec(
            name=row.name,
            entity_type=row.entity_type,
            country=row.country,
            dob=row.dob,
            ref=row.ref or "",
        ),
        added_by=row.added_by,
        added_at=_utc(row.added_at),
    )


def _channel_where(channel: ChannelRef) -> tuple[Any, ...]:
    t = watch_entries_table.c
    return (
        t.platform == channel.platform,
        t.workspace_id == channel.workspace_id,
        t.channel_id == channel.channel_id,
    )


def entries_of(engine: Engine, channel: ChannelRef) -> list[WatchEntry]:
    t = watch_entries_table.c
    stmt = select(watch_entries_table).where(*_channel_where(channel)).order_by(t.id)
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(stmt)]


def all_entries(conn: Connection) -> list[WatchEntry]:
    t = watch_entries_table.c
    stmt = select(watch_entries_table).order_by(t.platform, t.workspace_id, t.channel_id, t.id)
    return [_entry(r) for r in conn.execute(stmt)]


def count_of(engine: Engine, channel: ChannelRef) -> int:
    stmt = select(func.count()).select_from(watch_entries_table).where(*_channel_where(channel))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def last_adder(engine: Engine, channel: ChannelRef) -> str | None:
    """Who added the channel's newest entry (told when its alerts cannot be posted)."""
    t = watch_entries_table.c
    stmt = select(t.added_by).where(*_channel_where(channel)).order_by(t.id.desc()).limit(1)
    with engine.connect() as conn:
        found = conn.execute(stmt).scalar()
    return str(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class Added:
    entries: tuple[WatchEntry, ...]
    already: tuple[WatchSpec, ...]  # watched before: left as they were


def add_entries(
    engine: Engine,
    channel: ChannelRef,
    specs: Sequence[WatchSpec],
    *,
    by_user: str,
    now: datetime,
    action: AuditAction = AuditAction.WATCH_ADD,
    details: str | None = None,
) -> Added:
    """Watch ``specs`` in ``channel`` (those already watched are left alone), with one audit
    entry, in one transaction."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    t = watch_entries_table.c
    with engine.begin() as conn:
        existing = {
            (r.name_key, r.ref)
            for r in conn.execute(select(t.name_key, t.ref).where(*_channel_where(channel)))
        }
        if len(existing) + len(specs) > MAX_ENTRIES_PER_CHANNEL:
            raise EntryError(
                f"a channel watches at most {MAX_ENTRIES_PER_CHANNEL:,} names; this one has "
                f"{len(existing):,}"
            )
        fresh = [s for s in specs if (s.key, s.ref) not in existing]
        already = tuple(s for s in specs if (s.key, s.ref) in existing)
        rows = [
            {
                "platform": channel.platform,
                "workspace_id": channel.workspace_id,
                "channel_id": channel.channel_id,
                "name": s.name,
                "name_key": s.key,
                "entity_type": s.entity_type,
                "country": s.country,
                "dob": s.dob,
                "ref": s.ref,
                "added_by": by_user,
                "added_at": now.astimezone(UTC),
            }
            for s in fresh
        ]
        for start in range(0, len(rows), 500):
            conn.execute(watch_entries_table.insert(), rows[start : start + 500])
        keys = {(s.key, s.ref) for s in fresh}
        added = [
            e
            for e in (
                _entry(r)
                for r in conn.execute(
                    select(watch_entries_table).where(*_channel_where(channel)).order_by(t.id)
                )
            )
            if (e.spec.key, e.spec.ref) in keys
        ]
        if added:
            audit.record(
                conn,
                at=now,
                platform=channel.platform,
                workspace_id=channel.workspace_id,
                channel_id=channel.channel_id,
                user_id=by_user,
                action=action,
                details=details or "; ".join(e.label() for e in added),
            )
    return Added(tuple(added), already)


def remove_entries(
    engine: Engine, channel: ChannelRef, entry_ids: Sequence[int], *, by_user: str, now: datetime
) -> list[WatchEntry]:
    """Stop watching the given entries of ``channel``; returns those removed."""
    t = watch_entries_table.c
    with engine.begin() as conn:
        found = [
            _entry(r)
            for r in conn.execute(
                select(watch_entries_table).where(*_channel_where(channel), t.id.in_(entry_ids))
            )
        ]
        if not found:
            return []
        ids = [e.entry_id for e in found]
        conn.execute(delete(watch_status_table).where(watch_status_table.c.entry_id.in_(ids)))
        conn.execute(delete(watch_entries_table).where(t.id.in_(ids)))
        audit.record(
            conn,
            at=now,
            platform=channel.platform,
            workspace_id=channel.workspace_id,
            channel_id=channel.channel_id,
            user_id=by_user,
            action=AuditAction.WATCH_REMOVE,
            details="; ".join(e.label() for e in found),
        )
    return found
