"""One root exception for the SDK; every error says what to change."""

from __future__ import annotations


class PulseError(Exception):
    """Root of every error this SDK raises."""


class InvalidEvent(PulseError, ValueError):
    """The event would be rejected by the server; ``fields`` names what to fix.

    Raised by ``track`` and the typed helpers, in the caller's code, before anything is queued.
    """

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


class ClientClosed(PulseError):
    """The client was closed; create a new one to send more events."""
