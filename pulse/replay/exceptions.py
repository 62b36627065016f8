"""Errors of `pulse replay`."""

from __future__ import annotations


class ReplayError(Exception):
    """Root error of the replay tooling; the message says what to change."""
