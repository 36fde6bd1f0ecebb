"""Links in rendered replies: only real web addresses become links."""

from __future__ import annotations

from urllib.parse import urlsplit


def web_url(url: str | None) -> str | None:
    """``url`` stripped if it is an http(s) address with a host, else None (shown as text)."""
    if not url:
        return None
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return candidate
