"""Posting scheduled digests and alerts to Slack channels (the :class:`Poster` for Slack).

A message first (``chat.postMessage``, carrying its delivery id in its metadata), then its chart
(``files_upload_v2``, under a file name derived from the delivery id): two calls, which the
delivery ledger records one after the other, so a crash between them posts the chart once and
never the text twice. Either can be looked up in the channel's history when a call's answer was
lost (:meth:`SlackPoster.find_delivery`, :meth:`SlackPoster.find_chart`). A chart given up is
said in the message itself, by editing it (``chat.update``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from briefing.delivery.poster import ChannelRef, ChartOutcome, PostError, PostResult
from briefing.platforms.slack.client import API_TIMEOUT_S, api_base_url, retry_after_s
from briefing.render.slack_blocks import render_blocks
from briefing.replies import Chart, Reply
from briefing.settings import Settings

log = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]

# Errors that will not go away by trying again: the channel or the installation is gone.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "token_revoked",
        "invalid_auth",
    }
)
# chat.update errors after which editing that message will never work.
PERMANENT_UPDATE_ERRORS = PERMANENT_ERRORS | {
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
}

# Tells a later reader of the channel history which delivery a message was (dedupe after a
# timeout: Slack has no idempotency key, a post can land even when the call failed).
DELIVERY_EVENT_TYPE = "brief_delivery"
# conversations.history pages (of 200 messages) searched for a delivery in doubt.
HISTORY_MAX_PAGES = 5
# Reading history needs channels:history / groups:history; without them, say so once and post.
_NO_HISTORY_ERRORS = frozenset({"missing_scope", "not_allowed_token_type", "no_permission"})


class RenderBlocks(Protocol):
    def __call__(self, reply: Reply, *, share_value: str | None = None) -> tuple[Blocks, str]: ...


def post_error(exc: SlackApiError | SlackClientError | OSError) -> PostError:
    """Map a slack_sdk failure to a :class:`PostError`, permanent or worth a retry."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        wait_s = retry_after_s(exc.response.headers) if exc.response.status_code == 429 else None
        if exc.response.status_code == 429:
            code = "ratelimited"
        return PostError(code, permanent=code in PERMANENT_ERRORS, retry_after_s=wait_s)
    return PostError(f"connection_error: {type(exc).__name__}", permanent=False)


def upload_chart(client: WebClient, channel_id: str, chart: Chart) -> None:
    """Attach a chart with files_upload_v2 (files.upload is retired), alt text included."""
    client.files_upload_v2(
        channel=channel_id,
        file=str(chart.path),
        filename=chart.path.name,
        title=chart.title,
        alt_txt=chart.alt_text,
    )


def delivery_client(settings: Settings, *, timeout_s: int = API_TIMEOUT_S) -> WebClient:
    """The WebClient for ledger delivery: no automatic retries at all.

    slack_sdk would re-send chat.postMessage after a dropped connection or a 5xx, and Slack has
    no idempotency key: the message can land twice. The delivery ledger retries instead, after
    looking the delivery id up in the channel's history (:meth:`SlackPoster.find_delivery`).
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token, base_url=api_base_url(settings), timeout=timeout_s, retry_handlers=[]
    )


def chart_file_name(delivery_id: str) -> str:
    """``brief-chart-<16 hex digits>.png``: the file name of a delivery's chart, the same for
    every attempt, so an upload whose answer was lost can be recognised in the channel."""
    return f"brief-chart-{hashlib.sha256(delivery_id.encode()).hexdigest()[:16]}.png"


def chart_in(message: dict[str, Any], file_name: str) -> str | None:
    """The id of the file named ``file_name`` that ``message`` shares, if any."""
    for shared in message.get("files") or []:
        if isinstance(shared, dict) and shared.get("name") == file_name:
            return str(shared.get("id")) if shared.get("id") else None
    return None


def delivery_message(render: RenderBlocks, reply: Reply, delivery_id: str | None) -> dict[str, Any]:
    """The chat.postMessage / chat.update arguments of a delivery's message."""
    blocks, fallback = render(reply)
    message: dict[str, Any] = {"text": fallback, "blocks": blocks}
    if delivery_id is not None:
        message["metadata"] = {
            "event_type": DELIVERY_EVENT_TYPE,
            "event_payload": {"delivery_id": delivery_id},
        }
    return message


def delivery_in(message: dict[str, Any]) -> str | None:
    """The delivery id a message carries in its metadata, if it is one of ours."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != DELIVERY_EVENT_TYPE:
        return None
    value = (metadata.get("event_payload") or {}).get("delivery_id")
    return str(value) if value is not None else None


class SlackPoster:
    """chat.postMessage with blocks and a plain-text fallback; never ``link_names``/``parse``."""

    platform = "slack"

    def __init__(
        self,
        client: WebClient,
        render: RenderBlocks | None = None,
        *,
        client_for: Callable[[str], WebClient] | None = None,
    ) -> None:
        if render is None:
            render = render_blocks
        self._client = client
        self._render = render
        # OAuth mode: the workspace's own client (its stored token); may raise PostError.
        self._client_for = client_for

    def client_of(self, channel: ChannelRef) -> WebClient:
        """The client for ``channel``'s workspace; raises :class:`PostError` when it has none."""
        if self._client_for is None:
            return self._client
        return self._client_for(channel.workspace_id)

    def post(
        self, channel: ChannelRef, reply: Reply, *, delivery_id: str | None = None
    ) -> PostResult:
        """The message; its chart, if any, is left to :meth:`post_chart` (a second call)."""
        message = delivery_message(self._render, reply, delivery_id)
        client = self.client_of(channel)
        try:
            response = client.chat_postMessage(
                channel=channel.channel_id, unfurl_links=False, unfurl_media=False, **message
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = post_error(exc)
            log.warning(
                "posting to %s/%s failed: %s (%s)",
                channel.workspace_id,
                channel.channel_id,
                error.code,
                "permanent" if error.permanent else "transient",
            )
            raise error from exc
        message_ts = response.get("ts")
        return PostResult(
            message_id=str(message_ts) if message_ts else None,
            chart=ChartOutcome.SEPARATE if reply.chart is not None else ChartOutcome.WITH_MESSAGE,
        )

    def post_chart(
        self, channel: ChannelRef, chart: Chart, *, delivery_id: str, message_id: str
    ) -> str | None:
        """Upload ``chart`` to the channel (files_upload_v2) under the delivery's file name."""
        client = self.client_of(channel)
        try:
            data = chart.path.read_bytes()
        except OSError as exc:
            # No retry makes a missing file readable.
            raise PostError(f"chart_unreadable: {type(exc).__name__}", permanent=True) from exc
        try:
            response = client.files_upload_v2(
                channel=channel.channel_id,
                content=data,
                filename=chart_file_name(delivery_id),
                title=chart.title,
                alt_txt=chart.alt_text,
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = post_error(exc)
            log.warning(
                "uploading the chart of %s to %s failed: %s",
                delivery_id,
                channel.channel_id,
                error.code,
            )
            raise error from exc
        files = response.get("files") or [response.get("file") or {}]
        file_id = files[0].get("id") if files and isinstance(files[0], dict) else None
        return str(file_id) if file_id else None

    def find_chart(self, channel: ChannelRef, delivery_id: str, since: datetime) -> str | None:
        """The file id of ``delivery_id``'s chart shared in the channel after ``since``."""
        name = chart_file_name(delivery_id)
        return self._search_history(channel, since, lambda m: chart_in(m, name), what=name)

    def note_chart_failed(
        self, channel: ChannelRef, message_id: str, reply: Reply, *, delivery_id: str
    ) -> None:
        """Edit the delivery's message to ``reply`` (which says the chart is missing)."""
        message = delivery_message(self._render, reply, delivery_id)
        client = self.client_of(channel)
        try:
            client.chat_update(channel=channel.channel_id, ts=message_id, **message)
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = post_error(exc)
            if error.code in PERMANENT_UPDATE_ERRORS:
                error = PostError(error.code, permanent=True)
            raise error from exc

    def find_delivery(self, channel: ChannelRef, delivery_id: str, since: datetime) -> str | None:
        """The ts of our message carrying ``delivery_id`` posted after ``since``, or None.

        conversations.history with ``include_all_metadata``; needs channels:history (and
        groups:history for private channels). Without those scopes it logs and answers None,
        so delivery degrades to at-least-once rather than stopping.
        """

        def ours(message: dict[str, Any]) -> str | None:
            return str(message.get("ts")) if delivery_in(message) == delivery_id else None

        return self._search_history(channel, since, ours, what=delivery_id)

    def _search_history(
        self,
        channel: ChannelRef,
        since: datetime,
        match: Callable[[dict[str, Any]], str | None],
        *,
        what: str,
    ) -> str | None:
        """The first non-None ``match`` among the channel's messages after ``since``."""
        client = self.client_of(channel)
        cursor: str | None = None
        for _ in range(HISTORY_MAX_PAGES):
            try:
                response = client.conversations_history(
                    channel=channel.channel_id,
                    oldest=f"{since.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except (SlackApiError, SlackClientError, OSError) as exc:
                error = post_error(exc)
                if error.code in _NO_HISTORY_ERRORS:
                    log.error(
                        "cannot read the history of %s (%s): add the channels:history and "
                        "groups:history scopes, or a post in doubt may show twice",
                        channel.channel_id,
                        error.code,
                    )
                    return None
                raise error from exc
            for message in response.get("messages") or []:
                found = match(message)
                if found is not None:
                    return found
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        log.warning(
            "%s not found in the last %d pages of %s's history",
            what,
            HISTORY_MAX_PAGES,
            channel.channel_id,
        )
        return None

    def notify_user(self, channel: ChannelRef, user_id: str, text: str) -> None:
        """An ephemeral note in the channel; a DM when the bot cannot post there."""
        try:
            client = self.client_of(channel)
        except PostError as exc:
            log.warning("cannot notify %s in %s (%s)", user_id, channel.workspace_id, exc.code)
            return
        try:
            client.chat_postEphemeral(channel=channel.channel_id, user=user_id, text=text)
            return
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.info("ephemeral note to %s failed (%s); trying a DM", user_id, exc)
        try:
            opened = client.conversations_open(users=user_id)
            dm_channel = (opened.get("channel") or {}).get("id")
            if dm_channel:
                client.chat_postMessage(channel=dm_channel, text=text)
        except (SlackApiError, SlackClientError, OSError):
            log.warning("could not notify %s by DM either", user_id, exc_info=True)
