"""What a feed remembers of its last good copy: the server's validators and the bytes' hash.

A leaf of its own: the feed state (read by every digest and ``/brief sources``) needs it without
the HTTP client (httpx, tenacity), which loads only when a feed is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server said about the last good copy, and that copy's SHA-256."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
