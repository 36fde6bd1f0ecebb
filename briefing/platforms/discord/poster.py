"""Posting scheduled digests and alerts to Discord channels over REST (the :class:`Poster`).

A plain HTTP client (urllib) rather than discord.py's: delivery runs on the timer's thread, not
on the gateway's event loop, and a synchronous call is simple to bound and to test.

- Every post carries ``allowed_mentions: {"parse": []}`` and a ``nonce`` derived from the
  delivery id with ``enforce_nonce: true``: Discord returns the message already created with that
  nonce instead of creating a second one, so a retry after a lost response does not post twice.
- 429: wait ``retry_after`` (JSON body, else the ``Retry-After`` header) and try again, a bounded
  number of times; a wait longer than ``max_wait_s`` is left to the delivery tick (transient
  :class:`PostError` with ``retry_after_s``). A bucket reported exhausted
  (``X-RateLimit-Remaining: 0``) is waited out before the next request to it, so the bot does
  not collect the invalid requests Discord bans for.
- 5xx and connection errors are retried with a short backoff, a bounded number of times.
- 401, 403 and 404 (Unknown Channel 10003, Missing Access 50001, Missing Permissions 50013…)
  are permanent: the delivery code pauses the subscription and tells the admin.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from briefing.delivery.poster import (
    ChannelRef,
    ChartOutcome,
    PostError,
    PostResult,
    with_chart_note,
)
from briefing.render.discord_embeds import chart_filename, render_content, render_embeds
from briefing.replies import Reply

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
USER_AGENT = "DiscordBot (https://github.com/china-russia-brief/china-russia-brief, 0.1.0)"
MAX_NONCE_CHARS = 25

# JSON error codes worth a name in logs and in the note to the admin.
ERROR_NAMES: dict[int, str] = {
    10003: "unknown_channel",
    10004: "unknown_guild",
    10013: "unknown_user",
    50001: "missing_access",
    50007: "cannot_message_user",
    50013: "missing_permissions",
    40005: "entity_too_large",
}
PERMANENT_STATUSES = frozenset({401, 403, 404})
# A message whose attachment is too large (HTTP 413, or JSON code 40005): sent again without it.
TOO_LARGE_ERRORS = frozenset({"http_413", "http_413_entity_too_large", "http_400_entity_too_large"})

RenderEmbeds = Callable[[Reply], list[dict[str, Any]]]


def api_base(api_url: str | None) -> str:
    """DISCORD_API_URL without a trailing slash, or Discord's own v10 API."""
    return (api_url or DEFAULT_API_URL).rstrip("/")


def nonce_for(delivery_id: str | None) -> str:
    """A nonce of ≤ 25 characters: the same for the same delivery id, random without one."""
    if delivery_id is None:
        return uuid.uuid4().hex[:MAX_NONCE_CHARS]
    return "d" + hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()[: MAX_NONCE_CHARS - 1]


def retry_after_s(body: Mapping[str, Any] | None, headers: Message | Mapping[str, str]) -> float:
    """Seconds to wait after a 429: the JSON ``retry_after``, else ``Retry-After``, else 1."""
    if body is not None:
        value = body.get("retry_after")
        if isinstance(value, int | float) and value >= 0:
            return float(value)
    header = headers.get("Retry-After")
    if header is not None:
        try:
            return max(float(header), 0.0)
        except ValueError:
            pass
    return 1.0


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Message
    body: Any  # parsed JSON, or None


def _multipart(payload: dict[str, Any], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """``multipart/form-data`` with ``payload_json`` and ``files[i]``; (body, content type)."""
    boundary = f"brief-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\n'
    head += "Content-Type: application/json\r\n\r\n"
    parts.append(head.encode() + json.dumps(payload).encode() + b"\r\n")
    for i, (filename, data) in enumerate(files):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files[{i}]"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _error_code(body: Any) -> int | None:
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        return int(body["code"])
    return None


def post_error(response: _Response) -> PostError:
    """Map a failed response to a :class:`PostError`, permanent or worth a retry."""
    code = _error_code(response.body)
    # Code 0 is Discord's "general error": the status says more.
    name = ERROR_NAMES.get(code, f"error_{code}") if code else None
    if response.status == 401:
        name = "unauthorized"
    label = f"http_{response.status}" + (f"_{name}" if name else "")
    if response.status == 429:
        return PostError(
            "rate_limited",
            permanent=False,
            retry_after_s=retry_after_s(
                response.body if isinstance(response.body, dict) else None, response.headers
            ),
        )
    return PostError(label, permanent=response.status in PERMANENT_STATUSES)


class DiscordPoster:
    """``POST /channels/{id}/messages`` with embeds, the chart attached, no mentions allowed."""

    platform = "discord"

    def __init__(
        self,
        token: str,
        *,
        api_url: str | None = None,
        render: RenderEmbeds = render_embeds,
        command: str = "/brief",
        max_attempts: int = 4,
        max_wait_s: float = 30.0,
        timeout_s: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = token
        self.base = api_base(api_url)
        self._render = render
        self._command = command
        self._max_attempts = max(max_attempts, 1)
        self._max_wait_s = max_wait_s
        self._timeout_s = timeout_s
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._bucket_free_at: dict[str, float] = {}  # path → clock() when its bucket refills

    # -- the Poster protocol -----------------------------------------------------------------

    def post(
        self, channel: ChannelRef, reply: Reply, *, delivery_id: str | None = None
    ) -> PostResult:
        """The message with its chart attached: one call, so both land or neither.

        A chart file that cannot be read, or that Discord refuses as too large, is left out and
        the message says so (:attr:`ChartOutcome.FAILED`); the words are never held back.
        """
        chart_error: str | None = None
        files: list[tuple[str, bytes]] = []
        if reply.chart is not None:
            try:
                files.append((chart_filename(reply.chart), Path(reply.chart.path).read_bytes()))
            except OSError as exc:
                log.warning("chart %s could not be read; posting without it", reply.chart.path)
                chart_error = f"chart_unreadable: {type(exc).__name__}"
        try:
            body = self._post_message(channel, reply, delivery_id, files, chart_error)
        except PostError as exc:
            if not (files and exc.code in TOO_LARGE_ERRORS):
                raise
            log.warning("Discord refused the chart of %s (%s)", delivery_id, exc.code)
            chart_error = exc.code
            # The same nonce: had the first request made a message, this returns it.
            body = self._post_message(channel, reply, delivery_id, [], chart_error)
        message_id = body.get("id") if isinstance(body, dict) else None
        return PostResult(
            message_id=str(message_id) if message_id is not None else None,
            chart=ChartOutcome.FAILED if chart_error else ChartOutcome.WITH_MESSAGE,
            chart_error=chart_error,
        )

    def _post_message(
        self,
        channel: ChannelRef,
        reply: Reply,
        delivery_id: str | None,
        files: list[tuple[str, bytes]],
        chart_error: str | None,
    ) -> Any:
        if reply.chart is not None and not files:
            reply = with_chart_note(reply, chart_error or "unavailable", self._command)
        embeds = self._render(reply)
        payload: dict[str, Any] = {
            "embeds": embeds,
            "allowed_mentions": {"parse": []},
            "nonce": nonce_for(delivery_id),
            "enforce_nonce": True,
        }
        if files and reply.chart is not None:
            payload["attachments"] = [
                {"id": 0, "filename": files[0][0], "description": reply.chart.alt_text[:1024]}
            ]
        path = f"/channels/{channel.channel_id}/messages"
        try:
            return self._request("POST", path, payload, files)
        except PostError as exc:
            log.warning(
                "posting %s to %s/%s failed: %s (%s)",
                delivery_id or "a message",
                channel.workspace_id,
                channel.channel_id,
                exc.code,
                "permanent" if exc.permanent else "transient",
            )
            raise

    def notify_user(self, channel: ChannelRef, user_id: str, text: str) -> None:
        """A DM to the user (Discord has no private note in a channel outside an interaction)."""
        try:
            dm = self._request("POST", "/users/@me/channels", {"recipient_id": user_id}, [])
            dm_id = dm.get("id") if isinstance(dm, dict) else None
            if dm_id is None:
                log.warning("no DM channel for %s; note not sent", user_id)
                return
            self._request(
                "POST",
                f"/channels/{dm_id}/messages",
                {"content": render_content(text), "allowed_mentions": {"parse": []}},
                [],
            )
        except PostError as exc:
            log.warning("could not send %s a DM: %s", user_id, exc.code)

    # -- HTTP ----------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, payload: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> Any:
        """Send with bounded retries; the parsed JSON of a 2xx, else raise :class:`PostError`."""
        if files:
            data, content_type = _multipart(payload, files)
        else:
            data, content_type = json.dumps(payload).encode(), "application/json"
        backoff_s = 0.5
        error = PostError("no_attempt", permanent=False)
        for attempt in range(1, self._max_attempts + 1):
            self._wait_for_bucket(path)
            try:
                response = self._send(method, path, data, content_type)
            except OSError as exc:  # URLError, timeouts, refused connections
                error = PostError(f"connection_error: {type(exc).__name__}", permanent=False)
                log.info("%s %s: %s (attempt %d)", method, path, error.code, attempt)
            else:
                self._note_bucket(path, response.headers)
                if 200 <= response.status < 300:
                    return response.body
                error = post_error(response)
                if response.status == 429:
                    wait_s = error.retry_after_s or 1.0
                    if attempt < self._max_attempts and wait_s <= self._max_wait_s:
                        log.info("%s %s: rate limited, retrying in %.2f s", method, path, wait_s)
                        self._sleep(wait_s)
                        continue
                    raise error
                if response.status < 500:
                    if not error.permanent:
                        log.error("%s %s rejected: %s %s", method, path, error.code, response.body)
                    raise error
                log.info("%s %s: %s (attempt %d)", method, path, error.code, attempt)
            if attempt < self._max_attempts:
                self._sleep(backoff_s)
                backoff_s *= 2
        raise error

    def _send(self, method: str, path: str, data: bytes, content_type: str) -> _Response:
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bot {self._token}",
                "Content-Type": content_type,
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as raw:
                return _Response(raw.status, raw.headers, _json(raw.read()))
        except urllib.error.HTTPError as exc:
            with exc:
                return _Response(exc.code, exc.headers, _json(exc.read()))

    def _wait_for_bucket(self, path: str) -> None:
        with self._lock:
            free_at = self._bucket_free_at.pop(path, None)
        if free_at is not None:
            wait_s = min(free_at - self._clock(), self._max_wait_s)
            if wait_s > 0:
                self._sleep(wait_s)

    def _note_bucket(self, path: str, headers: Message) -> None:
        if headers.get("X-RateLimit-Remaining") != "0":
            return
        try:
            reset_after_s = float(headers.get("X-RateLimit-Reset-After", "0"))
        except ValueError:
            return
        with self._lock:
            self._bucket_free_at[path] = self._clock() + reset_after_s


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
