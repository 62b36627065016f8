"""The worker's one Faust agent: every event of ``pulse.events.v1`` through every projection.

One consumer stream feeds all metrics, so each message is decoded once and acknowledged once,
after the rows of every projection it fed are stored together. (An agent per metric re-decodes
and re-queues each message per metric; on two cores that cost a factor of four in throughput.)
Undecodable messages go to the dead-letter topic, once.
"""

from __future__ import annotations

from collections.abc import Iterator

from faust import StreamT
from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents import (
    assignment_time,
    dau,
    events_store,
    llm_usage,
    subject_usage,
)
from stream_processors.agents.batching import (
    Projection,
    new_refresher,
    new_sink,
    store_batches,
)
from stream_processors.app import app
from stream_processors.dlq import dead_letter
from stream_processors.rows import Row
from stream_processors.topics import events_topic

PROJECTIONS: tuple[Projection, ...] = (
    events_store.PROJECTION,
    dau.PROJECTION,
    assignment_time.PROJECTION,
    llm_usage.PROJECTION,
    subject_usage.PROJECTION,
)


def all_rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    for projection in PROJECTIONS:
        yield from projection.rows(record, message)


def on_stored(records: list[EventRecord]) -> None:
    for projection in PROJECTIONS:
        projection.on_stored(records)


@app.agent(events_topic)
async def project_events(stream: StreamT) -> None:
    """Store each batch in every fact table, refresh the rollups it touched, then acknowledge."""
    sink = new_sink(*(projection.table for projection in PROJECTIONS))
    await store_batches(
        stream,
        sink,
        all_rows,
        dead_letter=dead_letter,
        on_stored=on_stored,
        refresher=new_refresher(),
    )
