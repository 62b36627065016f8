"""Subject usage: one fact per event whose metadata names a subject."""

from __future__ import annotations

from collections.abc import Iterator

from faust import StreamT
from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import new_sink, store_batches
from stream_processors.app import app
from stream_processors.rows import Row, subject_row
from stream_processors.topics import events_topic


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    row = subject_row(record)
    if row is not None:
        yield "subject_events", row


@app.agent(events_topic)
async def subject_usage(stream: StreamT) -> None:
    """Record which subject each event belongs to."""
    await store_batches(stream, new_sink("subject_events"), rows)
