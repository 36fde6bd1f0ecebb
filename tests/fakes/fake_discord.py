"""A fake Discord REST API on 127.0.0.1: the endpoints the bot calls, recording every request.

- ``POST /channels/{id}/messages`` (JSON or multipart with ``payload_json`` and ``files[n]``),
  honouring ``enforce_nonce`` as Discord does: a second post with the same nonce returns the
  first message instead of creating another;
- ``POST /users/@me/channels`` (open a DM), ``GET /users/@me`` (the bot's user);
- the interaction endpoints discord.py uses: ``POST /interactions/{id}/{token}/callback``,
  ``POST /webhooks/{app}/{token}`` (follow-ups), ``PATCH``/``DELETE`` of
  ``/webhooks/{app}/{token}/messages/@original``;
- what a discord.py client needs to start: ``GET /oauth2/applications/@me``,
  ``GET /gateway/bot`` (pointing at :class:`FakeGateway`, a websocket speaking the gateway's
  HELLO / IDENTIFY / READY / heartbeat and dispatching the events a test sends) and the command
  registration ``PUT /applications/{app}/commands``.

Failures are injected per route: :meth:`FakeDiscord.fail_next` answers the next calls with a 429
(``retry_after`` in the body, ``Retry-After`` header) or any status; ``channel_errors`` answers
every post to a channel with a Discord error code (403/404: Missing Access, Unknown Channel…);
``land_then_fail`` stores the message and still answers 502, as a lost response would look.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.http_server import LoopbackServer

API_PREFIX = "/api/v10"
APPLICATION_ID = "1100000000000000001"
BOT_USER_ID = "1100000000000000002"
BOT_USER = {
    "id": BOT_USER_ID,
    "username": "brief",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}

# Discord's error bodies for the codes the poster maps.
ERRORS: dict[int, tuple[int, str]] = {
    10003: (404, "Unknown Channel"),
    50001: (403, "Missing Access"),
    50013: (403, "Missing Permissions"),
    50007: (403, "Cannot send messages to this user"),
    50035: (400, "Invalid Form Body"),
}


@dataclass(frozen=True)
class Call:
    """One request the fake received; ``route`` names the endpoint (``messages``, ``dm``…)."""

    route: str
    method: str
    path: str  # without the API prefix
    body: Any  # parsed JSON (``payload_json`` for multipart), or None
    files: dict[str, tuple[str, bytes]]  # form field → (filename, content)
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    status: int


@dataclass
class _Failure:
    status: int
    retry_after_s: float | None
    code: int | None
    header_only: bool


@dataclass
class Message:
    id: str
    channel_id: str
    body: dict[str, Any]
    files: dict[str, tuple[str, bytes]]


_ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("messages", "POST", re.compile(r"^/channels/(?P<channel>[^/]+)/messages$")),
    ("dm", "POST", re.compile(r"^/users/@me/channels$")),
    ("me", "GET", re.compile(r"^/users/@me$")),
    ("application", "GET", re.compile(r"^/oauth2/applications/@me$")),
    ("gateway", "GET", re.compile(r"^/gateway/bot$")),
    ("sync", "PUT", re.compile(r"^/applications/(?P<app>[^/]+)/commands$")),
    ("callback", "POST", re.compile(r"^/interactions/(?P<id>[^/]+)/(?P<token>[^/]+)/callback$")),
    ("followup", "POST", re.compile(r"^/webhooks/(?P<app>[^/]+)/(?P<token>[^/]+)$")),
    (
        "original",
        "PATCH",
        re.compile(r"^/webhooks/(?P<app>[^/]+)/(?P<token>[^/]+)/messages/@original$"),
    ),
    (
        "delete_original",
        "DELETE",
        re.compile(r"^/webhooks/(?P<app>[^/]+)/(?P<token>[^/]+)/messages/@original$"),
    ),
)


@dataclass
class FakeDiscord:
    """Start with ``with FakeDiscord() as fake:``; point DISCORD_API_URL at :attr:`api_url`."""

    # Posts to these channels answer with this Discord error code (see :data:`ERRORS`).
    channel_errors: dict[str, int] = field(default_factory=dict)
    # Posts to these channels store the message, then answer 502 (the response is "lost").
    land_then_fail: dict[str, int] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    # Where ``GET /gateway/bot`` sends clients (a :class:`FakeGateway`'s url).
    gateway_url: str | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._failures: dict[str, deque[_Failure]] = {}
        self._ids = itertools.count(1)
        self._by_nonce: dict[tuple[str, str], Message] = {}
        self._http: LoopbackServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._http = LoopbackServer(Handler).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()

    def __enter__(self) -> FakeDiscord:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        assert self._http is not None, "start the fake first"
        return f"{self._http.base_url}{API_PREFIX}"

    # -- test controls -----------------------------------------------------------------------

    def fail_next(
        self,
        route: str,
        status: int,
        *,
        times: int = 1,
        retry_after_s: float | None = None,
        code: int | None = None,
        header_only: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``route`` with ``status`` (429: ``retry_after``)."""
        with self._lock:
            queue = self._failures.setdefault(route, deque())
            for _ in range(times):
                queue.append(_Failure(status, retry_after_s, code, header_only))

    def calls_to(self, route: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.route == route]

    def messages_in(self, channel_id: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.channel_id == channel_id]

    def wait_for(self, route: str, count: int = 1, timeout_s: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                found = [c for c in self.calls if c.route == route]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} {route} call(s), got {len(found)}")
                self._lock.wait(remaining)

    # -- request handling (called from the server's threads) ---------------------------------

    def _next_id(self) -> str:
        return str(1200000000000000000 + next(self._ids))

    def _handle(
        self, method: str, path: str, body: Any, files: dict[str, tuple[str, bytes]]
    ) -> tuple[str, int, dict[str, str], Any]:
        """(route, status, headers, JSON body) for one request."""
        for route, route_method, pattern in _ROUTES:
            match = pattern.match(path)
            if match is None or method != route_method:
                continue
            with self._lock:
                queue = self._failures.get(route)
                failure = queue.popleft() if queue else None
            if failure is not None:
                return (route, *self._failure(failure))
            return (route, *self._answer(route, match.groupdict(), body, files))
        return "unknown", 404, {}, {"message": "404: Not Found", "code": 0}

    def _failure(self, failure: _Failure) -> tuple[int, dict[str, str], Any]:
        if failure.status == 429:
            wait_s = failure.retry_after_s if failure.retry_after_s is not None else 1.0
            headers = {"Retry-After": str(max(int(wait_s), 0))}
            if failure.header_only:
                headers["Retry-After"] = str(wait_s)
                return 429, headers, {"message": "You are being rate limited."}
            body = {"message": "You are being rate limited.", "retry_after": wait_s}
            return 429, headers, {**body, "global": False}
        if failure.code is not None:
            _, message = ERRORS.get(failure.code, (failure.status, "Error"))
            return failure.status, {}, {"message": message, "code": failure.code}
        return failure.status, {}, {"message": f"{failure.status}: Server Error", "code": 0}

    def _answer(
        self, route: str, params: dict[str, str], body: Any, files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, dict[str, str], Any]:
        if route == "messages":
            return self._post_message(params["channel"], body, files)
        if route == "dm":
            return 200, {}, {"id": f"dm-{body.get('recipient_id')}", "type": 1}
        if route == "me":
            return 200, {}, BOT_USER
        if route == "application":
            return (
                200,
                {},
                {
                    "id": APPLICATION_ID,
                    "name": "China–Russia Brief",
                    "description": "",
                    "icon": None,
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "owner": BOT_USER,
                    "verify_key": "0" * 64,
                    "flags": 0,
                },
            )
        if route == "gateway":
            limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            return 200, {}, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}
        if route == "sync":
            registered = [
                {**command, "id": str(1300000000000000000 + i), "application_id": params["app"]}
                for i, command in enumerate(body or [])
            ]
            return 200, {}, registered
        if route == "callback":
            interaction = {"id": params["id"], "type": (body or {}).get("type", 4)}
            return 200, {}, {"interaction": interaction}
        if route in ("followup", "original"):
            return 200, {}, self._message_payload(self._next_id(), "0", body)
        return 204, {}, None

    def _post_message(
        self, channel_id: str, body: Any, files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, dict[str, str], Any]:
        if channel_id in self.channel_errors:
            code = self.channel_errors[channel_id]
            status, text = ERRORS[code]
            return status, {}, {"message": text, "code": code}
        body = body if isinstance(body, dict) else {}
        nonce = body.get("nonce")
        with self._lock:
            if body.get("enforce_nonce") and nonce is not None:
                existing = self._by_nonce.get((channel_id, str(nonce)))
                if existing is not None:
                    return 200, {}, self._message_payload(existing.id, channel_id, existing.body)
            message = Message(self._next_id(), channel_id, body, files)
            self.messages.append(message)
            if nonce is not None:
                self._by_nonce[(channel_id, str(nonce))] = message
            lost = self.land_then_fail.get(channel_id, 0)
            if lost:
                self.land_then_fail[channel_id] = lost - 1
                return 502, {}, {"message": "502: Bad Gateway", "code": 0}
        return 200, {}, self._message_payload(message.id, channel_id, body)

    @staticmethod
    def _message_payload(message_id: str, channel_id: str, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        return {
            "id": message_id,
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
            "attachments": [],
            "author": BOT_USER,
            "timestamp": "2026-11-23T08:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "nonce": body.get("nonce"),
            "flags": body.get("flags", 0),
        }

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()


def parse_body(content_type: str, raw: bytes) -> tuple[Any, dict[str, tuple[str, bytes]]]:
    """JSON, or multipart form data with ``payload_json`` and files; (body, files)."""
    if not raw:
        return None, {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        body: Any = None
        files: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if name == "payload_json":
                body = json.loads(data)
            elif isinstance(name, str):
                files[name] = (str(part.get_filename() or ""), data)
        return body, files
    try:
        return json.loads(raw), {}
    except ValueError:
        return raw.decode("utf-8", "replace"), {}


class _Handler(BaseHTTPRequestHandler):
    owner: FakeDiscord
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _serve(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path.startswith(API_PREFIX):
            path = path[len(API_PREFIX) :]
        body, files = parse_body(self.headers.get("Content-Type", ""), raw)
        route, status, headers, payload = self.owner._handle(self.command, path, body, files)
        # Recorded before answering: a client that has its response finds its call here.
        self.owner._record(
            Call(
                route=route,
                method=self.command,
                path=path,
                body=body,
                files=files,
                headers={k.lower(): v for k, v in self.headers.items()},
                at=arrived,
                status=status,
            )
        )
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve  # noqa: N815


def iter_strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (keys excluded): for checks over a whole payload."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_strings(item)


class FakeGateway:
    """A Discord gateway on ``ws://127.0.0.1``: HELLO, then READY after IDENTIFY, heartbeat
    ACKs, and :meth:`dispatch` to send an event (e.g. ``INTERACTION_CREATE``) to the bot.

    Runs aiohttp's websocket server on an event loop of its own thread; frames are plain JSON
    text, which discord.py reads without transport compression.
    """

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.identified = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = itertools.count(1)
        self._port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/"

    def start(self) -> FakeGateway:
        started = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def serve() -> None:
            app = web.Application()
            app.router.add_get("/", self._socket)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert isinstance(server, asyncio.base_events.Server)
            self._port = server.sockets[0].getsockname()[1]

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(serve())
            started.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        started.wait(5)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def close() -> None:
            for socket in list(self._sockets):
                await socket.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        loop.close()

    def __enter__(self) -> FakeGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH (op 0) event to every connected client."""
        assert self._loop is not None
        frame = {"op": 0, "t": event, "s": next(self._sequence), "d": data}
        asyncio.run_coroutine_threadsafe(self._send_all(frame), self._loop).result(5)

    async def _send_all(self, frame: dict[str, Any]) -> None:
        for socket in self._sockets:
            await socket.send_str(json.dumps(frame))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in socket:
            if message.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            self.received.append(frame)
            if frame.get("op") == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif frame.get("op") == 2:
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": "fake-session",
                    "resume_gateway_url": self.url,
                    "shard": [0, 1],
                    "application": {"id": APPLICATION_ID, "flags": 0},
                }
                frame = {"op": 0, "t": "READY", "s": next(self._sequence), "d": ready}
                await socket.send_str(json.dumps(frame))
                self.identified.set()
        self._sockets.remove(socket)
        return socket
