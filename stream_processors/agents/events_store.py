"""Every accepted event into ``events_store``."""

from __future__ import annotations

from collections.abc import Iterator

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, events_store_row


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    yield "events_store", events_store_row(record, message.partition, message.offset)


PROJECTION = Projection("events_store", rows)
