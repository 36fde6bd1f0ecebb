"""A fake Slack for fan-out benchmarks: the calls a delivered digest makes, on one asyncio loop.

``tests.fakes.fake_slack.FakeSlack`` (a thread per connection) is the fake the tests script
failures with; at a hundred and more posts in flight its threads, not the bot, set the pace.
This one answers the same calls the same way — ``chat.postMessage`` taking ``latency_s`` and
allowing one message a second per channel (else a 429 with ``Retry-After``), the three calls
of ``files_upload_v2``, ``conversations.history`` with message metadata and shared files,
``chat.update`` — with an ``asyncio.sleep`` for the latency, so thousands of requests can
wait at once for the price of one thread.

    python -m bench.fake_slack_fast --latency 0.1      # prints its API URL; stops on EOF
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class _Message:
    ts: str
    delivery_id: str | None
    metadata: dict[str, Any] | None
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FastSlack:
    latency_s: float = 0.1
    channel_interval_s: float = 1.0
    counts: Counter[str] = field(default_factory=Counter)
    messages: dict[str, list[_Message]] = field(default_factory=dict)
    _last_post_at: dict[str, float] = field(default_factory=dict)
    _file_names: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _last_ts: float = 0.0
    base_url: str = ""

    def _ts(self) -> str:
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    async def params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if not body:
            return params
        if request.content_type == "application/json":
            params.update(json.loads(body))
        elif request.content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(body.decode()))
        return params

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.counts[method] += 1
        params = await self.params(request)
        if method == "chat.postMessage":
            return await self.post_message(params)
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):06d}"
            self._file_names[file_id] = str(params.get("filename"))
            return ok({"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id})
        if method == "files.completeUploadExternal":
            files = params.get("files")
            listed = json.loads(files) if isinstance(files, str) else files or []
            shared = [
                {"id": f["id"], "name": self._file_names.get(f["id"]), "title": f.get("title")}
                for f in listed
            ]
            channel = params.get("channel_id")
            if channel:
                message = _Message(self._ts(), None, None, shared)
                self.messages.setdefault(str(channel), []).append(message)
            return ok({"files": [{"id": f["id"], "title": f["title"]} for f in shared]})
        if method == "conversations.history":
            return ok(self.history(params))
        if method == "chat.update":
            return ok({"channel": params.get("channel"), "ts": params.get("ts")})
        if method == "auth.test":
            return ok({"team_id": "T0FAKE", "user_id": "UBOT", "bot_id": "BFAKE"})
        return web.json_response({"ok": False, "error": "unknown_method"})

    async def post_message(self, params: dict[str, Any]) -> web.Response:
        await asyncio.sleep(self.latency_s / 2)
        channel = str(params.get("channel"))
        now = time.monotonic()
        last = self._last_post_at.get(channel)
        if last is not None and now - last < self.channel_interval_s:
            wait = max(1, round(self.channel_interval_s - (now - last) + 0.5))
            self.counts["ratelimited"] += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        self._last_post_at[channel] = now
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        payload = (metadata or {}).get("event_payload") or {}
        delivery_id = payload.get("delivery_id")
        ts = self._ts()
        self.messages.setdefault(channel, []).append(
            _Message(ts, str(delivery_id) if delivery_id else None, metadata)
        )
        await asyncio.sleep(self.latency_s / 2)
        return ok({"channel": channel, "ts": ts})

    def history(self, params: dict[str, Any]) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        limit = min(int(params.get("limit") or 100), 1000)
        found = [
            m for m in self.messages.get(str(params.get("channel")), []) if float(m.ts) > oldest
        ]
        found.reverse()
        listed: list[dict[str, Any]] = []
        for m in found[:limit]:
            item: dict[str, Any] = {"type": "message", "ts": m.ts, "bot_id": "BFAKE"}
            if m.metadata is not None:
                item["metadata"] = m.metadata
            if m.files:
                item["files"] = m.files
            listed.append(item)
        return {"messages": listed, "has_more": False, "response_metadata": {"next_cursor": ""}}

    async def upload(self, request: web.Request) -> web.Response:
        self.counts["upload"] += 1
        body = await request.read()
        return web.Response(text=f"OK - {len(body)}")

    async def stats(self, _request: web.Request) -> web.Response:
        delivered = Counter(
            m.delivery_id for ms in self.messages.values() for m in ms if m.delivery_id
        )
        duplicates = sum(1 for n in delivered.values() if n > 1)
        return ok({"counts": dict(self.counts), "delivered": len(delivered), "dup": duplicates})


def ok(payload: dict[str, Any]) -> web.Response:
    return web.json_response({"ok": True, **payload})


async def serve(latency_s: float, channel_interval_s: float) -> None:
    fake = FastSlack(latency_s=latency_s, channel_interval_s=channel_interval_s)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/api/{method}", fake.api)
    app.router.add_get("/api/{method}", fake.api)
    app.router.add_post("/upload/{file_id}", fake.upload)
    app.router.add_get("/_stats", fake.stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    site = web.SockSite(runner, sock, backlog=1024)
    await site.start()
    fake.base_url = f"http://127.0.0.1:{port}"
    print(f"{fake.base_url}/api", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--channel-interval", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(serve(args.latency, args.channel_interval))


if __name__ == "__main__":
    main()
