"""A small file server on 127.0.0.1 standing in for the publishers (OFAC, OpenSanctions, a
customs site): it serves real files from the repository with ``ETag`` and ``Last-Modified``,
answers conditional GETs with ``304``, records every request, and can misbehave on demand —
fail with a status (``Retry-After`` too), stall past the client's timeout, cut a body short,
send an HTML error page.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HTML_ERROR = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    b"<body><h1>We'll be back soon</h1><p>The site is under maintenance.</p></body></html>\n"
)


@dataclass
class Served:
    body: bytes
    last_modified: datetime
    content_type: str = "text/csv"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    status: int
    at: float  # time.monotonic() on arrival


@dataclass
class Fault:
    """``status``: answer with it (and ``retry_after``); ``stall``: send nothing until the
    server stops; ``truncate``: announce the full length, send half and close; ``cut``: no
    length, half the body, close; ``html``: a 200 HTML maintenance page."""

    kind: str
    status: int = 503
    retry_after: str | None = None


@dataclass
class FileServer:
    files: dict[str, Served] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    # Honour If-None-Match / If-Modified-Since (off: a server that ignores validators).
    conditional: bool = True

    def __post_init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life -----------------------------------------------------------------------------
    def start(self) -> FileServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # stalled answers end
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    # --- content --------------------------------------------------------------------------
    def put(
        self,
        path: str,
        body: bytes | Path,
        last_modified: datetime,
        content_type: str = "text/csv",
    ) -> None:
        data = body.read_bytes() if isinstance(body, Path) else body
        with self._lock:
            self.files["/" + path.lstrip("/")] = Served(data, last_modified, content_type)

    def remove(self, path: str) -> None:
        with self._lock:
            self.files.pop("/" + path.lstrip("/"), None)

    def fail_next(self, path: str, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._faults.setdefault("/" + path.lstrip("/"), deque()).extend([fault] * times)

    def requests_to(self, path: str) -> list[Request]:
        path = "/" + path.lstrip("/")
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- internals ------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.popleft() if queue else None

    def _record(self, path: str, headers: dict[str, str], status: int) -> None:
        with self._lock:
            self.requests.append(Request(path, headers, status, time.monotonic()))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FileServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = owner._take_fault(path)
        if fault is not None and fault.kind == "stall":
            owner._record(path, headers, 0)
            owner._release.wait()
            self.close_connection = True
            return
        if fault is not None and fault.kind == "status":
            owner._record(path, headers, fault.status)
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(fault.status, b"temporarily unavailable\n", "text/plain", extra)
            return
        if fault is not None and fault.kind == "html":
            owner._record(path, headers, 200)
            self._send(200, HTML_ERROR, "text/html; charset=utf-8")
            return
        with owner._lock:
            served = owner.files.get(path)
        if served is None:
            owner._record(path, headers, 404)
            self._send(404, b"not found\n", "text/plain")
            return
        stamp = format_datetime(served.last_modified.astimezone(UTC), usegmt=True)
        validators = {"ETag": served.etag, "Last-Modified": stamp}
        if owner.conditional and self._not_modified(headers, served):
            owner._record(path, headers, 304)
            self._send(304, b"", None, validators)
            return
        if fault is not None and fault.kind in ("truncate", "cut"):
            owner._record(path, headers, 200)
            half = served.body[: len(served.body) // 2]
            self.send_response(200)
            self.send_header("Content-Type", served.content_type)
            if fault.kind == "truncate":
                self.send_header("Content-Length", str(len(served.body)))
            self.send_header("Connection", "close")
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(half)
            self.wfile.flush()
            self.close_connection = True
            return
        owner._record(path, headers, 200)
        self._send(200, served.body, served.content_type, validators)

    @staticmethod
    def _not_modified(headers: dict[str, str], served: Served) -> bool:
        tag = headers.get("if-none-match")
        if tag is not None:
            return served.etag in [t.strip() for t in tag.split(",")]
        since = headers.get("if-modified-since")
        if since:
            try:
                return served.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)
