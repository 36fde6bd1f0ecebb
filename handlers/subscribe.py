"""subscribe [daily HH:MM] [TIME ZONE] [digest|sanctions|trade] — post the digest and alerts here.

Admins only. Subscribes this channel to the daily digest at a local time and to alerts when new
sanctions designations or trade figures arrive. Without a time or zone, the bot's defaults
(DIGEST_TIME, TIMEZONE) apply; without topics, all three. Naming only alert topics
(`sanctions`, `trade`) subscribes to those alerts without the digest; a time adds the digest.
Running it again changes the subscription.
Examples: `subscribe`, `subscribe daily 08:00 Europe/Berlin`,
`subscribe 7:30 America/New_York sanctions`, `subscribe sanctions trade`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from briefing.appstate import Context
from briefing.delivery.schedule import next_digest_at
from briefing.delivery.subscriptions import (
    ALL_TOPICS,
    TOPIC_DIGEST,
    TOPIC_SANCTIONS,
    TOPIC_TRADE,
    SubscriptionStore,
    channel_of,
    describe,
)
from briefing.replies import Reply, ReplyKind, format_date, simple, usage_error

_TOPIC_WORDS: dict[str, frozenset[str]] = {
    "digest": frozenset({TOPIC_DIGEST}),
    "digests": frozenset({TOPIC_DIGEST}),
    "sanctions": frozenset({TOPIC_SANCTIONS}),
    "sanction": frozenset({TOPIC_SANCTIONS}),
    "trade": frozenset({TOPIC_TRADE}),
    "alerts": frozenset({TOPIC_SANCTIONS, TOPIC_TRADE}),
    "all": ALL_TOPICS,
    "everything": ALL_TOPICS,
}
_FILLER = frozenset({"daily", "every", "day", "at", "in", "and", "to", "for"})
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?(am|pm)?$")
_TIMEISH = re.compile(r"^\d{1,4}([:.h]\d*)?(am|pm)?$")


class ParseError(ValueError):
    def __init__(self, message: str, *hints: str) -> None:
        self.message = message
        self.hints = hints
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    at: time | None = None
    tz: str | None = None
    topics: frozenset[str] | None = None  # None: all topics


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_time(word: str) -> time | None:
    """``08:00``, ``7:30``, ``7pm``, ``7:30pm`` → a time; None when ``word`` is not time-like.

    Raises :class:`ParseError` for a time-like word that is not a time of day (``25:00``).
    """
    lowered = word.lower()
    match = _TIME.match(lowered)
    if match is None or (match.group(2) is None and match.group(3) is None):
        if _TIMEISH.match(lowered) and not lowered.isdigit():
            raise ParseError(
                f"I can't read {word!r} as a time of day.", "Use HH:MM, e.g. 08:00 or 17:30."
            )
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ParseError(
                f"{word!r} is not a time of day: with am/pm the hour is 1–12.",
                "Use HH:MM, e.g. 08:00 or 17:30.",
            )
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ParseError(
            f"{word!r} is not a time of day: hours go 00–23 and minutes 00–59.",
            "Use HH:MM, e.g. 08:00 or 17:30.",
        )
    return time(hour, minute)


def parse_zone(word: str) -> str | None:
    """An IANA zone name (any case); None when ``word`` does not look like one.

    Raises :class:`ParseError` for a ``Region/City`` word that is no known zone.
    """
    found = _zones_by_lower_name().get(word.lower())
    if found is not None:
        try:
            ZoneInfo(found)
        except (ZoneInfoNotFoundError, ValueError):
            found = None
        else:
            return found
    if "/" not in word:
        return None
    close = difflib.get_close_matches(word.lower(), _zones_by_lower_name().keys(), n=1)
    hint = (
        f"Did you mean {_zones_by_lower_name()[close[0]]}?"
        if close
        else "Use an IANA name such as Europe/Berlin, America/New_York or UTC."
    )
    raise ParseError(f"I don't know the time zone {word!r}.", hint)


def parse_request(text: str) -> SubscribeRequest:
    """Read ``[daily] [HH:MM] [ZONE] [topics…]`` in any order; raise :class:`ParseError`."""
    normalized = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", text, flags=re.IGNORECASE)
    words = normalized.replace(",", " ").split()
    at: time | None = None
    tz: str | None = None
    topics: set[str] = set()
    wants_daily = False
    for word in words:
        lowered = word.lower()
        if lowered in _FILLER:
            wants_daily = wants_daily or lowered == "daily"
            continue
        if lowered in _TOPIC_WORDS:
            topics |= _TOPIC_WORDS[lowered]
            continue
        parsed_time = parse_time(word)
        if parsed_time is not None:
            if at is not None and parsed_time != at:
                raise ParseError(
                    f"I read two times, {at:%H:%M} and {parsed_time:%H:%M}; give one.",
                )
            at = parsed_time
            continue
        zone = parse_zone(word)
        if zone is not None:
            if tz is not None and zone != tz:
                raise ParseError(f"I read two time zones, {tz} and {zone}; give one.")
            tz = zone
            continue
        raise ParseError(
            f"I can't read {word!r}.",
            "Give a time (08:00), an IANA time zone (Europe/Berlin) and topics "
            "(digest, sanctions, trade), e.g. `subscribe daily 08:00 Europe/Berlin`.",
        )
    if topics and (at is not None or wants_daily):
        topics.add(TOPIC_DIGEST)  # a time only makes sense for the digest
    return SubscribeRequest(at=at, tz=tz, topics=frozenset(topics) or None)


def refusal(ctx: Context) -> Reply:
    return simple(
        "Only workspace admins or the bot's configured admins can change this channel's "
        "subscription.",
        f"Ask an admin, or see `{ctx.command} subscriptions` for what this channel receives.",
        kind=ReplyKind.REFUSAL,
    )


def not_in_channel(ctx: Context) -> Reply:
    return usage_error(
        "Subscriptions belong to a channel.",
        f"Run `{ctx.command} subscribe` in the channel that should receive the digest.",
    )


def handle(text: str, ctx: Context) -> Reply:
    if not ctx.caller.is_admin:
        return refusal(ctx)
    channel = channel_of(ctx.caller)
    if channel is None:
        return not_in_channel(ctx)
    try:
        request = parse_request(text)
    except ParseError as exc:
        return usage_error(exc.message, *exc.hints, f"`{ctx.command} help subscribe` has examples.")
    settings = ctx.brief.settings
    now = ctx.now
    sub = SubscriptionStore(ctx.brief.engine).subscribe(
        channel,
        at=request.at or settings.digest_local_time,
        tz=request.tz or settings.timezone,
        topics=request.topics or ALL_TOPICS,
        by_user=ctx.caller.user_id or "unknown",
        now=now,
    )
    lines: list[str] = []
    if TOPIC_DIGEST in sub.topics:
        due = next_digest_at(sub, now).astimezone(sub.zone)
        lines.append(f"Next digest: {due:%a} {format_date(due.date())} at {due:%H:%M} {sub.tz}.")
    if sub.topics & {TOPIC_SANCTIONS, TOPIC_TRADE}:
        lines.append("Alerts are posted when new data arrives.")
    lines.append(
        f"Change it with `{ctx.command} subscribe …`, stop it with `{ctx.command} unsubscribe`."
    )
    return simple(f"This channel now gets the {describe(sub)}.", *lines)
