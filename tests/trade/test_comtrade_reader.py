"""The Comtrade CSV reader checks rows column by column; it must read every file exactly as the
row-by-row check does (same figures, same skipped counts, the same refusal), whatever the cells:
padded with spaces, services, transport-mode breakdowns, other flows, headings below chapter
level, numbers that do not read."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

import pytest

from briefing.ingest_types import IngestError
from briefing.trade import ingest_files
from briefing.trade.ingest_files import (
    COMTRADE_COLUMNS,
    ParsedFile,
    comtrade_figures,
    read_comtrade_csv,
)

PUBLISHED = date(2026, 3, 1)


def _row(
    rng: random.Random, period: str, flow: str, cmd: str, *, reporter: str, partner: str
) -> list[str]:
    monthly = len(period) == 6
    cells = dict.fromkeys(COMTRADE_COLUMNS, "")
    cells.update(
        typeCode="C",
        freqCode="M" if monthly else "A",
        refYear=period[:4],
        period=period,
        reporterCode=reporter,
        partnerCode=partner,
        flowCode=flow,
        cmdCode=cmd,
        cmdDesc="Goods, of some kind",
        customsCode="C00",
        motCode="0",
        primaryValue=repr(round(rng.uniform(1e6, 5e9), rng.randint(0, 3))),
    )
    return [cells[name] for name in COMTRADE_COLUMNS]


def _messy_rows(seed: int, count: int) -> list[list[str]]:
    """Rows an export may hold, each figure key once, with odd cells sprinkled in."""
    rng = random.Random(seed)
    keys = [
        (period, flow, cmd)
        for period in ["2022", "2023", "202401", "202402", "202412"]
        for flow in ["X", "M"]
        for cmd in ["TOTAL", *(f"{c:02d}" for c in range(1, 40))]
    ]
    rng.shuffle(keys)
    rows = []
    for period, flow, cmd in keys[:count]:
        row = _row(rng, period, flow, cmd, reporter="156", partner="643")
        kind = rng.random()
        at = {name: i for i, name in enumerate(COMTRADE_COLUMNS)}
        if kind < 0.1:
            row[at["reporterCode"]] = rng.choice(["643", " 156", "156 "])
        elif kind < 0.2:
            row[at["partnerCode"]] = rng.choice(["0", "840", " 643"])
        elif kind < 0.25:
            row[at["typeCode"]] = rng.choice(["S", "", " C"])
        elif kind < 0.3:
            row[at[rng.choice(["motCode", "customsCode"])]] = rng.choice(["1000", "C01"])
        elif kind < 0.35:
            row[at["flowCode"]] = rng.choice(["RX", "RM", " X"])
        elif kind < 0.4:
            row[at["cmdCode"]] = row[at["cmdCode"]].replace("TOTAL", "27") + "01"
        elif kind < 0.45:
            row[at["cmdCode"]] = f" {row[at['cmdCode']]} "
            row[at["refYear"]] = rng.choice(["", f" {period[:4]}"])
        elif kind < 0.5:
            row[at["primaryValue"]] = f" {row[at['primaryValue']]}"
        rows.append(row)
    return rows


def _clean(rows: list[list[str]]) -> list[list[str]]:
    """The rows read as figures with no odd cell."""
    clean = _row(random.Random(0), "2023", "X", "01", reporter="156", partner="643")
    kept = ("typeCode", "reporterCode", "partnerCode", "flowCode", "motCode", "customsCode")
    at = [COMTRADE_COLUMNS.index(name) for name in kept]
    return [
        r
        for r in rows
        if all(r[i] == clean[i] for i in at if COMTRADE_COLUMNS[i] != "flowCode")
        and r[COMTRADE_COLUMNS.index("flowCode")] in ("X", "M")
        and r[COMTRADE_COLUMNS.index("cmdCode")] in ("TOTAL", *(f"{c:02d}" for c in range(1, 99)))
    ]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COMTRADE_COLUMNS)
        writer.writerows(rows)
    return path


def _row_by_row(path: Path) -> ParsedFile | str:
    with path.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    try:
        return comtrade_figures(
            lines[0],
            # A row cut short lacks its last cells: empty, as pandas reads them.
            enumerate((line + [""] * (len(lines[0]) - len(line)) for line in lines[1:]), start=2),
            path=str(path),
            unit="row",
            kind="UN Comtrade CSV",
            published_on=PUBLISHED,
        )
    except IngestError as exc:
        return str(exc)


def _columnar(path: Path) -> ParsedFile | str:
    try:
        return read_comtrade_csv(path, PUBLISHED)
    except IngestError as exc:
        return str(exc)


def _same(a: ParsedFile | str, b: ParsedFile | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert a.figures == b.figures
    assert (a.rows, a.skipped) == (b.rows, b.skipped)


@pytest.mark.parametrize("seed", range(12))
def test_the_columnar_reader_reads_as_the_row_by_row_check(tmp_path: Path, seed: int) -> None:
    path = _write(tmp_path / "comtrade.csv", _messy_rows(seed, 150))
    _same(_columnar(path), _row_by_row(path))


@pytest.mark.parametrize("seed", range(3))
def test_a_file_with_nothing_off_is_read_column_by_column(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "comtrade.csv", _messy_rows(seed, 150))
    expected = _row_by_row(path)

    def row_by_row(*args: object, **kwargs: object) -> ParsedFile:
        raise AssertionError("the row-by-row check ran on a file with nothing off")

    monkeypatch.setattr(ingest_files, "comtrade_figures", row_by_row)
    _same(_columnar(path), expected)


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("primaryValue", "n/a", "'n/a' is not a number"),
        ("primaryValue", "", "is empty (expected a number)"),
        ("primaryValue", "nan", "is not a finite number"),
        ("primaryValue", "-5", "is negative"),
        ("period", "2024-01", "is not a month (YYYYMM)"),
        ("refYear", "2019", "disagrees with period"),
        ("cmdCode", "ABC", "is not TOTAL or an HS code"),
        ("freqCode", "Q", "is not A (annual) or M (monthly)"),
    ],
)
def test_a_bad_cell_is_refused_with_its_row_as_the_row_by_row_check_words_it(
    tmp_path: Path, column: str, cell: str, message: str
) -> None:
    rows = _clean(_messy_rows(3, 120))[:40]
    rows[17][COMTRADE_COLUMNS.index(column)] = cell
    path = _write(tmp_path / "comtrade.csv", rows)
    columnar, row_by_row = _columnar(path), _row_by_row(path)
    _same(columnar, row_by_row)
    assert isinstance(columnar, str)
    assert message in columnar
    assert ", row 19" in columnar


def test_a_figure_twice_is_refused_naming_both_rows(tmp_path: Path) -> None:
    rows = _clean(_messy_rows(5, 60))[:30]
    path = _write(tmp_path / "comtrade.csv", [*rows, rows[4]])
    columnar = _columnar(path)
    _same(columnar, _row_by_row(path))
    assert isinstance(columnar, str)
    assert "comtrade.csv, row 32: " in columnar
    assert "appears twice (first at " in columnar
    assert "comtrade.csv, row 6)" in columnar


@pytest.mark.parametrize("cut", [1, 3, 8, 15])
def test_a_row_cut_short_reads_as_the_row_by_row_check(tmp_path: Path, cut: int) -> None:
    # The cells missing at the end of a row are missing values (NaN) to pandas.
    rows = _messy_rows(7, 60)
    rows[10] = rows[10][:-cut]
    rows[40] = rows[40][: -cut - 1]
    path = _write(tmp_path / "comtrade.csv", rows)
    _same(_columnar(path), _row_by_row(path))
