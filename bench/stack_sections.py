"""The sections sharing one private stack: ingest, freshness, the empty endpoint, Kafka's ceiling.

Starts its own stack (Kafka, ClickHouse endpoint, API, worker) in a temporary directory on free
ports, so it never touches a running `pulse up`. HTTP load comes from wrk (bench/wrk.py); the
worker is stopped after the freshness run, so the API and its ceilings each have the machine.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import producer_modes
from bench.config import BenchSettings
from bench.freshness import Target, measure
from bench.ingest import empty_app, load
from bench.kafka_perf import producer_performance
from bench.stats import ratio
from core.kafka_admin import ensure_topics
from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.kafka import KafkaNode
from pulse.local.ports import free_port
from pulse.local.stack import Stack

SECTIONS = ("ingest", "freshness", "empty_endpoint", "kafka", "producer_modes")
SINGLE = 1


def start_stack(work: Path, key: str, console: Console, worker: bool) -> tuple[Stack, KafkaNode]:
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
    # The per-key rate limit would cap the load generator's single key: lift it for the bench.
    env = {
        "PULSE_API_KEYS": f"{key}:producer",
        "PULSE_API_RATE_LIMIT_PER_SECOND": "1000000000",
        "PULSE_API_RATE_LIMIT_BURST": "1000000000",
    }
    stack = Stack(shared, settings, extra_env=env)
    if not worker:  # only freshness needs one
        stack.parts = [p for p in stack.parts if p.name != "stream_worker"]
    with console.status("starting a private stack for the benchmarks…"):
        stack.up()
    node = KafkaNode(data_dir=work / "kafka", port=kafka_port, controller_port=kafka_port + 1)
    return stack, node


def _stop_worker(stack: Stack) -> None:
    """The worker off: ingest and its ceilings then share the two cores on equal terms."""
    for part in stack.parts:
        if part.name == "stream_worker":
            part.process.stop()


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
        with console.status("freshness at steady rates and at half the sustained maximum…"):
            target = Target(
                api,
                key,
                "127.0.0.1",
                int(stack.shared.clickhouse_url.rsplit(":", 1)[1]),
                stack.shared.clickhouse_database,
                f"http://{stack.settings.api_host}:{stack.settings.worker_port}",
            )
            results["freshness"] = measure(target, cfg.freshness_rates, cfg.freshness_seconds)
    _stop_worker(stack)
    # Each ceiling is measured before and after the ingest rows and their mean kept: on a
    # shared machine the load moves within a run, and bracketing the API halves the drift.
    ceilings: dict[str, list[dict[str, Any]]] = {"empty_endpoint": [], "kafka": []}

    def measure_ceilings() -> None:
        if "empty_endpoint" in chosen:
            with empty_app(free_port(), work) as bare, console.status("empty endpoint…"):
                ceilings["empty_endpoint"].append(
                    load(
                        f"{bare}/v1/events", key, SINGLE, cfg.concurrency[SINGLE], cfg.seconds, work
                    )
                )
        if "kafka" in chosen:
            with console.status("Kafka ProducerPerformance…"):
                asyncio.run(
                    ensure_topics(node.bootstrap, {"bench.perf": stack.shared.events_partitions})
                )
                ceilings["kafka"].append(
                    producer_performance(node, "bench.perf", cfg.kafka_records, work)
                )

    measure_ceilings()
    if "ingest" in chosen:
        results["ingest"] = []
        for batch, conc in sorted(cfg.concurrency.items()):
            with console.status(f"ingest: batches of {batch}, {conc} connections…"):
                results["ingest"].append(
                    load(f"{api}/v1/events", key, batch, conc, cfg.seconds, work)
                )
        measure_ceilings()
    for name, figure in (("empty_endpoint", "requests_per_s"), ("kafka", "records_per_s")):
        if ceilings[name]:
            results[name] = bracketed(ceilings[name], figure)
    if "producer_modes" in chosen:
        with console.status("a transaction per group against an idempotent producer…"):
            results["producer_modes"] = producer_modes.run(node.bootstrap, cfg.seconds / 2)
    return results


def bracketed(runs: list[dict[str, Any]], figure: str) -> dict[str, Any]:
    """The last run's figures, ``figure`` replaced by the mean of all runs (kept in ``runs``)."""
    values = [r[figure] for r in runs]
    return runs[-1] | {figure: round(sum(values) / len(values), 1), "runs": values}


def run(cfg: BenchSettings, chosen: Collection[str], console: Console) -> dict[str, Any]:
    """Run the ``chosen`` stack sections on one private stack; their results by section."""
    key = "bench_" + secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
        work = Path(tmp)
        stack, node = start_stack(work, key, console, worker="freshness" in chosen)
        try:
            return _run(cfg, chosen, stack, node, key, work, console)
        finally:
            stack.down()


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """Each measured figure against its ceiling from the same run, where both are present."""
    out: dict[str, float | None] = {}
    kafka = (results.get("kafka") or {}).get("records_per_s")
    empty = (results.get("empty_endpoint") or {}).get("requests_per_s")
    for r in results.get("ingest") or []:
        if r["batch"] == SINGLE and empty:
            out["ingest_single_rps_vs_empty_endpoint_rps"] = ratio(r["requests_per_s"], empty)
        elif r["batch"] != SINGLE and kafka:
            out[f"ingest_batch_{r['batch']}_vs_kafka_producer_perf"] = ratio(
                r["events_per_s"], kafka
            )
    worker = results.get("worker") or {}
    if worker.get("consume_and_decode_events_per_s"):
        out["worker_vs_consume_and_decode"] = ratio(
            worker["events_per_s"], worker["consume_and_decode_events_per_s"]
        )
    return out
