import csv
import io

import pytest

from ingest_api.reports.export_csv import csv_chunks
from ingest_api.reports.export_query import EXPORT_SCHEMA
from tests.unit.ingest_api.test_export_rows import batches_of, collect, rows

pytestmark = pytest.mark.anyio


async def test_csv_export_parses_back_to_the_same_rows() -> None:
    data = rows(25)
    chunks = await collect(csv_chunks(batches_of(data, 10), EXPORT_SCHEMA))
    parsed = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert [r["event_id"] for r in parsed] == [r["event_id"] for r in data]
    assert parsed[3]["metadata"] == data[3]["metadata"]
    assert parsed[0]["timestamp"] == "2026-11-20 14:03:07.120Z"
    assert list(parsed[0]) == EXPORT_SCHEMA.names


async def test_csv_export_sends_one_chunk_per_batch_after_the_header() -> None:
    chunks = await collect(csv_chunks(batches_of(rows(25), 10), EXPORT_SCHEMA))
    non_empty = [c for c in chunks if c]
    assert non_empty[0].decode().startswith('"event_id","event"')
    assert len(non_empty) == 4


async def test_csv_export_of_no_rows_is_the_header_alone() -> None:
    chunks = await collect(csv_chunks(batches_of([], 10), EXPORT_SCHEMA))
    assert b"".join(chunks).decode().strip().split(",")[0] == '"event_id"'
