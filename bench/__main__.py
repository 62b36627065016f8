"""`make bench`: ingest throughput, freshness, and the same run's ceilings (Kafka, bare FastAPI).

Starts its own stack (Kafka, ClickHouse endpoint, API, worker) in a temporary directory on free
ports, so it never touches a running `pulse up`. Writes bench/results/latest.json.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from bench.config import BenchSettings
from bench.freshness import measure
from bench.ingest import empty_app, load
from bench.kafka_perf import producer_performance
from pulse.local.config import StackSettings
from pulse.local.kafka import KafkaNode
from pulse.local.ports import free_port
from pulse.local.stack import Stack
from pulse.local.topics import create_topics
from pulse.settings import SharedSettings

RESULTS = Path(__file__).parent / "results" / "latest.json"
console = Console()


def start_stack(work: Path, key: str) -> tuple[Stack, KafkaNode]:
    kafka_port, ch_port = free_port(), free_port()
    shared = SharedSettings(
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{kafka_port}",
        CLICKHOUSE_URL=f"http://127.0.0.1:{ch_port}",
        CLICKHOUSE_DATABASE="pulse",
        PULSE_DATA_DIR=work,
    )
    settings = StackSettings(PULSE_API_PORT=free_port(), PULSE_WORKER_PORT=free_port(),
                             PULSE_KAFKA_HEAP="1g")
    stack = Stack(shared, settings, extra_env={"PULSE_API_KEYS": f"{key}:producer"})
    with console.status("starting a private stack for the benchmarks…"):
        stack.up()
    node = KafkaNode(data_dir=work / "kafka", port=kafka_port, controller_port=kafka_port + 1)
    return stack, node


def run_all(cfg: BenchSettings) -> dict[str, Any]:
    key = "bench_" + secrets.token_hex(8)
    results: dict[str, Any] = {"ingest": [], "bare_fastapi": {}, "kafka": {}, "freshness": {}}
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
        work = Path(tmp)
        stack, node = start_stack(work, key)
        try:
            api = f"http://{stack.settings.api_host}:{stack.settings.api_port}"
            for batch, conc in sorted(cfg.concurrency.items()):
                with console.status(f"ingest: batches of {batch}, {conc} clients…"):
                    run = load(f"{api}/v1/events", key, batch, conc, cfg.seconds)
                    results["ingest"].append(run)
            with console.status("freshness at a steady rate…"):
                results["freshness"] = measure(
                    api, key, "127.0.0.1", int(stack.shared.clickhouse_url.rsplit(":", 1)[1]),
                    stack.shared.clickhouse_database, cfg.freshness_rate, cfg.freshness_seconds,
                )
            with empty_app(free_port(), work) as bare, console.status("bare FastAPI…"):
                results["bare_fastapi"] = load(
                    f"{bare}/v1/events", key, 1, cfg.concurrency[1], cfg.seconds
                )
            with console.status("Kafka ProducerPerformance…"):
                asyncio.run(create_topics(node.bootstrap, {"bench.perf": 6}))
                results["kafka"] = producer_performance(
                    node, "bench.perf", cfg.kafka_records, cfg.record_size
                )
        finally:
            stack.down()
    best = max(r["events_per_s"] for r in results["ingest"])
    single = next(r for r in results["ingest"] if r["batch"] == 1)
    results["ratios"] = {
        "api_best_events_per_s_vs_kafka_records_per_s": round(
            best / results["kafka"]["records_per_s"], 3),
        "api_single_event_rps_vs_bare_fastapi_rps": round(
            single["requests_per_s"] / results["bare_fastapi"]["requests_per_s"], 3),
    }
    return results


def show(results: dict[str, Any]) -> None:
    table = Table("measure", "value", title="Pulse benchmarks")
    for r in results["ingest"]:
        table.add_row(f"ingest, batch {r['batch']} × {r['concurrency']} clients",
                      f"{r['events_per_s']:,.0f} events/s ({r['requests_per_s']:,.0f} req/s, "
                      f"p99 {r['p99_ms']} ms, errors {r['errors']})")
    bare = results["bare_fastapi"]
    table.add_row("bare FastAPI, 1 event/request", f"{bare['requests_per_s']:,.0f} req/s")
    k = results["kafka"]
    table.add_row("Kafka ProducerPerformance", f"{k['records_per_s']:,.0f} records/s "
                  f"({k['mb_per_s']} MB/s)")
    f = results["freshness"]
    table.add_row(f"freshness at {f['rate_events_per_s']} events/s",
                  f"p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, p99 {f['p99_ms']} ms "
                  f"({f['visible']}/{f['events']} visible)")
    for name, value in results["ratios"].items():
        table.add_row(name.replace("_", " "), f"{value:.3f}")
    console.print(table)


def main() -> None:
    results = run_all(BenchSettings())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    show(results)
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
