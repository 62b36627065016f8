import io

import pyarrow.parquet as pq
import pytest

from ingest_api.reports.export_parquet import parquet_chunks
from ingest_api.reports.export_query import EXPORT_SCHEMA
from tests.unit.ingest_api.test_export_rows import batches_of, collect, rows

pytestmark = pytest.mark.anyio


async def test_parquet_export_parses_back_to_the_same_rows() -> None:
    data = rows(25)
    chunks = await collect(parquet_chunks(batches_of(data, 10), EXPORT_SCHEMA))
    table = pq.read_table(io.BytesIO(b"".join(chunks)))
    assert table.schema.equals(EXPORT_SCHEMA)
    assert table.to_pylist() == data


async def test_parquet_export_writes_one_row_group_per_batch_as_it_goes() -> None:
    chunks = await collect(parquet_chunks(batches_of(rows(25), 10), EXPORT_SCHEMA))
    assert len([c for c in chunks if c]) >= 3
    metadata = pq.ParquetFile(io.BytesIO(b"".join(chunks))).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [10, 10, 5]


async def test_parquet_export_of_no_rows_is_a_valid_empty_file() -> None:
    chunks = await collect(parquet_chunks(batches_of([], 10), EXPORT_SCHEMA))
    table = pq.read_table(io.BytesIO(b"".join(chunks)))
    assert table.num_rows == 0
    assert table.schema.names == EXPORT_SCHEMA.names
