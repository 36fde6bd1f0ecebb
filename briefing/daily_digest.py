"""The daily digest: latest trade figures, what changed since the last digest, key numbers.

Everything is filtered by the as-of date: nothing published after it can appear, so a digest
"as of 2024-03-08" is the digest a subscriber would have received that morning.
"""

from __future__ import annotations

from datetime import date, timedelta

from briefing.appstate import Briefing
from briefing.feeds.status import stale_line
from briefing.replies import Line, Reply, ReplyKind, Section, format_date
from briefing.trade.charts import digest_chart
from briefing.trade.model import TOTAL_CHAPTER, Flow, PeriodKind
from briefing.trade.queries import describe
from briefing.updates import updates_between

DEFAULT_LOOKBACK = timedelta(days=7)
KEY_TOPICS = ("payments", "energy", "cars", "technology")
LINES_PER_UPDATE = 5


def build_digest(
    brief: Briefing,
    as_of: date,
    since: date | None = None,
    *,
    local_time_label: str | None = None,
    command: str = "/brief",
) -> Reply:
    since = since or as_of - DEFAULT_LOOKBACK
    title = f"China–Russia Brief · {as_of:%a} {format_date(as_of)}"
    if local_time_label:
        title += f" · as of {local_time_label}"

    changes: list[Line] = []
    updates = updates_between(brief.engine, since, as_of)
    for update in updates:
        changes.append(Line(update.title, update.lines[0].source if update.lines else None))
        changes.extend(update.lines[1 : 1 + LINES_PER_UPDATE])
        hidden = len(update.lines) - 1 - LINES_PER_UPDATE
        if hidden > 0:
            more = f"{command} sanctions new" if update.topic == "sanctions" else f"{command} trade"
            changes.append(Line(f"… and {hidden} more — {more}"))
    bundled_releases = [
        o
        for o in brief.trade.published_between(since, as_of)
        if o.flow is Flow.TOTAL and o.hs_chapter == TOTAL_CHAPTER and o.dataset == "bundled"
    ]
    changes.extend(
        describe(brief.trade, o, as_of, label="China customs: trade") for o in bundled_releases
    )
    # A release or a list change is told once, from the data itself, not again from the timeline.
    told_days = {("trade_release", o.published_on) for o in bundled_releases} | {
        ("trade_release" if u.topic == "trade" else u.topic, u.data_date) for u in updates
    }
    changes.extend(
        Line(f"{e.date_label}: {e.title}", e.source)
        for e in brief.events
        if since < e.day <= as_of and (e.kind, e.day) not in told_days
    )
    if not changes:
        changes.append(Line("No new sanctions designations, trade releases or events in the data."))

    trade_lines: list[Line] = []
    years = brief.trade.periods(as_of, PeriodKind.YEAR)
    if years:
        latest_year = brief.trade.best(years[-1], Flow.TOTAL, as_of)
        if latest_year:
            trade_lines.append(describe(brief.trade, latest_year, as_of, label="Trade"))
    # The newest release that carries a total: a page giving only the exports/imports split
    # (or only HS chapters) does not hide the last total published before it.
    totals = [
        o
        for o in brief.trade.observations()
        if o.flow is Flow.TOTAL and o.hs_chapter == TOTAL_CHAPTER and o.published_on <= as_of
    ]
    release = [o for o in totals if o.published_on == totals[-1].published_on] if totals else []
    for obs in release:
        # Ingested figures published in the window are already told by their update above.
        told = obs in bundled_releases or (obs.dataset != "bundled" and obs.published_on > since)
        if (not years or obs.period != years[-1]) and not told:
            trade_lines.append(describe(brief.trade, obs, as_of, label="Latest release"))
    if not trade_lines:
        trade_lines.append(Line("No China customs figure was published by this date."))

    key_lines: list[Line] = []
    for topic in KEY_TOPICS:
        candidates = [
            f for f in brief.facts if f.topic == topic and f.value is not None and f.as_of <= as_of
        ]
        if candidates:
            newest = max(candidates, key=lambda f: (f.as_of, f.fact_id))
            key_lines.append(Line(newest.statement, newest.source))

    sections = []
    stale = stale_line(brief, as_of, command)
    if stale is not None:  # a feed's data is older than its cadence: one line, first
        sections.append(Section(None, (Line(stale),)))
    sections += [
        Section(f"Since {format_date(since)}", tuple(changes)),
        Section("Trade (China customs)", tuple(trade_lines)),
    ]
    if key_lines:
        sections.append(Section("Key numbers", tuple(key_lines)))
    return Reply(
        title=title,
        sections=tuple(sections),
        kind=ReplyKind.DIGEST,
        as_of=as_of,
        footer=f"{command} help · {command} trade · {command} sources",
        chart=digest_chart(brief.trade, as_of, brief.settings.chart_dir),
    )
