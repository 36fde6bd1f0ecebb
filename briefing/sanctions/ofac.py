"""OFAC's legacy list files: ``sdn.csv`` and, linked on ``ent_num``, ``add.csv`` (addresses),
``alt.csv`` (aliases) and ``sdn_comments.csv`` (the overflow of long remarks); and the
Consolidated (non-SDN) list in the same layout: ``cons_prim.csv``, ``cons_add.csv``,
``cons_alt.csv``, ``cons_comments.csv``.

The files have no header; ``-0-`` (often with a trailing space) means empty; several programmes
share one field as ``RUSSIA-EO14024] [NPWMD``; the text is ASCII/latin-1 with CRLF line ends and
a Ctrl-Z byte at the end. pandas reads them (fast, with row numbers in its errors); the rows
become :class:`~briefing.sanctions.model.Entry` dataclasses.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from briefing.ingest_types import IngestError
from briefing.sanctions.files import read_checked
from briefing.sanctions.model import Entry
from briefing.sanctions.store import (
    ENTRY_COLUMNS,
    EntryRows,
    combine,
    combine_columns,
    frame_entries,
    object_frame,
    reader_tag,
    row_hashes,
)
from briefing.sanctions.topic import link_from_remarks, place_of_country, russia_programmes

SDN_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_postal", "country", "add_remarks")
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
COMMENT_COLUMNS = ("ent_num", "remarks_extended")

_ROLES = {
    "sdn": (SDN_COLUMNS, "an OFAC sdn.csv (the SDN list)"),
    "add": (ADD_COLUMNS, "an OFAC add.csv (SDN addresses)"),
    "alt": (ALT_COLUMNS, "an OFAC alt.csv (SDN aliases)"),
    "sdn_comments": (COMMENT_COLUMNS, "an OFAC sdn_comments.csv (long SDN remarks)"),
}
_CONS_ROLES = {
    "sdn": (SDN_COLUMNS, "an OFAC cons_prim.csv (the Consolidated non-SDN list)"),
    "add": (ADD_COLUMNS, "an OFAC cons_add.csv (Consolidated list addresses)"),
    "alt": (ALT_COLUMNS, "an OFAC cons_alt.csv (Consolidated list aliases)"),
    "sdn_comments": (COMMENT_COLUMNS, "an OFAC cons_comments.csv (long Consolidated remarks)"),
}
# The Consolidated list's files, by the SDN file they correspond to.
_CONS_NAMES = {
    "cons_prim": "sdn",
    "cons_add": "add",
    "cons_alt": "alt",
    "cons_comments": "sdn_comments",
}
CONSOLIDATED_MARK = "cons:"
_FILE_NAME = re.compile(
    r"(cons_comments|cons_prim|cons_add|cons_alt|sdn_comments|sdn|add|alt)((?:[^a-z].*)?)\.csv",
    re.IGNORECASE,
)
_AKA = re.compile(r"\b[afn]\.k\.a\.,?\s*'([^']+)'", re.IGNORECASE)
_NATIONALITY = re.compile(r"(?:^|;)\s*(?:alt\.\s*)?(?:nationality|citizen) ([^;]+)")
_LAST_PARENS = re.compile(r"\(([A-Z][A-Za-z .,'-]*[a-z][A-Za-z .,'-]*)\)\.?\s*(?=;|$)")
_FIELDS = re.compile(r"fields in line (\d+), saw (\d+)")
_EOF_IN_STRING = re.compile(r"EOF inside string starting at row (\d+)")
_NULL = "-0-"
_MASK = (1 << 64) - 1

ProgressFn = Callable[[int | None, int], None]


@dataclass(frozen=True, slots=True)
class OfacFiles:
    """One SDN list: its sdn.csv and whichever companion files came with it."""

    sdn: Path
    add: Path | None = None
    alt: Path | None = None
    comments: Path | None = None

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.sdn, self.add, self.alt, self.comments) if p is not None)

    @property
    def consolidated(self) -> bool:
        """The Consolidated (non-SDN) list: ``cons_prim.csv`` and its companions."""
        return self.sdn.name.lower().startswith("cons_")


def role_of(path: Path) -> tuple[str, str] | None:
    """``("sdn", "_2024-02-23")`` for ``sdn_2024-02-23.csv``; ``("add", "cons:")`` for
    ``cons_add.csv`` (the Consolidated list's files carry the ``cons:`` mark, so they group
    with one another only); None for other names."""
    match = _FILE_NAME.fullmatch(path.name)
    if match is None:
        return None
    kind = match.group(1).lower()
    if kind in _CONS_NAMES:
        return _CONS_NAMES[kind], CONSOLIDATED_MARK + match.group(2)
    return kind, match.group(2)


def _file_name(kind: str, suffix: str) -> str:
    if suffix.startswith(CONSOLIDATED_MARK):
        cons = {v: k for k, v in _CONS_NAMES.items()}[kind]
        return f"{cons}{suffix.removeprefix(CONSOLIDATED_MARK)}.csv"
    return f"{kind}{suffix}.csv"


def group_files(paths: Sequence[Path]) -> tuple[list[OfacFiles], list[Path]]:
    """Sort OFAC files into lists; companions with no sdn.csv come back as orphans.

    A companion matches the sdn.csv with the same name suffix (``add_2024-02-23.csv`` goes with
    ``sdn_2024-02-23.csv``), preferring one in the same folder. Companions not passed but lying
    beside an sdn.csv are picked up too, so ``ingest mirror/sdn.csv`` loads the whole set.
    """
    sdn_files = [p for p in paths if (role_of(p) or ("", ""))[0] == "sdn"]
    chosen: dict[Path, dict[str, Path]] = {p: {} for p in sdn_files}
    orphans: list[Path] = []
    for path in paths:
        role = role_of(path)
        if role is None or role[0] == "sdn":
            continue
        kind, suffix = role
        candidates = [s for s in sdn_files if (role_of(s) or ("", ""))[1] == suffix]
        same_dir = [s for s in candidates if s.parent == path.parent]
        owners = same_dir or candidates
        owner = owners[0] if owners else None
        if owner is None or kind in chosen[owner]:
            orphans.append(path)
        else:
            chosen[owner][kind] = path
    groups = []
    for sdn in sdn_files:
        found = chosen[sdn]
        suffix = (role_of(sdn) or ("", ""))[1]
        for kind in ("add", "alt", "sdn_comments"):
            beside = sdn.parent / _file_name(kind, suffix)
            if kind not in found and beside.is_file():
                found[kind] = beside
        groups.append(OfacFiles(sdn, found.get("add"), found.get("alt"), found.get("sdn_comments")))
    return groups, orphans


def _read(path: Path, role: str) -> tuple[bytes, pd.DataFrame]:
    consolidated = path.name.lower().startswith("cons_")
    columns, what = (_CONS_ROLES if consolidated else _ROLES)[role]
    raw, body, encoding = read_checked(path, what)
    try:
        frame = pd.read_csv(
            io.BytesIO(body),
            encoding=encoding,
            header=None,
            dtype=object,  # plain Python str cells
            keep_default_na=False,
            na_filter=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        message = str(exc)
        fields = _FIELDS.search(message)
        if fields:
            raise IngestError(
                f"{path}, row {fields.group(1)}: {fields.group(2)} columns where {what} has "
                f"{len(columns)} ({', '.join(columns)})"
            ) from None
        unterminated = _EOF_IN_STRING.search(message)
        if unterminated:
            raise IngestError(
                f"{path}, row {int(unterminated.group(1)) + 1}: a quoted field never ends; "
                "the file looks truncated"
            ) from None
        raise IngestError(f"{path}: not {what}: {message}") from None
    if frame.shape[1] != len(columns):
        raise IngestError(
            f"{path}: rows have {frame.shape[1]} columns where {what} has {len(columns)} "
            f"({', '.join(columns)}); is this the right file?"
        )
    frame.columns = list(columns)
    # Every cell is a non-empty str unless a row is cut short: a test of truth per column
    # (half a millisecond for the SDN list); the row and column are looked for only then.
    if not all(all(frame[name].tolist()) for name in columns):
        short = (frame == "").to_numpy().any(axis=1)
        if short.any():
            row = int(short.argmax())
            column = columns[int((frame.iloc[row] == "").to_numpy().argmax())]
            raise IngestError(
                f"{path}, row {row + 1}: column {column} is empty — OFAC writes -0- for empty "
                "fields, so the row is cut short or not in OFAC's layout"
            )
    keys = frame["ent_num"].tolist()
    if not all(map(str.isdecimal, keys)):
        row = next(at for at, key in enumerate(keys) if not key.isdecimal())
        raise IngestError(
            f"{path}, row {row + 1}: ent_num {frame['ent_num'].iloc[row][:30]!r} is not a "
            f"number; this is not {what}"
        )
    return raw, frame


def _value(text: str) -> str:
    stripped = text.strip()
    return "" if stripped == _NULL else stripped


def _countries_in_remarks(remarks: str) -> list[str]:
    """Nationalities and the countries that issued the party's identifiers
    ("Tax ID No. 7714136948 (Russia)": the last bracket of a clause)."""
    if not remarks:
        return []
    found = [m.rstrip(". ") for m in _NATIONALITY.findall(remarks)]
    found += [m.strip() for m in _LAST_PARENS.findall(remarks)]
    return found


def parse(files: OfacFiles, progress: ProgressFn | None = None) -> tuple[list[Entry], str]:
    """Read and validate one list; returns its entries and the hash of its files' bytes."""
    rows, digest = parse_rows(files, progress)
    return frame_entries(rows.frame()), digest


def _clean(values: list[str]) -> list[str]:
    """OFAC cells as text: stripped, ``-0-`` empty."""
    out = []
    for text in values:
        stripped = text.strip()
        out.append("" if stripped == _NULL else stripped)
    return out


@lru_cache(maxsize=4096)
def _programmes(text: str) -> tuple[str, str]:
    """The programmes cell as stored (newline-joined) and its Russia-related subset."""
    programmes = tuple(p.strip() for p in text.split("] [") if p.strip())
    return "\n".join(programmes), "\n".join(russia_programmes((p, p) for p in programmes))


# Changes with the reader's output: an entry read by another version is derived again.
_READER_VERSION = "ofac-legacy-csv/1"


def _by_key(frame: pd.DataFrame) -> dict[str, int]:
    """The rows of a companion file, hashed in order and combined per ``ent_num``."""
    out: dict[str, int] = {}
    for key, value in zip(frame["ent_num"].tolist(), row_hashes(frame).tolist(), strict=True):
        out[key] = combine(out.get(key, 0), value)
    return out


def parse_rows(files: OfacFiles, progress: ProgressFn | None = None) -> tuple[EntryRows, str]:
    """Read and validate one list; returns its entries — keys and fingerprints (of the sdn row
    and its companion rows), the stored columns derived on demand — and the hash of its files'
    bytes."""
    digest = hashlib.sha256()
    raw, sdn = _read(files.sdn, "sdn")
    digest.update(b"sdn\0" + raw)
    keys = sdn["ent_num"].tolist()
    if len(set(keys)) != len(keys):
        row = int(sdn["ent_num"].duplicated().to_numpy().argmax())
        raise IngestError(
            f"{files.sdn}, row {row + 1}: ent_num {sdn['ent_num'].iloc[row]} appears twice"
        )
    total = len(sdn)
    if progress:
        progress(total, 0)

    tag = reader_tag(_READER_VERSION)
    companions: list[dict[str, int]] = []
    comments: dict[str, str] = {}
    aliases: dict[str, list[str]] = defaultdict(list)
    addresses: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if files.comments is not None:
        raw, frame = _read(files.comments, "sdn_comments")
        digest.update(b"sdn_comments\0" + raw)
        companions.append(_by_key(frame))
        # The overflow continues the remarks mid-word: join without a separator.
        joined = frame.groupby("ent_num", sort=False)["remarks_extended"].agg("".join)
        comments = {str(k): str(v) for k, v in joined.items() if _value(str(v))}
    if files.alt is not None:
        raw, frame = _read(files.alt, "alt")
        digest.update(b"alt\0" + raw)
        companions.append(_by_key(frame))
        for ent_num, alt_name in zip(
            frame["ent_num"], _clean(frame["alt_name"].tolist()), strict=True
        ):
            if alt_name:
                aliases[ent_num].append(alt_name)
    if files.add is not None:
        raw, frame = _read(files.add, "add")
        digest.update(b"add\0" + raw)
        companions.append(_by_key(frame))
        for ent_num, address, city, country in zip(
            frame["ent_num"].tolist(),
            _clean(frame["address"].tolist()),
            _clean(frame["city_state_postal"].tolist()),
            _clean(frame["country"].tolist()),
            strict=True,
        ):
            addresses[ent_num].append((", ".join(v for v in (address, city) if v), country))

    fingerprints = combine_columns(
        tag,
        row_hashes(sdn),
        *(np.array([c.get(key, 0) & _MASK for key in keys], dtype=np.uint64) for c in companions),
    )

    def derive(positions: Sequence[int]) -> pd.DataFrame:
        picked = sdn.iloc[list(positions)]
        columns = [_clean(picked[c].tolist()) for c in SDN_COLUMNS[1:]]
        rows = []
        for i, values in enumerate(zip(picked["ent_num"].tolist(), *columns, strict=True)):
            rows.append(_row(values, comments, aliases, addresses))
            if progress and (i + 1) % 5000 == 0:
                progress(len(picked), i + 1)
        frame = object_frame(rows, ENTRY_COLUMNS)
        at = list(positions)
        frame["fingerprint"] = pd.Series([fingerprints[i] for i in at], dtype=object)
        return frame

    if progress:
        progress(total, total)
    return EntryRows(keys, fingerprints, derive), digest.hexdigest()


_VESSEL_LABELS = ("Title", "Call sign", "Vessel type", "Tonnage", "GRT", "Flag", "Owner")


def _row(
    row: tuple[str, ...],
    comments: dict[str, str],
    aliases_by_key: dict[str, list[str]],
    addresses_by_key: dict[str, list[tuple[str, str]]],
) -> tuple[object, ...]:
    """One SDN row (cells cleaned) as a row of the stored columns."""
    ent_num, name, sdn_type, program, *vessel, remarks = row
    if ent_num in comments:
        remarks = remarks + comments[ent_num].strip()
    programmes, russia = _programmes(program)
    alias_list = aliases_by_key.get(ent_num, [])
    if "k.a." in remarks:
        alias_list = alias_list + [_value(a) for a in _AKA.findall(remarks)]
    aliases = [a for a in dict.fromkeys(alias_list) if a and a != name] if alias_list else []
    address_rows = addresses_by_key.get(ent_num, ())
    address_texts: list[str] = []
    countries: list[str] = []
    link: tuple[str, str] | None = None
    for line, country in address_rows:
        text = f"{line}, {country}" if line and country else line or country
        if text:
            address_texts.append(text)
        if country:
            countries.append(country)
            if link is None:
                place = place_of_country(country)
                if place:
                    where = line.split(", ")[-1] if line else ""
                    link = (place, f"address in {place}" + (f" ({where})" if where else ""))
    if remarks and ("ationality" in remarks or "itizen" in remarks or ")" in remarks):
        countries += _countries_in_remarks(remarks)
    vess_flag = vessel[5]
    if vess_flag:
        countries.append(vess_flag)
    if link is None and remarks:
        link = link_from_remarks(remarks)
    if link is None and vess_flag and place_of_country(vess_flag):
        link = (place_of_country(vess_flag) or vess_flag, f"vessel flag {vess_flag}")
    details = (
        "; ".join(
            f"{label} {value}" for label, value in zip(_VESSEL_LABELS, vessel, strict=True) if value
        )
        if any(vessel)
        else ""
    )
    return (
        ent_num,
        name,
        sdn_type or "entity",
        programmes,
        russia,
        "\n".join(dict.fromkeys(countries)),
        link is not None,
        link[0] if link else None,
        link[1] if link else None,
        "\n".join(aliases),
        "\n".join(dict.fromkeys(address_texts)),
        remarks,
        details,
        None,
        None,
        None,
    )
