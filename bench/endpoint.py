"""Endpoint overhead: the embedded endpoint through clickhouse-connect beside chDB in-process.

Both sides run the same chDB build on their own data directories: the endpoint as its own
process (``python -m clickhouse.server``), the in-process side through ``chdb.connect`` in this
script. Small queries show the per-request overhead (p50 over many iterations); a 1M-row
Native insert and select show the throughput cost, as ratios to the in-process figures. The
``raw`` figures move the same Native bytes over HTTP without clickhouse-connect's encoding or
decoding, which separates the endpoint's own cost from the client library's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import chdb
from clickhouse_connect.driver.client import Client

from bench.config import BenchSettings
from bench.services import clickhouse_endpoint, long_running, migrated
from bench.stats import latency_summary, median, rate, ratio, repeat, timed
from clickhouse.client import writer_client

DATABASE = "pulse_bench"
TABLE = "rows"
COLUMNS = ["event_id", "user_id", "ts", "event", "value"]
CREATE = f"""CREATE TABLE IF NOT EXISTS {DATABASE}.{TABLE}
(event_id UUID, user_id String, ts DateTime64(3, 'UTC'), event LowCardinality(String),
 value Float64)
ENGINE = MergeTree ORDER BY (user_id, ts)"""
SMALL = {
    "select_1": "SELECT 1",
    "tiny_aggregation": "SELECT count(), sum(number) FROM numbers(1000)",
}


def rows_sql(rows: int) -> str:
    """``rows`` event-shaped rows, the payload of the insert and select runs."""
    return f"""SELECT generateUUIDv4(number), concat('student-', toString(number % 50000)),
    toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 37),
    ['assignment.heartbeat', 'llm.call', 'user.login'][1 + number % 3], number / 7
    FROM numbers({rows})"""


class InProcess:
    """chDB in this process on its own data directory, with the bench table."""

    def __init__(self, data_dir: Path) -> None:
        self.conn = chdb.connect(str(data_dir))
        self.conn.query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        self.conn.query(CREATE)

    def query(self, sql: str) -> bytes:
        return bytes(self.conn.query(sql, "Native").bytes())

    def insert(self, native: bytes) -> None:
        inserter = self.conn.send_insert(f"INSERT INTO {DATABASE}.{TABLE}", "Native")
        inserter.append(native)
        inserter.finish()

    def truncate(self) -> None:
        self.conn.query(f"TRUNCATE TABLE {DATABASE}.{TABLE}")

    def close(self) -> None:
        self.conn.close()


def _rows(client: Client, sql: str) -> object:
    return client.query(sql).result_rows


def _small_queries(local: InProcess, client: Client, iterations: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, sql in SMALL.items():
        inproc = latency_summary(repeat(partial(local.query, sql), iterations, warmup=20))
        endpoint = latency_summary(repeat(partial(_rows, client, sql), iterations, warmup=20))
        results[name] = {
            "in_process": inproc,
            "endpoint": endpoint,
            "overhead_p50_ms": round(endpoint["p50_ms"] - inproc["p50_ms"], 3),
            "p50_ratio_endpoint_vs_in_process": ratio(endpoint["p50_ms"], inproc["p50_ms"]),
        }
    return results


def _throughput(
    action: Callable[[], object], reset: Callable[[], object], rows: int, runs: int
) -> float:
    """Median rows/s of ``action`` over ``runs`` runs, ``reset`` (untimed) before each."""
    durations = []
    for _ in range(runs):
        reset()
        durations.append(timed(action)[0])
    return rate(rows, median(durations))


def _bulk(local: InProcess, client: Client, rows: int, runs: int) -> dict[str, Any]:
    native = local.query(rows_sql(rows))
    columns = client.query(rows_sql(rows)).result_columns

    def truncate_remote() -> None:
        client.command(f"TRUNCATE TABLE {TABLE}")

    figures = {
        "insert_in_process": _throughput(lambda: local.insert(native), local.truncate, rows, runs),
        "insert_endpoint_raw_native": _throughput(
            lambda: client.raw_insert(TABLE, COLUMNS, insert_block=native, fmt="Native"),
            truncate_remote,
            rows,
            runs,
        ),
        "insert_endpoint_clickhouse_connect": _throughput(
            lambda: client.insert(TABLE, columns, column_names=COLUMNS, column_oriented=True),
            truncate_remote,
            rows,
            runs,
        ),
    }
    select = f"SELECT * FROM {TABLE}"
    figures["select_in_process"] = _throughput(
        lambda: local.query(f"SELECT * FROM {DATABASE}.{TABLE}"), lambda: None, rows, runs
    )
    figures["select_endpoint_raw_native"] = _throughput(
        lambda: client.raw_query(select, fmt="Native"), lambda: None, rows, runs
    )
    figures["select_endpoint_clickhouse_connect"] = _throughput(
        lambda: client.query(select).result_columns, lambda: None, rows, runs
    )
    return {
        "rows": rows,
        "native_bytes": len(native),
        "rows_per_s": figures,
        "ratios_vs_in_process": {
            name: ratio(value, figures[name.split("_endpoint")[0] + "_in_process"])
            for name, value in figures.items()
            if "_endpoint" in name
        },
    }


def run(cfg: BenchSettings) -> dict[str, Any]:
    """The whole section, in a temporary directory: small queries, then bulk insert/select."""
    with tempfile.TemporaryDirectory(prefix="pulse-bench-endpoint-") as tmp:
        work = Path(tmp)
        local = InProcess(work / "in-process")
        try:
            with clickhouse_endpoint(work / "endpoint") as url:
                client = long_running(writer_client(settings=migrated(url, DATABASE)), read_s=600)
                try:
                    client.command(CREATE)
                    return {
                        "client_compression": str(getattr(client, "compression", None)),
                        "small_queries": _small_queries(local, client, cfg.endpoint_iterations),
                        "bulk": _bulk(local, client, cfg.endpoint_rows, cfg.endpoint_runs),
                    }
                finally:
                    client.close()
        finally:
            local.close()
