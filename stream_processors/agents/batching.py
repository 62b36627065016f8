"""The worker's loop: take a batch, decode it, map it to rows, write them, then acknowledge.

Messages are acknowledged only after ClickHouse confirmed every row built from them, so Faust
commits an offset only once its batch is stored; a crash in between re-delivers the batch and
the keyed ReplacingMergeTree tables collapse the repeated rows. A message whose rows ClickHouse
refused for good is dead-lettered once (whichever tables refused it) and acknowledged with the
rest: its other rows stay stored, and a replay of the dead letter collapses onto them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from faust.types import Message

from clickhouse.rollups import TouchedKeys
from schemas.events import EventRecord
from stream_processors import metrics
from stream_processors.decoding import Undecodable, decode_batch
from stream_processors.dlq import Failed, Refused
from stream_processors.inbox import Inbox
from stream_processors.rollup_deferral import RollupDeferral
from stream_processors.rows import Row, TableColumns
from stream_processors.sink import Rejected, Sink

RowFunction = Callable[[EventRecord, Message], Row | None]
RowMapper = Callable[[EventRecord, Message], Iterable[tuple[str, Row]]]
ColumnMapper = Callable[[list[EventRecord], list[Message]], Mapping[str, TableColumns]]
DeadLetter = Callable[[Message, Failed], Awaitable[None]]
OnStored = Callable[[list[EventRecord]], None]


class Refresher(Protocol):
    """Recomputes the rollup keys a stored batch touched (``rollup_refresh.RollupRefresher``)."""

    async def refresh(self, touched: TouchedKeys) -> None: ...


def _nothing(records: list[EventRecord]) -> None:
    """The default ``on_stored``: no live figures to update."""


@dataclass(frozen=True)
class Projection:
    """One metric's share of the work: the fact table it fills and the row (or None) an event gives.

    ``on_stored`` sees the records of a batch once ClickHouse has stored it (live counters).
    """

    table: str
    row: RowFunction
    on_stored: OnStored = _nothing


def refused_messages(rejected: list[Rejected]) -> list[tuple[Message, Refused]]:
    """Each message behind refused rows once, with the refusals of all its tables."""
    errors: dict[int, tuple[Message, dict[str, str]]] = {}
    for rejection in rejected:
        message = cast(Message, rejection.origin)  # the sink carries what the loop gave it
        _, tables = errors.setdefault(id(message), (message, {}))
        tables.setdefault(rejection.table, rejection.error)
    return [
        (message, Refused("; ".join(f"{t}: {e}" for t, e in tables.items()), message.value or b""))
        for message, tables in errors.values()
    ]


@dataclass
class Prepared:
    """A batch's rows, buffered in a sink of their own, and its undecodable messages."""

    sink: Sink
    records: list[tuple[EventRecord, Message]] = field(default_factory=list)
    undecodable: list[tuple[Message, Undecodable]] = field(default_factory=list)
    # With a column mapper: each table's rows column by column, and the origin of each row.
    columns: dict[str, tuple[TableColumns, Sequence[Message]]] = field(default_factory=dict)


def touch_columns(touched: TouchedKeys, table: str, columns: Sequence[list[Any]]) -> None:
    """``touched.add(table, row)`` for every row of ``columns``, a set operation per table."""
    if table == "dau_users":
        touched.days.update(columns[0])
    elif table == "llm_calls":
        touched.llm.update(zip(columns[0], columns[1], columns[2], strict=True))
    elif table == "subject_events":
        touched.subjects.update(zip(columns[0], columns[1], strict=True))


@dataclass
class Written:
    """A batch whose facts are stored: the keys they touched and the records ClickHouse kept."""

    touched: TouchedKeys
    kept: list[EventRecord]


@dataclass(frozen=True)
class BatchStore:
    """Stores one batch: its rows through ``sink``, its failures to ``dead_letter``.

    :meth:`write` stores the facts (undecodable messages, and messages whose rows ClickHouse
    refused for good, go to ``dead_letter``); :meth:`settle` then recomputes the rollup keys
    the stored rows touched (with a ``refresher``) and hands ``on_stored`` the records kept.
    Once both returned, every message of the batch may be acknowledged.
    """

    sink: Sink
    to_rows: RowMapper
    dead_letter: DeadLetter
    on_stored: OnStored = _nothing
    refresher: Refresher | None = None
    # Every table's rows of a whole batch at once (``Projections.columns``), instead of
    # ``to_rows`` per record: what the worker uses; ``to_rows`` stays for other callers.
    to_columns: ColumnMapper | None = None

    async def store(self, batch: Sequence[tuple[object, Message]]) -> None:
        """Write and settle ``batch`` (decoded value, message)."""
        await self.settle(await self.write(self.prepare(batch)))

    def prepare(self, batch: Sequence[tuple[object, Message]]) -> Prepared:
        """The rows of ``batch`` (decoded value, message) in a sink of their own."""
        prepared = Prepared(self.sink.fresh())
        if self.to_columns is not None:
            return self._prepare_columns(prepared, batch, self.to_columns)
        add, keep, to_rows = prepared.sink.add, prepared.records.append, self.to_rows
        for value, message in batch:
            if isinstance(value, EventRecord):
                keep((value, message))
                for table, row in to_rows(value, message):
                    add(table, row, message)
            elif isinstance(value, Undecodable):
                prepared.undecodable.append((message, value))
        return prepared

    def _prepare_columns(
        self, prepared: Prepared, batch: Sequence[tuple[object, Message]], to_columns: ColumnMapper
    ) -> Prepared:
        records: list[EventRecord] = []
        messages: list[Message] = []
        for value, message in batch:
            if isinstance(value, EventRecord):
                records.append(value)
                messages.append(message)
            elif isinstance(value, Undecodable):
                prepared.undecodable.append((message, value))
        prepared.records = list(zip(records, messages, strict=True))
        for table, block in to_columns(records, messages).items():
            origins = (
                messages if len(block) == len(messages) else [messages[i] for i in block.index]
            )
            prepared.sink.add_columns(table, block.columns, origins)
            prepared.columns[table] = (block, origins)
        return prepared

    async def write(self, prepared: Prepared) -> Written:
        """Store the facts of a prepared batch and dead-letter what cannot be stored."""
        for message, failure in prepared.undecodable:
            await self.dead_letter(message, failure)
        buffered = prepared.sink.buffered()
        flushed = await prepared.sink.flush()
        refused = refused_messages(flushed.rejected)
        for message, refusal in refused:
            await self.dead_letter(message, refusal)
        # Rows ClickHouse refused touched nothing (and their keys may be unwritable).
        unstored = {id(rejection.row) for rejection in flushed.rejected}
        touched = TouchedKeys()
        if self.refresher is not None:
            for table, entries in buffered.items():
                if table not in TouchedKeys.TABLES:
                    continue
                for row, _ in entries:
                    if id(row) not in unstored:
                        touched.add(table, row)
            self._touch_columns(touched, prepared, flushed.rejected)
        gone = {id(message) for message, _ in refused}
        if not gone:
            return Written(touched, [record for record, _ in prepared.records])
        kept = [record for record, message in prepared.records if id(message) not in gone]
        return Written(touched, kept)

    @staticmethod
    def _touch_columns(touched: TouchedKeys, prepared: Prepared, rejected: list[Rejected]) -> None:
        """The keys of the columnar rows ClickHouse stored (a message gives a table one row at
        most, so a refused row is known by its table and message)."""
        for table, (block, origins) in prepared.columns.items():
            if table not in TouchedKeys.TABLES:
                continue
            refused = {id(r.origin) for r in rejected if r.table == table}
            if not refused:
                touch_columns(touched, table, block.columns)
                continue
            for row, origin in zip(zip(*block.columns, strict=True), origins, strict=True):
                if id(origin) not in refused:
                    touched.add(table, row)

    async def refresh_keys(self, touched: TouchedKeys) -> None:
        """Recompute ``touched`` (nothing without a refresher)."""
        if self.refresher is not None:
            await self.refresher.refresh(touched)

    async def settle(self, written: Written) -> None:
        """Recompute the rollup keys a written batch touched, then report its records."""
        await self.refresh_keys(written.touched)
        self.on_stored(written.kept)


# Batches whose facts are being inserted at once, and messages written and not yet settled
# (as a multiple of the batch size) before the loop waits for the recompute to catch up.
IN_FLIGHT = 2
UNSETTLED_BATCHES = 4


@dataclass(frozen=True)
class DeferPolicy:
    """Keys of days before ``today - after_days`` wait up to ``max_seconds`` (0: never)."""

    after_days: int
    max_seconds: float


class Settler:
    """Recomputes the keys of stored batches and acknowledges them, in order, several batches
    at a time.

    The batch loop hands over each batch as its insert starts (:meth:`add`, once :meth:`room`
    let it take the batch); :meth:`run` waits
    for the oldest insert, takes it and every later batch whose insert has finished too, and
    recomputes the union of their keys in one refresh, which therefore starts after every one
    of those inserts finished (the rule of ``clickhouse.rollups``). Inserts go on meanwhile, so
    a batch's facts are stored while the previous batches' keys are recomputed, and a slow
    recompute makes the next one cover more batches, not the inserts wait.
    """

    def __init__(
        self, store: BatchStore, deferral: RollupDeferral, idle: Callable[[], bool], limit: int
    ) -> None:
        self._store = store
        self._deferral = deferral
        self._idle = idle
        self._limit = limit
        self._pending: deque[tuple[asyncio.Future[Written], list[Message]]] = deque()
        self._unsettled = 0
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    async def room(self) -> None:
        """Wait while ``limit`` messages are written and not yet settled (backpressure on the
        loop, and so on the inbox and the fetcher)."""
        while self._unsettled >= self._limit:
            self._room.clear()
            await self._room.wait()

    def add(self, write: asyncio.Future[Written], messages: list[Message]) -> None:
        """Queue a batch whose insert is under way."""
        self._pending.append((write, messages))
        self._unsettled += len(messages)
        self._arrived.set()

    async def run(self) -> None:
        """Forever: settle the oldest stored batches together, then acknowledge them."""
        while True:
            while not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            await asyncio.shield(self._pending[0][0])  # an insert's error ends the loop
            group = [self._pending.popleft()]
            while self._pending and self._pending[0][0].done():
                group.append(self._pending.popleft())
            await self.settle(group)

    async def settle(self, group: list[tuple[asyncio.Future[Written], list[Message]]]) -> None:
        """One refresh of the group's live keys, its old days' keys deferred, then its acks (or
        their hold behind the deferred keys), in order."""
        written = [write.result() for write, _ in group]
        touched = TouchedKeys()
        for batch in written:
            touched.merge(batch.touched)
        now, later = self._deferral.split(touched)
        await self._store.refresh_keys(now)
        for batch in written:
            self._store.on_stored(batch.kept)
        messages = [message for _, batch_messages in group for message in batch_messages]
        metrics.SETTLE_BATCHES.observe(len(group))
        # Idle: nothing fetched waits, and no later batch is being stored.
        idle = self._idle() and not self._pending
        await self._deferral.settled(later, messages, idle=idle)
        self._unsettled -= len(messages)
        if self._unsettled < self._limit:
            self._room.set()


async def store_batches(
    inbox: Inbox,
    store: BatchStore,
    ack: Callable[[Message], object],
    max_rows: int,
    defer: DeferPolicy | None = None,
) -> None:
    """Forever: take what the inbox holds (up to ``max_rows`` messages), decode it, write it,
    settle it, and only then acknowledge every message of it (Faust commits acknowledged
    offsets).

    Inserts and recomputes overlap: up to ``IN_FLIGHT`` batches are inserted at once, while
    the :class:`Settler` recomputes the keys of the batches stored before them, every batch
    stored since its last refresh in one. Each refresh starts only after the inserts of all
    its batches finished and after the previous refresh, so every key's newest recompute still
    follows every insert that touched it, and batches are acknowledged in order. At most
    ``UNSETTLED_BATCHES`` × ``max_rows`` messages are written and not yet settled.

    With ``defer``, the keys of old days are recomputed together every few seconds instead
    (``rollup_deferral``), and the acknowledgements of their batches, and of every batch after
    them, wait for that refresh.
    """
    policy = defer or DeferPolicy(after_days=0, max_seconds=0)
    deferral = RollupDeferral(
        store.refresh_keys, ack, policy.after_days, policy.max_seconds, hold_limit=4 * max_rows
    )
    settler = Settler(store, deferral, inbox.empty, limit=UNSETTLED_BATCHES * max_rows)
    writes: set[asyncio.Future[Written]] = set()  # the inserts under way

    async def take_and_write() -> None:
        while True:
            await settler.room()
            messages = await inbox.take(max_rows)
            started = time.time()
            observe_batch(messages, started)
            prepared = store.prepare(decode_batch(messages))
            write = asyncio.ensure_future(_write(store, prepared, started))
            writes.add(write)
            settler.add(write, messages)
            writes.difference_update([w for w in writes if w.done()])
            if len(writes) >= IN_FLIGHT:
                await asyncio.wait(writes, return_when=asyncio.FIRST_COMPLETED)

    loops = [asyncio.ensure_future(take_and_write()), asyncio.ensure_future(settler.run())]
    try:
        done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
        for finished in done:
            finished.result()  # an error of either loop (both run forever otherwise)
    finally:
        for loop in loops:
            loop.cancel()
        for write in writes:
            write.cancel()


async def _write(store: BatchStore, prepared: Prepared, started: float) -> Written:
    """Store one prepared batch's facts."""
    written = await store.write(prepared)
    metrics.BATCH_WRITE.observe(time.time() - started)
    return written


def observe_batch(messages: list[Message], started: float) -> None:
    """Batch size, and how long its newest and oldest message waited since the API sent it."""
    metrics.BATCH_EVENTS.observe(len(messages))
    stamps = [message.timestamp for message in messages]
    metrics.BATCH_WAIT.labels("newest").observe(max(started - max(stamps), 0.0))
    metrics.BATCH_WAIT.labels("oldest").observe(max(started - min(stamps), 0.0))
