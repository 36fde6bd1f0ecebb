"""The digest tells an ingested trade release from its data date on, once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from briefing.appstate import Briefing
from briefing.daily_digest import build_digest
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from briefing.settings import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "trade"
HEADLINE = "China customs: trade with Russia in Oct 2025 $19.81 bn"


def _load(brief: Briefing, name: str, as_of: date | None = None) -> None:
    ingest(
        brief,
        [FIXTURES / name],
        IngestOptions(as_of=as_of, today=date(2025, 12, 1)),
        datetime(2025, 12, 1, tzinfo=UTC),
    )


def test_a_new_ingested_month_shows_from_its_date_not_before(brief: Briefing) -> None:
    _load(brief, "customs_releases.csv")
    before = render_text(build_digest(brief, date(2025, 11, 6)))
    on_the_day = render_text(build_digest(brief, date(2025, 11, 7)))
    assert "in Oct 2025" not in before
    assert "19.81" not in before
    assert HEADLINE in on_the_day
    assert "China → Russia $8.92 bn · Russia → China $10.89 bn" in on_the_day


def test_an_ingested_month_is_told_once(brief: Briefing) -> None:
    _load(brief, "customs_releases.csv")
    text = render_text(build_digest(brief, date(2025, 11, 8)))
    assert text.count("19.81") == 1
    assert "Latest release Oct 2025" not in text


def test_after_the_window_the_release_is_a_key_figure_not_news(brief: Briefing) -> None:
    _load(brief, "customs_releases.csv")
    text = render_text(build_digest(brief, date(2025, 11, 30)))
    assert HEADLINE not in text
    assert "Latest release Oct 2025: $19.81 bn" in text


def test_a_revision_is_news_on_its_own_date(brief: Briefing) -> None:
    _load(brief, "customs_releases.csv")
    _load(brief, "customs_revision.csv")
    text = render_text(build_digest(brief, date(2025, 11, 21)))
    assert "China customs revised: Oct 2025 total $19.95 bn (was $19.81 bn)" in text
    early = render_text(build_digest(brief, date(2025, 11, 8)))
    assert "19.95" not in early


def test_chapter_figures_never_pose_as_the_latest_release(brief: Briefing) -> None:
    _load(brief, "comtrade_cn_ru_monthly.json", as_of=date(2025, 4, 20))
    text = render_text(build_digest(brief, date(2025, 5, 30)))
    assert "Latest release Mar 2025: $18.10 bn" in text
    assert "$7.50 bn" not in text  # HS 27 imports in Mar 2025


def test_a_newer_page_without_a_total_does_not_hide_the_latest_total(brief: Briefing) -> None:
    # 9 May 2022: TASS gives April's total; 11 May: another page gives only April's split.
    text = render_text(build_digest(brief, date(2022, 5, 20)))
    assert "Latest release Apr 2022: $12.69 bn" in text
    assert "Monocle/Expert (TASS)" in text
