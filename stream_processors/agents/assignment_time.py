"""Time on assignments: one fact per ``assignment.*`` event.

The gaps are summed at read time by the ``assignment_time`` view over all of a pair's events,
so events arriving out of order or days late are counted exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, assignment_row


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    row = assignment_row(record)
    if row is not None:
        yield "assignment_events", row


PROJECTION = Projection("assignment_events", rows)
