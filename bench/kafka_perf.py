"""Kafka's own producer benchmark (ProducerPerformance from kafka-tools), the ceiling for ingest.

It sends the API's own records (``--payload-file``: EventRecord JSON exactly as the API puts it
on Kafka, so the record size and how well lz4 compresses them are the API's) with the API's
producer settings: acks=all, lz4, idempotence.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.loadgen import event
from ingest_api.records import to_messages
from ingest_api.verdicts import judge
from pulse.local.kafka import KafkaNode

SUMMARY = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), "
    r"([\d.]+) ms avg latency, ([\d.]+) ms max latency"
)


def api_records(count: int = 1000) -> list[bytes]:
    """``count`` Kafka values as the API writes them for the bench's generated events."""
    items = [event(i) for i in range(count)]
    verdicts = judge(items, datetime.now(UTC), "bench-request-id")
    return [m.value for m in to_messages(verdicts.records)]


def producer_performance(
    node: KafkaNode, topic: str, records: int, work: Path, transaction_ms: int | None = None
) -> dict[str, Any]:
    """Run ProducerPerformance on the API's records with the API's producer settings.

    With ``transaction_ms``, it commits a transaction every that many milliseconds (as the
    API's group commit would), otherwise it is an idempotent acks=all producer.
    """
    values = api_records()
    payload = work / "api-records.jsonl"
    payload.write_bytes(b"\n".join(values) + b"\n")
    extra = [] if transaction_ms is None else ["--transaction-duration-ms", str(transaction_ms)]
    argv = node.java(
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--payload-file",
        str(payload),
        "--throughput",
        "-1",
        *extra,
        "--command-property",
        f"bootstrap.servers={node.bootstrap}",
        "acks=all",
        "compression.type=lz4",
        "enable.idempotence=true",
        "linger.ms=5",
    )
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600).stdout
    match = SUMMARY.findall(out)
    if not match:
        raise RuntimeError(f"unexpected ProducerPerformance output:\n{out[-2000:]}")
    sent, per_s, mb_s, avg_ms, max_ms = match[-1]
    return {
        "records": int(sent),
        "record_bytes": round(sum(map(len, values)) / len(values)),
        "records_per_s": float(per_s),
        "mb_per_s": float(mb_s),
        "avg_latency_ms": float(avg_ms),
        "max_latency_ms": float(max_ms),
        "transaction_ms": transaction_ms,
    }
