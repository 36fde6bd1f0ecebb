"""How fresh each feed is, in words: for ``/brief sources``, ``bot.py fetch --list`` and the
digest's one line when a feed's data is older than its expected cadence."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from briefing.appstate import Briefing
from briefing.feeds.catalog import Feed, feed_table, scheduled_feeds
from briefing.feeds.state import FeedState, Outcome, load_states
from briefing.replies import format_date

_OUTCOME_WORDS = {
    Outcome.NEW: "new data loaded",
    Outcome.UNCHANGED: "unchanged",
    Outcome.NOT_MODIFIED: "not modified",
    Outcome.REFUSED: "refused",
    Outcome.FAILED: "failed",
}


def _when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{format_date(local.date())} {local:%H:%M} {zone.key}"


def _span(value: timedelta) -> str:
    hours = value.total_seconds() / 3600
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:g} h"
    return f"{hours / 24:g} days"


def shown_feeds(brief: Briefing) -> tuple[tuple[Feed, FeedState | None, bool], ...]:
    """(feed, its state, scheduled?) for every feed that is scheduled or has run."""
    states = load_states(brief.engine)
    scheduled = {f.name for f in scheduled_feeds(brief.settings)}
    return tuple(
        (feed, states.get(feed.name), feed.name in scheduled)
        for feed in feed_table(brief.settings)
        if feed.name in scheduled or feed.name in states
    )


def describe(feed: Feed, state: FeedState | None, scheduled: bool, zone: ZoneInfo) -> str:
    parts: list[str] = []
    if state is not None and (state.data_version or state.data_date):
        data = f"version {state.data_version}" if state.data_version else ""
        if state.data_date is not None:
            data = f"data of {format_date(state.data_date)}" + (f", {data}" if data else "")
        parts.append(data)
    if state is None or state.last_attempt_at is None:
        parts.append("not fetched yet")
    else:
        if state.last_success_at is not None:
            parts.append(f"last success {_when(state.last_success_at, zone)}")
        else:
            parts.append("no success yet")
        outcome = _OUTCOME_WORDS[state.last_outcome] if state.last_outcome else "unknown"
        attempt = f"last attempt {_when(state.last_attempt_at, zone)}: {outcome}"
        if state.last_outcome in (Outcome.FAILED, Outcome.REFUSED) and state.last_message:
            reason = state.last_message.removeprefix(feed.title + ": ")
            attempt += f" ({reason[:200]}{'…' if len(reason) > 200 else ''})"
            if state.failures > 1:
                attempt += f", {state.failures} in a row"
        parts.append(attempt)
    if feed.unavailable is not None:
        parts.append(f"off: {feed.unavailable}")
    elif scheduled and state is not None and state.next_run_at is not None:
        parts.append(f"next run {_when(state.next_run_at, zone)} (every {_span(feed.every)})")
    elif not scheduled:
        parts.append("not scheduled (by hand: bot.py fetch)")
    return f"{feed.title}: " + "; ".join(parts) + "."


def feed_lines(brief: Briefing, feeds: tuple[Feed, ...], now: datetime) -> list[str]:
    """One line per feed of ``feeds``, as ``bot.py fetch --list`` prints them."""
    states = load_states(brief.engine)
    scheduled = {f.name for f in scheduled_feeds(brief.settings)}
    zone = brief.settings.tz
    return [
        f"{feed.name}  [{feed.licence}]  {describe(feed, states.get(feed.name), feed.name in scheduled, zone)}"
        for feed in feeds
    ]


def stale_line(brief: Briefing, as_of: date, command: str = "/brief") -> str | None:
    """One line naming the scheduled feeds whose data is older than expected on ``as_of``."""
    late: list[str] = []
    for feed, state, scheduled in shown_feeds(brief):
        if not scheduled or state is None or state.last_attempt_at is None:
            continue
        if state.last_attempt_at.date() > as_of:
            continue  # a digest of the past: the feed had not run yet
        success = state.last_success_at
        if success is not None and as_of - success.date() <= timedelta(days=feed.stale_after.days):
            continue
        since = (
            f"last refreshed {format_date(success.date())}"
            if success is not None
            else "never fetched successfully"
        )
        late.append(f"{feed.title} {since} (expected within {_span(feed.stale_after)})")
    if not late:
        return None
    return "Stale data: " + "; ".join(late) + f". See {command} sources."
