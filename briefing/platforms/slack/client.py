"""Slack Web API clients with bounded retries.

slack_sdk retries only connection errors by default. Ours also wait out a 429 for its
``Retry-After`` (when the wait is short enough to hold a worker thread for) and retry 5xx answers
with backoff. Every handler has a small cap, so a dead Slack cannot hold a thread for long.
"""

from __future__ import annotations

import random

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from briefing.settings import Settings

MAX_RETRIES = 2
MAX_RATE_LIMIT_WAIT_S = 30.0
API_TIMEOUT_S = 10
BACKOFF_S = 0.5


def retry_after_s(headers: dict[str, list[str]] | dict[str, str | list[str]]) -> float | None:
    """The ``Retry-After`` header in seconds, if present and numeric."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except ValueError:
                return None
    return None


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Waits out a 429 for ``Retry-After`` seconds, unless Slack asks for more than ``max_wait_s``.

    A longer wait is better left to the caller (a scheduled post is retried on the next tick)
    than spent blocking a worker thread.
    """

    def __init__(self, max_retry_count: int = MAX_RETRIES, max_wait_s: float = 30.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s = max_wait_s

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait_s = retry_after_s(response.headers)
        return wait_s is None or wait_s <= self.max_wait_s


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx (the built-in handler only retries 500 and 503), with backoff."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code <= 599


class ProportionalJitter(Jitter):
    """Up to ``scale_s`` of random jitter (slack_sdk's default adds up to a whole second)."""

    def __init__(self, scale_s: float) -> None:
        self.scale_s = scale_s

    def recalculate(self, duration: float) -> float:
        return duration + random.random() * self.scale_s


def retry_handlers(
    max_retries: int = MAX_RETRIES, backoff_s: float = BACKOFF_S
) -> list[RetryHandler]:
    """Connection errors and 5xx: exponential backoff from ``backoff_s``; 429: Retry-After."""
    backoff = BackoffRetryIntervalCalculator(
        backoff_factor=backoff_s, jitter=ProportionalJitter(backoff_s)
    )
    return [
        ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=backoff),
        BoundedRateLimitRetryHandler(max_retry_count=max_retries, max_wait_s=MAX_RATE_LIMIT_WAIT_S),
        AnyServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=backoff),
    ]


def api_base_url(settings: Settings) -> str:
    """SLACK_API_URL (a test fake or a proxy) with the trailing slash slack_sdk expects."""
    if settings.slack_api_url:
        return settings.slack_api_url.rstrip("/") + "/"
    return WebClient.BASE_URL


def make_client(settings: Settings, *, backoff_s: float = BACKOFF_S) -> WebClient:
    """The bot's WebClient: SLACK_BOT_TOKEN, SLACK_API_URL, bounded retries."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=api_base_url(settings),
        timeout=API_TIMEOUT_S,
        retry_handlers=retry_handlers(backoff_s=backoff_s),
    )


def make_webhook(response_url: str) -> WebhookClient:
    """A client for one ``response_url`` (what bolt's ``respond()`` uses, plus our retries).

    Only connection errors and 429s are retried: a response_url allows five posts, and a 5xx
    that in fact delivered would show the answer twice.
    """
    return WebhookClient(
        url=response_url,
        timeout=API_TIMEOUT_S,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
            BoundedRateLimitRetryHandler(
                max_retry_count=MAX_RETRIES, max_wait_s=MAX_RATE_LIMIT_WAIT_S
            ),
        ],
    )
