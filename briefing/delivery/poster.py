"""The one thing delivery needs from a chat platform: post a reply to a channel.

Each platform adapter (Slack, Discord, the console) implements :class:`Poster`. Delivery code
decides what to post and when; the poster only talks to the chat API and reports the outcome.

A reply's chart goes with its message where the platform takes both in one call (Discord: an
attachment of the message). Where it is a second call (Slack: a file upload after the message),
the poster says so (:attr:`ChartOutcome.SEPARATE`) and implements :class:`PostsCharts`; the
worker records the text as posted before it uploads the chart, so neither is posted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from briefing.replies import Chart, Line, Reply, Section


@dataclass(frozen=True, slots=True)
class ChannelRef:
    platform: str  # "slack" | "discord" | "console"
    workspace_id: str  # Slack team id, Discord guild id, "console"
    channel_id: str


class ChartOutcome(StrEnum):
    """What became of a reply's chart when its message was posted."""

    WITH_MESSAGE = "with_message"  # part of the message (or the reply had none)
    SEPARATE = "separate"  # still to be posted: :meth:`PostsCharts.post_chart`
    FAILED = "failed"  # could not be part of it; the message says so


@dataclass(frozen=True, slots=True)
class PostResult:
    message_id: str | None  # Slack message ts, Discord message id
    chart: ChartOutcome = ChartOutcome.WITH_MESSAGE
    chart_error: str | None = None  # why, when FAILED


class PostError(Exception):
    """A post failed. ``permanent`` errors (channel gone, token revoked…) must not be retried."""

    def __init__(self, code: str, *, permanent: bool, retry_after_s: float | None = None) -> None:
        self.code = code
        self.permanent = permanent
        self.retry_after_s = retry_after_s
        super().__init__(code)


class Poster(Protocol):
    def post(
        self, channel: ChannelRef, reply: Reply, *, delivery_id: str | None = None
    ) -> PostResult:
        """Post ``reply`` to ``channel``; raise :class:`PostError` on failure."""
        ...

    def notify_user(self, channel: ChannelRef, user_id: str, text: str) -> None:
        """Best-effort private note to a user (e.g. the admin who subscribed a channel)."""
        ...


@runtime_checkable
class FindsDeliveries(Protocol):
    """Optional: a poster that can tell whether a delivery already landed in a channel.

    For platforms with no idempotency key (Slack): after a post whose outcome is unknown (a
    timeout, a dropped connection, a crash mid-request) the worker asks before posting again.
    Platforms that deduplicate themselves (Discord's ``nonce`` + ``enforce_nonce``) and the
    console need not implement it; delivery then simply posts again.
    """

    def find_delivery(self, channel: ChannelRef, delivery_id: str, since: datetime) -> str | None:
        """The message id of ``delivery_id``'s post in ``channel`` made after ``since``, or None.

        Raise :class:`PostError` when the channel cannot be read (the caller retries later).
        """
        ...


@runtime_checkable
class PostsCharts(Protocol):
    """A poster whose charts are a second call after the message (Slack's file upload).

    Slack has no idempotency key for uploads either: an upload whose answer was lost is looked
    up (:meth:`find_chart`) before it is tried again, like a message.
    """

    def post_chart(
        self, channel: ChannelRef, chart: Chart, *, delivery_id: str, message_id: str
    ) -> str | None:
        """Post ``chart`` to ``channel`` (after message ``message_id``); its file id.

        Raise :class:`PostError` on failure.
        """
        ...

    def find_chart(self, channel: ChannelRef, delivery_id: str, since: datetime) -> str | None:
        """The file id of ``delivery_id``'s chart posted in ``channel`` after ``since``, or None.

        Raise :class:`PostError` when the channel cannot be read.
        """
        ...

    def note_chart_failed(
        self, channel: ChannelRef, message_id: str, reply: Reply, *, delivery_id: str
    ) -> None:
        """Say in the channel that the chart of message ``message_id`` could not be posted:
        the message is edited to say so (an edit, so doing it twice shows it once).
        ``reply`` is the message's reply with that note already added.

        Raise :class:`PostError` on failure.
        """
        ...


def with_chart_note(reply: Reply, reason: str, command: str = "/brief") -> Reply:
    """``reply`` without its chart, with a last line saying that the chart could not be posted
    (what the channel sees when a chart fails after its attempts)."""

    if reply.chart is None:
        return reply
    note = (
        f"The chart ({reply.chart.title}) could not be posted ({reason}); "
        f"{command} chart trade draws it."
    )
    return replace(reply, chart=None, sections=(*reply.sections, Section(None, (Line(note),))))
