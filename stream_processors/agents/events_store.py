"""Every accepted event into ``events_store``."""

from __future__ import annotations

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, events_store_row


def row(record: EventRecord, message: Message) -> Row | None:
    return events_store_row(record, message.partition, message.offset)


PROJECTION = Projection("events_store", row)
