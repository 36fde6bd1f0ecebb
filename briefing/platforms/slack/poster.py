"""Posting scheduled digests and alerts to Slack channels (the :class:`Poster` for Slack)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from briefing.delivery.poster import ChannelRef, PostError, PostResult
from briefing.platforms.slack.client import API_TIMEOUT_S, api_base_url, retry_after_s
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
            from briefing.render.slack_blocks import render_blocks

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
        blocks, fallback = self._render(reply)
        extra: dict[str, Any] = {}
        if delivery_id is not None:
            extra["metadata"] = {
                "event_type": DELIVERY_EVENT_TYPE,
                "event_payload": {"delivery_id": delivery_id},
            }
        client = self.client_of(channel)
        try:
            response = client.chat_postMessage(
                channel=channel.channel_id,
                text=fallback,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                **extra,
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
        if reply.chart is not None:
            try:
                upload_chart(client, channel.channel_id, reply.chart)
            except (SlackApiError, SlackClientError, OSError):
                # The message itself landed; a missing chart must not make delivery post twice.
                log.warning("chart upload to %s failed", channel.channel_id, exc_info=True)
        return PostResult(message_id=str(message_ts) if message_ts else None)

    def find_delivery(self, channel: ChannelRef, delivery_id: str, since: datetime) -> str | None:
        """The ts of our message carrying ``delivery_id`` posted after ``since``, or None.

        conversations.history with ``include_all_metadata``; needs channels:history (and
        groups:history for private channels). Without those scopes it logs and answers None,
        so delivery degrades to at-least-once rather than stopping.
        """
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
                if delivery_in(message) == delivery_id:
                    return str(message.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        log.warning(
            "%s not found in the last %d pages of %s's history",
            delivery_id,
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
