"""XLSX export: openpyxl's write-only workbook (rows go to a temporary file, not to memory),
then the finished file is sent in chunks."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from anyio import to_thread
from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ingest_api.reports.cells import safe_text

# Rows of one sheet, header included (Excel's limit).
MAX_SHEET_ROWS = 1_048_576
CHUNK_BYTES = 256 * 1024


def _cell(value: Any) -> Any:
    # Excel has no time zones: timestamps are written as naive UTC (the header says so).
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        return safe_text(value)
    return value


def _append(sheet: WriteOnlyWorksheet, batch: pa.RecordBatch) -> None:
    columns = [column.to_pylist() for column in batch.columns]
    for row in zip(*columns, strict=True):
        sheet.append([_cell(v) for v in row])


def _header(schema: pa.Schema) -> list[str]:
    return [f"{f.name} (UTC)" if pa.types.is_timestamp(f.type) else f.name for f in schema]


def _read_chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


async def xlsx_chunks(
    batches: AsyncIterator[pa.RecordBatch], schema: pa.Schema
) -> AsyncIterator[bytes]:
    """An XLSX workbook with one sheet ``events``: a header row, then the rows of ``batches``."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("events")
    sheet.append(_header(schema))
    with tempfile.TemporaryDirectory(prefix="pulse-xlsx-") as directory:
        path = Path(directory) / "events.xlsx"
        async for batch in batches:
            await to_thread.run_sync(_append, sheet, batch)
        await to_thread.run_sync(workbook.save, path)
        for chunk in _read_chunks(path):
            yield chunk
