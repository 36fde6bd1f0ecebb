"""sources — what the data pack holds, where each part comes from, and how fresh it is."""

from __future__ import annotations

from briefing.appstate import Context
from briefing.feeds.status import describe, shown_feeds
from briefing.replies import Line, Reply, Section, format_date


def handle(text: str, ctx: Context) -> Reply:
    brief, today = ctx.brief, ctx.today
    lines: list[Line] = []
    coverage = brief.trade.coverage(today)
    release = brief.trade.latest_release(today)
    if coverage and release:
        lines.append(
            Line(
                f"Trade: {len(brief.trade)} China customs figures, {coverage.first.year} to "
                f"{coverage.last.label}; newest published {format_date(release[0].published_on)}."
            )
        )
    facts = [f for f in brief.facts if f.as_of <= today]
    if facts:
        outlets = len({f.outlet for f in facts})
        newest = max(f.as_of for f in facts)
        lines.append(
            Line(
                f"Facts: {len(facts)} sourced figures from {outlets} outlets (seed articles and "
                f"sector reports), newest {format_date(newest)}."
            )
        )
    events = [e for e in brief.events if e.day <= today]
    if events:
        lines.append(
            Line(
                f"Events: {len(events)} dated events, {events[0].date_label} to {events[-1].date_label}."
            )
        )
    zone = brief.settings.tz
    feeds = tuple(
        Line(describe(feed, state, scheduled, zone))
        for feed, state, scheduled in shown_feeds(brief)
    )
    files = ", ".join(str(p) for p in brief.datapack.files)
    return Reply(
        title="What China–Russia Brief knows",
        sections=(
            Section("Data", tuple(lines) or (Line("No data is loaded."),)),
            *((Section("Live data (fetched on a schedule)", feeds),) if feeds else ()),
            Section(
                None,
                (
                    Line(
                        f"Bundled files: {files}. Every figure names its source; see data/README.md."
                    ),
                ),
            ),
        ),
        as_of=today,
    )
