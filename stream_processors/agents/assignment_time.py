"""Time on assignments: one fact per ``assignment.*`` event.

The gaps are summed at read time by the ``assignment_time`` view over all of a pair's events,
so events arriving out of order or days late are counted exactly.
"""

from __future__ import annotations

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, assignment_row


def row(record: EventRecord, message: Message) -> Row | None:
    return assignment_row(record)


PROJECTION = Projection("assignment_events", row)
