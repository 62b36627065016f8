"""Real CSV and XLSX exports of hostile text: formulas arrive quoted, control characters intact."""

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from ingest_api.reports.cells import safe_text
from ingest_api.reports.export_csv import csv_chunks
from ingest_api.reports.export_query import EXPORT_SCHEMA
from ingest_api.reports.export_xlsx import xlsx_chunks
from tests.unit.ingest_api.test_export_rows import batches_of, collect, rows

pytestmark = pytest.mark.anyio

FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


def hostile_rows() -> list[dict[str, Any]]:
    data = rows(len(FORMULAS) + 1)
    for row, text in zip(data, FORMULAS, strict=False):
        row["user_id"] = text
        row["session_id"] = text
    data[-1]["user_id"] = "bell\x07nul\x00vt\x0bend"
    data[-1]["metadata"] = '{"note": "esc\\u001b", "raw": "tab\tok"}'
    return data


async def test_csv_cells_that_would_run_as_formulas_start_with_a_quote() -> None:
    chunks = await collect(csv_chunks(batches_of(hostile_rows(), 3), EXPORT_SCHEMA))
    parsed = list(csv.DictReader(io.StringIO(b"".join(chunks).decode(), newline="")))

    assert [r["user_id"] for r in parsed[: len(FORMULAS)]] == ["'" + f for f in FORMULAS]
    assert [r["session_id"] for r in parsed[: len(FORMULAS)]] == ["'" + f for f in FORMULAS]
    assert parsed[0]["event"] == "assignment.viewed"


async def test_csv_keeps_control_characters_inside_quoted_cells() -> None:
    chunks = await collect(csv_chunks(batches_of(hostile_rows(), 3), EXPORT_SCHEMA))
    parsed = list(csv.DictReader(io.StringIO(b"".join(chunks).decode(), newline="")))
    assert parsed[-1]["user_id"] == "bell\x07nul\x00vt\x0bend"


async def test_xlsx_with_formulas_and_control_characters_is_written_and_reads_as_text() -> None:
    chunks = await collect(xlsx_chunks(batches_of(hostile_rows(), 3), EXPORT_SCHEMA))
    workbook = load_workbook(io.BytesIO(b"".join(chunks)))
    sheet = workbook["events"]
    header = [c.value for c in sheet[1]]
    user_col = header.index("user_id") + 1
    cells = [sheet.cell(row=r, column=user_col) for r in range(2, sheet.max_row + 1)]

    # XML reads a carriage return back as a line feed; the leading quote is what matters.
    expected = ["'" + f.replace("\r", "\n") for f in FORMULAS]
    assert [c.value for c in cells[: len(FORMULAS)]] == expected
    assert all(c.data_type == "s" for c in cells)
    assert cells[-1].value == "bell\\x07nul\\x00vt\\x0bend"


def test_plain_text_and_inner_signs_are_left_alone() -> None:
    assert safe_text("student-42") == "student-42"
    assert safe_text("a=b") == "a=b"
    assert safe_text("") == ""
    assert safe_text("line\nbreak\ttab") == "line\nbreak\ttab"
