"""Time on assignments: one fact per ``assignment.*`` event.

The gaps are summed at read time by the ``assignment_time`` view over all of a pair's events,
so events arriving out of order or days late are counted exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

from faust import StreamT
from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import new_sink, store_batches
from stream_processors.app import app
from stream_processors.rows import Row, assignment_row
from stream_processors.topics import events_topic


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    row = assignment_row(record)
    if row is not None:
        yield "assignment_events", row


@app.agent(events_topic)
async def assignment_time(stream: StreamT) -> None:
    """Record each assignment event of a (user, assignment) pair."""
    await store_batches(stream, new_sink("assignment_events"), rows)
