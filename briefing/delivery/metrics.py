"""``/metrics`` in the Prometheus text format.

Two kinds of figures:

- **The shared truth**, read from the ledger tables at scrape time, so every replica reports
  the same numbers: deliveries sent, failed, skipped, retried attempts; the queue (open
  deliveries, those due now, those in doubt); and the lag, the age of the oldest due delivery.
- **This process**: what its workers did (posts, recoveries, retries, failures…) and whether
  it is the planner.

Served on the Slack HTTP server's ``/metrics`` path and, for other modes, by
``bot.py run --metrics-port`` (:func:`serve_metrics`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge
from prometheus_client import generate_latest as _generate_latest
from prometheus_client import start_http_server as _start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from briefing.delivery.ledger import DeliveryStatus, Ledger

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"

REGISTRY = CollectorRegistry(auto_describe=False)
OUTCOMES = Counter(
    "brief_delivery_process_outcomes",
    "Deliveries handled by this process's workers, by outcome "
    "(posted, recovered = found already posted, retry, failed, skipped, lost = lease taken over).",
    ["outcome"],
    registry=REGISTRY,
)
PLANNED = Counter(
    "brief_delivery_process_planned",
    "Deliveries planned by this process (as the leader), by result (planned, skipped).",
    ["result"],
    registry=REGISTRY,
)
LEADER = Gauge(
    "brief_delivery_leader", "1 while this process is the planner, else 0.", registry=REGISTRY
)


class LedgerCollector(Collector):
    """Reads the ledger at each scrape."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.ledger = Ledger(engine)
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "brief_delivery_ledger_up", "1 when the ledger could be read for this scrape."
        )
        try:
            stats = self.ledger.stats(self.clock())
        except Exception:
            log.exception("reading the delivery ledger for /metrics failed")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        done = {
            DeliveryStatus.SENT: ("brief_deliveries_sent", "Deliveries posted (all replicas)."),
            DeliveryStatus.FAILED: (
                "brief_deliveries_failed",
                "Deliveries that failed for good; their subscription was paused.",
            ),
            DeliveryStatus.SKIPPED: (
                "brief_deliveries_skipped",
                "Deliveries not sent: too late, or the subscription went away.",
            ),
        }
        for status, (name, doc) in done.items():
            count = stats.by_status.get(status.value, 0)
            yield CounterMetricFamily(name, doc, value=count)
        yield CounterMetricFamily(
            "brief_delivery_retries",
            "Attempts beyond the first, over all deliveries (transient failures, take-overs).",
            value=stats.retried_attempts,
        )
        yield GaugeMetricFamily(
            "brief_delivery_queue_depth",
            "Open deliveries (pending or being sent), due or not.",
            value=stats.queue_depth,
        )
        yield GaugeMetricFamily(
            "brief_delivery_due", "Open deliveries whose time has come.", value=stats.due_now
        )
        yield GaugeMetricFamily(
            "brief_delivery_in_doubt",
            "Open deliveries with an attempt that may have posted (checked before re-posting).",
            value=stats.in_doubt,
        )
        yield GaugeMetricFamily(
            "brief_delivery_lag_seconds",
            "Age of the oldest due, unsent delivery's due time; 0 when none is waiting.",
            value=stats.lag_s,
        )
        runs = GaugeMetricFamily(
            "brief_delivery_runs", "Planned runs by status (planned, skipped).", labels=["status"]
        )
        for run_status, run_count in sorted(stats.runs.items()):
            runs.add_metric([run_status], run_count)
        yield runs
        charts = GaugeMetricFamily(
            "brief_delivery_charts",
            "Deliveries with a chart, by its status (owed, posted, failed).",
            labels=["status"],
        )
        for chart_status, chart_count in sorted(stats.charts.items()):
            charts.add_metric([chart_status], chart_count)
        yield charts
        yield GaugeMetricFamily(
            "brief_delivery_runs_without_deliveries",
            "Planned digest runs of the last week with no delivery (should be 0).",
            value=stats.orphan_runs,
        )
        yield GaugeMetricFamily(
            "brief_delivery_expired_leases",
            "Deliveries still being sent whose lease ran out (taken over at the next claim).",
            value=stats.stuck,
        )
        if stats.watermark is not None:
            yield GaugeMetricFamily(
                "brief_delivery_planner_watermark_age_seconds",
                "How long ago the planner's watermark was (it moves every 30 min while planning).",
                value=max(0.0, (self.clock() - stats.watermark).total_seconds()),
            )


_lock = threading.Lock()
_watched: list[LedgerCollector] = []


def watch_ledger(engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
    """Report ``engine``'s ledger from now on (one ledger per process; the last call wins)."""
    with _lock:
        while _watched:
            REGISTRY.unregister(_watched.pop())
        collector = LedgerCollector(engine, clock or (lambda: datetime.now(UTC)))
        REGISTRY.register(collector)
        _watched.append(collector)


def render() -> bytes:
    """The current metrics, Prometheus text format."""
    return _generate_latest(REGISTRY)


def metrics_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
    """A WSGI app answering ``GET /metrics`` (any path) with :func:`render`."""
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        body = b"GET only"
        start_response(
            "405 Method Not Allowed",
            [("Content-Type", "text/plain"), ("Allow", "GET"), ("Content-Length", str(len(body)))],
        )
        return iter([body])
    body = render()
    start_response(
        "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))]
    )
    return iter([body])


def serve_metrics(port: int, host: str = "0.0.0.0") -> Any:
    """Serve ``/metrics`` on ``host:port`` in a daemon thread; returns the server (``.server_port``,
    ``.shutdown()``)."""
    server, _thread = _start_http_server(port, addr=host, registry=REGISTRY)
    log.info("metrics at http://%s:%d%s", host, server.server_port, METRICS_PATH)
    return server
