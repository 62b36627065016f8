"""Writing through the endpoint: Native inserts (lz4 by default), raw and compressed bodies."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import httpx
import pytest
from backports import zstd
from clickhouse_connect.driver.client import Client

from tests.stack import ClickHouseEndpoint

ROWS = [[i, f"name-{i}", datetime(2026, 11, 20, 14, 3, 7, 120000, tzinfo=UTC)] for i in range(5000)]


def test_native_insert_lands_every_row(writer: Client, events_table: str) -> None:
    summary = writer.insert(events_table, ROWS, column_names=["id", "name", "ts"])

    assert summary.written_rows == 5000
    count, total, newest = writer.query("SELECT count(), sum(id), max(ts) FROM events").result_rows[
        0
    ]
    assert (count, total) == (5000, sum(range(5000)))
    assert newest.replace(tzinfo=UTC) == ROWS[0][2]


@pytest.mark.parametrize("compression", ["lz4", "zstd", "gzip", False])
def test_insert_works_with_every_body_compression(
    clickhouse_endpoint: ClickHouseEndpoint, database: str, compression: str | bool
) -> None:
    client = clickhouse_endpoint.client(database=database, compress=compression)
    client.command("CREATE TABLE t (id UInt64, name String) ENGINE = MergeTree ORDER BY id")
    client.insert("t", [[i, str(i)] for i in range(300_000)], column_names=["id", "name"])
    assert client.command("SELECT count() FROM t") == 300_000
    client.close()


def test_raw_insert_takes_text_formats(writer: Client, events_table: str) -> None:
    writer.raw_insert(
        events_table,
        ["id", "name", "ts"],
        "1,one,2026-11-20 00:00:00\n2,two,2026-11-20 00:00:01\n",
        fmt="CSV",
    )
    assert writer.query("SELECT id, name FROM events ORDER BY id").result_rows == [
        (1, "one"),
        (2, "two"),
    ]


def test_values_insert_with_statement_in_url(
    clickhouse_endpoint: ClickHouseEndpoint, writer: Client, database: str, events_table: str
) -> None:
    response = httpx.post(
        f"{clickhouse_endpoint.url}/?database={database}&query=INSERT+INTO+events+(id,name)+VALUES",
        auth=clickhouse_endpoint.auth,
        content=b"(7, 'seven'), (8, 'eight')",
    )
    assert response.status_code == 200, response.text
    assert writer.command("SELECT count() FROM events") == 2


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("zstd", zstd.compress)],
)
def test_compressed_body_with_statement_and_data(
    clickhouse_endpoint: ClickHouseEndpoint,
    writer: Client,
    database: str,
    events_table: str,
    encoding: str,
    compress: object,
) -> None:
    body = b"INSERT INTO events (id, name) FORMAT TSV\n" + b"".join(
        f"{i}\tn{i}\n".encode() for i in range(200)
    )
    response = httpx.post(
        f"{clickhouse_endpoint.url}/?database={database}",
        auth=clickhouse_endpoint.auth,
        content=compress(body),  # type: ignore[operator]
        headers={"Content-Encoding": encoding},
    )
    assert response.status_code == 200, response.text
    assert '"written_rows":"200"' in response.headers["X-ClickHouse-Summary"]
    assert writer.command("SELECT count() FROM events") == 200
