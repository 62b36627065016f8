"""The one ClickHouse sink of the worker: buffer rows per table, write each table in one insert.

``add`` buffers rows; ``flush`` writes every buffered table with one columnar insert each and
only then returns, so the caller acknowledges (and Faust commits) the messages behind a batch
only after ClickHouse confirmed it. While ClickHouse is down ``flush`` retries with exponential
backoff and keeps the rows: nothing is lost and nothing is committed meanwhile. The batch size
and age are chosen by the caller (see ``agents.batching``); the tables of one batch are
written concurrently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Protocol

from clickhouse_connect.driver.asyncclient import AsyncClient
from loguru import logger

from stream_processors import metrics
from stream_processors.exceptions import SinkWriteError
from stream_processors.rows import Row


class BatchWriter(Protocol):
    """Writes one batch of rows to one table, all or nothing; raises on failure."""

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None: ...


class ClickHouseWriter:
    """A :class:`BatchWriter` over a clickhouse-connect async client: one columnar insert.

    The client is made on the first write, so a worker starts even while ClickHouse is down.
    """

    def __init__(
        self, connect: Callable[[], Awaitable[AsyncClient]], database: str
    ) -> None:
        self._connect = connect
        self._database = database
        self._client: AsyncClient | None = None

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if self._client is None:
            self._client = await self._connect()
        data = [list(column) for column in zip(*rows, strict=True)]
        await self._client.insert(
            table, data, column_names=list(columns), database=self._database,
            column_oriented=True,
        )


class Backoff:
    """Exponential delays between ``minimum`` and ``maximum`` seconds."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum, self.maximum = minimum, maximum

    def delays(self) -> Iterator[float]:
        delay = self.minimum
        while True:
            yield delay
            delay = min(delay * 2, self.maximum)


class Sink:
    """Buffers rows per table and writes them to ClickHouse in whole batches."""

    def __init__(
        self, writer: BatchWriter, columns: Mapping[str, Sequence[str]], backoff: Backoff
    ) -> None:
        self._writer = writer
        self._columns = columns
        self._backoff = backoff
        self._buffers: dict[str, list[Row]] = {table: [] for table in columns}

    def add(self, table: str, row: Row) -> None:
        """Buffer one row for ``table`` (one of the tables given at construction)."""
        self._buffers[table].append(row)

    @property
    def pending(self) -> int:
        """Rows buffered and not yet written."""
        return sum(len(rows) for rows in self._buffers.values())

    async def flush(self) -> int:
        """Write every buffered table (concurrently), retrying until ClickHouse takes each one;
        return the rows written."""
        pending = {table: rows for table, rows in self._buffers.items() if rows}
        await asyncio.gather(*(self._write_with_retry(t, rows) for t, rows in pending.items()))
        for table in pending:
            self._buffers[table] = []
        return sum(len(rows) for rows in pending.values())

    async def _write_with_retry(self, table: str, rows: list[Row]) -> None:
        started = time.monotonic()
        for delay in self._backoff.delays():
            try:
                await self._writer.write(table, self._columns[table], rows)
                break
            except Exception as exc:  # noqa: BLE001 - any failure: keep the rows, retry
                error = SinkWriteError(table, exc, delay)
                metrics.SINK_RETRIES.labels(table).inc()
                logger.warning(str(error))
                await asyncio.sleep(delay)
        metrics.SINK_BATCH_SIZE.labels(table).observe(len(rows))
        metrics.SINK_BATCH_LATENCY.labels(table).observe(time.monotonic() - started)
        metrics.SINK_ROWS.labels(table).inc(len(rows))
