"""Errors of the stream worker: one root, subclasses say which part failed."""

from __future__ import annotations


class StreamProcessorError(Exception):
    """Root of every error the stream worker raises on purpose."""


class SinkWriteError(StreamProcessorError):
    """ClickHouse did not take a batch; the sink keeps it and retries after ``retry_after`` s."""

    def __init__(self, table: str, cause: BaseException, retry_after: float) -> None:
        super().__init__(
            f"writing to ClickHouse table {table} failed ({cause}); retrying in "
            f"{retry_after:.1f} s. Check that CLICKHOUSE_URL is reachable and that "
            "`pulse migrate` has run."
        )
        self.table = table
        self.retry_after = retry_after


class StartupError(StreamProcessorError):
    """The worker cannot start; the message says what to fix."""
