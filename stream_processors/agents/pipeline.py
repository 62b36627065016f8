"""The worker's one batch loop: every event of ``pulse.events.v1`` through every projection.

One loop feeds all metrics, so each message is decoded once and acknowledged once, after the
rows of every projection it fed are stored together. (An agent per metric re-decodes and
re-queues each message per metric; on two cores that cost a factor of four in throughput.)
Undecodable messages go to the dead-letter topic, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import faust
from faust.types import Message
from loguru import logger

from schemas.events import EventRecord
from stream_processors.agents import assignment_time, dau, events_store, subject_usage
from stream_processors.agents.batching import BatchStore, DeferPolicy, Projection, store_batches
from stream_processors.inbox import Inbox
from stream_processors.rows import Row, TableColumns, batch_columns

FIXED_PROJECTIONS: tuple[Projection, ...] = (
    events_store.PROJECTION,
    dau.PROJECTION,
    assignment_time.PROJECTION,
    subject_usage.PROJECTION,
)


class Projections:
    """Every projection applied together: one row mapper and one ``on_stored`` for all."""

    def __init__(self, projections: Sequence[Projection]) -> None:
        self.all = tuple(projections)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(projection.table for projection in self.all)

    def rows(self, record: EventRecord, message: Message) -> list[tuple[str, Row]]:
        """The row each projection takes from ``record``, with its table (None: no row)."""
        return [
            (projection.table, row)
            for projection in self.all
            if (row := projection.row(record, message)) is not None
        ]

    def columns(
        self, records: list[EventRecord], messages: Sequence[Message]
    ) -> dict[str, TableColumns]:
        """Every projection's rows of a whole batch, column by column (``rows.batch_columns``):
        the same rows as :meth:`rows` gives record by record, with less Python per row."""
        built = batch_columns(
            records, [m.partition for m in messages], [m.offset for m in messages]
        )
        return {table: built[table] for table in self.tables}

    def on_stored(self, records: list[EventRecord]) -> None:
        for projection in self.all:
            projection.on_stored(records)


def register_agent(
    app: faust.App, inbox: Inbox, store: BatchStore, max_rows: int, defer: DeferPolicy
) -> Callable[[], Awaitable[None]]:
    """Register the task that stores each batch of ``inbox`` with ``store``, then acks it.

    An unexpected error stops the worker (with its traceback): its unacknowledged batch is
    read again by whoever owns the partitions next, never skipped.
    """

    async def project_events() -> None:
        try:
            await store_batches(inbox, store, app.consumer.ack, max_rows, defer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: logged, then the worker stops
            logger.exception("the batch loop failed; stopping the worker")
            await app.crash(exc)

    task: Callable[[], Awaitable[None]] = app.task(project_events)  # Faust returns it untyped
    return task
