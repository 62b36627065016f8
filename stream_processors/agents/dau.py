"""Daily active users: one (day, user_id) fact per event, collapsed by ClickHouse."""

from __future__ import annotations

from collections.abc import Iterator

from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import Projection
from stream_processors.rows import Row, dau_row


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    yield "dau_users", dau_row(record)


PROJECTION = Projection("dau_users", rows)
