"""Daily active users: one (day, user_id) fact per event, collapsed by ClickHouse."""

from __future__ import annotations

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, dau_row


def row(record: EventRecord, message: Message) -> Row | None:
    return dau_row(record)


PROJECTION = Projection("dau_users", row)
