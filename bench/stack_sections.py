"""The sections that share one private stack: ingest, freshness, bare FastAPI, Kafka's own ceiling.

Starts its own stack (Kafka, ClickHouse endpoint, API, worker) in a temporary directory on free
ports, so it never touches a running `pulse up`.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.config import BenchSettings
from bench.freshness import measure
from bench.ingest import empty_app, load
from bench.kafka_perf import producer_performance
from core.kafka_admin import ensure_topics
from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.kafka import KafkaNode
from pulse.local.ports import free_port
from pulse.local.stack import Stack

SECTIONS = ("ingest", "freshness", "bare_fastapi", "kafka")


def start_stack(work: Path, key: str, console: Console) -> tuple[Stack, KafkaNode]:
    kafka_port, ch_port = free_port(), free_port()
    shared = SharedSettings(
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{kafka_port}",
        CLICKHOUSE_URL=f"http://127.0.0.1:{ch_port}",
        CLICKHOUSE_DATABASE="pulse",
        PULSE_DATA_DIR=work,
    )
    settings = StackSettings(
        PULSE_API_PORT=free_port(), PULSE_WORKER_PORT=free_port(), PULSE_KAFKA_HEAP="1g"
    )
    stack = Stack(shared, settings, extra_env={"PULSE_API_KEYS": f"{key}:producer"})
    with console.status("starting a private stack for the benchmarks…"):
        stack.up()
    node = KafkaNode(data_dir=work / "kafka", port=kafka_port, controller_port=kafka_port + 1)
    return stack, node


def _run(
    cfg: BenchSettings,
    chosen: Collection[str],
    stack: Stack,
    node: KafkaNode,
    key: str,
    work: Path,
    console: Console,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    api = f"http://{stack.settings.api_host}:{stack.settings.api_port}"
    # Freshness first, on an idle pipeline: the ingest runs publish far more than one worker
    # sinks in the same time (see the worker section), and the backlog would delay every row.
    if "freshness" in chosen:
        with console.status("freshness at a steady rate…"):
            results["freshness"] = measure(
                api,
                key,
                "127.0.0.1",
                int(stack.shared.clickhouse_url.rsplit(":", 1)[1]),
                stack.shared.clickhouse_database,
                cfg.freshness_rate,
                cfg.freshness_seconds,
            )
    if "ingest" in chosen:
        results["ingest"] = []
        for batch, conc in sorted(cfg.concurrency.items()):
            with console.status(f"ingest: batches of {batch}, {conc} clients…"):
                results["ingest"].append(load(f"{api}/v1/events", key, batch, conc, cfg.seconds))
    if "bare_fastapi" in chosen:
        with empty_app(free_port(), work) as bare, console.status("bare FastAPI…"):
            results["bare_fastapi"] = load(
                f"{bare}/v1/events", key, 1, cfg.concurrency[1], cfg.seconds
            )
    if "kafka" in chosen:
        with console.status("Kafka ProducerPerformance…"):
            asyncio.run(ensure_topics(node.bootstrap, {"bench.perf": 6}))
            results["kafka"] = producer_performance(
                node, "bench.perf", cfg.kafka_records, cfg.record_size
            )
    return results


def run(cfg: BenchSettings, chosen: Collection[str], console: Console) -> dict[str, Any]:
    """Run the ``chosen`` stack sections on one private stack; their results by section."""
    key = "bench_" + secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
        work = Path(tmp)
        stack, node = start_stack(work, key, console)
        try:
            return _run(cfg, chosen, stack, node, key, work, console)
        finally:
            stack.down()


def ratios(results: dict[str, Any]) -> dict[str, float]:
    """The API against its ceilings, for whichever of the sections are present."""
    out: dict[str, float] = {}
    ingest = results.get("ingest") or []
    if ingest and results.get("kafka"):
        best = max(r["events_per_s"] for r in ingest)
        out["api_best_events_per_s_vs_kafka_records_per_s"] = round(
            best / results["kafka"]["records_per_s"], 3
        )
    single = next((r for r in ingest if r["batch"] == 1), None)
    if single and results.get("bare_fastapi"):
        out["api_single_event_rps_vs_bare_fastapi_rps"] = round(
            single["requests_per_s"] / results["bare_fastapi"]["requests_per_s"], 3
        )
    return out
