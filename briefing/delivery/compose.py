"""What delivery posts: the digest, the update alerts, the watchlist alerts, and the notes about
a chart that could not be posted or a subscription that was paused.

The worker (:mod:`.worker`) writes no text: it is handed a :class:`DeliveryReplies` (the
:class:`~.worker.Compose` it calls) by the delivery service (:mod:`.service`).
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine

from briefing.appstate import Briefing
from briefing.daily_digest import build_digest
from briefing.delivery.ledger import KIND_DIGEST, KIND_WATCH, Delivery, channel_label
from briefing.delivery.poster import with_chart_note
from briefing.delivery.subscriptions import Subscription
from briefing.replies import Reply, ReplyKind, Section
from briefing.updates import Update, load_update
from briefing.watch.alerts import watch_reply

# The console's digest covers the week (as `bot.py digest` does); a channel's, since yesterday.
SINCE_YESTERDAY = timedelta(days=1)


def alert_reply(update: Update, command: str = "/brief") -> Reply:
    """An update as the alert posted to subscribed channels."""
    return Reply(
        title=update.title,
        sections=(Section(None, update.lines),) if update.lines else (),
        kind=ReplyKind.ALERT,
        as_of=update.data_date,
        footer=f"{command} digest · {command} subscriptions",
    )


def paused_notice(sub: Subscription, code: str, command: str = "/brief") -> str:
    """The private note to the admin who set up a subscription that delivery paused."""
    return (
        f"China–Russia Brief stopped posting to channel {sub.channel.channel_id}: "
        f"Slack or Discord said {code!r}. The subscription is paused. "
        f"To resume, make sure the bot can post there and run `{command} subscribe` in it."
    )


class DeliveryReplies:
    """Digest and alert replies, built once per process (a fan-out posts the same reply)."""

    def __init__(self, brief: Briefing) -> None:
        self.brief = brief
        self.command = brief.settings.command_name
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, ...], Reply] = {}

    @property
    def engine(self) -> Engine:
        return self.brief.engine

    def reply(self, delivery: Delivery) -> Reply | None:
        """What ``delivery`` posts; None when what it announces is gone."""
        if delivery.kind == KIND_DIGEST:
            assert delivery.local_day is not None
            weekly = delivery.channel.platform == "console"
            key: tuple[str, ...] = (
                "digest",
                delivery.local_day.isoformat(),
                delivery.label or "",
                "week" if weekly else "day",
            )
        else:
            assert delivery.update_id is not None
            key = (delivery.kind, delivery.update_id)
            if delivery.kind == KIND_WATCH:  # each channel's own list of changes
                key = (*key, channel_label(delivery.channel))
        with self._lock:
            reply = self._cache.get(key)
            if reply is not None:
                return reply
            if delivery.kind == KIND_DIGEST:
                day = delivery.local_day
                assert day is not None
                reply = build_digest(
                    self.brief,
                    day,
                    since=None if weekly else day - SINCE_YESTERDAY,
                    local_time_label=delivery.label,
                    command=self.command,
                )
            elif delivery.kind == KIND_WATCH:
                assert delivery.update_id is not None
                reply = watch_reply(self.engine, delivery.update_id, delivery.channel, self.command)
                if reply is None:
                    return None
            else:
                assert delivery.update_id is not None
                update = load_update(self.engine, delivery.update_id)
                if update is None:
                    return None
                reply = alert_reply(update, self.command)
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = reply
            return reply

    def without_chart(self, reply: Reply, reason: str) -> Reply:
        """``reply`` with its chart given up, saying so."""
        return with_chart_note(reply, reason, self.command)

    def paused(self, sub: Subscription, code: str) -> str:
        return paused_notice(sub, code, self.command)
