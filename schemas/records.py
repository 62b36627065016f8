"""Kafka record values back into :class:`EventRecord`: the one rule for what the worker accepts.

The worker decodes ``pulse.events.v1`` with it and ``pulse dlq replay`` re-validates dead letters
with it, so a letter is replayed exactly when the worker would now take it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from pydantic import ValidationError

from schemas.events import RECORD_METADATA, SCHEMA_VERSION, EventRecord, describe_errors


class InvalidRecord(ValueError):
    """A value that is not an acceptable record; ``reason`` is a short label for metrics and
    dead letters (``not_json``, ``invalid_record``, ``schema_version``), the message the detail."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# Text that may hold an integer beyond 64 bits, which orjson reads as a float, silently: such a
# value is read again exactly (the standard library keeps Python ints) before it is accepted.
# A number of 20 digits (19 after a minus) where a JSON value starts; a string holding such text
# after a colon or comma matches too, and reading it again changes nothing.
LONG_NUMBER = re.compile(rb"[:,\[]\s*(?:\d{20}|-\d{19})")


def exact_json(value: bytes) -> Any:
    """``value`` (JSON that orjson has already read) with exact integers, or None where it nests
    deeper than the standard library's parser goes; orjson has checked the syntax already."""
    try:
        return json.loads(value)
    except RecursionError:
        return None


def holds_integer_beyond_64_bits(value: bytes) -> bool:
    """Whether the JSON ``value`` holds an integer that no 64-bit column or orjson can keep."""
    if not LONG_NUMBER.search(value):
        return False
    try:
        orjson.dumps(exact_json(value))
    except orjson.JSONEncodeError as exc:
        return "64-bit" in str(exc)
    return False


def parse_record(value: bytes) -> EventRecord:
    """The record in ``value``: a JSON object of schema version 1 that validates as an
    :class:`EventRecord`, with strict metadata for known event names; else :class:`InvalidRecord`.
    """
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord("not_json", f"value is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidRecord("invalid_record", "value is not a JSON object")
    if holds_integer_beyond_64_bits(value):
        raise InvalidRecord(
            "invalid_record", "value holds an integer beyond 64 bits, which cannot be stored"
        )
    version = doc.get("v", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InvalidRecord(
            "schema_version", f"schema version {version!r} unsupported; expected {SCHEMA_VERSION}"
        )
    try:
        record = EventRecord.model_validate(doc)
        schema = RECORD_METADATA.get(record.event)
        if schema is not None:
            schema.model_validate(record.metadata)
    except ValidationError as exc:
        raise InvalidRecord("invalid_record", describe_errors(exc)) from exc
    return record
