"""Prometheus metrics of the stream worker, served at GET /metrics on the worker's web port."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

DAU = Gauge(
    "pulse_dau", "Distinct users with an event in the window ending now", ["window"],
    registry=REGISTRY,
)
LLM_CALLS = Counter("llm_calls", "llm.call events processed", ["model"], registry=REGISTRY)
LLM_COST = Counter("llm_cost_usd", "Cost of llm.call events, USD", ["model"], registry=REGISTRY)
LLM_TOKENS = Counter(
    "llm_tokens", "Tokens of llm.call events", ["model", "kind"], registry=REGISTRY
)
SINK_BATCH_SIZE = Histogram(
    "sink_batch_size", "Rows per ClickHouse insert", ["table"], registry=REGISTRY,
    buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000),
)
SINK_BATCH_LATENCY = Histogram(
    "sink_batch_latency_seconds", "Duration of one ClickHouse insert, retries included",
    ["table"], registry=REGISTRY,
)
SINK_ROWS = Counter(
    "sink_rows_written", "Rows ClickHouse confirmed", ["table"], registry=REGISTRY
)
SINK_RETRIES = Counter(
    "sink_write_retries", "Failed ClickHouse inserts that were retried", ["table"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "dead_letters", "Messages sent to the dead-letter topic", ["reason"], registry=REGISTRY
)
CONSUMER_LAG = Gauge(
    "kafka_consumer_lag", "Messages between the high watermark and the worker's position",
    ["topic", "partition"], registry=REGISTRY,
)
