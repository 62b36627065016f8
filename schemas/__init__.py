"""Pulse's data models: pydantic only, no I/O; every other component imports from here."""

from schemas.events import (
    EVENT_NAME_PATTERN,
    KNOWN_EVENTS,
    MAX_EVENT_BYTES,
    Event,
    EventRecord,
    describe_errors,
)

__all__ = [
    "EVENT_NAME_PATTERN",
    "KNOWN_EVENTS",
    "MAX_EVENT_BYTES",
    "Event",
    "EventRecord",
    "describe_errors",
]
