"""The optional Comtrade fetcher: its DataFrame → file → rows path, without the network."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import bot
from briefing.appstate import Briefing
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestError, IngestOptions
from briefing.trade import comtrade
from briefing.trade.ingest_files import comtrade_frame_figures
from briefing.trade.model import TOTAL_CHAPTER, Flow, Period

FETCHED = date(2025, 9, 1)


def api_frame() -> pd.DataFrame:
    """The columns and dtypes ``comtradeapicall.getFinalData`` returns (includeDesc=True)."""
    rows: list[dict[str, Any]] = []
    for period, flow, cmd, usd in (
        ("2024", "X", "TOTAL", 115_490_000_000.0),
        ("2024", "M", "TOTAL", 129_320_000_000.0),
        ("2024", "X", "87", 18_600_000_000.0),
        ("2024", "M", "27", 95_800_000_000.0),
        ("2024", "RX", "TOTAL", 12_000_000.0),
    ):
        rows.append(
            {
                "typeCode": "C",
                "freqCode": "A",
                "refPeriodId": 20240101,
                "refYear": 2024,
                "refMonth": 52,
                "period": period,
                "reporterCode": 156,
                "reporterISO": "CHN",
                "reporterDesc": "China",
                "flowCode": flow,
                "flowDesc": "Export" if flow == "X" else "Import",
                "partnerCode": 643,
                "partnerISO": "RUS",
                "partnerDesc": "Russian Federation",
                "partner2Code": 0,
                "cmdCode": cmd,
                "cmdDesc": "All Commodities" if cmd == "TOTAL" else f"HS {cmd}",
                "customsCode": "C00",
                "motCode": 0,
                "qty": 0.0,
                "netWgt": float("nan"),
                "cifvalue": usd if flow == "M" else float("nan"),
                "fobvalue": usd if flow == "X" else float("nan"),
                "primaryValue": usd,
                "isReported": False,
                "isAggregate": True,
            }
        )
    frame = pd.DataFrame(rows)
    return frame.astype({"reporterCode": "int64", "partnerCode": "int64", "motCode": "int64"})


def test_frame_rows_become_figures() -> None:
    parsed = comtrade_frame_figures(api_frame(), "UN Comtrade API (test)", FETCHED)
    by_key = {(f.period, f.flow, f.hs_chapter): f.value_usd_bn for f in parsed.figures}
    assert by_key == {
        (Period.year_of(2024), Flow.EXPORTS, TOTAL_CHAPTER): 115.49,
        (Period.year_of(2024), Flow.IMPORTS, TOTAL_CHAPTER): 129.32,
        (Period.year_of(2024), Flow.EXPORTS, "87"): 18.6,
        (Period.year_of(2024), Flow.IMPORTS, "27"): 95.8,
    }
    assert parsed.skipped == {"of other flows (re-exports, re-imports…)": 1}


def test_frame_with_a_bad_value_names_the_row() -> None:
    frame = api_frame()
    frame["primaryValue"] = frame["primaryValue"].astype(object)
    frame.loc[2, "primaryValue"] = "n/a"
    with pytest.raises(IngestError, match=r"UN Comtrade API \(x\), row 3, column 'primaryValue'"):
        comtrade_frame_figures(frame, "UN Comtrade API (x)", FETCHED)


def test_frame_to_file_round_trips_through_the_ingest(brief: Briefing, tmp_path: Path) -> None:
    path, parsed = comtrade.frame_to_file(api_frame(), tmp_path, FETCHED, "annual_2024-2024")
    assert path.name == "comtrade_annual_2024-2024_2025-09-01.json"
    payload = json.loads(path.read_text())
    assert len(payload["data"]) == 5
    assert payload["data"][0]["netWgt"] is None  # NaN is written as null
    [result] = ingest(
        brief,
        [path],
        IngestOptions(as_of=FETCHED, today=FETCHED),
        datetime(2025, 9, 1, tzinfo=UTC),
    )
    assert result.records == len(parsed.figures) + 1  # + the derived total
    total = brief.trade.best(Period.year_of(2024), Flow.TOTAL, FETCHED)
    assert total is not None
    assert total.dataset == "comtrade"
    assert round(total.value_usd_bn, 2) == 244.81


def test_refresh_uses_the_fetched_frame(brief: Briefing, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_fetch(api_key: str, years: list[int], *, monthly: bool) -> pd.DataFrame:
        calls.append({"key": api_key, "years": years, "monthly": monthly})
        return api_frame()

    monkeypatch.setattr(comtrade, "fetch_frame", fake_fetch)
    [result] = comtrade.refresh_from_comtrade(
        brief,
        [2024],
        monthly=False,
        today=FETCHED,
        now=datetime(2025, 9, 1, tzinfo=UTC),
        api_key="k",
    )
    assert calls == [{"key": "k", "years": [2024], "monthly": False}]
    assert [u.update_id for u in result.updates] == ["trade:comtrade:2024:new"]


def test_the_comtrade_command_reads_the_key_from_the_settings(
    brief: Briefing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_fetch(api_key: str, years: list[int], *, monthly: bool) -> pd.DataFrame:
        calls.append({"key": api_key, "years": years, "monthly": monthly})
        return api_frame()

    monkeypatch.setattr(comtrade, "fetch_frame", fake_fetch)
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("DATABASE_URL", brief.settings.database_url)
    monkeypatch.setenv("CHART_DIR", str(tmp_path / "charts"))
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    cli = CliRunner()
    refused = cli.invoke(bot.app, ["comtrade", "2024"])
    assert refused.exit_code == 1
    assert "COMTRADE_API_KEY" in refused.stderr
    assert calls == []

    monkeypatch.setenv("COMTRADE_API_KEY", "k")
    done = cli.invoke(bot.app, ["comtrade", "--monthly", "2024", "2025"])
    assert done.exit_code == 0, done.output
    assert calls == [{"key": "k", "years": [2024, 2025], "monthly": True}]
    assert "comtrade" in done.stdout


def test_refresh_without_a_key_says_which_variable(brief: Briefing) -> None:
    with pytest.raises(comtrade.FetchError, match="COMTRADE_API_KEY"):
        comtrade.refresh_from_comtrade(
            brief,
            [2024],
            monthly=False,
            today=FETCHED,
            now=datetime(2025, 9, 1, tzinfo=UTC),
            api_key=None,
        )


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_comtrade(name: str, package: str | None = None) -> Any:
        if name == "comtradeapicall":
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_comtrade)
    with pytest.raises(comtrade.FetchError, match=r"pip install -e '\.\[comtrade\]'"):
        comtrade.fetch_frame("k", [2024])


def test_the_fetcher_asks_for_china_russia_classic_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class FakeModule:
        @staticmethod
        def getFinalData(key: str, **kwargs: Any) -> pd.DataFrame:  # noqa: N802 - the API's name
            seen.update(kwargs, key=key)
            return api_frame()

    real = importlib.import_module
    monkeypatch.setattr(
        importlib,
        "import_module",
        lambda name, package=None: FakeModule if name == "comtradeapicall" else real(name, package),
    )
    frame = comtrade.fetch_frame("k", [2024, 2025], monthly=True)
    assert len(frame) == 5
    assert seen["reporterCode"] == "156"
    assert seen["partnerCode"] == "643"
    assert seen["flowCode"] == "X,M"
    assert seen["freqCode"] == "M"
    assert seen["period"].startswith("202401,202402")
    assert seen["cmdCode"] == "TOTAL,27,84,85,87"
    assert seen["breakdownMode"] == "classic"
