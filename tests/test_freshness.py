"""A running bot picks up data another process ingested, without a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from briefing.appstate import Briefing, Context
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from handlers import dispatch

RELEASE = (
    "period,flow,value,currency,source,published_on\n"
    "2025-10,total,19.81,USD,China customs (GACC) monthly release,2025-11-07\n"
)


def test_new_data_from_another_process_is_served_after_the_check_interval(
    ctx: Context, tmp_path: Path
) -> None:
    running = ctx.brief
    other = Briefing.load(running.settings)  # e.g. `bot.py ingest` in another process
    path = tmp_path / "customs.csv"
    path.write_text(RELEASE, encoding="utf-8")
    ingest(other, [path], IngestOptions(today=date(2025, 11, 8)), datetime(2025, 11, 8, tzinfo=UTC))

    assert "19.81" in render_text(dispatch("trade 2025-10", Context(brief=other, today=ctx.today)))
    # Within the check interval the running bot still serves what it has…
    assert "19.81" not in render_text(dispatch("trade 2025-10", ctx))
    # …and after it, the new month.
    running._checked_at -= 60
    assert "$19.81 bn" in render_text(dispatch("trade 2025-10", ctx))


def test_refresh_rebuilds_the_indexes_together(brief: Briefing) -> None:
    trade, sanctions, ask = brief.trade, brief.sanctions, brief.ask
    assert brief.sanctions is sanctions  # built once
    assert brief.ask is ask
    brief.refresh()
    assert brief.trade is not trade  # rebuilt from the database
    assert brief.sanctions is not sanctions  # read again on its next use
    assert brief.ask is ask  # the data pack's documents: the data pack did not change
