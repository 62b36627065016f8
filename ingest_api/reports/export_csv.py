"""CSV export: a header line, then each Arrow batch written out as it arrives."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pyarrow as pa
import pyarrow.csv as pacsv
from anyio import to_thread

from ingest_api.reports.cells import neutralise_formulas
from ingest_api.reports.sink import DrainableSink


async def csv_chunks(
    batches: AsyncIterator[pa.RecordBatch], schema: pa.Schema
) -> AsyncIterator[bytes]:
    """RFC 4180 CSV (UTF-8, header line) of ``batches``, one chunk per batch.

    Text that a spreadsheet would run as a formula is written with a leading ``'``.
    """
    sink = DrainableSink()
    writer = pacsv.CSVWriter(sink, schema)
    try:
        yield sink.drain()
        async for batch in batches:
            await to_thread.run_sync(writer.write_batch, neutralise_formulas(batch))
            yield sink.drain()
    finally:
        writer.close()
    if tail := sink.drain():
        yield tail
