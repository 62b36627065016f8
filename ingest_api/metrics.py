"""The ingest API's Prometheus metrics, in a registry of their own per app instance.

Names and labels are fixed: dashboards are built on them.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from schemas import KNOWN_EVENTS

SERVICE = "ingest_api"
HTTP_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
# Any string can arrive as an HTTP method; the label keeps the standard ones, others are "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
KAFKA_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """Every metric the ingest API exports, registered in :attr:`registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by route template and status.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.http_response_time = Histogram(
            "http_response_time_seconds",
            "Time to answer an HTTP request.",
            ["service", "method", "route"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.events_accepted = Counter(
            "pulse_events_accepted_total",
            "Events accepted and committed to Kafka, by name (custom events count as 'custom').",
            ["event"],
            registry=self.registry,
        )
        self.events_rejected = Counter(
            "pulse_events_rejected_total",
            "Events refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.kafka_produce_latency = Histogram(
            "kafka_produce_latency_seconds",
            "Time to commit one group of events to Kafka (one transaction).",
            buckets=KAFKA_BUCKETS,
            registry=self.registry,
        )
        self.kafka_produce_errors = Counter(
            "kafka_produce_errors_total",
            "Groups of events Kafka did not take (the requests got 503).",
            registry=self.registry,
        )
        # The labelled children of the HTTP metrics by (method label, route, status): looked up
        # once, not on every request. Bounded like the labels: methods, route templates, codes.
        self._http_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # The accepted-events counter's children by label: the known names and ``custom``.
        self._accepted_children: dict[str, Any] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration (unknown methods as ``other``)."""
        key = (method_label(method), route, status)
        children = self._http_children.get(key)
        if children is None:
            children = (
                self.http_requests.labels(SERVICE, key[0], route, str(status)),
                self.http_response_time.labels(SERVICE, key[0], route),
            )
            self._http_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def count_accepted(self, name: str, n: int) -> None:
        """Count ``n`` accepted events named ``name`` (unknown names as ``custom``)."""
        label = accepted_label(name)
        child = self._accepted_children.get(label)
        if child is None:
            child = self._accepted_children[label] = self.events_accepted.labels(label)
        child.inc(n)


def method_label(method: str) -> str:
    """The ``method`` label: a standard HTTP method, else ``other`` (labels stay bounded)."""
    return method if method in KNOWN_METHODS else "other"


def accepted_label(name: str) -> str:
    """The ``event`` label of the accepted-events counter: known names, else ``custom``."""
    return name if name in KNOWN_EVENTS else "custom"
