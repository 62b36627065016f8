"""Error bodies and the documented error responses of the API (for OpenAPI and its clients)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """Every error answer: what went wrong and what to change."""

    detail: str


def error(description: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One entry of a route's ``responses=`` mapping."""
    entry: dict[str, Any] = {"model": ErrorBody, "description": description}
    if headers:
        entry["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return entry


RETRY_AFTER = {"Retry-After": "Seconds to wait before retrying."}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: error("No API key or an unknown one.", {"WWW-Authenticate": "Bearer"}),
    403: error("The key's role may not use this route."),
    429: error("Too many requests for this key.", RETRY_AFTER),
}
