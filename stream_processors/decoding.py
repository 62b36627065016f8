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
from pydantic import TypeAdapter, ValidationError

from schemas.events import RECORD_METADATA, SCHEMA_VERSION, EventRecord
from schemas.records import LONG_NUMBER, InvalidRecord, parse_record

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


class _Unusual(Exception):
    """A value the one-pass batch decoding leaves to :func:`decode_record`."""


_RECORDS = TypeAdapter(list[EventRecord])
# The element type is a value of RECORD_METADATA, known only at run time.
_METADATA = {name: TypeAdapter(list[schema]) for name, schema in RECORD_METADATA.items()}  # type: ignore[valid-type]


def decode_values(values: Sequence[bytes | None]) -> list[EventRecord | Undecodable]:
    """Each value decoded by the rule of :func:`decode_record`, in order, in one pass.

    The JSON of each value is parsed alone (a value can never spill into another), then every
    record of the batch is validated by one pydantic-core call, and the metadata of known events
    by one call per event name: the same validators as ``parse_record`` applies one by one, so
    the same records. If any value is not a JSON object of version 1, or anything fails to
    validate, the batch is decoded again value by value, so every refusal has its own reason.
    """
    try:
        docs = []
        for raw in values:
            if raw and LONG_NUMBER.search(raw):  # perhaps an integer orjson would round
                raise _Unusual
            doc = orjson.loads(raw or b"")
            if not isinstance(doc, dict) or doc.get("v", SCHEMA_VERSION) != SCHEMA_VERSION:
                raise _Unusual
            docs.append(doc)
        records = _RECORDS.validate_python(docs)
        metadata: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            if record.event in _METADATA:
                metadata.setdefault(record.event, []).append(record.metadata)
        for name, documents in metadata.items():
            _METADATA[name].validate_python(documents)
    except (orjson.JSONDecodeError, ValidationError, _Unusual):
        return [decode_record(raw) for raw in values]
    return list(records)


def decode_batch(messages: Sequence[Message]) -> list[tuple[EventRecord | Undecodable, Message]]:
    """Each message with its decoded value, in order (:func:`decode_values`)."""
    return list(zip(decode_values([message.value for message in messages]), messages, strict=True))


class EventRecordCodec(codecs.Codec):
    """Faust codec: bytes -> EventRecord | Undecodable (encoding is plain JSON)."""

    def _loads(self, s: bytes) -> Any:
        return decode_record(s)

    def _dumps(self, s: Any) -> bytes:
        if isinstance(s, EventRecord):
            return s.model_dump_json().encode()
        return orjson.dumps(s)


codecs.register(CODEC_NAME, EventRecordCodec())
