"""Errors of the workload generator."""

from __future__ import annotations


class WorkloadError(ValueError):
    """Root of every workload-generator error; the message says which knob to change.

    A ``ValueError``, so pydantic reports it as a ``ValidationError`` when a config is built.
    """
