"""Trade ingest: UN Comtrade CSV/JSON and the customs CSV, revisions, updates, refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from briefing.appstate import Briefing
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestError, IngestOptions, IngestResult
from briefing.settings import PROJECT_ROOT
from briefing.trade.model import TOTAL_CHAPTER, Flow, Period
from briefing.trade.tables import current_frame, trade_figure_history
from briefing.updates import updates_between

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "trade"
NOW = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
TODAY = date(2025, 12, 1)


def load(brief: Briefing, *names: str | Path, as_of: date | None = None) -> list[IngestResult]:
    paths = [n if isinstance(n, Path) else FIXTURES / n for n in names]
    return ingest(brief, paths, IngestOptions(as_of=as_of, today=TODAY), NOW)


def value(brief: Briefing, period: str, flow: Flow, chapter: str = TOTAL_CHAPTER) -> float | None:
    obs = brief.trade.best(Period.parse(period), flow, TODAY, chapter)
    return None if obs is None or obs.dataset == "bundled" else round(obs.value_usd_bn, 3)


def current(brief: Briefing) -> dict[tuple[str, str, str, str], tuple[int, float]]:
    """Each key's current figure as stored: (revision, value)."""
    with brief.engine.connect() as conn:
        frame = current_frame(conn, ["comtrade", "customs"])
    return {
        (d, p, f, h): (int(r), float(v))
        for d, p, f, h, r, v in zip(
            *(frame[name] for name in ("dataset", "period", "flow", "hs_chapter", "revision")),
            frame["value_usd_bn"],
            strict=True,
        )
    }


def count(brief: Briefing, table: object) -> int:
    with brief.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_comtrade_csv_keeps_china_russia_rows_and_counts_the_rest(brief: Briefing) -> None:
    [result] = load(brief, "comtrade_cn_ru_annual.csv", as_of=date(2025, 6, 30))
    assert value(brief, "2024", Flow.EXPORTS) == 115.49
    assert value(brief, "2024", Flow.IMPORTS) == 129.32
    assert value(brief, "2024", Flow.TOTAL) == 244.81  # derived: exports + imports
    assert value(brief, "2023", Flow.EXPORTS, "87") == 23.3
    assert value(brief, "2023", Flow.IMPORTS, "27") == 94.5
    assert brief.trade.chapters(Period.year_of(2024), TODAY) == ["27", "84", "85", "87"]
    # 2 years x (2 flows x 5 codes) kept; 2 x 6 noise rows skipped, each reason counted.
    assert "32 rows, 20 figures" in result.summary
    assert "6 with another partner" in result.summary
    assert "2 with another reporter" in result.summary
    assert "2 below HS-chapter level" in result.summary
    assert "2 broken down by transport mode" in result.summary
    assert result.records == 30
    assert len(current(brief)) == 30


def test_comtrade_json_reads_the_api_shape_and_months(brief: Briefing) -> None:
    [result] = load(brief, "comtrade_cn_ru_monthly.json", as_of=date(2025, 4, 20))
    assert value(brief, "2024-02", Flow.EXPORTS) == 8.508
    assert value(brief, "2025-03", Flow.TOTAL) == 18.1
    assert value(brief, "2025-01", Flow.EXPORTS, "87") == 0.9
    assert "18 with another partner" in result.summary
    assert [u.update_id for u in result.updates] == [
        f"trade:comtrade:{p}:new"
        for p in ("2024-01", "2024-02", "2024-03", "2025-01", "2025-02", "2025-03")
    ]


def test_new_period_update_states_value_yoy_and_year_to_date(brief: Briefing) -> None:
    load(brief, "comtrade_cn_ru_monthly.json", as_of=date(2025, 4, 20))
    [update] = [
        u
        for u in updates_between(brief.engine, date(2025, 4, 1), TODAY)
        if "2025-03" in u.update_id
    ]
    assert update.topic == "trade"
    assert update.data_date == date(2025, 4, 20)
    assert update.title == (
        "UN Comtrade: trade with Russia in Mar 2025 $18.10 bn, YoY −10.4% on Mar 2024; "
        "Jan–Mar $51.10 bn (−10.7% on Jan–Mar 2024)"
    )
    assert update.lines[0].source is not None
    assert update.lines[0].source.as_of == date(2025, 4, 20)
    assert "China → Russia $7.80 bn" in update.lines[1].text


def test_customs_csv_new_month_update(brief: Briefing) -> None:
    [result] = load(brief, "customs_releases.csv")
    oct_2025 = next(u for u in result.updates if u.update_id == "trade:customs:2025-10:new")
    assert oct_2025.data_date == date(2025, 11, 7)
    assert oct_2025.title == (
        "China customs: trade with Russia in Oct 2025 $19.81 bn, YoY −7.0% on Oct 2024; "
        "Jan–Oct $180.0 bn (−11.0% on Jan–Oct 2024)"
    )
    obs = brief.trade.best(Period.parse("2025-01..2025-10"), Flow.TOTAL, TODAY)
    assert obs is not None
    assert obs.dataset == "customs"
    assert obs.value_usd_bn == 180.02


def test_loading_the_same_file_twice_changes_nothing(brief: Briefing) -> None:
    load(brief, "comtrade_cn_ru_annual.csv", as_of=date(2025, 6, 30))
    [again] = load(brief, "comtrade_cn_ru_annual.csv", as_of=date(2025, 7, 1))
    assert again.updates == ()
    assert "0 new figures, 0 revised, 30 unchanged" in again.summary
    assert count(brief, trade_figure_history) == 30


def test_a_changed_figure_is_a_revision_with_history(brief: Briefing) -> None:
    load(brief, "comtrade_cn_ru_annual.csv", as_of=date(2025, 6, 30))
    [result] = load(brief, "comtrade_cn_ru_annual_revised.csv", as_of=date(2025, 7, 30))
    [update] = result.updates
    assert update.update_id.startswith("trade:comtrade:2024:revised:")
    assert update.data_date == date(2025, 7, 30)
    assert update.title == (
        "UN Comtrade revised: 2024 total $244.9 bn (was $244.8 bn) and 1 more figure"
    )
    texts = [line.text for line in update.lines]
    assert "revised: 2024 exports $115.6 bn (was $115.5 bn)" in texts
    assert "new period" not in result.summary.lower() or "0 new period" in result.summary
    # The current value moved; the history keeps both; as of before the revision, the old one.
    assert value(brief, "2024", Flow.EXPORTS) == 115.62
    assert len(current(brief)) == 30
    assert current(brief)[("comtrade", "2024", "exports", TOTAL_CHAPTER)] == (2, 115.62)
    assert count(brief, trade_figure_history) == 32
    before = brief.trade.get(Period.year_of(2024), Flow.EXPORTS, date(2025, 7, 1))
    assert [round(o.value_usd_bn, 2) for o in before if o.dataset == "comtrade"] == [115.49]
    after = brief.trade.get(Period.year_of(2024), Flow.EXPORTS, TODAY)
    assert [round(o.value_usd_bn, 2) for o in after if o.dataset == "comtrade"] == [115.62]

    # Back to the first values, later: a third revision of each, counted from the latest.
    [back] = load(brief, "comtrade_cn_ru_annual.csv", as_of=date(2025, 8, 30))
    assert "0 new figures, 2 revised, 28 unchanged" in back.summary
    assert current(brief)[("comtrade", "2024", "exports", TOTAL_CHAPTER)] == (3, 115.49)
    assert count(brief, trade_figure_history) == 34


def test_customs_revision_with_new_source_text_replaces_not_duplicates(brief: Briefing) -> None:
    load(brief, "customs_releases.csv")
    [result] = load(brief, "customs_revision.csv")
    [update] = result.updates
    assert update.title == "China customs revised: Oct 2025 total $19.95 bn (was $19.81 bn)"
    assert update.data_date == date(2025, 11, 20)
    current = brief.trade.get(Period.month_of(2025, 10), Flow.TOTAL, TODAY)
    assert [o.value_usd_bn for o in current] == [19.95]


def test_a_revision_dated_before_the_figure_it_replaces_is_refused(
    brief: Briefing, tmp_path: Path
) -> None:
    load(brief, "customs_releases.csv")
    early = tmp_path / "customs_early.csv"
    early.write_text(
        "period,flow,value,currency,source,published_on\n2025-10,total,19.9,USD,GACC,2025-11-01\n"
    )
    with pytest.raises(IngestError, match=r"customs_early.csv, row 2: revises 2025-10 total"):
        load(brief, early)


# --- refusals: each names the file, the row and the column; nothing is replaced -------------


def _copy(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _annual_text() -> str:
    return (FIXTURES / "comtrade_cn_ru_annual.csv").read_text(encoding="utf-8")


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    text = _annual_text()
    lines = text.splitlines(keepends=True)
    header = lines[0]
    return {
        "empty": (_copy(tmp_path, "comtrade_empty.csv", ""), r"comtrade_empty.csv: file is empty"),
        "truncated": (
            _copy(tmp_path, "comtrade_cut.csv", text[: len(text) - 200]),
            r"comtrade_cut.csv, row 3\d: has \d+ cells, the header has 22",
        ),
        "extra cells": (
            _copy(tmp_path, "comtrade_wide.csv", header + lines[1] + lines[2].rstrip() + ",x\n" + lines[3]),
            r"comtrade_wide.csv: malformed CSV \(Expected 22 fields in line 3, saw 23",
        ),
        "wrong columns": (
            _copy(tmp_path, "comtrade_cols.csv", header.replace("primaryValue", "value") + lines[1]),
            r"comtrade_cols.csv: not a UN Comtrade export: lacks column\(s\) primaryValue",
        ),
        "non-numeric": (
            _copy(tmp_path, "comtrade_nan.csv", header + lines[1].replace("110970000000.0,F", "n/a,F")),
            r"comtrade_nan.csv, row 2, column 'primaryValue': 'n/a' is not a number",
        ),
        "latin-1": (
            _copy(
                tmp_path,
                "comtrade_latin1.csv",
                (header + lines[1] + lines[2].replace("All Commodities", "Côté")).encode("latin-1"),
            ),
            r"comtrade_latin1.csv, row 3: not UTF-8 text",
        ),
        "utf-16": (
            _copy(tmp_path, "comtrade_utf16.csv", (header + lines[1]).encode("utf-16")),
            r"comtrade_utf16.csv: is UTF-16 text",
        ),
        "bad period": (
            _copy(tmp_path, "comtrade_period.csv", header + lines[1].replace(",2023,156,", ",23,156,")),
            r"comtrade_period.csv, row 2, column 'period': '23' is not a year",
        ),
        "duplicate": (
            _copy(tmp_path, "comtrade_dup.csv", header + lines[1] + lines[1]),
            r"comtrade_dup.csv, row 3: 2023 exports TOTAL appears twice \(first at .*row 2\)",
        ),
        "json truncated": (
            _copy(
                tmp_path,
                "comtrade_cut.json",
                (FIXTURES / "comtrade_cn_ru_monthly.json").read_text()[:5000],
            ),
            r"comtrade_cut.json, line \d+: not valid JSON",
        ),
        "json wrong shape": (
            _copy(tmp_path, "comtrade_list.json", '{"data": {"period": "2024"}}'),
            r'comtrade_list.json: expected the Comtrade API shape',
        ),
        "other currency": (
            _copy(tmp_path, "customs_cny.csv", "period,flow,value,currency,source\n2025-10,total,140.9,CNY,GACC\n"),
            r"customs_cny.csv, row 2, column 'currency': 'CNY': only USD",
        ),
        "no source": (
            _copy(tmp_path, "customs_nosource.csv", "period,flow,value,currency,source\n2025-10,total,19.8,USD,\n"),
            r"customs_nosource.csv, row 2, column 'source': is empty",
        ),
        "bad flow": (
            _copy(tmp_path, "customs_flow.csv", "period,flow,value,currency,source\n2025-10,turnover,19.8,USD,GACC\n"),
            r"customs_flow.csv, row 2, column 'flow': 'turnover' is not total, exports or imports",
        ),
        "customs truncated": (
            _copy(tmp_path, "customs_cut.csv", "period,flow,value,currency,source\n2025-06,total,17.6,USD,GACC\n2025-05,tot"),
            r"customs_cut.csv, row 3: has a different number of cells",
        ),
    }  # fmt: skip


BAD_KINDS = [
    "empty",
    "truncated",
    "extra cells",
    "wrong columns",
    "non-numeric",
    "latin-1",
    "utf-16",
    "bad period",
    "duplicate",
    "json truncated",
    "json wrong shape",
    "other currency",
    "no source",
    "bad flow",
    "customs truncated",
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_file_is_refused_and_last_good_data_keeps_serving(
    brief: Briefing, tmp_path: Path, kind: str
) -> None:
    load(brief, "comtrade_cn_ru_annual.csv", as_of=date(2025, 6, 30))
    before = (count(brief, trade_figure_history), len(brief.trade))
    path, message = _bad_files(tmp_path)[kind]
    with pytest.raises(IngestError, match=message):
        load(brief, path, as_of=date(2025, 8, 1))
    brief.refresh()
    assert (count(brief, trade_figure_history), len(brief.trade)) == before
    assert value(brief, "2024", Flow.EXPORTS) == 115.49


def test_one_bad_file_among_good_ones_loads_none_of_them(brief: Briefing, tmp_path: Path) -> None:
    bad, _ = _bad_files(tmp_path)["non-numeric"]
    with pytest.raises(IngestError, match=r"comtrade_nan\.csv, row 2"):
        load(
            brief, FIXTURES / "comtrade_cn_ru_monthly.json", FIXTURES / "customs_releases.csv", bad
        )
    assert count(brief, trade_figure_history) == 0
    assert updates_between(brief.engine, date(2000, 1, 1), TODAY) == []


def test_files_that_disagree_in_one_run_are_refused(brief: Briefing) -> None:
    with pytest.raises(IngestError, match="load one file at a time to revise"):
        load(
            brief,
            "comtrade_cn_ru_annual.csv",
            "comtrade_cn_ru_annual_revised.csv",
            as_of=date(2025, 6, 30),
        )
    assert count(brief, trade_figure_history) == 0


def test_updates_are_recorded_once_and_survive_a_restart(brief: Briefing, settings: object) -> None:
    load(brief, "customs_releases.csv")
    load(brief, "customs_releases.csv")
    stored = updates_between(brief.engine, date(2024, 1, 1), TODAY, topic="trade")
    assert sorted(u.update_id for u in stored) == [
        "trade:customs:2024-01/2024-10:new",
        "trade:customs:2024-10:new",
        "trade:customs:2025-01/2025-10:new",
        "trade:customs:2025-10:new",
    ]
    reloaded = Briefing.load(brief.settings, brief.engine)
    assert value(reloaded, "2025-10", Flow.TOTAL) == 19.81


def test_unknown_files_are_not_claimed(brief: Briefing, tmp_path: Path) -> None:
    stray = _copy(tmp_path, "notes.csv", "a,b\n1,2\n")
    with pytest.raises(IngestError, match="not a format I can load"):
        load(brief, stray)


def test_a_customs_file_with_a_chapter_and_a_ytd_span(brief: Briefing, tmp_path: Path) -> None:
    path = _copy(
        tmp_path,
        "customs_chapters.csv",
        "period,flow,value,currency,source,source_url,published_on,hs_chapter\n"
        "2025-01..2025-10,exports,14.2,usd,GACC by chapter,https://example.org/t,2025-11-20,87\n",
    )
    [result] = load(brief, path)
    assert value(brief, "2025-01..2025-10", Flow.EXPORTS, "87") == 14.2
    [update] = result.updates
    assert "Vehicles (HS 87) exports $14.20 bn" in update.lines[-1].text
