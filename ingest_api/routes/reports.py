"""Analysts' reports: DAU, rolling DAU, top subjects, activity heatmap, streamed event exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from ingest_api.deps import State, require_role
from ingest_api.reports.connection import Reader
from ingest_api.reports.dau import daily_active_users, rolling_active_users
from ingest_api.reports.exceptions import ExportTooLarge
from ingest_api.reports.export_query import (
    EXPORT_SCHEMA,
    ExportFilter,
    count_rows,
    export_batches,
    open_export,
)
from ingest_api.reports.export_xlsx import MAX_SHEET_ROWS
from ingest_api.reports.exports import EXPORTERS, ExportFormat, file_name
from ingest_api.reports.heatmap import activity_heatmap
from ingest_api.reports.models import DauReport, Heatmap, RollingDau, TopSubjects
from ingest_api.reports.ranges import Range
from ingest_api.reports.subjects import top_subjects
from ingest_api.responses import AUTH_ERRORS, RETRY_AFTER, error

router = APIRouter(
    prefix="/v1/reports",
    tags=["reports"],
    dependencies=[Depends(require_role("analyst", "admin"))],
    responses={
        **AUTH_ERRORS,
        503: error("ClickHouse did not answer; retry later.", RETRY_AFTER),
    },
)

UserFilter = Annotated[
    str | None, Query(min_length=1, max_length=128, description="Only this user's events.")
]


@router.get("/dau", response_model=DauReport, summary="Daily active users per UTC day")
async def dau(client: Reader, days: Range) -> DauReport:
    """Distinct users with an event on each day from `from` to `to` (both included, at most
    366 days); days without activity are listed with 0."""
    return await daily_active_users(client, days)


@router.get(
    "/dau/rolling", response_model=RollingDau, summary="Active users in the last 24 h, 7 d, 30 d"
)
async def dau_rolling(client: Reader) -> RollingDau:
    """Distinct users whose event timestamp lies in the window ending now."""
    return await rolling_active_users(client, datetime.now(UTC))


@router.get("/subjects/top", response_model=TopSubjects, summary="Top subjects by events")
async def subjects_top(
    client: Reader,
    days: Range,
    limit: Annotated[int, Query(ge=1, le=100, description="How many subjects.")] = 10,
) -> TopSubjects:
    """Subjects with the most events in the range, with their distinct users over the range."""
    return await top_subjects(client, days, limit)


@router.get("/heatmap", response_model=Heatmap, summary="Events by weekday and hour (UTC)")
async def heatmap(client: Reader, state: State, days: Range, user_id: UserFilter = None) -> Heatmap:
    """Event counts per ISO weekday (1 = Monday) and UTC hour over the range, optionally for
    one user (the raw id, also when pseudonymisation is on); all 168 cells, zeros included."""
    return await activity_heatmap(client, days, _stored_id(state, user_id))


def _stored_id(state: State, user_id: str | None) -> str | None:
    """The id the events of ``user_id`` are stored under (its pseudonym when that is on)."""
    return None if user_id is None else state.pseudonymise(user_id)


def _export_responses() -> dict[int | str, dict[str, Any]]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    content = {exporter.media_type: binary for exporter in EXPORTERS.values()}
    return {200: {"description": "The file, streamed.", "content": content}}


async def _check_fits_sheet(client: Reader, where: ExportFilter) -> None:
    rows = await count_rows(client, where)
    if rows >= MAX_SHEET_ROWS:
        message = (
            f"{rows} rows do not fit in one XLSX sheet (at most {MAX_SHEET_ROWS - 1}): "
            "export as csv or parquet, or narrow from/to, event or user_id"
        )
        raise ExportTooLarge(message)


@router.get(
    "/events",
    response_class=StreamingResponse,
    summary="Export events as CSV, XLSX or Parquet (streamed)",
    responses=_export_responses(),
)
async def export_events(
    client: Reader,
    state: State,
    days: Range,
    fmt: Annotated[ExportFormat, Query(alias="format", description="File format.")],
    event: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    user_id: UserFilter = None,
) -> StreamingResponse:
    """The accepted events of the range (optionally one event name, one user), ordered by
    timestamp, streamed as ClickHouse returns them: CSV and Parquet are sent block by block
    (one Parquet row group per block); XLSX is built in a temporary file, then sent.
    Timestamps are UTC."""
    where = ExportFilter(days, event, _stored_id(state, user_id))
    if fmt is ExportFormat.XLSX:
        await _check_fits_sheet(client, where)
    exporter = EXPORTERS[fmt]
    stream = await open_export(client, where)
    return StreamingResponse(
        exporter.write(export_batches(stream), EXPORT_SCHEMA),
        media_type=exporter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name(where, fmt)}"'},
    )
