"""Prometheus metrics, in a registry owned by the app (no process-global state)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _CacheCollector(Collector):
    """Reads the cache's plain-int counters at scrape time: zero cost per request."""

    def __init__(self, stats: Callable[[], tuple[int, int]]) -> None:
        self._stats = stats

    def collect(self):  # type: ignore[no-untyped-def]
        hits, misses = self._stats()
        family = CounterMetricFamily(
            "gateway_decision_cache_lookups", "Decision cache lookups", labels=["result"]
        )
        family.add_metric(["hit"], hits)
        family.add_metric(["miss"], misses)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.responses = Counter(
            "gateway_responses", "Responses of /uploads/ by status", ["status"],
            registry=self.registry,
        )
        self.denials = Counter(
            "gateway_refusals", "Refused /uploads/ requests by reason", ["reason"],
            registry=self.registry,
        )
        self.query_seconds = Histogram(
            "gateway_access_query_seconds", "Access query latency (cache misses)",
            registry=self.registry,
        )
        self.listener_up = Gauge(
            "gateway_invalidation_listener_up", "1 while the LISTEN connection is up",
            registry=self.registry,
        )
        self.invalidations = Counter(
            "gateway_invalidations", "Invalidation events received", ["kind"],
            registry=self.registry,
        )
        self._status_children = {s: self.responses.labels(str(s)) for s in (200, 206, 304)}

    def watch_cache(self, stats: Callable[[], tuple[int, int]]) -> None:
        self.registry.register(_CacheCollector(stats))

    def count_response(self, status: int) -> None:
        child = self._status_children.get(status)
        if child is None:
            child = self._status_children[status] = self.responses.labels(str(status))
        child.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
