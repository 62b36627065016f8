"""The rows of an events export, streamed from ClickHouse as Arrow record batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from anyio import to_thread
from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.common import StreamContext

from ingest_api.reports.ranges import DateRange

_UTC_MS = pa.timestamp("ms", tz="UTC")

# Rows per batch handed to the writers (one CSV chunk, one Parquet row group), whatever the
# size of the blocks the server sends: chunks stay small and the first bytes leave early.
BATCH_ROWS = 32_768

# The export's columns, in order: the types every writer receives.
EXPORT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event", pa.string()),
        ("user_id", pa.string()),
        ("timestamp", _UTC_MS),
        ("received_at", _UTC_MS),
        ("source", pa.string()),
        ("session_id", pa.string()),
        ("subject", pa.string()),
        ("assignment_id", pa.string()),
        ("metadata", pa.string()),
        ("request_id", pa.string()),
    ]
)

_FILTER = """
FROM events
WHERE ts >= {since:DateTime64(3, 'UTC')} AND ts < {until:DateTime64(3, 'UTC')}
  AND ({event:Nullable(String)} IS NULL OR event = {event:Nullable(String)})
  AND ({user_id:Nullable(String)} IS NULL OR user_id = {user_id:Nullable(String)})
"""

EXPORT_SQL = (
    """
SELECT toString(event_id) AS event_id, toString(event) AS event, user_id, ts AS timestamp,
       received_at, toString(source) AS source, session_id, toString(subject) AS subject,
       assignment_id, metadata, request_id
"""
    + _FILTER
    + "ORDER BY ts, event_id"
)

COUNT_SQL = "SELECT count()" + _FILTER


@dataclass(frozen=True)
class ExportFilter:
    """Which events to export: a date range, optionally one event name and one user."""

    days: DateRange
    event: str | None = None
    user_id: str | None = None

    def parameters(self) -> dict[str, object]:
        """The server-side query parameters of this filter."""
        return {
            "since": self.days.since,
            "until": self.days.until,
            "event": self.event,
            "user_id": self.user_id,
        }


def to_batch(columns: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    """One block of columns (in :data:`EXPORT_SCHEMA`'s order) as an Arrow batch; timestamps
    without a time zone are UTC, as ClickHouse stores them."""
    arrays = [
        pa.array(column, type=field.type)
        for column, field in zip(columns, EXPORT_SCHEMA, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=EXPORT_SCHEMA)


async def count_rows(client: AsyncClient, where: ExportFilter) -> int:
    """How many rows the export of ``where`` has."""
    result = await client.query(COUNT_SQL, parameters=where.parameters())
    return int(result.result_rows[0][0])


async def open_export(client: AsyncClient, where: ExportFilter) -> StreamContext:
    """Start the export query of ``where``: the server has accepted it once this returns.

    The Native format, read block by block: a stream of blocks by design, whereas an
    ArrowStream answer of the embedded engine may be several Arrow streams end to end."""
    return await client.query_column_block_stream(EXPORT_SQL, parameters=where.parameters())


async def export_batches(stream: StreamContext) -> AsyncIterator[pa.RecordBatch]:
    """The rows of an opened export in ClickHouse's blocks, conformed to :data:`EXPORT_SCHEMA`."""
    async with stream:
        async for block in stream:
            batch = await to_thread.run_sync(to_batch, block)
            for offset in range(0, batch.num_rows, BATCH_ROWS):
                yield batch.slice(offset, BATCH_ROWS)
