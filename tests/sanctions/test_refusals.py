"""Bad sanctions files are refused, naming the file (and row), before anything is replaced."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from briefing.appstate import Briefing
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestError, IngestOptions, IngestResult
from briefing.sanctions import formats
from briefing.sanctions.search import sanctions
from briefing.sanctions.tables import entries_table, snapshots_table
from tests.conftest import EU_FSD_CODES, OFAC_SNAPSHOTS, OFAC_WATCHMAN, OPENSANCTIONS_FTM

SNAPSHOTS = OFAC_SNAPSHOTS
WATCHMAN = OFAC_WATCHMAN
ZALA = OPENSANCTIONS_FTM / "zala_entities.ftm.json"
NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
TODAY = date(2024, 3, 1)


def load(
    brief: Briefing, *paths: Path, force: bool = False, as_of: date | None = None
) -> list[IngestResult]:
    return ingest(brief, list(paths), IngestOptions(as_of=as_of, force=force, today=TODAY), NOW)


def counts(brief: Briefing) -> tuple[int, int]:
    with brief.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(snapshots_table)).scalar_one(),
            conn.execute(select(func.count()).select_from(entries_table)).scalar_one(),
        )


@pytest.fixture
def baseline(brief: Briefing, tmp_path: Path) -> Briefing:
    """The linked watchman set loaded as the OFAC list of 1 Feb 2024 (17 entries)."""
    folder = tmp_path / "good"
    folder.mkdir()
    for name in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"):
        shutil.copy(WATCHMAN / name, folder / name)
    load(brief, folder / "sdn.csv", as_of=date(2024, 2, 1))
    assert counts(brief) == (1, 17)
    return brief


def still_serving(brief: Briefing) -> None:
    assert counts(brief) == (1, 17)
    brief.refresh()
    (match,) = sanctions(brief).index(TODAY).search("khoroshev dmitry", limit=1)
    assert match.entry.name == "KHOROSHEV, Dmitry Yuryevich"
    assert match.snapshot.list_date == date(2024, 2, 1)


def refused(brief: Briefing, path: Path, *fragments: str) -> str:
    with pytest.raises(IngestError) as caught:
        load(brief, path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_empty_sdn_csv_is_refused(baseline: Briefing, tmp_path: Path) -> None:
    bad = tmp_path / "sdn.csv"
    bad.write_bytes(b"")
    refused(baseline, bad, "the file is empty")
    bad.write_bytes(b"\r\n\x1a")  # an "empty" list that still has OFAC's end-of-file byte
    refused(baseline, bad, "the file is empty")
    still_serving(baseline)


def test_real_file_truncated_mid_row_is_refused(baseline: Briefing, tmp_path: Path) -> None:
    data = (SNAPSHOTS / "sdn_2024-02-23.csv").read_bytes()
    bad = tmp_path / "sdn.csv"
    bad.write_bytes(data[:1_000_000])
    rows = data[:1_000_000].count(b"\n") + 1
    refused(baseline, bad, f"row {rows}:", "ends in the middle of a row", "truncated")
    # Cut inside a quoted field, then a line break: the quote never closes.
    cut = data.index(b'"', 1_000_000) + 5
    bad.write_bytes(data[:cut] + b"\r\n")
    refused(baseline, bad, "a quoted field never ends")
    still_serving(baseline)


def test_binary_and_utf16_files_are_refused(baseline: Briefing, tmp_path: Path) -> None:
    bad = tmp_path / "sdn.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    refused(baseline, bad, "binary data")
    text = (WATCHMAN / "sdn.csv").read_text(encoding="latin-1")
    bad.write_bytes(text.encode("utf-16"))
    refused(baseline, bad, "UTF-16")
    still_serving(baseline)


def test_wrong_format_and_wrong_column_count_are_refused(
    baseline: Briefing, tmp_path: Path
) -> None:
    bad = tmp_path / "sdn.csv"
    shutil.copy(EU_FSD_CODES, bad)
    refused(baseline, bad, "rows have 2 columns where an OFAC sdn.csv (the SDN list) has 12")
    lines = (WATCHMAN / "sdn.csv").read_bytes().split(b"\r\n")
    lines[4] = lines[4] + b',"an extra column"'
    bad.write_bytes(b"\r\n".join(lines))
    refused(baseline, bad, "row 5: 13 columns where an OFAC sdn.csv (the SDN list) has 12")
    lines = (WATCHMAN / "sdn.csv").read_bytes().split(b"\r\n")
    lines[6] = b",".join(lines[6].split(b",")[:5])
    bad.write_bytes(b"\r\n".join(lines))
    refused(baseline, bad, "row 7: column Call_Sign is empty")
    still_serving(baseline)


def test_a_companion_without_its_sdn_csv_is_refused(baseline: Briefing, tmp_path: Path) -> None:
    lonely = tmp_path / "add.csv"
    shutil.copy(WATCHMAN / "add.csv", lonely)
    refused(baseline, lonely, "needs the main file it belongs to (sdn.csv")
    still_serving(baseline)


def test_a_list_that_shrinks_by_half_needs_force(brief: Briefing, tmp_path: Path) -> None:
    """A real partial download: the 23 Feb file cut at a row boundary after 5,000 rows."""
    load(brief, SNAPSHOTS / "sdn_2024-02-20.csv")
    data = (SNAPSHOTS / "sdn_2024-02-23.csv").read_bytes()
    end = 0
    for _ in range(5_000):
        end = data.index(b"\r\n", end) + 2
    partial = tmp_path / "sdn_2024-02-23.csv"
    partial.write_bytes(data[:end])
    message = refused(brief, partial, "5,000 entries where the list of 20 Feb 2024 had 13,931")
    assert "--force" in message
    assert counts(brief) == (1, 13_931)
    (result,) = load(brief, partial, force=True)
    assert result.records == 5_000
    (update,) = result.updates
    assert "removed" in update.lines[0].text
    assert counts(brief) == (2, 13_931 + 5_000)


def test_one_ingest_is_one_transaction(brief: Briefing, tmp_path: Path) -> None:
    """Two lists in one call: the second is refused inside the transaction, so the first,
    already written, is rolled back too."""
    lines = (WATCHMAN / "sdn.csv").read_bytes().split(b"\r\n")
    first, second = tmp_path / "sdn_2024-01-01.csv", tmp_path / "sdn_2024-01-02.csv"
    first.write_bytes(b"\r\n".join(lines))
    second.write_bytes(b"\r\n".join([*lines[:3], b""]))
    with pytest.raises(IngestError, match="shrank by more than half"):
        load(brief, first, second)
    assert counts(brief) == (0, 0)


@pytest.mark.parametrize("where", ["insert_frame", "copy_entries", "diff_frames", "prune"])
def test_a_crash_at_any_write_of_the_next_list_leaves_the_last_one_serving(
    baseline: Briefing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The next list's new rows, its unchanged rows copied in the database, the diff and the
    pruning are one transaction: a crash at any of them leaves nothing of the new list."""
    folder = tmp_path / "next"
    folder.mkdir()
    lines = (WATCHMAN / "sdn.csv").read_bytes().split(b"\r\n")
    # One entry renamed: one row derived and written anew, the others copied.
    lines[0] = lines[0].replace(b"LOGAN MOREY", b"LOGAN-MOREY", 1)
    (folder / "sdn.csv").write_bytes(b"\r\n".join(lines))
    for name in ("add.csv", "alt.csv", "sdn_comments.csv"):
        shutil.copy(WATCHMAN / name, folder / name)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"the process died in {where}")

    monkeypatch.setattr(formats, where, crash)
    with pytest.raises(RuntimeError, match=where):
        load(baseline, folder / "sdn.csv", as_of=date(2024, 2, 2))
    still_serving(baseline)


def test_a_different_list_for_a_loaded_date_needs_force(baseline: Briefing, tmp_path: Path) -> None:
    lines = (WATCHMAN / "sdn.csv").read_bytes().split(b"\r\n")
    other = tmp_path / "sdn.csv"
    other.write_bytes(b"\r\n".join([*lines[:12], b""]))
    with pytest.raises(IngestError, match="dated 1 Feb 2024 is already loaded"):
        load(baseline, other, as_of=date(2024, 2, 1))
    still_serving(baseline)
    (result,) = load(baseline, other, as_of=date(2024, 2, 1), force=True)
    assert "replaced the list of 1 Feb 2024" in result.summary
    assert counts(baseline) == (1, 12)


def test_opensanctions_files_truncated_or_empty_are_refused(
    baseline: Briefing, tmp_path: Path
) -> None:
    data = ZALA.read_bytes()
    cut = tmp_path / "zala_entities.ftm.json"
    cut.write_bytes(data[: len(data) // 2])
    rows = data[: len(data) // 2].count(b"\n") + 1
    refused(baseline, cut, f"row {rows}: not a JSON entity", "truncated")
    cut.write_bytes(b"")
    refused(baseline, cut, "no entities")
    simple = tmp_path / "targets.simple.csv"
    simple.write_text('"id","schema","name","aliases"\n', encoding="utf-8")
    refused(baseline, simple, "a header and no rows")
    simple.write_text('"id","schema","name"\n"x-1","Company",""\n', encoding="utf-8")
    refused(baseline, simple, "row 2: empty id, schema or name")
    simple.write_bytes('"id","schema","name"\n"x-1","Company","ÅB"\n'.encode("utf-16-le"))
    refused(baseline, simple, "binary data")
    still_serving(baseline)
