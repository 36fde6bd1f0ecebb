"""subscriptions — what this channel receives, and which channels of this workspace are subscribed.

Anyone may look; only admins may change them (`subscribe`, `unsubscribe`).
"""

from __future__ import annotations

from briefing.core import Context
from briefing.delivery.subscriptions import (
    Subscription,
    SubscriptionStatus,
    SubscriptionStore,
    channel_of,
    describe,
)
from briefing.replies import Line, Reply, Section, format_date

MAX_LISTED = 40


def _state(sub: Subscription) -> str:
    if sub.status is SubscriptionStatus.PAUSED:
        reason = f" ({sub.paused_reason})" if sub.paused_reason else ""
        return (
            f"paused since {format_date(sub.updated_at.date())}{reason}: "
            f"{describe(sub)} — an admin resumes it by subscribing again"
        )
    return describe(sub)


def handle(text: str, ctx: Context) -> Reply:
    store = SubscriptionStore(ctx.brief.engine)
    channel = channel_of(ctx.caller)
    here = store.get(channel) if channel is not None else None
    if here is None or here.status is SubscriptionStatus.REMOVED:
        here_line = Line(
            f"Nothing yet. An admin can run `{ctx.command} subscribe` here for the daily digest "
            "and alerts."
        )
    else:
        state = _state(here)
        here_line = Line(f"{state[:1].upper()}{state[1:]}.")
    sections = [Section("This channel", (here_line,))]

    caller = ctx.caller
    if caller.platform != "console" and caller.workspace_id:
        others = [
            s
            for s in store.list_for_workspace(caller.platform, caller.workspace_id)
            if channel is None or s.channel != channel
        ]
        if others:
            lines = [Line(f"{s.channel.channel_id}: {_state(s)}") for s in others[:MAX_LISTED]]
            if len(others) > MAX_LISTED:
                lines.append(Line(f"… and {len(others) - MAX_LISTED} more channels."))
            sections.append(Section("Other channels in this workspace", tuple(lines)))
    return Reply(
        title="Subscriptions",
        sections=tuple(sections),
        footer=f"Admins change them with {ctx.command} subscribe and {ctx.command} unsubscribe.",
    )
