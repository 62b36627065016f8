"""The export formats: each one's media type, file extension and streaming writer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from ingest_api.reports.export_csv import csv_chunks
from ingest_api.reports.export_parquet import parquet_chunks
from ingest_api.reports.export_query import ExportFilter
from ingest_api.reports.export_xlsx import xlsx_chunks

Writer = Callable[[AsyncIterator[pa.RecordBatch], pa.Schema], AsyncIterator[bytes]]


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"


@dataclass(frozen=True)
class Exporter:
    """How one format is written and announced."""

    media_type: str
    extension: str
    write: Writer


EXPORTERS: dict[ExportFormat, Exporter] = {
    ExportFormat.CSV: Exporter("text/csv; charset=utf-8", "csv", csv_chunks),
    ExportFormat.XLSX: Exporter(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", xlsx_chunks
    ),
    ExportFormat.PARQUET: Exporter("application/vnd.apache.parquet", "parquet", parquet_chunks),
}


def file_name(where: ExportFilter, fmt: ExportFormat) -> str:
    """``events_<from>_<to>.<ext>``: the download's name."""
    return f"events_{where.days.start.isoformat()}_{where.days.end.isoformat()}.{fmt.value}"
