"""Optional: fetch China's reported trade with Russia from the UN Comtrade API.

Needs the ``comtrade`` extra (``pip install -e '.[comtrade]'``, which brings ``comtradeapicall``),
a subscription key in ``COMTRADE_API_KEY`` and a network. The response is written as a Comtrade
JSON file under ``var/comtrade/`` and loaded through the ordinary ingest, so a fetched file and a
downloaded one are checked the same way and leave the same history::

    python bot.py comtrade 2023 2024            # annual, TOTAL + HS 27/84/85/87
    python bot.py comtrade --monthly 2025       # the months of 2025

``comtradeapicall`` is imported only here, inside :func:`fetch_frame`, never at start-up or in
tests; :func:`frame_to_file` (the DataFrame → rows path) is what the tests exercise.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions, IngestResult
from briefing.trade.ingest_files import (
    CHINA_M49,
    COMTRADE_COLUMNS,
    RUSSIA_M49,
    ParsedFile,
    comtrade_frame_figures,
)

if TYPE_CHECKING:
    import pandas as pd

    from briefing.appstate import Briefing

DEFAULT_COMMODITIES = ("TOTAL", "27", "84", "85", "87")
API_KEY_VARIABLE = "COMTRADE_API_KEY"


class FetchError(RuntimeError):
    """The fetch cannot run here (no key, no package, no network) or the API refused it."""


def _periods(years: Sequence[int], monthly: bool) -> str:
    if monthly:
        return ",".join(f"{y}{m:02d}" for y in years for m in range(1, 13))
    return ",".join(str(y) for y in years)


def fetch_frame(
    api_key: str,
    years: Sequence[int],
    *,
    monthly: bool = False,
    commodities: Sequence[str] = DEFAULT_COMMODITIES,
) -> pd.DataFrame:
    """China (156) → Russia (643), flows X and M, classic mode: one ``getFinalData`` call."""
    try:
        comtradeapicall: Any = importlib.import_module("comtradeapicall")
    except ImportError:
        raise FetchError(
            "the Comtrade fetcher needs the optional package: pip install -e '.[comtrade]'"
        ) from None
    try:
        frame = comtradeapicall.getFinalData(
            api_key,
            typeCode="C",
            freqCode="M" if monthly else "A",
            clCode="HS",
            period=_periods(years, monthly),
            reporterCode=CHINA_M49,
            cmdCode=",".join(commodities),
            flowCode="X,M",
            partnerCode=RUSSIA_M49,
            partner2Code="0",
            customsCode="C00",
            motCode="0",
            maxRecords=2500,
            format_output="JSON",
            aggregateBy=None,
            breakdownMode="classic",
            countOnly=None,
            includeDesc=True,
        )
    except OSError as exc:  # requests' ConnectionError and timeouts are OSErrors
        raise FetchError(f"could not reach the UN Comtrade API: {exc}") from None
    if frame is None:
        # comtradeapicall prints the API's error and returns None.
        raise FetchError("the UN Comtrade API returned no data (see the message above)")
    result: pd.DataFrame = frame
    return result


def _json_value(value: Any) -> Any:
    item = getattr(value, "item", None)
    value = item() if callable(item) else value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_to_file(
    frame: pd.DataFrame, out_dir: Path, fetched_on: date, label: str
) -> tuple[Path, ParsedFile]:
    """Check ``frame`` as the ingest would, then write it as a Comtrade JSON file."""
    parsed = comtrade_frame_figures(frame, f"UN Comtrade API ({label})", fetched_on)
    columns = [c for c in frame.columns if c in COMTRADE_COLUMNS or c.endswith("Desc")]
    records = [
        {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[columns].itertuples(index=False, name=None)
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"comtrade_{label}_{fetched_on.isoformat()}.json"
    path.write_text(json.dumps({"data": records}, ensure_ascii=False) + "\n", encoding="utf-8")
    return path, parsed


def refresh_from_comtrade(
    brief: Briefing,
    years: Sequence[int],
    *,
    monthly: bool,
    today: date,
    now: datetime,
    api_key: str | None,
) -> list[IngestResult]:
    """Fetch, write under ``var/comtrade/`` and ingest. For ``bot.py`` or a scheduled job."""
    if not api_key:
        raise FetchError(f"set {API_KEY_VARIABLE} to a UN Comtrade subscription key")
    frame = fetch_frame(api_key, years, monthly=monthly)
    label = ("monthly" if monthly else "annual") + f"_{min(years)}-{max(years)}"
    out_dir = Path(brief.settings.chart_dir).parent / "comtrade"
    path, _ = frame_to_file(frame, out_dir, today, label)
    return ingest(brief, [path], IngestOptions(as_of=today, today=today), now)
