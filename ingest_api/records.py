"""Accepted events as Kafka messages: EventRecord JSON, key ``user_id``, request id header."""

from __future__ import annotations

import orjson

from ingest_api.publisher import Message
from schemas import EventRecord


def to_message(record: EventRecord) -> Message:
    """The Kafka message carrying ``record`` on the events topic."""
    headers = [("request_id", record.request_id.encode())] if record.request_id else []
    value = orjson.dumps(record.model_dump(), option=orjson.OPT_UTC_Z)
    return Message(key=record.user_id.encode(), value=value, headers=headers)
