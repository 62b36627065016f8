"""Parquet export: one row group per Arrow batch, each sent as soon as it is written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pyarrow as pa
import pyarrow.parquet as pq
from anyio import to_thread

from ingest_api.reports.sink import DrainableSink


async def parquet_chunks(
    batches: AsyncIterator[pa.RecordBatch], schema: pa.Schema
) -> AsyncIterator[bytes]:
    """A zstd-compressed Parquet file of ``batches``; memory holds one row group at a time."""
    sink = DrainableSink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    closed = False
    try:
        async for batch in batches:
            await to_thread.run_sync(writer.write_batch, batch)
            if chunk := sink.drain():
                yield chunk
        await to_thread.run_sync(writer.close)
        closed = True
        yield sink.drain()
    finally:
        if not closed:
            writer.close()
