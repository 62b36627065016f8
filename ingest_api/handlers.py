"""The API's edge: each :class:`IngestError` becomes its HTTP status, with a ``detail`` body."""

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

STATUS: dict[type[IngestError], int] = {
    InvalidBody: 400,
    NotAuthenticated: 401,
    NotAllowed: 403,
    BodyTimeout: 408,
    BodyTooLarge: 413,
    UnsupportedMediaType: 415,
    RateLimited: 429,
}


def status_of(exc: IngestError) -> int:
    """The HTTP status for an error (503 for any other "retry later", 500 otherwise)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 503 if isinstance(exc, RetryLater) else 500


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
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


def install_handlers(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""
    app.add_exception_handler(IngestError, ingest_error_handler)
