"""Kafka message values -> :class:`EventRecord`, or an :class:`Undecodable` saying why not.

Registered as the Faust codec ``pulse_event`` so that a message is decoded once and the result
is shared by every agent reading ``pulse.events.v1``; decoding never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from faust.serializers import codecs
from pydantic import ValidationError

from schemas.events import KNOWN_EVENTS, SCHEMA_VERSION, EventRecord, describe_errors

CODEC_NAME = "pulse_event"


@dataclass(frozen=True)
class Undecodable:
    """A message the worker cannot process: ``reason`` is a short label, ``error`` the detail."""

    reason: str
    error: str
    raw: bytes


def decode_record(raw: bytes | None) -> EventRecord | Undecodable:
    """Decode and validate one message value (JSON EventRecord, schema version 1)."""
    data = raw or b""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Undecodable("not_json", f"value is not JSON: {exc}", data)
    if not isinstance(doc, dict):
        return Undecodable("invalid_record", "value is not a JSON object", data)
    version = doc.get("v", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        return Undecodable(
            "schema_version", f"schema version {version!r} unsupported; expected 1", data
        )
    try:
        record = EventRecord.model_validate(doc)
        schema = KNOWN_EVENTS.get(record.event)
        if schema is not None:
            schema.model_validate(record.metadata)
    except ValidationError as exc:
        return Undecodable("invalid_record", describe_errors(exc), data)
    return record


class EventRecordCodec(codecs.Codec):
    """Faust codec: bytes -> EventRecord | Undecodable (encoding is plain JSON)."""

    def _loads(self, s: bytes) -> Any:
        return decode_record(s)

    def _dumps(self, s: Any) -> bytes:
        if isinstance(s, EventRecord):
            return s.model_dump_json().encode()
        return orjson.dumps(s)


codecs.register(CODEC_NAME, EventRecordCodec())
