"""unsubscribe [sanctions|trade|digest] — stop the digest and alerts in this channel.

Admins only. Without topics, everything stops; with topics, only those (e.g. `unsubscribe
trade` keeps the digest and sanctions alerts).
Examples: `unsubscribe`, `unsubscribe trade`.
"""

from __future__ import annotations

from briefing.appstate import Context
from briefing.delivery.subscriptions import SubscriptionStore, channel_of, describe
from briefing.replies import Reply, simple, usage_error
from handlers.subscribe import ParseError, parse_request, refusal


def handle(text: str, ctx: Context) -> Reply:
    if not ctx.caller.is_admin:
        return refusal(ctx)
    channel = channel_of(ctx.caller)
    if channel is None:
        return usage_error(
            "Subscriptions belong to a channel.",
            f"Run `{ctx.command} unsubscribe` in the channel that should stop receiving them.",
        )
    usage = (
        f"Use `{ctx.command} unsubscribe` to stop everything, or name topics: "
        f"`{ctx.command} unsubscribe trade`."
    )
    try:
        request = parse_request(text)
    except ParseError as exc:
        return usage_error(exc.message, usage)
    if request.at is not None or request.tz is not None:
        return usage_error("A time or time zone does not apply to unsubscribe.", usage)
    store = SubscriptionStore(ctx.brief.engine)
    by_user = ctx.caller.user_id or "unknown"
    now = ctx.now
    current = store.get(channel)
    if request.topics is not None and current is not None and current.is_active:
        remaining = current.topics - request.topics
        if remaining:
            sub = store.subscribe(
                channel, at=current.at, tz=current.tz, topics=remaining, by_user=by_user, now=now
            )
            return simple(
                f"This channel now gets only the {describe(sub)}.",
                f"`{ctx.command} subscriptions` shows what it receives.",
            )
    if store.unsubscribe(channel, by_user, now):
        return simple(
            "This channel will get no more digests or alerts.",
            f"An admin can subscribe it again with `{ctx.command} subscribe`.",
        )
    return simple(
        "This channel has no subscription, so there is nothing to stop.",
        f"`{ctx.command} subscriptions` lists the subscribed channels.",
    )
