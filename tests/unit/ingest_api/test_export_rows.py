"""Rows in the export's schema, in Arrow batches, shared by the exporters' unit tests; and the
conversion of ClickHouse's blocks into that schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from ingest_api.reports.export_query import EXPORT_SCHEMA, to_batch

START = datetime(2026, 11, 20, 14, 3, 7, 120_000, tzinfo=UTC)


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"00000000-0000-4000-8000-{i:012d}",
            "event": "assignment.viewed",
            "user_id": f"student-{i % 7}",
            "timestamp": START + timedelta(seconds=i),
            "received_at": START + timedelta(seconds=i, milliseconds=5),
            "source": "web",
            "session_id": f"s-{i}",
            "subject": "math",
            "assignment_id": "hw-7",
            "metadata": '{"assignment_id": "hw-7", "subject": "math, \\"algebra\\""}',
            "request_id": "r-1",
        }
        for i in range(count)
    ]


async def batches_of(data: list[dict[str, Any]], size: int) -> AsyncIterator[pa.RecordBatch]:
    for i in range(0, len(data), size):
        yield pa.RecordBatch.from_pylist(data[i : i + size], schema=EXPORT_SCHEMA)


async def collect(chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in chunks]


def test_to_batch_reads_a_native_block_with_naive_timestamps_as_utc() -> None:
    data = rows(3)
    block = [[r[name] for r in data] for name in EXPORT_SCHEMA.names]
    naive = EXPORT_SCHEMA.names.index("timestamp")
    block[naive] = [ts.replace(tzinfo=None) for ts in block[naive]]
    batch = to_batch(block)
    assert batch.schema.equals(EXPORT_SCHEMA)
    assert batch.to_pylist() == data
