"""Kafka's own producer benchmark (ProducerPerformance from kafka-tools), the ceiling for ingest."""

from __future__ import annotations

import re
import subprocess

from pulse.local.kafka import KafkaNode

SUMMARY = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), "
    r"([\d.]+) ms avg latency, ([\d.]+) ms max latency"
)


def producer_performance(node: KafkaNode, topic: str, records: int, size: int) -> dict[str, float]:
    """Run ProducerPerformance with the API's producer settings (acks=all, lz4, idempotence)."""
    argv = node.java(
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--record-size",
        str(size),
        "--throughput",
        "-1",
        "--producer-props",
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
        "records_per_s": float(per_s),
        "mb_per_s": float(mb_s),
        "avg_latency_ms": float(avg_ms),
        "max_latency_ms": float(max_ms),
    }
