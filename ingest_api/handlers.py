"""The API's edge: each :class:`IngestError` becomes its HTTP status, with a ``detail`` body.

A report's refusal of one query parameter (:class:`InvalidRange`, :class:`ExportTooLarge`) is a
``422`` in FastAPI's validation shape, like any other unusable parameter.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from loguru import logger

from ingest_api.exceptions import (
    BodyTimeout,
    BodyTooLarge,
    IngestError,
    InvalidBody,
    NotAllowed,
    NotAuthenticated,
    RateLimited,
    RetryLater,
    UnsupportedMediaType,
)
from ingest_api.reports.exceptions import ExportTooLarge, InvalidRange, UnknownUser

STATUS: dict[type[IngestError], int] = {
    InvalidBody: 400,
    NotAuthenticated: 401,
    NotAllowed: 403,
    UnknownUser: 404,
    BodyTimeout: 408,
    BodyTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidRange: 422,
    ExportTooLarge: 422,
    RateLimited: 429,
}


def status_of(exc: IngestError) -> int:
    """The HTTP status for an error (503 for any other "retry later", 500 otherwise)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 503 if isinstance(exc, RetryLater) else 500


def refused_parameter(exc: IngestError) -> str | None:
    """The query parameter an error refuses, if it refuses one."""
    if isinstance(exc, InvalidRange):
        return exc.field
    return "format" if isinstance(exc, ExportTooLarge) else None


async def ingest_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer an :class:`IngestError` with its status, ``detail`` and headers."""
    assert isinstance(exc, IngestError)
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="pulse"'
    if isinstance(exc, RetryLater):
        headers["Retry-After"] = str(exc.retry_after)
    logger.info("refused {} {}: {} {}", request.method, request.url.path, status, exc)
    parameter = refused_parameter(exc)
    if parameter is not None:
        item = {
            "type": "value_error",
            "loc": ["query", parameter],
            "msg": str(exc),
            "input": request.query_params.get(parameter),
        }
        return JSONResponse({"detail": [item]}, status_code=status, headers=headers)
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


def install_handlers(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""
    app.add_exception_handler(IngestError, ingest_error_handler)
