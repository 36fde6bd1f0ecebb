"""One loopback HTTP server for the fakes (Slack, Discord, the feed file server): a threaded
``http.server`` on 127.0.0.1, on a port the system picks, served from a daemon thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class LoopbackServer:
    """``handler`` served on ``127.0.0.1``: :meth:`start`, then :attr:`base_url`; :meth:`stop`
    shuts it down and closes its socket. ``request_queue_size``: the listen backlog (a burst of
    new connections, as a benchmark makes, must not be reset)."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], *, request_queue_size: int = 5
    ) -> None:
        self.handler = handler
        self.request_queue_size = request_queue_size
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LoopbackServer:
        server_class = type(
            "LoopbackHTTPServer", (_Server,), {"request_queue_size": self.request_queue_size}
        )
        self.server = server_class(("127.0.0.1", 0), self.handler)
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-http-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self.server is not None, "start() the server first"
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
