"""A fake Socket Mode endpoint: a minimal WebSocket server on 127.0.0.1 that says hello, sends
envelopes (slash commands, button clicks) and records the acks the app sends back.

slack_sdk's built-in Socket Mode client speaks plain ``ws://`` to any port but 443, so no TLS.
Point :class:`FakeSlack` at it with ``fake.socket_url = socket.url`` (apps.connections.open).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import uuid
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([size])
    elif size < 1 << 16:
        head += bytes([126]) + struct.pack("!H", size)
    else:
        head += bytes([127]) + struct.pack("!Q", size)
    return head + payload


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    first, second = _read_exact(conn, 2)
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", _read_exact(conn, 2))[0]
    elif size == 127:
        size = struct.unpack("!Q", _read_exact(conn, 8))[0]
    mask = _read_exact(conn, 4) if second & 0x80 else b"\0\0\0\0"
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exact(conn, size)))
    return first & 0x0F, payload


class FakeSocketMode:
    """One WebSocket connection at a time; :meth:`send` an envelope, :meth:`wait_ack` its ack."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._acks: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self.connected = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake"

    def close(self) -> None:
        self._listener.close()
        if self._conn is not None:
            self._conn.close()

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver an envelope (``slash_commands``, ``interactive``); returns its id."""
        assert self.connected.wait(10), "the app never connected"
        envelope_id = str(uuid.uuid4())
        message = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self._write(_TEXT, json.dumps(message).encode())
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout_s: float = 5.0) -> dict[str, Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout_s):
                raise AssertionError(f"no ack for envelope {envelope_id}")
            return self._acks[envelope_id]

    def _write(self, opcode: int, payload: bytes) -> None:
        assert self._conn is not None
        with self._send_lock:
            self._conn.sendall(_frame(opcode, payload))

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        self._conn = conn
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        headers = dict(
            line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line
        )
        key = {k.lower(): v for k, v in headers.items()}["sec-websocket-key"].strip()
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self._write(_TEXT, json.dumps({"type": "hello", "num_connections": 1}).encode())
        self.connected.set()
        try:
            while True:
                opcode, payload = _read_frame(conn)
                if opcode == _PING:
                    self._write(_PONG, payload)
                elif opcode == _CLOSE:
                    return
                elif opcode == _TEXT:
                    ack = json.loads(payload)
                    with self._cond:
                        self._acks[str(ack.get("envelope_id"))] = ack
                        self._cond.notify_all()
        except (ConnectionError, OSError):
            return
