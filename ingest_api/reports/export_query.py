"""The rows of an events export, streamed from ClickHouse as Arrow record batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pyarrow as pa
from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.common import StreamContext

from ingest_api.reports.ranges import DateRange

_UTC_MS = pa.timestamp("ms", tz="UTC")

# The export's columns, in order; every batch is cast to this schema whatever the server's
# Arrow settings (String as binary or string, LowCardinality as dictionary or not).
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


def conform(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with the export's column types (strings as UTF-8, timestamps in UTC ms)."""
    columns = [batch.column(field.name).cast(field.type) for field in EXPORT_SCHEMA]
    return pa.RecordBatch.from_arrays(columns, schema=EXPORT_SCHEMA)


async def count_rows(client: AsyncClient, where: ExportFilter) -> int:
    """How many rows the export of ``where`` has."""
    result = await client.query(COUNT_SQL, parameters=where.parameters())
    return int(result.result_rows[0][0])


async def open_export(client: AsyncClient, where: ExportFilter) -> StreamContext:
    """Start the export query of ``where``: the server has accepted it once this returns."""
    return await client.query_arrow_stream(EXPORT_SQL, parameters=where.parameters())


async def export_batches(stream: StreamContext) -> AsyncIterator[pa.RecordBatch]:
    """The rows of an opened export in ClickHouse's blocks, conformed to :data:`EXPORT_SCHEMA`."""
    async with stream:
        async for batch in stream:
            if batch.num_rows:
                yield conform(batch)
