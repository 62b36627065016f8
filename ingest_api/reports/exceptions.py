"""Errors of the reports; the routes turn them into HTTP answers."""

from __future__ import annotations

from ingest_api.exceptions import IngestError


class ReportError(IngestError):
    """Root of every error a report raises on purpose."""


class InvalidRange(ReportError):
    """The requested date range cannot be reported on; the message says how to fix it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownUser(ReportError):
    """No accepted event carries this user id."""


class ExportTooLarge(ReportError):
    """The export has more rows than the format can hold."""
