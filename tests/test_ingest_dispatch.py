"""One `ingest` call with files of several formats: a refusal says what did and didn't load."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from briefing.appstate import Briefing
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestError, IngestOptions
from tests.conftest import OFAC_SNAPSHOTS

NOW = datetime(2024, 2, 24, 9, 0, tzinfo=UTC)


def test_unknown_file_is_refused_before_anything_loads(brief: Briefing, tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("hello", encoding="utf-8")
    sdn = OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"
    with pytest.raises(IngestError, match=r"notes.txt: not a format I can load"):
        ingest(brief, [sdn, stray], IngestOptions(today=date(2024, 2, 24)), NOW)
    assert brief.trade.periods(date(2026, 1, 1))  # bundled data still serving


def test_a_later_refusal_names_what_loaded_before_it(brief: Briefing, tmp_path: Path) -> None:
    bad_trade = tmp_path / "customs.csv"
    bad_trade.write_text(
        "period,flow,value,currency,source\n2025-10,total,nineteen,USD,China customs\n",
        encoding="utf-8",
    )
    sdn = OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"
    with pytest.raises(IngestError) as err:
        ingest(brief, [sdn, bad_trade], IngestOptions(today=date(2024, 2, 24)), NOW)
    message = str(err.value)
    assert "customs.csv" in message
    assert "'nineteen'" in message
    assert "Nothing from the refused file was replaced, but these loaded before it:" in message
    assert "13931" in message.replace(",", "")
