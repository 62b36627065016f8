"""Subject usage: one fact per event whose metadata names a subject."""

from __future__ import annotations

from collections.abc import Iterator

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, subject_row


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    row = subject_row(record)
    if row is not None:
        yield "subject_events", row


PROJECTION = Projection("subject_events", rows)
