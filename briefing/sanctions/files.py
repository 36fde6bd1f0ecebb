"""Checks every sanctions file passes before it is parsed, and what a file's name tells.

A refused file raises :class:`~briefing.ingest_types.IngestError` naming the file (and the row where
one is to blame), before anything in the database is touched.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from briefing.ingest_types import IngestError

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every byte but those: deleting them leaves a file's control bytes (one C pass over the
# file, several times quicker than the regex scan, which then only locates the first).
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL.match(bytes([b])))
_EOF_MARK = b"\x1a"  # Ctrl-Z, which OFAC's legacy files end with


def row_of(data: bytes, offset: int) -> int:
    """The 1-based line number of byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def read_text(path: Path, what: str, *, utf8_only: bool = False) -> tuple[bytes, str]:
    """The file's bytes (for the content hash) and its text, or a clear refusal.

    Refuses empty files, UTF-16/32 files, binary data, and files that end mid-row (no line
    break after the last row: a cut-off download). OFAC's trailing Ctrl-Z is dropped.
    """
    raw, body, encoding = read_checked(path, what, utf8_only=utf8_only)
    return raw, body.decode(encoding)


def read_checked(path: Path, what: str, *, utf8_only: bool = False) -> tuple[bytes, bytes, str]:
    """The file's bytes (for the content hash), its body as checked by :func:`read_text` (no
    byte-order mark, no trailing Ctrl-Z) and the body's encoding (``utf-8`` or ``latin-1``),
    for a parser that reads bytes itself."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read it ({exc.strerror})") from None
    body = raw.rstrip(_EOF_MARK)
    if not body.strip():
        raise IngestError(f"{path}: the file is empty; {what} always has rows")
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or body[:4] in (b"\x00\x00\xfe\xff",):
        raise IngestError(
            f"{path}: the file is UTF-16/32 encoded; {what} is plain ASCII/UTF-8 text"
        )
    bad = _CONTROL.search(body) if body.translate(None, _NOT_CONTROL) else None
    if bad is not None:
        raise IngestError(
            f"{path}, row {row_of(body, bad.start())}: binary data (byte 0x{bad.group()[0]:02x} "
            f"at offset {bad.start()}); this is not {what}"
        )
    if not body.endswith(b"\n"):
        raise IngestError(
            f"{path}, row {row_of(body, len(body))}: the file ends in the middle of a row "
            "(no line break after it); the download looks truncated"
        )
    body = body.removeprefix(b"\xef\xbb\xbf")
    if body.isascii():
        return raw, body, "utf-8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if utf8_only:
            raise IngestError(
                f"{path}, row {row_of(body, exc.start)}: not valid UTF-8 text; {what} is UTF-8"
            ) from None
        # OFAC's legacy files are latin-1 (in practice ASCII).
        return raw, body, "latin-1"
    return raw, body, "utf-8"


def date_in_name(path: Path) -> date | None:
    """A date written in the file name or its folder (``sdn_2024-02-23.csv``,
    ``2024-02-23/sdn.csv``, ``sdn_20240223.csv``)."""
    for part in (path.name, path.parent.name):
        for match in _DATE_IN_NAME.finditer(part):
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
    return None


def is_date_like(name: str) -> bool:
    return bool(_DATE_IN_NAME.fullmatch(name.strip()))
