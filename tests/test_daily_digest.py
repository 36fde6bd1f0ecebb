"""The digest shows what was known on its date, and nothing published after it."""

from __future__ import annotations

import re
from datetime import date

from briefing.appstate import Briefing
from briefing.daily_digest import build_digest
from briefing.render.text import render_text
from briefing.replies import ReplyKind


def _all_dates(brief: Briefing, day: date) -> list[date]:
    reply = build_digest(brief, day)
    return [s.as_of for s in reply.sources if s.as_of is not None]


def test_digest_of_8_march_2024_has_the_new_release_and_last_years_total(brief: Briefing) -> None:
    reply = build_digest(brief, date(2024, 3, 8))
    text = render_text(reply)
    assert reply.kind is ReplyKind.DIGEST
    assert reply.title.startswith("China–Russia Brief · Fri 8 Mar 2024")
    assert "Jan–Feb 2024: $37.01 bn, +9.3% on Jan–Feb 2023" in text
    assert "Trade 2023: $240.1 bn, +26.3% on 2022" in text
    # 2024's annual total was published in January 2025: it must not leak into March 2024.
    assert "244.8" not in text
    assert "Key numbers" in text


def test_nothing_published_after_the_as_of_date_appears(brief: Briefing) -> None:
    for day in (date(2020, 7, 20), date(2023, 1, 1), date(2024, 3, 8), date(2025, 7, 20)):
        dates = _all_dates(brief, day)
        assert dates, day
        assert max(dates) <= day, day


def test_every_digest_line_with_a_figure_has_a_source(brief: Briefing) -> None:
    reply = build_digest(brief, date(2025, 7, 20))
    for section in reply.sections:
        for line in section.lines:
            if re.search(r"\d", line.text) and "$" in line.text:
                assert line.source is not None, line.text


def test_quiet_week_says_so(brief: Briefing) -> None:
    text = render_text(build_digest(brief, date(2021, 3, 3)))
    assert "No new sanctions designations, trade releases or events in the data." in text


def test_digest_before_any_data(brief: Briefing) -> None:
    text = render_text(build_digest(brief, date(2010, 1, 1)))
    assert "No China customs figure was published by this date." in text
    assert "$" not in text
