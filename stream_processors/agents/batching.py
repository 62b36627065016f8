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

from faust import StreamT
from faust.types import Message

from clickhouse.rollups import TouchedKeys
from schemas.events import EventRecord
from stream_processors.app import app, settings, shared
from stream_processors.decoding import Undecodable
from stream_processors.dlq import Failed, Refused
from stream_processors.rollup_refresh import RollupRefresher
from stream_processors.rows import COLUMNS, Row
from stream_processors.sink import Backoff, ClickHouseWriter, Rejected, Sink

RowMapper = Callable[[EventRecord, Message], Iterable[tuple[str, Row]]]
DeadLetter = Callable[[Message, Failed], Awaitable[None]]
OnStored = Callable[[list[EventRecord]], None]


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


writer = ClickHouseWriter(app.clickhouse.get, shared.clickhouse_database)


def _backoff() -> Backoff:
    return Backoff(settings.sink_retry_min_seconds, settings.sink_retry_max_seconds)


def new_sink(*tables: str) -> Sink:
    """A sink for ``tables`` writing through the worker's shared ClickHouse writer."""
    return Sink(
        writer,
        {table: COLUMNS[table] for table in tables},
        _backoff(),
        max_partitions=settings.sink_max_partitions,
    )


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


def new_refresher() -> RollupRefresher:
    """Recomputes the rollup keys of each stored batch through the shared ClickHouse client."""
    return RollupRefresher(
        app.clickhouse.get,
        shared.clickhouse_database,
        _backoff(),
        max_partitions=settings.sink_max_partitions,
    )


async def store_batches(
    stream: StreamT,
    sink: Sink,
    to_rows: RowMapper,
    dead_letter: DeadLetter | None = None,
    on_stored: OnStored | None = None,
    refresher: RollupRefresher | None = None,
) -> None:
    """Consume ``stream`` in batches of ``PULSE_SINK_MAX_ROWS`` or ``PULSE_SINK_MAX_SECONDS``.

    Undecodable messages, and messages whose rows ClickHouse refused for good, go to
    ``dead_letter``. With a ``refresher``, the rollup keys of the stored rows are recomputed
    after they are stored and before the batch is acknowledged.
    """
    async for events in stream.noack_take(settings.sink_max_rows, within=settings.sink_max_seconds):
        records: list[tuple[EventRecord, Message]] = []
        added: list[tuple[str, Row]] = []
        for event in events:
            value = event.value
            if isinstance(value, EventRecord):
                records.append((value, event.message))
                for table, row in to_rows(value, event.message):
                    sink.add(table, row, origin=event.message)
                    added.append((table, row))
            elif dead_letter is not None and isinstance(value, Undecodable):
                await dead_letter(event.message, value)
        flushed = await sink.flush()
        refused = refused_messages(flushed.rejected)
        for message, failure in refused:
            if dead_letter is not None:
                await dead_letter(message, failure)
        if refresher is not None:
            # Rows ClickHouse refused touched nothing (and their keys may be unwritable).
            unstored = {id(rejection.row) for rejection in flushed.rejected}
            touched = TouchedKeys()
            for table, row in added:
                if id(row) not in unstored:
                    touched.add(table, row)
            await refresher.refresh(touched)
        if on_stored is not None:
            gone = {id(message) for message, _ in refused}
            on_stored([record for record, message in records if id(message) not in gone])
        for event in events:
            await stream.ack(event)
