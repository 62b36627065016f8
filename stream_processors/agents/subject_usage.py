"""Subject usage: one fact per event whose metadata names a subject."""

from __future__ import annotations

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, subject_row


def row(record: EventRecord, message: Message) -> Row | None:
    return subject_row(record)


PROJECTION = Projection("subject_events", row)
