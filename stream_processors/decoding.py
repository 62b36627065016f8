"""Kafka message values -> :class:`EventRecord`, or an :class:`Undecodable` saying why not.

Registered as the Faust codec ``pulse_event`` so that a message is decoded once and the result
is shared by every agent reading ``pulse.events.v1``; decoding never raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from faust.serializers import codecs
from faust.types import Message

from schemas.events import EventRecord
from schemas.records import InvalidRecord, parse_record

CODEC_NAME = "pulse_event"


@dataclass(frozen=True)
class Undecodable:
    """A message the worker cannot process: ``reason`` is a short label, ``error`` the detail."""

    reason: str
    error: str
    raw: bytes


def decode_record(raw: bytes | None) -> EventRecord | Undecodable:
    """Decode and validate one message value by the rule of ``schemas.records.parse_record``."""
    data = raw or b""
    try:
        return parse_record(data)
    except InvalidRecord as exc:
        return Undecodable(exc.reason, str(exc), data)


def decode_batch(messages: Sequence[Message]) -> list[tuple[EventRecord | Undecodable, Message]]:
    """Each message with its decoded value, in order."""
    return [(decode_record(message.value), message) for message in messages]


class EventRecordCodec(codecs.Codec):
    """Faust codec: bytes -> EventRecord | Undecodable (encoding is plain JSON)."""

    def _loads(self, s: bytes) -> Any:
        return decode_record(s)

    def _dumps(self, s: Any) -> bytes:
        if isinstance(s, EventRecord):
            return s.model_dump_json().encode()
        return orjson.dumps(s)


codecs.register(CODEC_NAME, EventRecordCodec())
