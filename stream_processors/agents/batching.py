"""The worker's loop: take a batch, map it to rows, write them, then acknowledge.

Messages are acknowledged only after ClickHouse confirmed every row built from them, so Faust
commits an offset only once its batch is stored; a crash in between re-delivers the batch and
the keyed ReplacingMergeTree tables collapse the repeated rows.
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
from stream_processors.rollup_refresh import RollupRefresher
from stream_processors.rows import COLUMNS, Row
from stream_processors.sink import Backoff, ClickHouseWriter, Sink

RowMapper = Callable[[EventRecord, Message], Iterable[tuple[str, Row]]]
OnUndecodable = Callable[[Message, Undecodable], Awaitable[None]]
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
    return Sink(writer, {table: COLUMNS[table] for table in tables}, _backoff())


def new_refresher() -> RollupRefresher:
    """Recomputes the rollup keys of each stored batch through the shared ClickHouse client."""
    return RollupRefresher(app.clickhouse.get, shared.clickhouse_database, _backoff())


async def store_batches(
    stream: StreamT,
    sink: Sink,
    to_rows: RowMapper,
    on_undecodable: OnUndecodable | None = None,
    on_stored: OnStored | None = None,
    refresher: RollupRefresher | None = None,
) -> None:
    """Consume ``stream`` in batches of ``PULSE_SINK_MAX_ROWS`` or ``PULSE_SINK_MAX_SECONDS``.

    With a ``refresher``, the rollup keys a batch touched are recomputed after its facts are
    stored and before it is acknowledged.
    """
    async for events in stream.noack_take(settings.sink_max_rows, within=settings.sink_max_seconds):
        records: list[EventRecord] = []
        touched = TouchedKeys()
        for event in events:
            value = event.value
            if isinstance(value, EventRecord):
                records.append(value)
                for table, row in to_rows(value, event.message):
                    sink.add(table, row)
                    touched.add(table, row)
            elif on_undecodable is not None and isinstance(value, Undecodable):
                await on_undecodable(event.message, value)
        await sink.flush()
        if refresher is not None:
            await refresher.refresh(touched)
        if on_stored is not None:
            on_stored(records)
        for event in events:
            await stream.ack(event)
