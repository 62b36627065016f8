"""The one ClickHouse sink of the worker: buffer rows per table, write each table in one insert.

``add`` buffers rows; ``flush`` writes every buffered table with one columnar insert each (or a
few, when a batch spans more months than one insert may touch, see ``partitions``) and only
then returns, so the caller acknowledges (and Faust commits) the messages behind a batch only
after ClickHouse confirmed it. While ClickHouse is down or busy ``flush`` retries with
exponential backoff and keeps the rows: nothing is lost and nothing is committed meanwhile.
When ClickHouse refuses rows for good (``failures``), ``flush`` halves the insert until the
refused rows stand alone, stores the rest, and returns the refused rows with what they came
from, for the caller to dead-letter: one bad row never stalls the worker. The batch size and
age are chosen by the caller (see ``agents.batching``); the tables of one batch are written
concurrently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from clickhouse_connect.driver.asyncclient import AsyncClient
from loguru import logger

from stream_processors import metrics
from stream_processors.exceptions import SinkWriteError
from stream_processors.failures import Failure, classify
from stream_processors.partitions import partition_key, split_by_partition
from stream_processors.rows import Row

# Below ClickHouse's default max_partitions_per_insert_block (100), with room to spare.
DEFAULT_MAX_PARTITIONS = 90


class BatchWriter(Protocol):
    """Writes one batch of rows to one table, all or nothing; raises on failure."""

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None: ...


class ClickHouseWriter:
    """A :class:`BatchWriter` over a clickhouse-connect async client: one columnar insert.

    The client is made on the first write, so a worker starts even while ClickHouse is down.
    """

    def __init__(self, connect: Callable[[], Awaitable[AsyncClient]], database: str) -> None:
        self._connect = connect
        self._database = database
        self._client: AsyncClient | None = None

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if self._client is None:
            self._client = await self._connect()
        data = [list(column) for column in zip(*rows, strict=True)]
        await self._client.insert(
            table,
            data,
            column_names=list(columns),
            database=self._database,
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


@dataclass(frozen=True)
class Rejected:
    """A row ClickHouse refused for good, the ``origin`` it was added with, and why."""

    table: str
    row: Row
    origin: object
    error: str


@dataclass
class Flushed:
    """What one ``flush`` did: rows ClickHouse stored, and rows it refused for good."""

    written: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def describe(exc: BaseException) -> str:
    """The error and the one that caused it (clickhouse-connect wraps serializer errors)."""
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    return f"{text} ({type(cause).__name__}: {cause})" if cause is not None else text


Entry = tuple[Row, object]


class Sink:
    """Buffers rows per table and writes them to ClickHouse in whole batches."""

    def __init__(
        self,
        writer: BatchWriter,
        columns: Mapping[str, Sequence[str]],
        backoff: Backoff,
        max_partitions: int = DEFAULT_MAX_PARTITIONS,
    ) -> None:
        self._writer = writer
        self._columns = columns
        self._backoff = backoff
        self._max_partitions = max_partitions
        self._partition_keys = {table: partition_key(table) for table in columns}
        self._buffers: dict[str, list[Entry]] = {table: [] for table in columns}

    def fresh(self) -> Sink:
        """An empty sink writing the same tables the same way (one per batch in flight)."""
        return Sink(self._writer, self._columns, self._backoff, self._max_partitions)

    def add(self, table: str, row: Row, origin: object = None) -> None:
        """Buffer one row for ``table`` (one of the tables given at construction).

        ``origin`` (the Kafka message the row came from) is handed back if the row is refused.
        """
        self._buffers[table].append((row, origin))

    def buffered(self) -> dict[str, list[Entry]]:
        """The rows buffered per table, with their origins (``flush`` leaves these lists be)."""
        return dict(self._buffers)

    @property
    def pending(self) -> int:
        """Rows buffered and not yet written."""
        return sum(len(rows) for rows in self._buffers.values())

    async def flush(self) -> Flushed:
        """Write every buffered table (concurrently), retrying until ClickHouse takes each row
        or refuses it for good; return what was stored and what was refused."""
        pending = {table: rows for table, rows in self._buffers.items() if rows}
        refused = await asyncio.gather(*(self._write_table(t, rows) for t, rows in pending.items()))
        for table in pending:
            self._buffers[table] = []
        rejected = [r for table_rejected in refused for r in table_rejected]
        total = sum(len(rows) for rows in pending.values())
        return Flushed(written=total - len(rejected), rejected=rejected)

    async def _write_table(self, table: str, entries: list[Entry]) -> list[Rejected]:
        started = time.monotonic()
        key = self._partition_keys[table]
        chunks = (
            split_by_partition(entries, lambda entry: key(entry[0]), self._max_partitions)
            if key is not None
            else [entries]
        )
        rejected: list[Rejected] = []
        for chunk in chunks:
            rejected += await self._store(table, chunk)
        metrics.SINK_BATCH_LATENCY.labels(table).observe(time.monotonic() - started)
        metrics.SINK_ROWS.labels(table).inc(len(entries) - len(rejected))
        if rejected:
            metrics.SINK_ROWS_REJECTED.labels(table).inc(len(rejected))
        return rejected

    async def _store(self, table: str, entries: list[Entry]) -> list[Rejected]:
        """Store ``entries``; if ClickHouse refuses them for good, bisect to the refused rows."""
        error = await self._write_with_retry(table, [row for row, _ in entries])
        if error is None:
            return []
        if len(entries) == 1:
            row, origin = entries[0]
            logger.bind(table=table).warning("ClickHouse refused a row of {}: {}", table, error)
            return [Rejected(table, row, origin, error)]
        middle = len(entries) // 2
        return await self._store(table, entries[:middle]) + await self._store(
            table, entries[middle:]
        )

    async def _write_with_retry(self, table: str, rows: list[Row]) -> str | None:
        """None once ClickHouse took ``rows``; the error if it refused them for good."""
        for delay in self._backoff.delays():
            try:
                await self._writer.write(table, self._columns[table], rows)
            except Exception as exc:  # noqa: BLE001 - classified: retried or handed back
                if classify(exc) is Failure.PERMANENT:
                    return describe(exc)
                metrics.SINK_RETRIES.labels(table).inc()
                logger.warning(str(SinkWriteError(table, exc, delay)))
                await asyncio.sleep(delay)
                continue
            metrics.SINK_BATCH_SIZE.labels(table).observe(len(rows))
            return None
        raise AssertionError("Backoff.delays() never ends")  # pragma: no cover
