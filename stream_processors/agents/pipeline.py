"""The worker's one Faust agent: every event of ``pulse.events.v1`` through every projection.

One consumer stream feeds all metrics, so each message is decoded once and acknowledged once,
after the rows of every projection it fed are stored together. (An agent per metric re-decodes
and re-queues each message per metric; on two cores that cost a factor of four in throughput.)
Undecodable messages go to the dead-letter topic, once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import faust
from faust import StreamT
from faust.types import AgentT, Message, TopicT

from schemas.events import EventRecord
from stream_processors.agents import assignment_time, dau, events_store, subject_usage
from stream_processors.agents.batching import BatchStore, Projection, store_batches
from stream_processors.rows import Row

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

    def rows(self, record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
        for projection in self.all:
            yield from projection.rows(record, message)

    def on_stored(self, records: list[EventRecord]) -> None:
        for projection in self.all:
            projection.on_stored(records)


def register_agent(
    app: faust.App, topic: TopicT, store: BatchStore, max_rows: int, max_seconds: float
) -> AgentT:
    """Register the agent that stores each batch of ``topic`` with ``store``, then acks it."""

    async def project_events(stream: StreamT) -> None:
        """Store each batch in every fact table, refresh the rollups it touched, then ack."""
        await store_batches(stream, store, max_rows, max_seconds)

    return app.agent(topic, name="stream_processors.agents.pipeline.project_events")(project_events)
