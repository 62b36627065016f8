"""Errors of the ClickHouse component: one root; migrations', backups' and the endpoint's."""

from __future__ import annotations


class ClickHouseComponentError(Exception):
    """Root of every error raised by Pulse's ClickHouse code (client, migrations, endpoint)."""


class MigrationError(ClickHouseComponentError):
    """The migrations cannot be applied as they are; the message says what to change."""


class BackupError(ClickHouseComponentError):
    """A backup could not be taken or restored; the message says what to do."""


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
