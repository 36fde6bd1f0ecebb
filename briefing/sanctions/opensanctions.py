"""OpenSanctions exports: FollowTheMoney entities (JSON lines) and ``targets.simple.csv``.

OpenSanctions data is licensed CC BY-NC 4.0: non-commercial use, with attribution. Every reply
that cites it names the licence in its source (see :func:`~briefing.sanctions.model.opensanctions_source`).

*FtM entities* — one JSON object per line, every property a list. Sanctioned parties are the
entities with ``target: true`` or named by a ``Sanction`` entity's ``entity`` property; the
Sanction carries ``program``, ``programId``, ``authority``, ``listingDate``, ``startDate``,
``sourceUrl`` and ``country``. Addresses come from ``address`` values or ``Address`` entities
named in ``addressEntity`` (matched by id or by their ``referents``).

*targets.simple.csv* — one row per target, read by header name (newer exports add columns);
multi-valued cells are joined by ``;`` (CSV-quoted when a value holds one); a ``sanctions``
value is ``program - reason - status - start - end``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from briefing.ingest_types import IngestError
from briefing.sanctions.files import date_in_name, is_date_like, read_checked, row_of
from briefing.sanctions.model import Entry
from briefing.sanctions.store import (
    ENTRY_COLUMNS,
    EntryRows,
    combine_columns,
    entry_frame,
    object_frame,
    reader_tag,
    row_hashes,
)
from briefing.sanctions.topic import (
    is_russia_programme,
    place_in_text,
    place_of_country,
    russia_programmes,
)

ProgressFn = Callable[[int | None, int], None]

FTM_WHAT = "an OpenSanctions FollowTheMoney entities file (JSON lines)"
SIMPLE_WHAT = "an OpenSanctions targets.simple.csv"
SIMPLE_REQUIRED = ("id", "schema", "name")
SIMPLE_KNOWN = (
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "countries",
    "addresses",
    "identifiers",
    "sanctions",
    "phones",
    "emails",
    "dataset",
    "first_seen",
    "last_seen",
    "last_change",
)

# Schemas of the parties a sanction can name (FtM "Thing" descendants worth listing).
PARTY_SCHEMAS = frozenset(
    {"Person", "Company", "Organization", "LegalEntity", "PublicBody", "Vessel", "Airplane"}
)
_TYPE_BY_SCHEMA = {
    "Person": "individual",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
_COUNTRY_PROPS = (
    "country",
    "nationality",
    "citizenship",
    "jurisdiction",
    "birthCountry",
    "mainCountry",
)
_ID_PROPS = (
    ("registrationNumber", "Registration No."),
    ("innCode", "INN"),
    ("ogrnCode", "OGRN"),
    ("taxNumber", "Tax ID"),
    ("idNumber", "ID"),
    ("imoNumber", "IMO"),
    ("passportNumber", "Passport"),
)
PROGRAMME_NOT_NAMED = "programme not named"
_CODE_LIKE = re.compile(r"[A-Z0-9][A-Z0-9 ./\-]{0,39}")
_FILE_SUFFIXES = (".ftm.json", ".jsonl", ".json", ".simple.csv", ".csv")
_GENERIC_WORDS = re.compile(r"(?:^|[_\-. ])(?:entities|targets|simple|ftm)(?=$|[_\-. ])")


@dataclass(frozen=True, slots=True)
class OpenSanctionsList:
    entries: list[Entry]
    content_hash: str
    dataset: str
    file_date: date | None


def _first(props: dict[str, list[str]], name: str) -> str:
    values = props.get(name) or [""]
    return str(values[0])


def _dates(values: Iterable[str]) -> list[date]:
    out = []
    for value in values:
        try:
            out.append(date.fromisoformat(str(value)[:10]))
        except ValueError:
            continue
    return out


def _label(sanction: dict[str, list[str]]) -> str:
    """A short programme label: OFAC/EU codes as written, else OpenSanctions' programme id,
    else the authority."""
    program = _first(sanction, "program").strip()
    if program and _CODE_LIKE.fullmatch(program) and any(c.isalpha() for c in program):
        return program
    return (
        _first(sanction, "programId").strip()
        or _first(sanction, "authority").strip()
        or program[:60]
    )


def dataset_name(path: Path, common: Sequence[str] = ()) -> str:
    """The dataset a file holds: the one all its targets share, else its file or folder name.

    ``eu_fsf/entities.ftm.json`` → ``eu_fsf``; ``zala_entities.ftm.json`` → ``zala``;
    ``us_ofac_sdn/2024-02-23/targets.simple.csv`` → ``us_ofac_sdn``.
    """
    if common:
        return sorted(common)[0]
    stem = path.name
    for suffix in _FILE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = re.sub(r"\d{4}-?\d{2}-?\d{2}", "", stem)
    stem = _GENERIC_WORDS.sub("", stem).strip("_-. ")
    if stem:
        return stem
    for parent in (path.parent, path.parent.parent):
        if parent.name and not is_date_like(parent.name) and parent.name != "latest":
            return parent.name
    return "opensanctions"


# --- FollowTheMoney JSON lines -------------------------------------------------------------


def parse_ftm(path: Path, progress: ProgressFn | None = None) -> OpenSanctionsList:
    """Read and validate an FtM entities file; refuses it whole on the first bad line."""
    digest = hashlib.sha256()
    parties: dict[str, dict[str, Any]] = {}
    sanctions: list[dict[str, Any]] = []
    addresses: dict[str, str] = {}
    newest: date | None = None
    total = path.stat().st_size
    done = 0
    line_no = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            digest.update(raw)
            done += len(raw)
            if not raw.strip():
                continue
            entity = _ftm_line(path, line_no, raw)
            schema = entity["schema"]
            props = entity["properties"]
            for stamp in _dates((entity.get("last_change") or "", entity.get("first_seen") or "")):
                newest = stamp if newest is None or stamp > newest else newest
            if schema == "Sanction":
                sanctions.append(entity)
            elif schema == "Address":
                full = _first(props, "full") or str(entity.get("caption") or "")
                for key in (entity["id"], *entity.get("referents", ())):
                    addresses[key] = full
            elif schema in PARTY_SCHEMAS:
                parties[entity["id"]] = entity
            if progress and line_no % 5000 == 0:
                progress(total, done)
    if line_no == 0 or done == 0 or not (parties or sanctions):
        raise IngestError(f"{path}: no entities in the file; this is not {FTM_WHAT}")
    if progress:
        progress(total, total)

    by_party: dict[str, list[dict[str, list[str]]]] = {}
    listed_by: dict[str, dict[str, date | None]] = {}
    for sanction in sanctions:
        props = sanction["properties"]
        days = _dates(v for key in ("listingDate", "startDate") for v in props.get(key, ()))
        for target in props.get("entity", ()):
            by_party.setdefault(target, []).append(props)
            lists = listed_by.setdefault(target, {})
            for dataset in sanction.get("datasets") or ():
                _earliest(lists, str(dataset), min(days) if days else None)
    targets = [e for key, e in parties.items() if e.get("target") or key in by_party]
    if not targets:
        raise IngestError(f"{path}: no sanctioned entity (no target, no Sanction links) in it")
    common = set.intersection(*(set(e.get("datasets") or ()) for e in targets))
    entries = [
        _ftm_entry(e, by_party.get(e["id"], []), addresses, listed_by.get(e["id"], {}))
        for e in targets
    ]
    return OpenSanctionsList(
        entries=entries,
        content_hash=digest.hexdigest(),
        dataset=dataset_name(path, sorted(common)),
        file_date=newest,
    )


# Datasets that are registries or enrichment, not lists naming a party.
_NOT_LISTS = re.compile(r"^(?:ext_|ann_|wd_|permid$|openownership|gleif|icij_)")


def _earliest(lists: dict[str, date | None], dataset: str, day: date | None) -> None:
    if dataset not in lists or (day is not None and (lists[dataset] or date.max) > day):
        lists[dataset] = day


def _listings(
    entity: dict[str, Any], listed_by: dict[str, date | None]
) -> tuple[tuple[str, date | None], ...]:
    """The lists that name the party: the datasets of its ``Sanction`` entities with their
    earliest listing (or start) date, then its other datasets, undated (registries and
    enrichment left out)."""
    lists = dict(listed_by)
    for dataset in entity.get("datasets") or ():
        if isinstance(dataset, str) and not _NOT_LISTS.match(dataset):
            lists.setdefault(dataset, None)
    return tuple(sorted(lists.items(), key=lambda item: item[0]))


def _ftm_line(path: Path, line_no: int, raw: bytes) -> dict[str, Any]:
    if b"\x00" in raw:
        raise IngestError(f"{path}, row {line_no}: binary data; this is not {FTM_WHAT}")
    try:
        entity = json.loads(raw)
    except UnicodeDecodeError:
        raise IngestError(f"{path}, row {line_no}: not UTF-8 text; {FTM_WHAT} is UTF-8") from None
    except json.JSONDecodeError as exc:
        cut = "" if raw.endswith(b"\n") else " (the line has no end: the file looks truncated)"
        raise IngestError(f"{path}, row {line_no}: not a JSON entity ({exc.msg}){cut}") from None
    if (
        not isinstance(entity, dict)
        or not isinstance(entity.get("id"), str)
        or not isinstance(entity.get("schema"), str)
        or not isinstance(entity.get("properties"), dict)
    ):
        raise IngestError(
            f"{path}, row {line_no}: an entity needs id, schema and properties; this is not "
            f"{FTM_WHAT}"
        )
    return entity


def _ftm_entry(
    entity: dict[str, Any],
    sanctions: list[dict[str, list[str]]],
    addresses: dict[str, str],
    listed_by: dict[str, date | None] | None = None,
) -> Entry:
    props: dict[str, list[str]] = entity["properties"]
    names = [str(n) for n in props.get("name", ())]
    name = str(entity.get("caption") or (names[0] if names else entity["id"]))
    alias_values = names + [
        str(v) for key in ("alias", "previousName", "weakAlias") for v in props.get(key, ())
    ]
    aliases = tuple(a for a in dict.fromkeys(" ".join(a.split()) for a in alias_values) if a)
    aliases = tuple(a for a in aliases if a != name)

    pairs = [(_label(s), _first(s, "program")) for s in sanctions]
    pairs += [(str(p), "") for p in props.get("programId", ())]
    programmes = tuple(dict.fromkeys(label for label, _ in pairs if label))

    countries: list[str] = []
    link: tuple[str, str] | None = None
    for key in _COUNTRY_PROPS:
        for value in props.get(key, ()):
            countries.append(str(value).upper())
            place = place_of_country(str(value))
            if place and link is None:
                link = (place, f"{key} {place}")
    address_list = [str(a) for a in props.get("address", ())]
    address_list += [addresses[a] for a in props.get("addressEntity", ()) if a in addresses]
    address_list = [" ".join(a.split()) for a in dict.fromkeys(address_list) if a.strip()]
    if link is None:
        for address in address_list:
            place = place_in_text(address)
            if place:
                link = (place, f"address in {place} ({address[:60]})")
                break
    notes = [" ".join(str(n).split()) for n in props.get("notes", ())]
    if link is None:
        for note in notes:
            place = place_in_text(note)
            if place:
                link = (place, f"notes name {place}")
                break

    listed = _dates(
        v for s in sanctions for key in ("listingDate", "startDate") for v in s.get(key, ())
    )
    sanction_text = [
        " ".join(
            part
            for part in (
                _first(s, "authority"),
                f"— {label}" if label else "",
                f"(listed {_first(s, 'listingDate') or _first(s, 'startDate')})"
                if (s.get("listingDate") or s.get("startDate"))
                else "",
            )
            if part
        )
        for s, (label, _) in zip(sanctions, pairs, strict=False)
    ]
    remarks = "; ".join(dict.fromkeys(t for t in (*sanction_text, *notes) if t))
    details = "; ".join(
        f"{label} {', '.join(str(v) for v in props[key])}"
        for key, label in (("birthDate", "DOB"), *_ID_PROPS, ("position", "Position"))
        if props.get(key)
    )
    first_seen = _dates([str(entity.get("first_seen") or "")])
    return Entry(
        entity_key=entity["id"],
        name=" ".join(name.split()),
        entity_type=_TYPE_BY_SCHEMA.get(entity["schema"], "entity"),
        programmes=programmes,
        russia_programmes=russia_programmes(pairs),
        countries=tuple(dict.fromkeys(countries)),
        aliases=aliases[:60],
        addresses=tuple(address_list[:20]),
        remarks=remarks,
        details=details,
        link_place=link[0] if link else None,
        link_reason=link[1] if link else None,
        listed_on=min(listed) if listed else None,
        first_seen=first_seen[0] if first_seen else None,
        referents=tuple(
            dict.fromkeys(
                str(r) for r in entity.get("referents") or () if r and str(r) != entity["id"]
            )
        ),
        listings=_listings(entity, listed_by or {}),
    )


# --- targets.simple.csv ------------------------------------------------------------------


def split_multi(value: str) -> list[str]:
    """``a;"b;c";d`` → ``["a", "b;c", "d"]`` (OpenSanctions' multi-value cells).

    The exporter quotes a value holding ``;`` or ``"`` but not one holding a line break, so
    line breaks are folded to spaces before the split.
    """
    if not value:
        return []
    flat = value.replace("\r", " ").replace("\n", " ")
    if '"' not in flat:
        parts = flat.split(";")
    else:
        try:
            parts = next(csv.reader([flat], delimiter=";"))
        except (csv.Error, StopIteration):
            parts = flat.split(";")
    return [" ".join(v.split()) for v in parts if v.strip()]


def sanction_label(text: str) -> str:
    """A programme label from a ``program - reason - status - start - end`` value.

    The programme comes first when the source names one; when it does not, the first part is
    the reason (prose), which is no label.
    """
    first = text.split(" - ", 1)[0].strip()
    words = first.split()
    if ". " in first or (first.endswith(".") and len(words) > 4):
        return PROGRAMME_NOT_NAMED
    return first if len(first) <= 60 else first[:57].rstrip() + "…"


def _read_simple(path: Path) -> tuple[bytes, pd.DataFrame]:
    raw, body, encoding = read_checked(path, SIMPLE_WHAT, utf8_only=True)
    header = next(csv.reader([body.split(b"\n", 1)[0].decode(encoding)]))
    missing = [c for c in SIMPLE_REQUIRED if c not in header]
    if missing:
        raise IngestError(
            f"{path}, row 1: no {', '.join(missing)} column in the header; {SIMPLE_WHAT} "
            f"starts with {', '.join(SIMPLE_KNOWN[:4])}, ..."
        )
    try:
        frame = pd.read_csv(
            io.BytesIO(body),
            encoding=encoding,
            dtype=object,  # plain Python str cells
            keep_default_na=False,
            na_filter=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise IngestError(f"{path}: not {SIMPLE_WHAT}: {exc}") from None
    del body
    if frame.empty:
        raise IngestError(f"{path}: a header and no rows; {SIMPLE_WHAT} always has rows")
    blank = (frame[list(SIMPLE_REQUIRED)] == "").to_numpy().any(axis=1)
    if blank.any():
        row = int(blank.argmax())
        raise IngestError(
            f"{path}, row {row + 2}: empty id, schema or name — the row is cut short or not "
            f"in {SIMPLE_WHAT}'s layout"
        )
    duplicated = frame["id"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax())
        raise IngestError(f"{path}, row {row + 2}: id {frame['id'].iloc[row]!r} appears twice")
    for column in SIMPLE_KNOWN:
        if column not in frame.columns:
            frame[column] = ""
    used = [*SIMPLE_KNOWN, *(["program_ids"] if "program_ids" in frame.columns else [])]
    return raw, frame[used]


def _newest_date(frame: pd.DataFrame) -> date | None:
    """The newest ``last_change`` or ``first_seen`` date of the file."""
    stamps = pd.concat([frame["last_change"].str[:10], frame["first_seen"].str[:10]])
    for text in sorted(set(stamps[stamps.str.match(r"\d{4}-\d{2}-\d{2}$")]), reverse=True):
        try:
            return date.fromisoformat(text)
        except ValueError:
            continue
    return None


def _simple_entries(
    frame: pd.DataFrame, progress: ProgressFn | None = None, total: int | None = None
) -> list[Entry]:
    entries: list[Entry] = []
    columns = [frame[c].tolist() for c in SIMPLE_KNOWN]
    program_ids = frame["program_ids"].tolist() if "program_ids" in frame.columns else None
    for i, values in enumerate(zip(*columns, strict=True)):
        record = dict(zip(SIMPLE_KNOWN, values, strict=True))
        entries.append(_simple_entry(record, split_multi(program_ids[i]) if program_ids else []))
        if progress and (i + 1) % 5000 == 0:
            progress(total or len(frame), i + 1)
    return entries


def parse_simple(path: Path, progress: ProgressFn | None = None) -> OpenSanctionsList:
    raw, frame = _read_simple(path)
    total = len(frame)
    if progress:
        progress(total, 0)
    entries = _simple_entries(frame, progress)
    if progress:
        progress(total, total)
    return OpenSanctionsList(
        entries=entries,
        content_hash=hashlib.sha256(b"targets.simple\0" + raw).hexdigest(),
        dataset=dataset_name(path),
        file_date=_newest_date(frame),
    )


@dataclass(frozen=True, slots=True)
class ParsedRows:
    """A validated OpenSanctions file, its entries ready to be stored."""

    rows: EntryRows
    content_hash: str
    dataset: str
    file_date: date | None


# Changes with the reader's output: an entry read by another version is derived again.
_SIMPLE_READER_VERSION = "opensanctions-simple-csv/1"


def parse_simple_rows(path: Path, progress: ProgressFn | None = None) -> ParsedRows:
    """``targets.simple.csv`` read and validated; each entry fingerprinted on its CSV row and
    derived only when it is stored or compared."""
    raw, frame = _read_simple(path)
    content_hash = hashlib.sha256(b"targets.simple\0" + raw).hexdigest()
    del raw
    file_date = _newest_date(frame)
    # Only what an entry is derived from: last_seen and last_change move every day.
    frame = frame[[c for c in frame.columns if c not in ("last_seen", "last_change")]]
    fingerprints = combine_columns(reader_tag(_SIMPLE_READER_VERSION), row_hashes(frame))
    keys = frame["id"].tolist()
    program_ids = "program_ids" in frame.columns

    def derive(positions: Sequence[int]) -> pd.DataFrame:
        at = list(positions)
        picked = frame.iloc[at]
        cells = [picked[c].tolist() for c in _SIMPLE_DERIVED]
        ids = picked["program_ids"].tolist() if program_ids else [""] * len(at)
        rows = [
            (*_simple_row(values), fingerprints[i])
            for i, *values in zip(at, *cells, ids, strict=True)
        ]
        derived = object_frame(rows, ENTRY_COLUMNS)
        # The lists that name the party (dataset titles; the file gives no date per list).
        listings = [_simple_listings(cell) for cell in picked["dataset"].tolist()]
        return derived.assign(listings=pd.Series(listings, dtype=object, index=derived.index))

    return ParsedRows(
        rows=EntryRows(keys, fingerprints, derive),
        content_hash=content_hash,
        dataset=dataset_name(path),
        file_date=file_date,
    )


_SIMPLE_DERIVED = (
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "countries",
    "addresses",
    "identifiers",
    "sanctions",
    "dataset",
    "first_seen",
)


def _simple_sanctions(cell: str, program_ids: str) -> tuple[str, str, str, str | None]:
    """Programmes, their Russia-related subset (both newline-joined), the remarks and the
    earliest listing date of a ``sanctions`` cell (and ``program_ids``), as stored.

    Each value (``program - reason - status - start - end``) is read part by part, and the
    parts, which repeat across a list, are looked at once each.
    """
    sanctions = split_multi(cell)
    labels: list[str] = []
    russia: set[str] = set()
    listed: list[str] = []
    for value in sanctions:
        parts = value.split(" - ")
        label = _label_part(parts[0])
        labels.append(label)
        # The patterns never span " - ": the whole value names Russia iff a part does.
        named = is_russia_programme(value) if len(parts) == 1 else any(map(_russia_part, parts))
        if named or is_russia_programme(label):
            russia.add(label)
        listed.extend(day for day in map(_part_day, parts[1:]) if day)
    for code in split_multi(program_ids):
        labels.append(code)
        if is_russia_programme(code):
            russia.add(code)
    # Codes (RUSSIA-EO14024, UKR) first, then titles, each in the file's order.
    ordered = sorted(
        dict.fromkeys(label for label in labels if label),
        key=lambda label: not _CODE_LIKE.fullmatch(label),
    )
    return (
        "\n".join(ordered),
        "\n".join(p for p in ordered if p in russia),
        "; ".join(sanctions),
        min(listed) if listed else None,
    )


@lru_cache(maxsize=16_384)
def _simple_listings(cell: str) -> str | None:
    return "\n".join(f"{title}\t" for title in split_multi(cell)) or None


@lru_cache(maxsize=65_536)
def _label_part(first: str) -> str:
    return sanction_label(first)


@lru_cache(maxsize=65_536)
def _russia_part(part: str) -> bool:
    return is_russia_programme(part)


@lru_cache(maxsize=65_536)
def _part_day(part: str) -> str | None:
    found = _dates([part])
    return found[0].isoformat() if found else None


@lru_cache(maxsize=16_384)
def _simple_countries(cell: str) -> tuple[str, tuple[str, str] | None]:
    countries = [c.upper() for c in split_multi(cell)]
    link = None
    for code in countries:
        place = place_of_country(code)
        if place:
            link = (place, f"country {place}")
            break
    return "\n".join(dict.fromkeys(countries)), link


@lru_cache(maxsize=16_384)
def _simple_list(cell: str) -> str:
    return ", ".join(split_multi(cell))


@lru_cache(maxsize=65_536)
def _simple_day(cell: str) -> str | None:
    found = _dates([cell])
    return found[0].isoformat() if found else None


def _simple_row(values: Sequence[str]) -> tuple[object, ...]:
    """One targets.simple.csv row as a row of the stored columns (as :func:`_simple_entry`
    reads it), without the fingerprint; ``values`` are the cells of :data:`_SIMPLE_DERIVED`
    and ``program_ids``."""
    (
        key,
        schema,
        name_cell,
        aliases_cell,
        birth,
        countries_cell,
        addresses_cell,
        identifiers_cell,
        sanctions_cell,
        dataset,
        first_seen,
        program_ids,
    ) = values
    programmes, russia, remarks, listed = _simple_sanctions(sanctions_cell, program_ids)
    countries, link = _simple_countries(countries_cell)
    addresses = [" ".join(a.split()) for a in split_multi(addresses_cell)]
    if link is None:
        for address in addresses:
            place = place_in_text(address)
            if place:
                link = (place, f"address in {place} ({address[:60]})")
                break
    name = " ".join(name_cell.split())
    aliases = [a for a in dict.fromkeys(split_multi(aliases_cell)) if a != name][:60]
    details = "; ".join(
        f"{label} {value}"
        for label, value in (
            ("DOB", _simple_list(birth) if birth else ""),
            ("Identifiers", ", ".join(split_multi(identifiers_cell))),
            ("Datasets", _simple_list(dataset) if dataset else ""),
        )
        if value
    )
    return (
        key,
        name,
        _TYPE_BY_SCHEMA.get(schema, "entity"),
        programmes,
        russia,
        countries,
        link is not None,
        link[0] if link else None,
        link[1] if link else None,
        "\n".join(aliases),
        "\n".join(addresses[:20]),
        remarks,
        details,
        listed,
        _simple_day(first_seen) if first_seen else None,
    )


def parse_ftm_rows(path: Path, progress: ProgressFn | None = None) -> ParsedRows:
    """An FtM entities file read and validated; its entries fingerprinted as derived."""
    parsed = parse_ftm(path, progress)
    return ParsedRows(
        rows=EntryRows.from_frame(entry_frame(parsed.entries), "opensanctions-ftm/1"),
        content_hash=parsed.content_hash,
        dataset=parsed.dataset,
        file_date=parsed.file_date,
    )


def _simple_entry(record: dict[str, str], program_ids: list[str]) -> Entry:
    sanctions = split_multi(record["sanctions"])
    pairs = [(sanction_label(s), s) for s in sanctions]
    pairs += [(p, "") for p in program_ids]
    # Codes (RUSSIA-EO14024, UKR) first, then titles, each in the file's order.
    labels = sorted(
        dict.fromkeys(label for label, _ in pairs if label),
        key=lambda label: not _CODE_LIKE.fullmatch(label),
    )
    programmes = tuple(labels)
    russia = set(russia_programmes(pairs))
    countries = [c.upper() for c in split_multi(record["countries"])]
    addresses = [" ".join(a.split()) for a in split_multi(record["addresses"])]
    link: tuple[str, str] | None = None
    for code in countries:
        place = place_of_country(code)
        if place:
            link = (place, f"country {place}")
            break
    if link is None:
        for address in addresses:
            place = place_in_text(address)
            if place:
                link = (place, f"address in {place} ({address[:60]})")
                break
    name = " ".join(record["name"].split())
    aliases = tuple(a for a in dict.fromkeys(split_multi(record["aliases"])) if a != name)
    identifiers = ", ".join(split_multi(record["identifiers"]))
    details = "; ".join(
        f"{label} {value}"
        for label, value in (
            ("DOB", ", ".join(split_multi(record["birth_date"]))),
            ("Identifiers", identifiers),
            ("Datasets", ", ".join(split_multi(record["dataset"]))),
        )
        if value
    )
    listed = _dates(part for s in sanctions for part in s.split(" - ")[1:])
    first_seen = _dates([record["first_seen"]])
    return Entry(
        entity_key=record["id"],
        name=name,
        entity_type=_TYPE_BY_SCHEMA.get(record["schema"], "entity"),
        programmes=programmes,
        russia_programmes=tuple(p for p in programmes if p in russia),
        countries=tuple(dict.fromkeys(countries)),
        aliases=aliases[:60],
        addresses=tuple(addresses[:20]),
        remarks="; ".join(sanctions),
        details=details,
        link_place=link[0] if link else None,
        link_reason=link[1] if link else None,
        listed_on=min(listed) if listed else None,
        first_seen=first_seen[0] if first_seen else None,
        listings=tuple((title, None) for title in split_multi(record["dataset"])),
    )


def looks_like_ftm(path: Path) -> bool:
    """A JSON-lines file whose first line is an FtM entity."""
    name = path.name.lower()
    if not name.endswith((".json", ".jsonl", ".ftm")):
        return False
    if name.endswith(".ftm.json") or name == "entities.ftm.json":
        return True
    try:
        with path.open("rb") as handle:
            first = handle.readline(1_000_000)
        entity = json.loads(first)
    except (OSError, ValueError):
        return False
    return isinstance(entity, dict) and "schema" in entity and "properties" in entity


def looks_like_simple(path: Path) -> bool:
    """``targets.simple.csv`` by name, or a CSV whose header starts ``id,schema,name``."""
    name = path.name.lower()
    if name.endswith(".simple.csv"):
        return True
    if not name.endswith(".csv"):
        return False
    try:
        with path.open("rb") as handle:
            first = handle.readline(10_000).decode("utf-8", "replace")
    except OSError:
        return False
    header = next(csv.reader([first.strip()]), [])
    return header[:3] == list(SIMPLE_REQUIRED)


def file_date(path: Path, parsed: OpenSanctionsList) -> tuple[date | None, str]:
    named = date_in_name(path)
    if named:
        return named, "file name"
    return parsed.file_date, "file contents"


__all__ = [
    "OpenSanctionsList",
    "ParsedRows",
    "file_date",
    "looks_like_ftm",
    "looks_like_simple",
    "parse_ftm",
    "parse_ftm_rows",
    "parse_simple",
    "parse_simple_rows",
    "row_of",
]
