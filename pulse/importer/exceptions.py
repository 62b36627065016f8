"""Errors of `pulse import`."""

from __future__ import annotations


class ImporterError(Exception):
    """Root error of the importer: the whole import cannot go on; the message says why."""


class RowError(ValueError):
    """One row cannot become an event; the message is its verdict in the rejects file."""
