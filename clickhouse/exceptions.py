"""Errors of the ClickHouse component: one root, and the endpoint's ClickHouse-shaped error."""

from __future__ import annotations


class ClickHouseComponentError(Exception):
    """Root of every error raised by Pulse's ClickHouse code (client, migrations, endpoint)."""


class EndpointConfigError(ClickHouseComponentError):
    """The embedded endpoint cannot start with the settings given; the message says what to fix."""


class EndpointError(ClickHouseComponentError):
    """A request to the embedded endpoint failed, with ClickHouse's own error code and name.

    ``message`` is the text after ``DB::Exception:``; the endpoint renders it exactly as a
    ClickHouse server does (``Code: N. DB::Exception: message. (NAME)``).
    """

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(f"Code: {code}. DB::Exception: {message}. ({name})")
        self.code = code
        self.name = name
        self.message = message
