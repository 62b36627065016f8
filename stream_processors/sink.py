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
from datetime import date
from typing import Any, Protocol

from clickhouse_connect.datatypes.base import ClickHouseType
from clickhouse_connect.driver.asyncclient import AsyncClient
from loguru import logger

from stream_processors import metrics
from stream_processors.exceptions import SinkWriteError
from stream_processors.failures import Failure, classify
from stream_processors.partitions import (
    PARTITION_COLUMNS,
    partition_key,
    split_by_partition,
    year_month,
)
from stream_processors.rows import COLUMNS, Row

# Below ClickHouse's default max_partitions_per_insert_block (100), with room to spare.
DEFAULT_MAX_PARTITIONS = 90


class BatchWriter(Protocol):
    """Writes one batch of rows to one table, all or nothing; raises on failure."""

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None: ...


# A writer may also have ``write_columns(table, columns, data)``, taking the batch column by
# column; ``Sink.add_columns`` rows are then written without building a tuple per row.


class ClickHouseWriter:
    """A :class:`BatchWriter` over a clickhouse-connect async client: one columnar insert.

    The client is made on the first write, so a worker starts even while ClickHouse is down.
    Each table's column types are asked of ClickHouse once (``DESCRIBE TABLE``) and kept:
    clickhouse-connect would otherwise describe the table before every insert, a second round
    trip per table and batch. They are forgotten whenever an insert fails, so a retry after a
    schema change describes the table again.
    """

    def __init__(self, connect: Callable[[], Awaitable[AsyncClient]], database: str) -> None:
        self._connect = connect
        self._database = database
        self._client: AsyncClient | None = None
        self._types: dict[tuple[str, tuple[str, ...]], Sequence[ClickHouseType]] = {}

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        await self.write_columns(table, columns, [list(c) for c in zip(*rows, strict=True)])

    async def write_columns(
        self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]
    ) -> None:
        if self._client is None:
            self._client = await self._connect()
        key = (table, tuple(columns))
        try:
            types = self._types.get(key)
            if types is None:
                context = await self._client.create_insert_context(
                    table, list(columns), self._database, column_oriented=True
                )
                types = self._types[key] = context.column_types
            await self._client.insert(
                table,
                data,
                column_names=list(columns),
                database=self._database,
                column_types=types,
                column_oriented=True,
            )
        except BaseException:
            self._types.pop(key, None)
            raise


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


@dataclass(frozen=True)
class Block:
    """One table's rows column by column (``data``), and the origin of each row."""

    data: Sequence[list[Any]]
    origins: Sequence[object]

    def entries(self) -> list[Entry]:
        """The same rows as (row, origin) pairs."""
        return list(zip(zip(*self.data, strict=True), self.origins, strict=True))


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
        self._blocks: dict[str, list[Block]] = {table: [] for table in columns}
        self._month_columns = {
            table: COLUMNS[table].index(PARTITION_COLUMNS[table])
            for table in columns
            if table in PARTITION_COLUMNS
        }

    def fresh(self) -> Sink:
        """An empty sink writing the same tables the same way (one per batch in flight)."""
        return Sink(self._writer, self._columns, self._backoff, self._max_partitions)

    def add(self, table: str, row: Row, origin: object = None) -> None:
        """Buffer one row for ``table`` (one of the tables given at construction).

        ``origin`` (the Kafka message the row came from) is handed back if the row is refused.
        """
        self._buffers[table].append((row, origin))

    def add_columns(self, table: str, data: Sequence[list[Any]], origins: Sequence[object]) -> None:
        """Buffer rows for ``table`` given column by column (in the sink's column order), with
        the origin of each row; written without building a tuple per row (:meth:`flush`)."""
        if len(data) != len(self._columns[table]):
            raise ValueError(
                f"{table}: {len(data)} columns given, {len(self._columns[table])} expected"
            )
        if origins:
            self._blocks[table].append(Block(data, origins))

    def buffered(self) -> dict[str, list[Entry]]:
        """The rows buffered per table, with their origins (``flush`` leaves these lists be)."""
        return dict(self._buffers)

    @property
    def pending(self) -> int:
        """Rows buffered and not yet written."""
        rows = sum(len(rows) for rows in self._buffers.values())
        return rows + sum(len(b.origins) for blocks in self._blocks.values() for b in blocks)

    async def flush(self) -> Flushed:
        """Write every buffered table (concurrently), retrying until ClickHouse takes each row
        or refuses it for good; return what was stored and what was refused."""
        pending = {table: rows for table, rows in self._buffers.items() if rows}
        blocks = {table: b for table, b in self._blocks.items() if b}
        refused = await asyncio.gather(
            *(self._write_table(t, rows) for t, rows in pending.items()),
            *(self._write_blocks(t, b) for t, b in blocks.items()),
        )
        for table in pending:
            self._buffers[table] = []
        for table in blocks:
            self._blocks[table] = []
        rejected = [r for table_rejected in refused for r in table_rejected]
        total = sum(len(rows) for rows in pending.values())
        total += sum(len(b.origins) for table_blocks in blocks.values() for b in table_blocks)
        return Flushed(written=total - len(rejected), rejected=rejected)

    async def _write_blocks(self, table: str, blocks: list[Block]) -> list[Rejected]:
        """Write each block in one columnar insert; a block spanning too many months, or one
        ClickHouse refuses for good, goes the way of rows (split, or bisected)."""
        rejected: list[Rejected] = []
        for block in blocks:
            started = time.monotonic()
            if self._within_partition_limit(table, block):
                error = await self._write_with_retry(table, block.data, len(block.origins))
                refused = [] if error is None else await self._bisect(table, block.entries(), error)
                metrics.SINK_BATCH_LATENCY.labels(table).observe(time.monotonic() - started)
                metrics.SINK_ROWS.labels(table).inc(len(block.origins) - len(refused))
                if refused:
                    metrics.SINK_ROWS_REJECTED.labels(table).inc(len(refused))
                rejected += refused
            else:
                rejected += await self._write_table(table, block.entries())
        return rejected

    def _within_partition_limit(self, table: str, block: Block) -> bool:
        index = self._month_columns.get(table)
        if index is None:
            return True  # as partition_key: a table we do not know is written in one insert
        values = set(block.data[index])
        months = {year_month(v) if isinstance(v, date) else v for v in values}
        return len(months) <= self._max_partitions

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
        return await self._bisect(table, entries, error)

    async def _bisect(self, table: str, entries: list[Entry], error: str) -> list[Rejected]:
        """``entries`` were refused for good with ``error``: store the halves apart."""
        if len(entries) == 1:
            row, origin = entries[0]
            logger.bind(table=table).warning("ClickHouse refused a row of {}: {}", table, error)
            return [Rejected(table, row, origin, error)]
        middle = len(entries) // 2
        return await self._store(table, entries[:middle]) + await self._store(
            table, entries[middle:]
        )

    async def _write_with_retry(
        self, table: str, rows: Sequence[Any], columnar_rows: int | None = None
    ) -> str | None:
        """None once ClickHouse took ``rows`` (or, with ``columnar_rows``, ``rows`` are that
        many rows column by column); the error if it refused them for good."""
        for delay in self._backoff.delays():
            try:
                await self._write(table, rows, columnar_rows)
            except Exception as exc:  # noqa: BLE001 - classified: retried or handed back
                if classify(exc) is Failure.PERMANENT:
                    return describe(exc)
                metrics.SINK_RETRIES.labels(table).inc()
                logger.warning(str(SinkWriteError(table, exc, delay)))
                await asyncio.sleep(delay)
                continue
            metrics.SINK_BATCH_SIZE.labels(table).observe(
                len(rows) if columnar_rows is None else columnar_rows
            )
            return None
        raise AssertionError("Backoff.delays() never ends")  # pragma: no cover

    async def _write(self, table: str, rows: Sequence[Any], columnar_rows: int | None) -> None:
        names = self._columns[table]
        write_columns = getattr(self._writer, "write_columns", None)
        if columnar_rows is None:
            await self._writer.write(table, names, rows)
        elif write_columns is not None:
            await write_columns(table, names, rows)
        else:  # a writer of rows only
            await self._writer.write(table, names, list(zip(*rows, strict=True)))
