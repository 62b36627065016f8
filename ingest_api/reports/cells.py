"""Export cells a spreadsheet shows as text: never run as a formula, never refused for a byte.

A value starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is a formula to Excel,
LibreOffice and Sheets ("CSV injection"); it is written with a leading ``'``. XLSX (XML 1.0)
cannot hold most C0 control characters; they are written as visible ``\\xNN`` escapes.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = "=+-@\t\r"
_FORMULA_RE2 = r"^([=+\-@\t\r])"
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet cell: formula starts quoted, XML-illegal characters escaped."""
    value = _XML_ILLEGAL.sub(_escape, value)
    return "'" + value if value[:1] and value[0] in FORMULA_START else value


def neutralise_formulas(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with every string value that a spreadsheet would run as a formula quoted."""
    columns = [
        pc.replace_substring_regex(column, pattern=_FORMULA_RE2, replacement=r"'\1")
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        else column
        for column in batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)
