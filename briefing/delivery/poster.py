"""The one thing delivery needs from a chat platform: post a reply to a channel.

Each platform adapter (Slack, Discord, the console) implements :class:`Poster`. Delivery code
decides what to post and when; the poster only talks to the chat API and reports the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from briefing.replies import Reply


@dataclass(frozen=True, slots=True)
class ChannelRef:
    platform: str  # "slack" | "discord" | "console"
    workspace_id: str  # Slack team id, Discord guild id, "console"
    channel_id: str


@dataclass(frozen=True, slots=True)
class PostResult:
    message_id: str | None  # Slack message ts, Discord message id


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
