"""Prometheus metrics of one service: requests, their latency, the index, the jobs."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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
            "proscribe_index_listings", "Listings in the loaded screening index", registry=self.registry
        )
        self.index_builds = Gauge("proscribe_index_builds", "Index loads since start", registry=self.registry)
        self.index_ready = Gauge("proscribe_index_ready", "1 when an index is loaded", registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
