"""subscriptions [--log] — what this channel receives, and which channels of this workspace are subscribed.

Anyone may look; only admins may change them (`subscribe`, `unsubscribe`).
`subscriptions --log` (admins only): the last 20 subscription changes in this workspace — who
subscribed, unsubscribed, paused or resumed which channel, and when (UTC).
"""

from __future__ import annotations

from briefing.appstate import Context
from briefing.delivery.subscriptions import (
    Subscription,
    SubscriptionStatus,
    SubscriptionStore,
    channel_of,
    describe,
)
from briefing.replies import Line, Reply, ReplyKind, Section, format_date, simple, usage_error
from briefing.security import audit

MAX_LISTED = 40
LOG_FLAG = "--log"
LOG_ENTRIES = 20


def _state(sub: Subscription) -> str:
    if sub.status is SubscriptionStatus.PAUSED:
        reason = f" ({sub.paused_reason})" if sub.paused_reason else ""
        return (
            f"paused since {format_date(sub.updated_at.date())}{reason}: "
            f"{describe(sub)} — an admin resumes it by subscribing again"
        )
    return describe(sub)


def audit_log(ctx: Context) -> Reply:
    """The workspace's latest subscription changes, newest first, for admins."""
    caller = ctx.caller
    if not caller.is_admin:
        return simple(
            "Only workspace admins or the bot's configured admins can read the subscription log.",
            f"`{ctx.command} subscriptions` shows what this channel receives.",
            kind=ReplyKind.REFUSAL,
        )
    workspace = "console" if caller.platform == "console" else caller.workspace_id
    if not workspace:
        return usage_error("The subscription log belongs to a workspace; run it in one.")
    entries = audit.recent(ctx.brief.engine, caller.platform, workspace, LOG_ENTRIES)
    if not entries:
        return simple("No subscription changes are recorded for this workspace yet.")
    lines = []
    for entry in entries:
        who = f"by {entry.user_id}" if entry.user_id else "by the bot"
        details = f" — {entry.details}" if entry.details else ""
        lines.append(
            Line(
                f"{entry.at:%Y-%m-%d %H:%M} UTC · {entry.action} · {entry.channel_id} · "
                f"{who}{details}"
            )
        )
    return Reply(
        title="Subscription log",
        sections=(Section(f"Last {len(entries)} changes, newest first", tuple(lines)),),
        footer="Times are UTC. Pauses by the bot follow a failed delivery or an uninstall.",
    )


def handle(text: str, ctx: Context) -> Reply:
    if LOG_FLAG in text.lower().split():
        return audit_log(ctx)
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
