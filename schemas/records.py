"""Kafka record values back into :class:`EventRecord`: the one rule for what the worker accepts.

The worker decodes ``pulse.events.v1`` with it and ``pulse dlq replay`` re-validates dead letters
with it, so a letter is replayed exactly when the worker would now take it.
"""

from __future__ import annotations

import orjson
from pydantic import ValidationError

from schemas.events import KNOWN_EVENTS, SCHEMA_VERSION, EventRecord, describe_errors


class InvalidRecord(ValueError):
    """A value that is not an acceptable record; ``reason`` is a short label for metrics and
    dead letters (``not_json``, ``invalid_record``, ``schema_version``), the message the detail."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


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
    version = doc.get("v", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InvalidRecord(
            "schema_version", f"schema version {version!r} unsupported; expected {SCHEMA_VERSION}"
        )
    try:
        record = EventRecord.model_validate(doc)
        schema = KNOWN_EVENTS.get(record.event)
        if schema is not None:
            schema.model_validate(record.metadata)
    except ValidationError as exc:
        raise InvalidRecord("invalid_record", describe_errors(exc)) from exc
    return record
