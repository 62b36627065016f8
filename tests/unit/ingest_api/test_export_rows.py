"""Rows in the export's schema, in Arrow batches, shared by the exporters' unit tests; and the
conversion of what ClickHouse sends into that schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from ingest_api.reports.export_query import EXPORT_SCHEMA, conform

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


def test_conform_turns_server_binary_and_dictionary_columns_into_the_export_schema() -> None:
    data = rows(3)
    typed = pa.RecordBatch.from_pylist(data, schema=EXPORT_SCHEMA)
    columns = []
    for field in EXPORT_SCHEMA:
        column = typed.column(field.name)
        if field.name == "event":
            column = column.dictionary_encode()
        elif pa.types.is_string(field.type):
            column = column.cast(pa.binary())
        columns.append(column)
    as_sent = pa.RecordBatch.from_arrays(columns, names=EXPORT_SCHEMA.names)
    conformed = conform(as_sent)
    assert conformed.schema.equals(EXPORT_SCHEMA)
    assert conformed.to_pylist() == data
