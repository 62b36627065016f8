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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from faust.types import Message

from clickhouse.rollups import TouchedKeys
from schemas.events import EventRecord
from stream_processors import metrics
from stream_processors.decoding import Undecodable, decode_batch
from stream_processors.dlq import Failed, Refused
from stream_processors.inbox import Inbox
from stream_processors.rows import Row
from stream_processors.sink import Rejected, Sink

RowMapper = Callable[[EventRecord, Message], Iterable[tuple[str, Row]]]
DeadLetter = Callable[[Message, Failed], Awaitable[None]]
OnStored = Callable[[list[EventRecord]], None]


class Refresher(Protocol):
    """Recomputes the rollup keys a stored batch touched (``rollup_refresh.RollupRefresher``)."""

    async def refresh(self, touched: TouchedKeys) -> None: ...


def _nothing(records: list[EventRecord]) -> None:
    """The default ``on_stored``: no live figures to update."""


@dataclass(frozen=True)
class Projection:
    """One metric's share of the work: the fact table it fills and the rows an event gives it.

    ``on_stored`` sees the records of a batch once ClickHouse has stored it (live counters).
    """

    table: str
    rows: RowMapper
    on_stored: OnStored = _nothing


def refused_messages(rejected: list[Rejected]) -> list[tuple[Message, Refused]]:
    """Each message behind refused rows once, with the refusals of all its tables."""
    errors: dict[int, tuple[Message, dict[str, str]]] = {}
    for rejection in rejected:
        message: Message = rejection.origin  # type: ignore[assignment]
        _, tables = errors.setdefault(id(message), (message, {}))
        tables.setdefault(rejection.table, rejection.error)
    return [
        (message, Refused("; ".join(f"{t}: {e}" for t, e in tables.items()), message.value or b""))
        for message, tables in errors.values()
    ]


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

    async def store(self, batch: Sequence[tuple[object, Message]]) -> None:
        """Write and settle ``batch`` (decoded value, message)."""
        await self.settle(await self.write(batch))

    async def write(self, batch: Sequence[tuple[object, Message]]) -> Written:
        """Store the facts of ``batch`` and dead-letter what cannot be stored."""
        records: list[tuple[EventRecord, Message]] = []
        added: list[tuple[str, Row]] = []
        for value, message in batch:
            if isinstance(value, EventRecord):
                records.append((value, message))
                for table, row in self.to_rows(value, message):
                    self.sink.add(table, row, origin=message)
                    added.append((table, row))
            elif isinstance(value, Undecodable):
                await self.dead_letter(message, value)
        flushed = await self.sink.flush()
        refused = refused_messages(flushed.rejected)
        for message, failure in refused:
            await self.dead_letter(message, failure)
        # Rows ClickHouse refused touched nothing (and their keys may be unwritable).
        unstored = {id(rejection.row) for rejection in flushed.rejected}
        touched = TouchedKeys()
        if self.refresher is not None:
            for table, row in added:
                if id(row) not in unstored:
                    touched.add(table, row)
        gone = {id(message) for message, _ in refused}
        return Written(touched, [record for record, message in records if id(message) not in gone])

    async def settle(self, written: Written) -> None:
        """Recompute the rollup keys a written batch touched, then report its records."""
        if self.refresher is not None:
            await self.refresher.refresh(written.touched)
        self.on_stored(written.kept)


async def store_batches(
    inbox: Inbox, store: BatchStore, ack: Callable[[Message], object], max_rows: int
) -> None:
    """Forever: take what the inbox holds (up to ``max_rows`` messages), decode it, write it,
    settle it, and only then acknowledge every message of it (Faust commits acknowledged
    offsets).

    Two batches overlap: batch N+1 is decoded and written while batch N's rollups are
    recomputed. The recompute of N+1 starts only after N's has finished and N+1's facts are
    stored, so each key's newest recompute still follows every insert that touched it.
    """
    settling: asyncio.Task[None] | None = None
    try:
        while True:
            messages = await inbox.take(max_rows)
            started = time.time()
            observe_batch(messages, started)
            written = await store.write(decode_batch(messages))
            metrics.BATCH_WRITE.observe(time.time() - started)
            if settling is not None:
                await settling
            settling = asyncio.ensure_future(_settle(store, written, messages, ack))
    finally:
        if settling is not None and not settling.done():
            settling.cancel()


def observe_batch(messages: list[Message], started: float) -> None:
    """Batch size, and how long its newest and oldest message waited since the API sent it."""
    metrics.BATCH_EVENTS.observe(len(messages))
    stamps = [message.timestamp for message in messages]
    metrics.BATCH_WAIT.labels("newest").observe(max(started - max(stamps), 0.0))
    metrics.BATCH_WAIT.labels("oldest").observe(max(started - min(stamps), 0.0))


async def _settle(
    store: BatchStore, written: Written, messages: list[Message], ack: Callable[[Message], object]
) -> None:
    await store.settle(written)
    for message in messages:
        ack(message)
