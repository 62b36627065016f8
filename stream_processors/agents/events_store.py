"""Every accepted event into ``events_store``; undecodable messages to the dead-letter topic."""

from __future__ import annotations

from collections.abc import Iterator

from faust import StreamT
from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import new_sink, store_batches
from stream_processors.app import app
from stream_processors.dlq import dead_letter
from stream_processors.rows import Row, events_store_row
from stream_processors.topics import events_topic


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    yield "events_store", events_store_row(record, message.partition, message.offset)


@app.agent(events_topic)
async def store_events(stream: StreamT) -> None:
    """Store events; the only agent that dead-letters, so each poison message goes once."""
    await store_batches(stream, new_sink("events_store"), rows, on_undecodable=dead_letter)
