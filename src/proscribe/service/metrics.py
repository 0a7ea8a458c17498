"""Prometheus metrics of one service: requests, their latency, the index, the jobs.

Scraped on ``/metrics`` (signed-in viewers) or, without a key, on the separate port
``PROSCRIBE_METRICS_PORT``. With several workers, ``proscribe serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` before starting them, so that every worker writes its values there
and the metrics port (served by the parent process) adds them up across workers.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

#: latency buckets (seconds) fine enough to see the 5 ms /match target
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    """One registry per app, so two servers in one process (tests) keep their own counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "proscribe_http_requests", "HTTP requests", ("method", "route", "status"), registry=self.registry
        )
        self.latency = Histogram(
            "proscribe_http_request_seconds",
            "Time to answer a request",
            ("method", "route"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.screened = Counter("proscribe_queries_screened", "Queries screened", registry=self.registry)
        self.index_listings = Gauge(
            "proscribe_index_listings",
            "Listings in the loaded screening index",
            registry=self.registry,
            multiprocess_mode="max",
        )
        self.index_builds = Gauge(
            "proscribe_index_builds",
            "Index loads since start",
            registry=self.registry,
            multiprocess_mode="sum",
        )
        self.index_ready = Gauge(
            "proscribe_index_ready",
            "1 when an index is loaded (with several workers: in every worker)",
            registry=self.registry,
            multiprocess_mode="min",
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


def multiprocess() -> bool:
    """Whether the values are shared between worker processes (``PROMETHEUS_MULTIPROC_DIR`` set)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def serve_metrics(port: int, host: str, registry: CollectorRegistry | None = None) -> Any:
    """Answer scrapes on ``host:port`` (no key: the port is for Prometheus, not for people): the
    values of every worker when they are shared, else those of ``registry``. Returns the server."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    server, thread = start_http_server(port, addr=host, registry=registry or CollectorRegistry())
    return server, thread
