"""Serving the bolt app: over HTTP (waitress) or Socket Mode, with the delivery timer alongside.

HTTP routes: ``POST /slack/events`` (slash commands and interactivity; bolt checks the
``X-Slack-Signature`` and answers 401 to anything unsigned, stale or tampered with, before any
listener runs), ``GET /healthz`` (``ok``), ``GET /metrics`` (delivery metrics, Prometheus
text format), anything else 404. In OAuth mode also ``GET /slack/install`` and
``GET /slack/oauth_redirect`` (bolt's OAuth flow). A signed request seen before is refused
with 401 before bolt sees it (:mod:`briefing.security.replay`; shared by every replica through
Redis or the database). With the signing secret at hand the signature is checked first, so a
forged request never reaches the shared store.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore
from waitress.server import TcpWSGIServer, create_server

from briefing.delivery.metrics import METRICS_PATH, metrics_app
from briefing.security.replay import Guard, ReplayGuard

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HTTP_THREADS = 16
# Slack's payloads are a few kB; refuse anything absurd before it is read.
MAX_BODY_BYTES = 1 << 20


def _plain(
    start_response: StartResponse, status: str, body: bytes, *extra: tuple[str, str]
) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *extra,
        ],
    )
    return [body]


def genuine(verifier: SignatureVerifier, environ: WSGIEnvironment) -> bool:
    """Is the request signed with the signing secret (and recent)? The body is read and put
    back for bolt, which checks it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        return verifier.is_valid(
            body,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
        )
    except (UnicodeDecodeError, ValueError):
        return False


def make_wsgi_app(
    app: App, *, replay_guard: Guard | None = None, signing_secret: str | None = None
) -> WSGIApplication:
    """The WSGI application: bolt on /slack/events, a health check, 404 elsewhere.

    ``replay_guard``: in memory unless given (:func:`~briefing.security.replay.replay_guard_for`
    picks the shared one). ``signing_secret``: check signatures before the guard.
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    guard: Guard = replay_guard or ReplayGuard()
    verifier = SignatureVerifier(signing_secret) if signing_secret else None
    flow = app.oauth_flow
    oauth_paths = (flow.install_path, flow.redirect_uri_path) if flow is not None else ()

    def once(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """bolt, unless this signature was seen before; a refused one is forgotten again."""
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if timestamp is not None and not (timestamp.isascii() and timestamp.isdigit()):
            # bolt would fail on int(timestamp) with a 500 and a logged traceback.
            return _plain(start_response, "401 Unauthorized", b"invalid request")
        if not signature:
            return slack(environ, start_response)  # bolt answers 401
        if verifier is not None and not genuine(verifier, environ):
            return slack(environ, start_response)  # bolt answers 401; the guard is not asked
        if not guard.claim(signature):
            log.warning("refused a replayed Slack request (its signature was seen before)")
            return _plain(start_response, "401 Unauthorized", b"replayed request")
        statuses: list[str] = []

        def watch(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        body = slack(environ, watch)
        if statuses[:1] and statuses[0].startswith("401"):
            guard.release(signature)  # not genuine: its signature must not block the real one
        return body

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return _plain(start_response, "200 OK", b"ok")
        if path == METRICS_PATH:
            return metrics_app(environ, start_response)
        if path == EVENTS_PATH:
            if method != "POST":
                return _plain(
                    start_response, "405 Method Not Allowed", b"POST only", ("Allow", "POST")
                )
            return once(environ, start_response)
        if path in oauth_paths and method == "GET":
            return slack(environ, start_response)
        return _plain(start_response, "404 Not Found", b"Not Found")

    return wsgi


class HttpServer:
    """A multi-threaded waitress server; ``port=0`` picks a free port (see :attr:`url`)."""

    def __init__(
        self, wsgi: WSGIApplication, host: str, port: int, *, threads: int = HTTP_THREADS
    ) -> None:
        self._map: dict[int, Any] = {}
        server = create_server(
            wsgi,
            map=self._map,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=MAX_BODY_BYTES,
            ident="china-russia-brief",
        )
        assert isinstance(server, TcpWSGIServer)  # one TCP listening socket
        self._server = server
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = int(server.getsockname()[1])

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run()

    def start_in_thread(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="waitress", daemon=True)
        self._thread.start()

    def close(self, timeout_s: int = 5) -> None:
        """Stop accepting, close every connection, let running requests finish."""
        socket_map = self._map
        thread = self._thread
        if thread is not None and thread.is_alive():
            # Close the sockets from the loop's own thread; the loop ends when none are left.
            # (The stubs type ``trigger`` as int; it is waitress's wake-up dispatcher.)
            trigger = cast("Any", self._server).trigger
            try:
                trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
            except OSError:
                # Its wake-up pipe is gone (closed under it): close from here instead; the
                # loop finds its map empty when its select times out (1 s) and ends.
                log.warning("the HTTP server's wake-up pipe is closed; closing its sockets here")
                wasyncore.close_all(socket_map, ignore_all=True)
            thread.join(timeout_s)
        else:
            wasyncore.close_all(socket_map)
        self._server.task_dispatcher.shutdown(timeout=timeout_s)


def serve_http(
    app: App,
    host: str,
    port: int,
    announce: Callable[[str], None],
    *,
    replay_guard: Guard | None = None,
    signing_secret: str | None = None,
) -> None:
    wsgi = make_wsgi_app(app, replay_guard=replay_guard, signing_secret=signing_secret)
    server = HttpServer(wsgi, host, port)
    flow = app.oauth_flow
    installs = f"; installs start at {server.url}{flow.install_path}" if flow is not None else ""
    announce(
        f"Slack events at {server.url}{EVENTS_PATH} (health: {server.url}{HEALTH_PATH}){installs}"
    )
    try:
        server.serve_forever()
    finally:
        server.close()


def serve_socket_mode(app: App, app_token: str, announce: Callable[[str], None]) -> None:
    # Loaded only in Socket Mode (its WebSocket client).
    from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: PLC0415

    handler = SocketModeHandler(app, app_token)
    announce("Connecting to Slack over Socket Mode…")
    try:
        handler.start()  # type: ignore[no-untyped-call]
    finally:
        handler.close()  # type: ignore[no-untyped-call]
