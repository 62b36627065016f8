"""Prometheus metrics of the stream worker, served at GET /metrics on the worker's web port."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from loguru import logger
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from core.layout import Layout
from core.settings import shared_settings

REGISTRY = CollectorRegistry(auto_describe=True)
# process_cpu_seconds_total, process_resident_memory_bytes, ...: the dashboards chart them per job.
ProcessCollector(registry=REGISTRY)

DAU = Gauge(
    "pulse_dau",
    "Distinct users with an event in the window ending now",
    ["window"],
    registry=REGISTRY,
)
LLM_CALLS = Counter("llm_calls", "llm.call events processed", ["model"], registry=REGISTRY)
LLM_COST = Counter("llm_cost_usd", "Cost of llm.call events, USD", ["model"], registry=REGISTRY)
LLM_TOKENS = Counter(
    "llm_tokens", "Tokens of llm.call events", ["model", "kind"], registry=REGISTRY
)
SINK_BATCH_SIZE = Histogram(
    "sink_batch_size",
    "Rows per ClickHouse insert",
    ["table"],
    registry=REGISTRY,
    buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000),
)
SINK_BATCH_LATENCY = Histogram(
    "sink_batch_latency_seconds",
    "Duration of one ClickHouse insert, retries included",
    ["table"],
    registry=REGISTRY,
)
SINK_ROWS = Counter("sink_rows_written", "Rows ClickHouse confirmed", ["table"], registry=REGISTRY)
SINK_ROWS_REJECTED = Counter(
    "sink_rows_rejected",
    "Rows ClickHouse refused for good (their messages are dead-lettered)",
    ["table"],
    registry=REGISTRY,
)
SINK_RETRIES = Counter(
    "sink_write_retries",
    "Failed ClickHouse inserts that were retried",
    ["table"],
    registry=REGISTRY,
)
ROLLUP_REFRESH_LATENCY = Histogram(
    "rollup_refresh_latency_seconds",
    "Duration of recomputing the rollup keys of one stored batch, retries included",
    registry=REGISTRY,
)
ROLLUP_REFRESH_RETRIES = Counter(
    "rollup_refresh_retries",
    "Failed rollup recomputes that were retried",
    registry=REGISTRY,
)
ROLLUP_DEFERRED_REFRESHES = Counter(
    "rollup_deferred_refreshes",
    "Recomputes of old days' keys set aside over several batches (PULSE_ROLLUP_DEFER_SECONDS)",
    registry=REGISTRY,
)
ROLLUP_DEFERRED_MESSAGES = Gauge(
    "rollup_deferred_messages",
    "Messages whose acknowledgement waits for the deferred recompute of old days' keys",
    registry=REGISTRY,
)
BATCH_WAIT = Histogram(
    "worker_batch_wait_seconds",
    "From the Kafka record timestamp (the API's send) to the start of the batch holding it, for "
    "the batch's newest and oldest message: the transaction, the fetch and the inbox",
    ["message"],
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
)
BATCH_WRITE = Histogram(
    "worker_batch_write_seconds",
    "From the start of a batch to its facts stored (decode, rows and every table's insert)",
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
)
BATCH_EVENTS = Histogram(
    "worker_batch_events",
    "Messages per batch",
    registry=REGISTRY,
    buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000),
)
SETTLE_BATCHES = Histogram(
    "worker_settle_batches",
    "Stored batches whose rollup keys one refresh recomputed together",
    registry=REGISTRY,
    buckets=(1, 2, 3, 4, 6, 8, 12, 16),
)
DEAD_LETTERS = Counter(
    "dead_letters", "Messages sent to the dead-letter topic", ["reason"], registry=REGISTRY
)
# Every reason exists from the start at 0, so dashboards show 0 rather than "No data".
for _reason in ("not_json", "invalid_record", "schema_version", "clickhouse_rejected"):
    DEAD_LETTERS.labels(_reason)
CONSUMER_LAG = Gauge(
    "kafka_consumer_lag",
    "Messages between the high watermark and the worker's position",
    ["topic", "partition"],
    registry=REGISTRY,
)


DISK_COMPONENTS = ("kafka", "clickhouse")
DISK_REFRESH_SECONDS = 30.0


def disk_used_bytes(root: Path) -> int:
    """Bytes allocated to the files and directories under ``root``, as ``du`` counts them.

    Symbolic links inside the tree are not followed; entries that vanish during the walk (Kafka
    deletes segments, ClickHouse merges parts) are skipped. A missing ``root`` uses 0 bytes.
    """
    total = 0
    pending = [str(root)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    try:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                        if entry.is_dir(follow_symlinks=False):
                            pending.append(entry.path)
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def local_data_dirs() -> dict[str, Path]:
    """The data directories of Kafka and ClickHouse under PULSE_DATA_DIR that exist here."""
    layout = Layout(shared_settings())
    dirs = {component: layout.data(component) for component in DISK_COMPONENTS}
    return {component: path for component, path in dirs.items() if path.is_dir()}


class DiskUsageCollector(Collector):
    """``pulse_disk_used_bytes{component}``: bytes used by each data directory.

    A scrape never walks a tree: it reads the last figures, and when they are older than
    ``interval`` seconds it starts one walk in a background thread (the event loop serving
    /metrics is never blocked). The first scrape after start therefore has no sample yet.
    """

    def __init__(self, dirs: Callable[[], dict[str, Path]], interval: float) -> None:
        self._dirs = dirs
        self._interval = interval
        self._figures: dict[str, int] = {}
        self._taken = float("-inf")
        self._walking = False
        self._lock = threading.Lock()

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        self._refresh_if_stale()
        family = self._family()
        for component, used in sorted(self._figures.items()):
            family.add_metric([component], used)
        return [family]

    def refresh(self) -> dict[str, int]:
        """Walk every directory now; the figures the next scrapes will report."""
        try:
            self._figures = {name: disk_used_bytes(path) for name, path in self._dirs().items()}
        except Exception as exc:  # noqa: BLE001 - the old figures stay; the next scrape retries
            logger.warning("disk usage not measured: {}", exc)
        finally:
            with self._lock:
                self._taken = time.monotonic()
                self._walking = False
        return dict(self._figures)

    def _refresh_if_stale(self) -> None:
        with self._lock:
            if self._walking or time.monotonic() - self._taken < self._interval:
                return
            self._walking = True
        threading.Thread(target=self.refresh, name="pulse-disk-usage", daemon=True).start()

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "pulse_disk_used_bytes",
            "Bytes used under PULSE_DATA_DIR by each component",
            labels=["component"],
        )


DISK_USAGE = DiskUsageCollector(local_data_dirs, DISK_REFRESH_SECONDS)
REGISTRY.register(DISK_USAGE)
