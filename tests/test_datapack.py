"""The data pack loads whole or not at all, and every error names file, row and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefing.datapack import DataPackError, load_datapack
from briefing.settings import PROJECT_ROOT
from briefing.trade.model import Flow, Period

DATA = PROJECT_ROOT / "data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_pack_loads_with_every_row_sourced() -> None:
    pack = load_datapack(DATA)
    assert len(pack.trade) >= 50
    assert all(obs.source.url and obs.source.as_of for obs in pack.trade)
    by_key = {(o.period, o.flow): o.value_usd_bn for o in pack.trade}
    assert by_key[(Period.year_of(2024), Flow.TOTAL)] == 244.81
    assert by_key[(Period.year_of(2024), Flow.EXPORTS)] == 115.49
    assert by_key[(Period(2025, 1, 6), Flow.IMPORTS)] == 59.32


def test_facts_and_events_are_sourced() -> None:
    pack = load_datapack(DATA)
    assert len(pack.facts) >= 40
    assert all(f.outlet and f.source_doc and f.as_of for f in pack.facts)
    assert len(pack.events) >= 10
    topics = {f.topic for f in pack.facts}
    assert {"trade", "cars", "technology", "payments", "energy"} <= topics


def test_non_number_names_file_row_and_column(data_copy: Path) -> None:
    _edit(data_copy / "trade/annual_gacc_usd.csv", "2024,244.81,", "2024,244.8l,")
    with pytest.raises(DataPackError) as err:
        load_datapack(data_copy)
    message = str(err.value)
    assert "annual_gacc_usd.csv" in message
    assert "row 7" in message
    assert "'total_usd_bn'" in message
    assert "'244.8l' is not a number" in message


def test_missing_column_is_reported(data_copy: Path) -> None:
    _edit(data_copy / "trade/monthly_gacc_usd.csv", "yoy_total_pct,", "yoy,")
    with pytest.raises(DataPackError, match=r"row 1: header lacks column\(s\): yoy_total_pct"):
        load_datapack(data_copy)


def test_totals_must_match_their_parts(data_copy: Path) -> None:
    _edit(data_copy / "trade/annual_gacc_usd.csv", "2022,190.27,", "2022,199.27,")
    with pytest.raises(DataPackError, match=r"row 5, column 'total_usd_bn': 199.27 differs"):
        load_datapack(data_copy)


def test_publication_before_period_end_is_refused(data_copy: Path) -> None:
    _edit(data_copy / "trade/annual_gacc_usd.csv", "2025-01-13,", "2024-06-13,")
    with pytest.raises(DataPackError, match=r"published_on.*before the period"):
        load_datapack(data_copy)


def test_bad_fact_unit_and_date(data_copy: Path) -> None:
    facts = data_copy / "facts.csv"
    lines = facts.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("topic")] = "weather"
    facts.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(
        DataPackError, match=r"facts.csv, row 2, column 'topic': 'weather' is not one of"
    ):
        load_datapack(data_copy)


def test_empty_and_non_utf8_files(data_copy: Path) -> None:
    (data_copy / "events.csv").write_bytes(b"")
    with pytest.raises(DataPackError, match=r"events.csv: file is empty"):
        load_datapack(data_copy)
    (data_copy / "events.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataPackError, match=r"events.csv: not UTF-8"):
        load_datapack(data_copy)


def test_duplicate_period_is_refused(data_copy: Path) -> None:
    path = data_copy / "trade/annual_gacc_usd.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[-1]]) + "\n", encoding="utf-8")
    with pytest.raises(DataPackError, match=r"2025 appears twice"):
        load_datapack(data_copy)


def test_total_and_split_may_come_from_two_pages_but_must_add_up(data_copy: Path) -> None:
    pack = load_datapack(DATA)
    by_key = {(o.period, o.flow): o for o in pack.trade}
    total = by_key[(Period.year_of(2025), Flow.TOTAL)]
    exports = by_key[(Period.year_of(2025), Flow.EXPORTS)]
    assert total.source.title != exports.source.title  # two rows, each with its own page
    assert (
        abs(
            exports.value_usd_bn
            + by_key[(Period.year_of(2025), Flow.IMPORTS)].value_usd_bn
            - total.value_usd_bn
        )
        <= 0.15
    )
    _edit(data_copy / "trade/annual_gacc_usd.csv", "2025,,103.309,", "2025,,113.309,")
    with pytest.raises(
        DataPackError, match=r"row 9: 2025: total 228.105 \(row 8\) differs from exports \+ imports"
    ):
        load_datapack(data_copy)


def test_a_flow_given_on_two_rows_is_refused(data_copy: Path) -> None:
    path = data_copy / "trade/annual_gacc_usd.csv"
    _edit(path, "2025,,103.309,124.796,,", "2025,228.1,103.309,124.796,,")
    with pytest.raises(
        DataPackError, match=r"row 9, column 'total_usd_bn': 2025 appears twice for Total trade"
    ):
        load_datapack(data_copy)
