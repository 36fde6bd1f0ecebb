"""Charts: `/brief chart trade` and the digest's chart — valid PNGs, cached by content."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from briefing.appstate import Briefing, Context
from briefing.daily_digest import build_digest
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from briefing.settings import PROJECT_ROOT
from briefing.trade.charts import COMMAND_SIZE, DIGEST_SIZE, chart_data, render_chart
from briefing.trade.model import Period
from handlers import dispatch

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "trade"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data.rstrip(b"\x00")[-8:-4] == b"IEND"
    return width, height


def test_chart_trade_default_covers_every_year(ctx: Context) -> None:
    reply = dispatch("chart trade", ctx)
    assert reply.kind is ReplyKind.ANSWER
    assert reply.chart is not None
    assert reply.chart.path.parent == ctx.brief.settings.chart_dir
    assert reply.chart.path.name.startswith("trade-")
    assert png_size(reply.chart.path) == COMMAND_SIZE
    assert reply.title == "China–Russia trade, 2019–2025: China's exports vs imports (USD bn)"
    alt = reply.chart.alt_text
    assert "USD bn" in alt
    assert "2024 total 244.8, China→Russia 115.5, Russia→China 129.3" in alt
    assert "2021 total 146.9" in alt
    assert "Data as of 14 Jan 2026" in alt
    text = render_text(reply)
    assert f"[chart: {reply.chart.title} — {reply.chart.path}]" in text
    assert "• 2024: $244.8 bn — China → Russia $115.5 bn · Russia → China $129.3 bn" in text


def test_same_data_is_the_same_file_and_is_not_drawn_again(ctx: Context) -> None:
    first = dispatch("chart trade 2019..2024", ctx).chart
    assert first is not None
    os.utime(first.path, (1_000_000_000, 1_000_000_000))
    second = dispatch("chart trade 2019..2024", ctx).chart
    assert second is not None
    assert second.path == first.path
    assert second.path.stat().st_mtime == 1_000_000_000  # served from the cache, not redrawn
    other = dispatch("chart trade 2020..2024", ctx).chart
    assert other is not None
    assert other.path != first.path


def test_the_chart_as_of_an_earlier_day_leaves_out_later_figures(ctx: Context) -> None:
    reply = dispatch("chart trade", Context(brief=ctx.brief, today=date(2024, 3, 8)))
    assert reply.chart is not None
    assert "2024" not in reply.title
    assert "244.8" not in reply.chart.alt_text
    assert "Data as of 12 Jan 2024" in reply.chart.alt_text


def test_monthly_chart_of_ingested_months(brief: Briefing) -> None:
    ingest(
        brief,
        [FIXTURES / "comtrade_cn_ru_monthly.json"],
        IngestOptions(as_of=date(2025, 4, 20), today=date(2025, 12, 1)),
        datetime(2025, 12, 1, tzinfo=UTC),
    )
    reply = dispatch("chart trade 2024-01..2025-03", Context(brief=brief, today=date(2025, 12, 1)))
    assert reply.chart is not None
    assert reply.title.startswith("China–Russia trade, Jan 2024–Mar 2025")
    assert png_size(reply.chart.path) == COMMAND_SIZE
    assert "Mar 2025 total 18.1, China→Russia 7.8, Russia→China 10.3" in reply.chart.alt_text
    assert "UN Comtrade" in reply.chart.alt_text
    assert [s.heading for s in reply.sections] == ["Newest months"]


def test_one_year_is_charted_by_month(ctx: Context) -> None:
    reply = dispatch("chart trade 2023", ctx)
    assert reply.chart is not None
    assert "By month:" in reply.chart.alt_text
    assert "By year:" not in reply.chart.alt_text


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("chart", ReplyKind.USAGE_ERROR),
        ("chart sanctions", ReplyKind.USAGE_ERROR),
        ("chart trade 2024-13", ReplyKind.USAGE_ERROR),
        ("chart trade 2019 2020", ReplyKind.USAGE_ERROR),
        ("chart trade 1990..1995", ReplyKind.NO_DATA),
    ],
)
def test_chart_refusals(ctx: Context, command: str, kind: ReplyKind) -> None:
    reply = dispatch(command, ctx)
    assert reply.kind is kind
    assert reply.chart is None


def test_digest_carries_a_small_chart(brief: Briefing) -> None:
    reply = build_digest(brief, date(2024, 3, 8))
    assert reply.chart is not None
    assert png_size(reply.chart.path) == DIGEST_SIZE
    assert "244.8" not in reply.chart.alt_text  # published after the digest's date
    # Enough months are known by then for the digest's chart to go by month.
    assert "By month:" in reply.chart.alt_text
    assert "Nov 2023 total 21.5, China→Russia 10.3, Russia→China 11.2" in reply.chart.alt_text
    assert "Dec 2023 total" not in reply.chart.alt_text  # no December 2023 figure in the pack
    assert "Data as of 10 Dec 2023" in reply.chart.alt_text


def test_digest_without_a_writable_chart_dir_still_goes_out(
    brief: Briefing, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    brief.settings.chart_dir = blocker / "charts"
    reply = build_digest(brief, date(2024, 3, 8))
    assert reply.chart is None
    assert reply.kind is ReplyKind.DIGEST


def test_render_chart_writes_only_complete_files(brief: Briefing, tmp_path: Path) -> None:
    data = chart_data(brief.trade, Period.year_of(2019), Period.year_of(2024), date(2025, 2, 1))
    assert data is not None
    chart = render_chart(data, tmp_path / "c")
    assert [p.name for p in (tmp_path / "c").iterdir()] == [chart.path.name]


def test_trade_cold_start_does_not_import_matplotlib(database_url: str) -> None:
    code = (
        "import sys, runpy; sys.argv = ['bot.py', 'say', '/brief trade 2024'];"
        "\ntry:\n    runpy.run_path('bot.py', run_name='__main__')\nexcept SystemExit:\n    pass"
        "\nprint('MATPLOTLIB' if 'matplotlib' in sys.modules else 'NO-MATPLOTLIB')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
        check=False,
    )
    assert "$244.8 bn" in result.stdout, result.stderr
    assert result.stdout.strip().endswith("NO-MATPLOTLIB")
