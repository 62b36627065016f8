import io

import pytest
from openpyxl import load_workbook

from ingest_api.reports.export_query import EXPORT_SCHEMA
from ingest_api.reports.export_xlsx import xlsx_chunks
from tests.unit.ingest_api.test_export_rows import batches_of, collect, rows

pytestmark = pytest.mark.anyio


async def test_xlsx_export_parses_back_to_the_same_rows() -> None:
    data = rows(25)
    chunks = await collect(xlsx_chunks(batches_of(data, 10), EXPORT_SCHEMA))
    sheet = load_workbook(io.BytesIO(b"".join(chunks)), read_only=True)["events"]
    header, *body = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("event_id", "event", "user_id", "timestamp (UTC)")
    expected = [
        tuple(v.replace(tzinfo=None) if hasattr(v, "tzinfo") else v for v in r.values())
        for r in data
    ]
    assert body == expected


async def test_xlsx_export_of_no_rows_has_the_header_only() -> None:
    chunks = await collect(xlsx_chunks(batches_of([], 10), EXPORT_SCHEMA))
    sheet = load_workbook(io.BytesIO(b"".join(chunks)), read_only=True)["events"]
    assert len(list(sheet.iter_rows(values_only=True))) == 1
