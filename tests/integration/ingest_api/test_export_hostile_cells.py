"""Exports through the API from real ClickHouse, of values a spreadsheet would run as formulas or
that XLSX cannot hold: CSV and XLSX arrive whole, formulas quoted, control characters survived."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from openpyxl import load_workbook

from clickhouse.client import writer_client
from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from tests.integration.ingest_api.conftest import ANALYST_KEY, KEYS
from tests.integration.ingest_api.test_pseudonyms import STORE_COLUMNS

pytestmark = pytest.mark.anyio

DAY = {"from": "2025-03-03", "to": "2025-03-03"}
USERS = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tq", "ctl\x07\x00\x1bend"]


@pytest.fixture
async def api(reports_database: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    url, database = reports_database
    settings = ApiSettings(  # type: ignore[call-arg]
        CLICKHOUSE_URL=url, CLICKHOUSE_DATABASE=database, PULSE_API_KEYS=KEYS
    )
    ts = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    rows = [
        [UUID(int=i + 1), "custom.thing", user, ts + timedelta(minutes=i), ts, "web", user, "",
         "", '{"note": "=HYPERLINK(1)"}', "r", 0, i]
        for i, user in enumerate(USERS)
    ]  # fmt: skip
    writer_client(settings=settings).insert("events_store", rows, column_names=STORE_COLUMNS)
    transport = httpx.ASGITransport(app=create_app(settings))
    headers = {"Authorization": f"Bearer {ANALYST_KEY}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://pulse.test", headers=headers, timeout=60
    ) as client:
        yield client


async def test_csv_export_quotes_formulas_and_keeps_control_characters(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/v1/reports/events", params=DAY | {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))

    assert [r["user_id"] for r in rows] == ["'" + u for u in USERS[:5]] + [USERS[5]]
    assert [r["session_id"] for r in rows][:5] == ["'" + u for u in USERS[:5]]
    assert rows[0]["metadata"] == '{"note": "=HYPERLINK(1)"}'  # starts with "{": no formula


async def test_xlsx_export_is_whole_with_text_cells_only(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/events", params=DAY | {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["events"]
    header = [c.value for c in sheet[1]]
    column = header.index("user_id") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]

    assert [c.value for c in cells] == ["'" + u for u in USERS[:5]] + ["ctl\\x07\\x00\\x1bend"]
    assert {c.data_type for c in cells} == {"s"}
