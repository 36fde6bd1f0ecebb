"""Posting scheduled digests and alerts to Slack channels (the :class:`Poster` for Slack)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from briefing.delivery.poster import ChannelRef, PostError, PostResult
from briefing.platforms.slack.client import retry_after_s
from briefing.replies import Chart, Reply

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


class SlackPoster:
    """chat.postMessage with blocks and a plain-text fallback; never ``link_names``/``parse``."""

    platform = "slack"

    def __init__(self, client: WebClient, render: RenderBlocks | None = None) -> None:
        if render is None:
            from briefing.render.slack_blocks import render_blocks

            render = render_blocks
        self._client = client
        self._render = render

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
        try:
            response = self._client.chat_postMessage(
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
                upload_chart(self._client, channel.channel_id, reply.chart)
            except (SlackApiError, SlackClientError, OSError):
                # The message itself landed; a missing chart must not make delivery post twice.
                log.warning("chart upload to %s failed", channel.channel_id, exc_info=True)
        return PostResult(message_id=str(message_ts) if message_ts else None)

    def notify_user(self, channel: ChannelRef, user_id: str, text: str) -> None:
        """An ephemeral note in the channel; a DM when the bot cannot post there."""
        try:
            self._client.chat_postEphemeral(channel=channel.channel_id, user=user_id, text=text)
            return
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.info("ephemeral note to %s failed (%s); trying a DM", user_id, exc)
        try:
            opened = self._client.conversations_open(users=user_id)
            dm_channel = (opened.get("channel") or {}).get("id")
            if dm_channel:
                self._client.chat_postMessage(channel=dm_channel, text=text)
        except (SlackApiError, SlackClientError, OSError):
            log.warning("could not notify %s by DM either", user_id, exc_info=True)
