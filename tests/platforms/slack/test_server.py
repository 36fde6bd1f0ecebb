"""The HTTP server's own life: it stops when asked, even when its wake-up pipe was closed."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pytest

from briefing.platforms.slack.server import HttpServer
from tests.fakes.fake_slack import request


def _hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def _serving() -> HttpServer:
    server = HttpServer(_hello, "127.0.0.1", 0)
    server.start_in_thread()
    assert request(server.url, "GET", "/").body == "hello"
    return server


def _stopped(server: HttpServer) -> None:
    """Its loop has ended and its port refuses connections."""
    assert server._thread is not None
    assert not server._thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        request(server.url, "GET", "/", timeout_s=2)


def test_close_stops_the_loop_and_the_port() -> None:
    server = _serving()
    server.close()
    _stopped(server)


def test_close_stops_a_server_whose_wake_up_pipe_was_closed() -> None:
    server = _serving()
    # The pipe's write end closed under the server (as a stray close elsewhere in the
    # process would): the loop cannot be woken through it.
    os.close(server._server.trigger.trigger)  # type: ignore[attr-defined]
    server.close()
    _stopped(server)
