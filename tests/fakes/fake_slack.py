"""A fake Slack on 127.0.0.1: the Web API methods the bot calls, the file-upload URL and the
``response_url`` endpoint, recording every request and able to fail the next calls of a method.

Also the other side of the wire: :func:`signed_post` sends a request signed the way Slack signs
them (``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import random
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.http_server import LoopbackServer

TEAM_ID = "T0FAKE"
BOT_USER_ID = "UBOT"


@dataclass(frozen=True)
class Call:
    """One request the fake received. ``method`` is the API method, ``upload`` or ``response``."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    status: int


@dataclass
class _Failure:
    status: int
    error: str
    retry_after_s: int | None


@dataclass
class SharedFile:
    """A file a user uploaded to a channel: what files.info tells and the bytes behind its
    private URL (served only with the bot token)."""

    file_id: str
    name: str
    data: bytes
    channel: str
    user: str
    created: int = 1_700_000_000
    token: str = "xoxb-test-token"


@dataclass
class Faults:
    """Random faults on chat.postMessage, drawn from a seeded RNG (fractions of all posts).

    The last two are the ones no client can tell from a failure: the message *is* posted (it is
    in :attr:`FakeSlack.messages` and in ``conversations.history``), but the answer never comes.
    """

    rate_limited: float = 0.0  # 429 with Retry-After; not posted
    server_error: float = 0.0  # 500; not posted
    reset_after_post: float = 0.0  # posted, then the connection is reset without an answer
    stall_after_post: float = 0.0  # posted, then no answer for ``stall_s`` (past the timeout)
    stall_s: float = 3.0
    retry_after_s: int = 1
    seed: int = 0


@dataclass(frozen=True)
class Message:
    """A message chat.postMessage created, or a file share files.completeUploadExternal made
    (whether or not its answer reached the client)."""

    channel: str
    ts: str
    text: str | None
    metadata: dict[str, Any] | None
    files: tuple[dict[str, Any], ...] = ()  # {"id", "name", "title"} of each file shared

    @property
    def delivery_id(self) -> str | None:
        payload = (self.metadata or {}).get("event_payload") or {}
        value = payload.get("delivery_id")
        return str(value) if value is not None else None


@dataclass
class FakeSlack:
    """Start with ``with FakeSlack() as fake:``; point SLACK_API_URL at :attr:`api_url`."""

    admins: set[str] = field(default_factory=set)
    owners: set[str] = field(default_factory=set)
    # chat.postMessage to these channels answers ``{"ok": false, "error": code}``.
    channel_errors: dict[str, str] = field(default_factory=dict)
    # chat.postEphemeral to these channels fails the same way.
    ephemeral_errors: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # What apps.connections.open hands out (a FakeSocketMode's url) for Socket Mode.
    socket_url: str | None = None
    # Random faults on chat.postMessage (None: none).
    faults: Faults | None = None
    # The same kinds of faults on files.completeUploadExternal (the call that shares a chart).
    upload_faults: Faults | None = None
    # Edits chat.update made: (channel, ts, text, blocks), in order.
    edits: list[tuple[str, str, str | None, Any]] = field(default_factory=list)
    # Slack's "about one message per second per channel": a faster post gets a 429.
    channel_interval_s: float | None = None
    # Time chat.postMessage takes to answer (a real API is not on loopback).
    post_latency_s: float = 0.0
    # Every message posted, by channel, in order (conversations.history reads these).
    messages: dict[str, list[Message]] = field(default_factory=dict)
    # oauth.v2.access answers (without "ok"), by ``code`` (an install) or by ``refresh_token``
    # (a token rotation); anything else is refused as Slack refuses it.
    oauth_grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    # False: count calls by method only (a benchmark's hundreds of thousands of calls).
    record_calls: bool = True

    # Files users shared (files.info, files.list and the private download read these), by id.
    shared_files: dict[str, SharedFile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._counts: Counter[str] = Counter()
        self._failures: dict[str, deque[_Failure]] = {}
        self._ids = itertools.count(1)
        self._http: LoopbackServer | None = None
        self._rng = random.Random(self.faults.seed if self.faults else 0)
        self._upload_rng = random.Random(self.upload_faults.seed if self.upload_faults else 0)
        self._file_names: dict[str, str] = {}  # file id → the name it was uploaded under
        self._lost: dict[str, int] = {}  # method → calls still to answer with a reset
        self._last_ts = 0.0
        self._last_post_at: dict[str, float] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(_Handler):
            owner = fake

        # A deep backlog: bursts of new connections (a benchmark) must not be reset.
        self._http = LoopbackServer(Handler, request_queue_size=128).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._http is not None, "start() the fake first"
        return self._http.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    def response_url(self, token: str = "r1") -> str:
        return f"{self.base_url}/response/{token}"

    # -- scripting -----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        times: int = 1,
        retry_after_s: int | None = None,
        error: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (and ``Retry-After``)."""
        code = error or ("ratelimited" if status == 429 else "internal_error")
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.extend(_Failure(status, code, retry_after_s) for _ in range(times))

    # -- inspection ----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def delivered(self) -> Counter[str]:
        """How many messages carry each delivery id (in their metadata): 1 each, or duplicates."""
        with self._lock:
            return Counter(
                m.delivery_id
                for channel in self.messages.values()
                for m in channel
                if m.delivery_id is not None
            )

    def charts(self) -> Counter[str]:
        """How many times each file name was shared in a channel: 1 each, or duplicates."""
        with self._lock:
            return Counter(
                str(f.get("name"))
                for channel in self.messages.values()
                for m in channel
                for f in m.files
            )

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)

    def responses(self) -> list[Call]:
        """What the bot posted to response_urls (the answers to slash commands and buttons)."""
        return self.calls_to("response")

    def wait_for(self, method: str, count: int = 1, timeout_s: float = 10.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived; fail after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                seen = [c for c in self.calls if c.method == method]
                if len(seen) >= count:
                    return seen
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} call(s) of {method}, got {len(seen)}: "
                        f"{[c.method for c in self.calls]}"
                    )
                self._lock.wait(left)

    # -- the server side ---------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._lock:
            self._counts[call.method] += 1
            if self.record_calls:
                self.calls.append(call)
                self._lock.notify_all()

    def lose_next_answer(self, method: str, *, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method`` (chat.postMessage or
        files.completeUploadExternal), then reset the connection instead of answering."""
        with self._lock:
            self._lost[method] = self._lost.get(method, 0) + times

    def _take_lost(self, method: str) -> bool:
        with self._lock:
            left = self._lost.get(method, 0)
            if left:
                self._lost[method] = left - 1
            return bool(left)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _next_ts(self) -> str:
        """A message ts as Slack makes them: the wall-clock time, unique."""
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def _post_fault(self, channel: str, method: str = "chat.postMessage") -> tuple[str, int] | None:
        """The fault to apply to a post to ``channel``: (kind, Retry-After), or None."""
        with self._lock:
            now = time.monotonic()
            if self.channel_interval_s is not None and method == "chat.postMessage":
                last = self._last_post_at.get(channel)
                if last is not None and now - last < self.channel_interval_s:
                    left = self.channel_interval_s - (now - last)
                    return ("rate_limited", max(1, round(left + 0.5)))
            faults = self.faults if method == "chat.postMessage" else self.upload_faults
            rng = self._rng if method == "chat.postMessage" else self._upload_rng
            if faults is not None:
                draw = rng.random()
                for kind, chance in (
                    ("rate_limited", faults.rate_limited),
                    ("server_error", faults.server_error),
                    ("reset_after_post", faults.reset_after_post),
                    ("stall_after_post", faults.stall_after_post),
                ):
                    if draw < chance:
                        return (kind, faults.retry_after_s)
                    draw -= chance
            return None

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first, after ``oldest``, paged by an offset cursor."""
        channel = str(params.get("channel"))
        oldest = float(params.get("oldest") or 0)
        limit = min(int(params.get("limit") or 100), 1000)
        offset = int(params.get("cursor") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [m for m in self.messages.get(channel, []) if float(m.ts) > oldest]
        found.reverse()
        page = found[offset : offset + limit]
        listed = []
        for m in page:
            item: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            item["bot_id"] = "BFAKE"
            if with_metadata and m.metadata is not None:
                item["metadata"] = m.metadata
            if m.files:
                item["files"] = [dict(f) for f in m.files]
                item["upload"] = True
            listed.append(item)
        more = offset + limit < len(found)
        return {
            "ok": True,
            "messages": listed,
            "has_more": more,
            "response_metadata": {"next_cursor": str(offset + limit) if more else ""},
        }

    def share_file(
        self, name: str, data: bytes, *, channel: str, user: str, created: int | None = None
    ) -> SharedFile:
        """A user uploads ``name`` to ``channel``; returns it (its id is ``file_id``)."""
        file_id = f"F{self._next_id():08d}"
        shared = SharedFile(
            file_id, name, data, channel, user, created if created is not None else int(time.time())
        )
        with self._lock:
            self.shared_files[file_id] = shared
        return shared

    def file_link(self, shared: SharedFile) -> str:
        """The link Slack's "Copy link" gives."""
        return f"https://fake.slack.test/files/{shared.user}/{shared.file_id}/{shared.name}"

    def _file_object(self, shared: SharedFile) -> dict[str, Any]:
        private = f"{self.base_url}/files-pri/{TEAM_ID}-{shared.file_id}/{shared.name}"
        return {
            "id": shared.file_id,
            "name": shared.name,
            "size": len(shared.data),
            "created": shared.created,
            "user": shared.user,
            "channels": [shared.channel],
            "url_private": private,
            "url_private_download": f"{private}?download=1",
        }

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake team",
                "user": "brief",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "BFAKE",
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            if self.socket_url is None:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "chat.postMessage":
            channel = str(params.get("channel"))
            if channel in self.channel_errors:
                return {"ok": False, "error": self.channel_errors[channel]}
            ts = self._next_ts()
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            message = Message(channel, ts, params.get("text"), metadata)
            with self._lock:
                self.messages.setdefault(channel, []).append(message)
                self._last_post_at[channel] = time.monotonic()
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": params.get("text"), "metadata": metadata},
            }
        if method == "conversations.history":
            return self._history(params)
        if method == "oauth.v2.access":
            refresh = params.get("grant_type") == "refresh_token"
            grant = self.oauth_grants.get(str(params.get("refresh_token" if refresh else "code")))
            if grant is None:
                return {
                    "ok": False,
                    "error": "invalid_refresh_token" if refresh else "invalid_code",
                }
            return {"ok": True, **grant}
        if method == "chat.postEphemeral":
            channel = str(params.get("channel"))
            if channel in self.ephemeral_errors:
                return {"ok": False, "error": self.ephemeral_errors[channel]}
            return {"ok": True, "message_ts": f"{1_700_000_000 + self._next_id()}.000200"}
        if method == "users.info":
            user = str(params.get("user"))
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "team_id": TEAM_ID,
                    "name": user.lower(),
                    "is_admin": user in self.admins,
                    "is_owner": user in self.owners,
                },
            }
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users"))}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{self._next_id():04d}"
            with self._lock:
                self._file_names[file_id] = str(params.get("filename"))
            return {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/{file_id}",
                "file_id": file_id,
            }
        if method == "files.completeUploadExternal":
            files = params.get("files")
            listed = json.loads(files) if isinstance(files, str) else files or []
            shared = tuple(
                {"id": f["id"], "name": self._file_names.get(f["id"]), "title": f.get("title")}
                for f in listed
            )
            target = params.get("channel_id")
            if target:
                share = Message(
                    str(target), self._next_ts(), params.get("initial_comment"), None, shared
                )
                with self._lock:
                    self.messages.setdefault(str(target), []).append(share)
            return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}
        if method == "files.info":
            upload = self.shared_files.get(str(params.get("file")))
            if upload is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": self._file_object(upload)}
        if method == "files.list":
            found = [
                self._file_object(f)
                for f in self.shared_files.values()
                if f.channel == params.get("channel")
                and f.user == params.get("user")
                and f.created >= int(params.get("ts_from") or 0)
            ]
            return {"ok": True, "files": found}
        if method == "chat.update":
            channel = str(params.get("channel"))
            ts = str(params.get("ts"))
            if self.message(channel, ts) is None:
                return {"ok": False, "error": "message_not_found"}
            blocks = params.get("blocks")
            with self._lock:
                self.edits.append(
                    (
                        channel,
                        ts,
                        params.get("text"),
                        json.loads(blocks) if isinstance(blocks, str) else blocks,
                    )
                )
            return {"ok": True, "channel": channel, "ts": ts}
        return {"ok": False, "error": "unknown_method"}


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length))

    def _handle(self, body: bytes) -> None:
        fake = self.owner
        url = urlsplit(self.path)
        params: dict[str, Any] = dict(parse_qsl(url.query))
        content_type = self.headers.get("Content-Type", "")
        parts = [p for p in url.path.split("/") if p]
        kind = parts[0] if parts else ""
        if kind == "upload":
            params["bytes"] = len(body)
        elif content_type.startswith("application/json") and body:
            params.update(json.loads(body))
        elif body:
            params.update(parse_qsl(body.decode("utf-8")))
        if kind == "files-pri":  # a shared file's private URL: the bot token, or the sign-in page
            self._serve_file(parts, params, {k.lower(): v for k, v in self.headers.items()})
            return
        if kind == "_stats":  # for benchmarks in another process: calls per method
            with fake._lock:
                counts = dict(fake._counts)
            self._send(200, {"ok": True, "counts": counts})
            return
        method = {
            "api": parts[-1] if len(parts) > 1 else "",
            "upload": "upload",
            "response": "response",
        }.get(kind, "unknown")
        failure = fake._take_failure(method)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if failure is not None:
            fake._record(Call(method, url.path, params, headers, time.monotonic(), failure.status))
            extra = (
                {"Retry-After": str(failure.retry_after_s)}
                if failure.retry_after_s is not None
                else {}
            )
            self._send(failure.status, {"ok": False, "error": failure.error}, extra)
            return
        if method in ("upload", "response"):
            fake._record(Call(method, url.path, params, headers, time.monotonic(), 200))
            self._send_text(200, f"OK - {len(body)}" if method == "upload" else "ok")
            return
        if method == "unknown":
            fake._record(Call(method, url.path, params, headers, time.monotonic(), 404))
            self._send_text(404, "not found")
            return
        if method in ("chat.postMessage", "files.completeUploadExternal") and self._faulty_post(
            method, params, headers
        ):
            return
        answer = fake._answer(method, params)
        fake._record(Call(method, url.path, params, headers, time.monotonic(), 200))
        if method == "chat.postMessage" and fake.post_latency_s:
            time.sleep(fake.post_latency_s / 2)
        self._send(200, answer)

    def _serve_file(
        self, parts: list[str], params: dict[str, Any], headers: dict[str, str]
    ) -> None:
        fake = self.owner
        file_id = parts[1].split("-", 1)[-1] if len(parts) > 1 else ""
        shared = fake.shared_files.get(file_id)
        fake._record(Call("files-pri", self.path, params, headers, time.monotonic(), 200))
        if shared is None:
            self._send_text(404, "not found")
            return
        if headers.get("authorization") != f"Bearer {shared.token}":
            data = b"<html><body>Sign in to Slack</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            data = shared.data
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _faulty_post(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> bool:
        """Latency, the per-channel rate and random faults; True when the request was handled."""
        fake = self.owner
        if fake.post_latency_s and method == "chat.postMessage":  # half before, half after
            time.sleep(fake.post_latency_s / 2)
        channel = (
            params.get("channel") if method == "chat.postMessage" else params.get("channel_id")
        )
        fault = ("reset_after_post", 0) if fake._take_lost(method) else None
        fault = fault or fake._post_fault(str(channel), method)
        if fault is None:
            return False
        kind, retry_after_s = fault
        path = urlsplit(self.path).path
        if kind in ("rate_limited", "server_error"):
            status = 429 if kind == "rate_limited" else 500
            fake._record(Call(method, path, params, headers, time.monotonic(), status))
            extra = {"Retry-After": str(retry_after_s)} if status == 429 else {}
            error = "ratelimited" if status == 429 else "internal_error"
            self._send(status, {"ok": False, "error": error}, extra)
            return True
        # Posted, but the client never hears so.
        fake._answer(method, params)
        fake._record(Call(method, path, params, headers, time.monotonic(), 200))
        if kind == "stall_after_post":
            faults = fake.faults if method == "chat.postMessage" else fake.upload_faults
            assert faults is not None
            time.sleep(faults.stall_s)
        self.close_connection = True
        try:  # an RST, not a polite FIN: "connection reset by peer"
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        return True

    def _send(
        self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# -- the Slack side of a request to the bot ------------------------------------------------


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(secret, ts, body),
    }


def slash_payload(
    text: str,
    *,
    response_url: str,
    command: str = "/brief",
    user_id: str = "U1",
    channel_id: str = "C1",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
) -> dict[str, str]:
    """A slash-command payload's fields, as Slack sends them (each with its own trigger_id, so
    two identical commands are two different requests, as on Slack)."""
    trigger_id = trigger_id or _new_trigger_id()
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": "fake",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "AFAKE",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


_TRIGGERS = itertools.count(1)


def _new_trigger_id() -> str:
    return f"{next(_TRIGGERS)}.{random.randrange(10**12)}.{random.getrandbits(64):016x}"


def slash_body(text: str, *, response_url: str, **fields: str) -> str:
    """A slash-command request body as Slack posts it over HTTP (form-encoded)."""
    return urlencode(slash_payload(text, response_url=response_url, **fields))


def share_click_body(
    value: str,
    *,
    response_url: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    team_id: str = TEAM_ID,
) -> str:
    """A ``block_actions`` payload for a click on the "Share in channel" button."""
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id},
        "api_app_id": "AFAKE",
        "token": "legacy-verification-token",
        "container": {"type": "message", "is_ephemeral": True, "channel_id": channel_id},
        "trigger_id": _new_trigger_id(),
        "channel": {"id": channel_id, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": "brief_share",
                "block_id": "share",
                "value": value,
                "action_ts": "1700000000.000300",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str
    headers: dict[str, str]


def request(
    base_url: str,
    method: str,
    path: str,
    body: str = "",
    *,
    headers: dict[str, str] | None = None,
    timeout_s: float = 10.0,
) -> HttpAnswer:
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout_s)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers=headers or {})
        resp = conn.getresponse()
        return HttpAnswer(
            resp.status,
            resp.read().decode(),
            {k.lower(): v for k, v in resp.getheaders()},
        )
    finally:
        conn.close()


def signed_post(
    base_url: str,
    body: str,
    secret: str,
    *,
    timestamp: int | None = None,
    path: str = "/slack/events",
) -> HttpAnswer:
    return request(base_url, "POST", path, body, headers=signed_headers(secret, body, timestamp))


def iter_texts(blocks: Any) -> Iterator[str]:
    """Every ``text`` string anywhere in a Block Kit structure."""
    if isinstance(blocks, dict):
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from iter_texts(value)
    elif isinstance(blocks, list):
        for item in blocks:
            yield from iter_texts(item)
