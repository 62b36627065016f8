"""chDB execution: one engine per process, a connection per request, one statement in flight each.

chDB runs statements on different connections in parallel, but a connection runs one statement
at a time and any new statement on it ends a stream still open there; so a request (or a
session) owns its connection. Every call here blocks: the HTTP layer runs them in threads.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import chdb
from loguru import logger

from clickhouse.server.errors import ENGINE_ERRORS, from_engine
from clickhouse.server.params import quote_literal, set_statement

# Table functions that touch neither the file system nor the network.
LOCAL_TABLE_FUNCTIONS = frozenset(
    {
        "sqlstandardvalues",
        "dictionary",
        "format",
        "fuzzjson",
        "fuzzquery",
        "generaterandom",
        "generateseries",
        "generate_series",
        "input",
        "loop",
        "merge",
        "mergetreeanalyzeindexes",
        "mergetreeanalyzeindexesuuid",
        "mergetreecodecblockcounts",
        "mergetreeindex",
        "mergetreeprojection",
        "mergetreetextindex",
        "null",
        "numbers",
        "numbers_mt",
        "primes",
        "values",
        "view",
        "viewexplain",
        "viewifpermitted",
        "zeros",
        "zeros_mt",
        "timeseriesdata",
        "timeseriesmetricfamilies",
        "timeseriesmetrics",
        "timeseriessamples",
        "timeseriesselector",
        "timeseriestags",
    }
)
_NOT_STREAMABLE = "Streaming query is not supported"
# Formats whose output is the plain concatenation of its blocks' output. chDB renders every
# streamed chunk as a whole document (headers, footers, Arrow/Parquet files), so any other
# format is run to completion and sent in one piece.
STREAMABLE_FORMATS = frozenset(
    {"native", "tabseparated", "tsv", "tabseparatedraw", "tsvraw", "csv", "rowbinary",
     "jsoneachrow", "jsonlines", "ndjson", "jsoncompacteachrow", "jsonstringseachrow",
     "jsoncompactstringseachrow", "tskv", "raw", "lineasstring", "null"}
)  # fmt: skip


class Engine:
    """The process's chDB engine on one data directory, kept open for the server's lifetime."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._path = str(data_dir.resolve())
        self._anchor = chdb.connect(self._path)
        info = self._anchor.query("SELECT version(), timezone()", "TabSeparated")
        self.version, self.timezone = info.bytes().decode().strip().split("\t")
        names = self._anchor.query("SELECT name FROM system.table_functions", "TabSeparated")
        table_functions = {n.lower() for n in names.bytes().decode().split()}
        # Functions a read-only analyst may not call: every source table function and file().
        self.fenced_functions = frozenset(table_functions - LOCAL_TABLE_FUNCTIONS) | {"file"}
        logger.info("chDB {} opened {} (timezone {})", self.version, self._path, self.timezone)

    def connect(self, readonly: int) -> Any:
        """A new connection; ``readonly`` 1 or 2 is fixed for its lifetime (it cannot be lifted)."""
        return chdb.connect(f"{self._path}?readonly={readonly}" if readonly else self._path)

    def close(self) -> None:
        """Close the engine (after every request connection is closed)."""
        self._anchor.close()


def prepare(
    conn: Any, database: str | None, settings: dict[str, str], undo: list[str] | None = None
) -> None:
    """Select the database and apply the request's settings on its connection.

    With ``undo`` (a session's connection), the statements that restore the previous database
    and setting values are appended to it: as in ClickHouse, URL parameters apply to one
    request, not to the session.
    """
    try:
        if undo is not None:
            undo.extend(_restoring(conn, database, settings))
        if database:
            conn.query(f"USE {_name(database)}")
        statement = set_statement(settings)
        if statement:
            conn.query(statement)
    except ENGINE_ERRORS as exc:
        raise from_engine(exc) from exc


def _name(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def _restoring(conn: Any, database: str | None, settings: dict[str, str]) -> list[str]:
    statements = []
    if database:
        current = conn.query("SELECT currentDatabase()", "TabSeparatedRaw").bytes().decode()
        statements.append(f"USE {_name(current.strip())}")
    names = [name for name in settings if name != "readonly"]
    if names:
        listed = ", ".join(quote_literal(name) for name in names)
        # Every name is escaped by quote_literal, so the list cannot break out of the literal.
        query = f"SELECT name, value FROM system.settings WHERE name IN ({listed})"  # nosec B608
        rows = conn.query(query, "JSONCompact").bytes()
        previous = dict(json.loads(rows)["data"])
        statement = set_statement(previous)
        if statement:
            statements.append(statement)
    return statements


@dataclass
class Summary:
    """The figures of ``X-ClickHouse-Summary``."""

    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, result: Any) -> None:
        self.read_rows += result.rows_read()
        self.read_bytes += result.bytes_read()
        self.written_rows += getattr(result, "rows_written", lambda: 0)()
        self.written_bytes += getattr(result, "bytes_written", lambda: 0)()
        self.result_rows += result.rows_read()
        self.result_bytes += result.size()

    def header(self) -> dict[str, str]:
        figures = {k: str(v) for k, v in vars(self).items() if k != "started"}
        figures["total_rows_to_read"] = "0"
        figures["elapsed_ns"] = str(int((time.monotonic() - self.started) * 1e9))
        return figures


class ResultStream(Protocol):
    """What the response streams: chunks of output, their figures, and a way to stop."""

    summary: Summary

    def next_chunk(self) -> bytes | None: ...

    def cancel(self) -> None: ...


class QueryStream:
    """One statement's result, read chunk by chunk; ``next_chunk`` is None at the end."""

    def __init__(self, conn: Any, sql: str, fmt: str, params: dict[str, str]) -> None:
        self.summary = Summary()
        self._conn = conn._conn  # the binding: its stream keeps trailing chunks with no rows
        self._stream: Any = None
        self._whole: bytes | None = None
        if fmt.lower() not in STREAMABLE_FORMATS:
            self._whole = self._run_whole(sql, fmt, params)
            return
        try:
            self._stream = self._conn.send_query(sql, fmt, params=params)
        except ENGINE_ERRORS as exc:
            if _NOT_STREAMABLE not in str(exc):
                raise from_engine(exc) from exc
            self._whole = self._run_whole(sql, fmt, params)

    def _run_whole(self, sql: str, fmt: str, params: dict[str, str]) -> bytes:
        try:
            result = self._conn.query(sql, fmt, params=params)
        except ENGINE_ERRORS as exc:
            raise from_engine(exc) from exc
        self.summary.add(result)
        return bytes(result.bytes())

    def next_chunk(self) -> bytes | None:
        """The next piece of output, or None when the result is complete."""
        if self._stream is None:
            whole, self._whole = self._whole, None
            return whole
        try:
            result = self._conn.streaming_fetch_result(self._stream)
        except ENGINE_ERRORS as exc:
            self._stream = None
            raise from_engine(exc) from exc
        if result is None or (result.rows_read() == 0 and result.size() == 0):
            self._stream = None
            return None
        self.summary.add(result)
        return bytes(result.bytes())

    def cancel(self) -> None:
        """Stop an unfinished stream (the client went away)."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                self._conn.streaming_cancel_query(stream)
            except ENGINE_ERRORS as exc:
                logger.debug("cancelling a stream: {}", exc)


class InsertStream:
    """An INSERT fed with the request body chunk by chunk, committed by ``finish``."""

    def __init__(self, conn: Any, statement: str, fmt: str) -> None:
        try:
            self._inserter = conn.send_insert(statement, fmt)
        except ENGINE_ERRORS as exc:
            raise from_engine(exc) from exc

    def append(self, chunk: bytes) -> None:
        if chunk:
            try:
                self._inserter.append(chunk)
            except ENGINE_ERRORS as exc:
                self.cancel()
                raise from_engine(exc) from exc

    def finish(self) -> Summary:
        """Commit; the written figures for ``X-ClickHouse-Summary``."""
        try:
            result = self._inserter.finish()
        except ENGINE_ERRORS as exc:
            raise from_engine(exc) from exc
        return Summary(written_rows=result.rows_written, written_bytes=result.bytes_written)

    def cancel(self) -> None:
        try:
            self._inserter.cancel()
        except ENGINE_ERRORS as exc:
            logger.debug("cancelling an insert: {}", exc)
