"""Daily active users: one (day, user_id) fact per event, collapsed by ClickHouse."""

from __future__ import annotations

from collections.abc import Iterator

from faust import StreamT
from faust.types import Message

from schemas.events import EventRecord
from stream_processors.agents.batching import new_sink, store_batches
from stream_processors.app import app
from stream_processors.rows import Row, dau_row
from stream_processors.topics import events_topic


def rows(record: EventRecord, message: Message) -> Iterator[tuple[str, Row]]:
    yield "dau_users", dau_row(record)


@app.agent(events_topic)
async def daily_active_users(stream: StreamT) -> None:
    """Record that each event's user was active on the event's UTC day."""
    await store_batches(stream, new_sink("dau_users"), rows)
