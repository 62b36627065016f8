"""Multipart requests: the query and ``param_*`` as form fields, and external data files.

Only ``multipart/form-data`` is a form, as in ClickHouse: any other body is SQL, whatever its
content type says (``curl --data-binary`` labels its body ``application/x-www-form-urlencoded``).

External data (a file field ``N`` with URL parameters ``N_structure`` or ``N_types`` and
``N_format``) becomes a temporary table ``N`` on the request's connection, as in ClickHouse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from clickhouse.server.engine import InsertStream
from clickhouse.server.errors import (
    BAD_ARGUMENTS,
    ENGINE_ERRORS,
    QUERY_IS_TOO_LARGE,
    error,
    from_engine,
)
from clickhouse.server.params import RequestParams, split_params
from clickhouse.server.structure import parse_structure, parse_types

FORM_TYPES = ("multipart/form-data",)
_MAX_FIELD_BYTES = 64 << 20


@dataclass(frozen=True)
class ExternalTable:
    """One external data file: the temporary table it becomes."""

    name: str
    columns: str
    fmt: str
    data: bytes


def is_form(request: Request) -> bool:
    """True when the request body is a form rather than SQL."""
    return request.headers.get("content-type", "").startswith(FORM_TYPES)


async def read_form(
    request: Request, max_bytes: int = _MAX_FIELD_BYTES
) -> tuple[RequestParams, list[ExternalTable]]:
    """The request's parameters (URL and form fields) and its external data tables.

    The whole form (fields and files) is bounded by ``max_bytes`` (CLICKHOUSE_MAX_FORM_BYTES).
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    form = await request.form(max_part_size=max_bytes)
    fields: list[tuple[str, str]] = []
    files: dict[str, bytes] = {}
    total = 0
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[name] = await value.read(max_bytes + 1)
            total += len(files[name])
        else:
            fields.append((name, value))
            total += len(value)
        if total > max_bytes:
            raise _too_large(max_bytes)
    params = split_params([*request.query_params.multi_items(), *fields])
    return _take_external(params, files)


def _too_large(max_bytes: int) -> Exception:
    return error(
        QUERY_IS_TOO_LARGE,
        f"Form too large: its fields and external data exceed {max_bytes} bytes "
        "(CLICKHOUSE_MAX_FORM_BYTES)",
    )


def _take_external(
    params: RequestParams, files: dict[str, bytes]
) -> tuple[RequestParams, list[ExternalTable]]:
    settings = dict(params.settings)
    tables = []
    for name, data in files.items():
        structure = settings.pop(f"{name}_structure", None)
        types = settings.pop(f"{name}_types", None)
        fmt = settings.pop(f"{name}_format", "TabSeparated")
        if structure is None and types is None:
            raise error(
                BAD_ARGUMENTS,
                f"Neither structure nor types have not been provided for external table {name}. "
                f"Use fields {name}_structure or {name}_types to do so.",
            )
        if not fmt.replace("_", "").isalnum():
            raise error(BAD_ARGUMENTS, f"{fmt!r} is not a format name ({name}_format)")
        if structure is not None:
            columns = parse_structure(name, structure)
        else:
            columns = parse_types(name, types or "")
        tables.append(ExternalTable(name, columns, fmt, data))
    return replace(params, settings=settings), tables


def load_external(conn: Any, tables: list[ExternalTable]) -> None:
    """Create and fill the request's external tables on its connection."""
    for table in tables:
        name = "`" + table.name.replace("`", "``") + "`"
        try:
            conn.query(f"DROP TEMPORARY TABLE IF EXISTS {name}")
            conn.query(f"CREATE TEMPORARY TABLE {name} ({table.columns}) ENGINE = Memory")
        except ENGINE_ERRORS as exc:
            raise from_engine(exc) from exc
        inserter = InsertStream(conn, f"INSERT INTO {name}", table.fmt)
        inserter.append(table.data)
        inserter.finish()
