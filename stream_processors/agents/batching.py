"""The worker's loop: take a batch, map it to rows, write them, then acknowledge.

Messages are acknowledged only after ClickHouse confirmed every row built from them, so Faust
commits an offset only once its batch is stored; a crash in between re-delivers the batch and
the keyed ReplacingMergeTree tables collapse the repeated rows. A message whose rows ClickHouse
refused for good is dead-lettered once (whichever tables refused it) and acknowledged with the
rest: its other rows stay stored, and a replay of the dead letter collapses onto them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from faust import StreamT
from faust.types import Message

from clickhouse.rollups import TouchedKeys
from schemas.events import EventRecord
from stream_processors.decoding import Undecodable
from stream_processors.dlq import Failed, Refused
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


@dataclass(frozen=True)
class BatchStore:
    """Stores one batch: its rows through ``sink``, its failures to ``dead_letter``.

    Undecodable messages, and messages whose rows ClickHouse refused for good, go to
    ``dead_letter``. With a ``refresher``, the rollup keys of the stored rows are recomputed
    after they are stored; ``on_stored`` then sees the records ClickHouse kept. When
    :meth:`store` returns, every message of the batch may be acknowledged.
    """

    sink: Sink
    to_rows: RowMapper
    dead_letter: DeadLetter
    on_stored: OnStored = _nothing
    refresher: Refresher | None = None

    async def store(self, batch: list[tuple[object, Message]]) -> None:
        """Store ``batch`` (decoded value, message) and dead-letter what cannot be stored."""
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
        if self.refresher is not None:
            # Rows ClickHouse refused touched nothing (and their keys may be unwritable).
            unstored = {id(rejection.row) for rejection in flushed.rejected}
            touched = TouchedKeys()
            for table, row in added:
                if id(row) not in unstored:
                    touched.add(table, row)
            await self.refresher.refresh(touched)
        gone = {id(message) for message, _ in refused}
        self.on_stored([record for record, message in records if id(message) not in gone])


async def store_batches(
    stream: StreamT, store: BatchStore, max_rows: int, max_seconds: float
) -> None:
    """Consume ``stream`` in batches of ``max_rows`` events or ``max_seconds``; acknowledge a
    batch only once ``store`` has stored it."""
    async for events in stream.noack_take(max_rows, within=max_seconds):
        await store.store([(event.value, event.message) for event in events])
        for event in events:
            await stream.ack(event)
