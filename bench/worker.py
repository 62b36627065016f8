"""Worker throughput: one `python -m stream_processors` draining a pre-loaded topic into ClickHouse.

A private broker and endpoint are started; ``worker_events`` generated events are produced to
``pulse.events.v1`` exactly as the ingest API writes them; the bare aiokafka consume rate of
that topic (and the rate with the worker's decoding) is measured as the ceiling; then ONE
worker is started and timed until every event is in ``events_store``. Where the worker's time
went is read from its own /metrics (sink and rollup-refresh seconds, its CPU seconds) and from
the endpoint's CPU time, so a slow figure says which side was busy.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from clickhouse_connect.driver.client import Client
from loguru import logger
from prometheus_client.parser import text_string_to_metric_families

from bench.config import BenchSettings
from bench.kafka_load import consume, produce, reader, workload_messages
from bench.services import clickhouse_endpoint, kafka_broker, migrated
from bench.stats import rate, timed
from clickhouse.client import writer_client
from core.kafka_admin import ensure_topics
from core.settings import DLQ_TOPIC, EVENTS_TOPIC, SharedSettings
from pulse.local.ports import free_port
from pulse.local.process import ManagedProcess, StartupError, wait_until
from pulse.local.stack import http_ok
from stream_processors import collector
from stream_processors.decoding import decode_values

DATABASE = "pulse"
PARTITIONS = 6


def _count(client: Client) -> int:
    return int(str(client.command("SELECT count() FROM events_store")))


async def _consume_batch_decoded(bootstrap: str, expected: int) -> tuple[int, float]:
    """As ``kafka_load.consume(decode=True)``, with each fetch decoded as the worker decodes a
    batch (``decoding.decode_values``, one pass), not message by message, with the garbage
    collector set as the worker sets it (``collector.tune``); (messages, seconds)."""
    consumer = reader(bootstrap, EVENTS_TOPIC)
    await consumer.start()
    thresholds = collector.tune()
    try:
        seen = 0
        start = time.perf_counter()
        deadline = start + 600.0
        while seen < expected and time.perf_counter() < deadline:
            batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            values = [r.value for records in batches.values() for r in records]
            seen += len(values)
            decode_values(values)
        return seen, time.perf_counter() - start
    finally:
        await consumer.stop()
        collector.restore(thresholds)


def _worker(work: Path, shared: SharedSettings, port: int) -> ManagedProcess:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": shared.kafka_bootstrap_servers,
        "CLICKHOUSE_URL": shared.clickhouse_url,
        "CLICKHOUSE_DATABASE": DATABASE,
        "PULSE_WORKER_APP_ID": f"pulse-bench-{secrets.token_hex(4)}",
        "PULSE_WORKER_PORT": str(port),
        "PULSE_DATA_DIR": str(work / "worker"),
        "PULSE_EVENTS_PARTITIONS": str(PARTITIONS),
        "PYTHONUNBUFFERED": "1",
    }
    proc = ManagedProcess("stream_worker", work / "worker.pid", work / "worker.log")
    proc.spawn([sys.executable, "-m", "stream_processors"], env=env, cwd=work)
    return proc


def _metric_sums(port: int) -> dict[str, float]:
    """Totals from the worker's /metrics: seconds in the sink and the rollup refresh, CPU."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    wanted = {
        "process_cpu_seconds_total": "worker_cpu_seconds",
        "sink_batch_latency_seconds_sum": "sink_seconds_by_table",
        "sink_batch_size_count": "inserts",
        "rollup_refresh_latency_seconds_sum": "rollup_refresh_seconds",
        "rollup_refresh_latency_seconds_count": "rollup_refreshes",
    }
    sums: dict[str, Any] = {"sink_seconds_by_table": {}}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name = wanted.get(sample.name)
            if name == "sink_seconds_by_table":
                sums[name][sample.labels["table"]] = round(sample.value, 2)
            elif name is not None:
                sums[name] = round(sums.get(name, 0.0) + sample.value, 2)
    return sums


FLOOR_RATE = 20
FLOOR_EVENTS = 200
_FLOOR_PARTS = {
    "worker_batch_wait_seconds": "send_to_batch_start",
    "worker_batch_write_seconds": "batch_facts_stored",
    "rollup_refresh_latency_seconds": "rollup_refresh",
}


def _histograms(port: int) -> dict[str, tuple[float, float]]:
    """(sum, count) of the freshness histograms (the wait: of each batch's newest message)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    found: dict[str, tuple[float, float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in _FLOOR_PARTS:
            continue
        samples = [s for s in family.samples if s.labels.get("message", "newest") == "newest"]
        total = sum(s.value for s in samples if s.name.endswith("_sum"))
        count = sum(s.value for s in samples if s.name.endswith("_count"))
        found[_FLOOR_PARTS[family.name]] = (total, count)
    return found


async def _trickle(bootstrap: str, messages: list[Any], rate: float) -> list[float]:
    """Send ``messages`` one transaction each at ``rate``/s; each transaction's duration."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        transactional_id=f"bench-floor-{secrets.token_hex(4)}",
    )
    await producer.start()
    took = []
    try:
        start = time.perf_counter()
        for i, m in enumerate(messages):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            began = time.perf_counter()
            await producer.begin_transaction()
            value = orjson.loads(m.value) | {"event_id": str(uuid.uuid4())}  # never a repeat
            await producer.send(EVENTS_TOPIC, orjson.dumps(value), key=m.key, headers=m.headers)
            await producer.commit_transaction()
            took.append(time.perf_counter() - began)
    finally:
        await producer.stop()
    return took


def _floor(shared: SharedSettings, client: Client, port: int, users: int) -> dict[str, Any]:
    """The parts of freshness at a trickle (``FLOOR_RATE``/s) once the backlog is drained:
    the producer's transaction, send to batch start (transaction, fetch), facts stored, and
    the rollup recompute that runs before the next batch is stored (means, ms)."""
    stored = _count(client)
    before = _histograms(port)
    messages = list(workload_messages(FLOOR_EVENTS, users))
    took = asyncio.run(_trickle(shared.kafka_bootstrap_servers, messages, FLOOR_RATE))
    wait_until(lambda: _count(client) >= stored + len(messages), 60, "the trickle stored")
    after = _histograms(port)
    parts = {"transaction_commit": round(1000 * sum(took) / len(took), 1)}
    for name, (total, count) in after.items():
        then_total, then_count = before.get(name, (0.0, 0.0))
        if count > then_count:
            parts[name] = round(1000 * (total - then_total) / (count - then_count), 1)
    return {"rate_events_per_s": FLOOR_RATE, "events": len(messages), "mean_ms": parts}


def _cpu_seconds(pid_file: Path) -> float:
    """User + system CPU seconds of the process whose pid is in ``pid_file`` (0 if unknown)."""
    try:
        fields = Path(f"/proc/{int(pid_file.read_text())}/stat").read_text().rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return 0.0


def _drain(
    work: Path, shared: SharedSettings, events: int, users: int, timeout: float
) -> dict[str, Any]:
    """Start one worker; the moments it was ready, sank its first row and sank all ``events``."""
    client = writer_client(settings=shared)
    port = free_port()
    start = time.perf_counter()
    proc = _worker(work, shared, port)
    marks: dict[str, float] = {}
    endpoint_pid = work / "clickhouse" / "clickhouse.pid"
    endpoint_cpu = _cpu_seconds(endpoint_pid)

    def progress() -> bool:
        now = time.perf_counter()
        if "ready" not in marks and http_ok(f"http://127.0.0.1:{port}/metrics"):
            marks["ready"] = now
        count = _count(client)
        if count and "first_row" not in marks:
            marks["first_row"] = now
        return count >= events

    try:
        wait_until(
            progress,
            timeout,
            "the worker sinking every event",
            alive=proc.is_running,
            interval=0.25,
        )
        marks["all_rows"] = time.perf_counter()
        breakdown = _metric_sums(port)
        breakdown["endpoint_cpu_seconds"] = round(_cpu_seconds(endpoint_pid) - endpoint_cpu, 2)
        unique = int(str(client.command("SELECT uniqExact(event_id) FROM events_store")))
        floor = _floor(shared, client, port, users)
    except StartupError as exc:
        raise StartupError(f"{exc}; see {proc.log_file}") from None
    finally:
        proc.stop(grace=20)
        client.close()
    return {
        "seconds_from_spawn": {k: round(v - start, 2) for k, v in marks.items()},
        "unique_events_stored": unique,
        "breakdown": breakdown,
        "freshness_floor": floor,
    }


def _figures(events: int, drain: dict[str, Any]) -> dict[str, Any]:
    marks = drain["seconds_from_spawn"]
    return drain | {
        "events_per_s": rate(events, marks["all_rows"] - marks["first_row"]),
        "events_per_s_including_startup": rate(events, marks["all_rows"]),
    }


def run(cfg: BenchSettings) -> dict[str, Any]:
    """The whole section, in a temporary directory with its own broker and endpoint."""
    n = cfg.worker_events
    with tempfile.TemporaryDirectory(prefix="pulse-bench-worker-") as tmp:
        work = Path(tmp)
        with (
            kafka_broker(work, PARTITIONS) as bootstrap,
            clickhouse_endpoint(work / "clickhouse") as url,
        ):
            shared = migrated(url, DATABASE, kafka=bootstrap)
            asyncio.run(ensure_topics(bootstrap, {EVENTS_TOPIC: PARTITIONS, DLQ_TOPIC: 1}))
            prepare_s, messages = timed(lambda: list(workload_messages(n, cfg.worker_users)))
            produce_s = asyncio.run(produce(bootstrap, EVENTS_TOPIC, messages))
            del messages
            bare_n, bare_s = asyncio.run(consume(bootstrap, EVENTS_TOPIC, n, decode=False))
            dec_n, dec_s = asyncio.run(consume(bootstrap, EVENTS_TOPIC, n, decode=True))
            batch_n, batch_s = asyncio.run(_consume_batch_decoded(bootstrap, n))
            drain = _drain(work, shared, n, cfg.worker_users, cfg.worker_timeout)
    result = {
        "events": n,
        "partitions": PARTITIONS,
        "prepare_seconds": round(prepare_s, 1),
        "produce_events_per_s": rate(n, produce_s),
        "bare_consume_events_per_s": rate(bare_n, bare_s),
        "consume_and_decode_events_per_s": rate(dec_n, dec_s),
        "consume_and_batch_decode_events_per_s": rate(batch_n, batch_s),
    }
    result |= _figures(n, drain)
    result["worker_vs_bare_consume"] = round(
        result["events_per_s"] / result["bare_consume_events_per_s"], 3
    )
    result["worker_vs_consume_and_decode"] = round(
        result["events_per_s"] / result["consume_and_decode_events_per_s"], 3
    )
    result["worker_vs_consume_and_batch_decode"] = round(
        result["events_per_s"] / result["consume_and_batch_decode_events_per_s"], 3
    )
    logger.info(
        "worker {:,.0f} events/s = {:.3f} x bare consume + decode ({:,.0f}/s), {:.3f} x consume "
        "+ one-pass batch decode ({:,.0f}/s); breakdown {}; freshness floor {}",
        result["events_per_s"],
        result["worker_vs_consume_and_decode"],
        result["consume_and_decode_events_per_s"],
        result["worker_vs_consume_and_batch_decode"],
        result["consume_and_batch_decode_events_per_s"],
        drain["breakdown"],
        drain["freshness_floor"],
    )
    return result
