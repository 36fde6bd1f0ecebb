"""Download one file as careful clients do, with httpx and tenacity.

- a User-Agent naming the product;
- a conditional GET (``If-None-Match`` / ``If-Modified-Since``) from the validators of the last
  good copy: a ``304 Not Modified`` costs no download;
- a time limit per read and per file, a size limit (``Content-Length`` checked before, the bytes
  counted while streaming);
- retries with exponential backoff and jitter on 429, 5xx, timeouts and broken connections,
  waiting what ``Retry-After`` asks when the server says (capped);
- the body streamed into a temporary file beside its destination, hashed (SHA-256) on the way,
  and renamed into place only when complete; a body shorter than its ``Content-Length`` or an
  HTML page where a data file belongs is refused, not retried.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from briefing.feeds.validators import Validators
from briefing.settings import Settings

USER_AGENT = "ChinaRussiaBrief/0.1 (chat briefing bot on China-Russia trade and sanctions)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
CHUNK = 1 << 16
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_s: float = 60.0
    deadline_s: float = 1800.0
    attempts: int = 4
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            timeout_s=settings.fetch_timeout_s,
            deadline_s=settings.fetch_deadline_s,
            attempts=settings.fetch_attempts,
            retry_base_s=settings.fetch_retry_base_s,
            retry_max_s=settings.fetch_retry_max_s,
        )


@dataclass(frozen=True, slots=True)
class Downloaded:
    """``status``: "new" (bytes in ``path``), "not_modified" (304) or "missing" (an optional
    file the server does not have)."""

    url: str
    status: str
    path: Path | None = None
    validators: Validators = field(default_factory=Validators)
    size: int = 0
    attempts: int = 1

    @property
    def last_modified_on(self) -> datetime | None:
        return http_date(self.validators.last_modified)


class DownloadError(Exception):
    """The file could not be had. ``refused``: the server answered, but not with the file (an
    HTML page, a cut-off body, too large); otherwise it could not be reached or kept failing."""

    def __init__(
        self,
        message: str,
        *,
        refused: bool = False,
        retryable: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.refused = refused
        self.retryable = retryable
        self.retry_after_s = retry_after_s


def http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number, or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def make_client(limits: Limits) -> httpx.Client:
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        timeout=httpx.Timeout(limits.timeout_s, connect=min(limits.timeout_s, 30.0)),
    )


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, DownloadError):
        return exc.retryable
    # Timeouts, refused or reset connections, a body cut off mid-transfer.
    return isinstance(exc, httpx.TransportError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the connection broke off mid-answer ({exc})"
    if isinstance(exc, httpx.TransportError):
        return f"could not reach it ({type(exc).__name__}: {exc})"
    return str(exc)


def download(
    client: httpx.Client,
    url: str,
    dest: Path,
    *,
    previous: Validators | None,
    max_bytes: int,
    limits: Limits,
    optional: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Downloaded:
    """GET ``url`` into ``dest`` (conditionally, when ``previous`` has validators)."""
    jitter = rng or random.Random()
    tries = 0

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after_s if isinstance(exc, DownloadError) else None
        if asked is not None:
            return min(asked, limits.retry_max_s)
        backoff = limits.retry_base_s * float(2 ** (state.attempt_number - 1))
        return min(backoff + jitter.uniform(0, limits.retry_base_s), limits.retry_max_s)

    def attempt() -> Downloaded:
        nonlocal tries
        tries += 1
        try:
            return _get_once(
                client,
                url,
                dest,
                previous=previous,
                max_bytes=max_bytes,
                limits=limits,
                optional=optional,
                tries=tries,
            )
        except BaseException:
            dest.with_name(dest.name + ".part").unlink(missing_ok=True)
            raise

    retrying = Retrying(
        stop=stop_after_attempt(limits.attempts),
        wait=wait,
        retry=retry_if_exception(_retryable),
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except DownloadError as exc:
        if exc.retryable:
            raise DownloadError(
                f"{exc} (gave up after {tries} tries)", retryable=False, refused=exc.refused
            ) from None
        raise
    except httpx.HTTPError as exc:
        raise DownloadError(f"{url}: {_describe(exc)} (gave up after {tries} tries)") from None


def _get_once(
    client: httpx.Client,
    url: str,
    dest: Path,
    *,
    previous: Validators | None,
    max_bytes: int,
    limits: Limits,
    optional: bool,
    tries: int,
) -> Downloaded:
    headers: dict[str, str] = {}
    if previous is not None:
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
    started = time.monotonic()
    part = dest.with_name(dest.name + ".part")
    with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if status == 304 and headers:
            return Downloaded(
                url, "not_modified", validators=previous or Validators(), attempts=tries
            )
        if status in (404, 410) and optional:
            return Downloaded(url, "missing", attempts=tries)
        if status in RETRY_STATUSES:
            raise DownloadError(
                f"{url}: HTTP {status}",
                retryable=True,
                retry_after_s=retry_after(response.headers.get("Retry-After")),
            )
        if status != 200:
            raise DownloadError(f"{url}: HTTP {status}")
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        if expected is not None and expected > max_bytes:
            raise DownloadError(
                f"{url}: the file is {expected:,} bytes, over this feed's limit of {max_bytes:,}",
                refused=True,
            )
        content_type = response.headers.get("Content-Type", "").lower()
        if content_type.startswith(("text/html", "application/xhtml")):
            raise DownloadError(
                f"{url}: the server sent a web page ({content_type.split(';')[0]}), not the "
                "data file — an error or maintenance page",
                refused=True,
            )
        digest = hashlib.sha256()
        size = 0
        # Bytes as they came over the wire (before any gzip decoding), for the length check.
        raw_start = response.num_bytes_downloaded
        dest.parent.mkdir(parents=True, exist_ok=True)
        with part.open("wb") as out:
            for chunk in response.iter_bytes(CHUNK):
                if size == 0 and chunk.lstrip()[:14].lower().startswith(_HTML_STARTS):
                    raise DownloadError(
                        f"{url}: the server sent an HTML page, not the data file", refused=True
                    )
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(
                        f"{url}: more than {max_bytes:,} bytes, over this feed's limit",
                        refused=True,
                    )
                if time.monotonic() - started > limits.deadline_s:
                    raise DownloadError(
                        f"{url}: the download took longer than {limits.deadline_s:g} s",
                        retryable=True,
                    )
                digest.update(chunk)
                out.write(chunk)
        received = response.num_bytes_downloaded - raw_start
        encoded = response.headers.get("Content-Encoding", "identity").lower()
        if expected is not None and encoded in ("", "identity") and received != expected:
            raise DownloadError(
                f"{url}: the body ended after {received:,} of {expected:,} bytes (cut off)",
                retryable=True,
            )
        if size == 0:
            raise DownloadError(f"{url}: the server sent an empty file", refused=True)
        part.replace(dest)
        return Downloaded(
            url,
            "new",
            path=dest,
            validators=Validators(
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                sha256=digest.hexdigest(),
            ),
            size=size,
            attempts=tries,
        )
