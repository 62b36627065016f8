"""Server-assigned event ids: a UUIDv5 of the event's canonical content.

The same event sent twice (a client retrying a batch after a timeout) gets the same id, so the
pipeline, which stores each ``event_id`` once, stores it once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from uuid import UUID, uuid5

import orjson

from schemas import Event

EVENT_ID_NAMESPACE = UUID("5b0f4d2e-7c1a-5e39-9f52-3c0d8a6e1b47")


def canonical_json(event: Event) -> bytes:
    """The event's content without its id: keys sorted, timestamp in UTC to the microsecond."""
    content = {
        "event": event.event,
        "user_id": event.user_id,
        "timestamp": event.timestamp.astimezone(UTC).isoformat(timespec="microseconds"),
        "source": event.source,
        "session_id": event.session_id,
        "metadata": event.metadata,
    }
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def uuid5_of(content: bytes) -> UUID:
    """``uuid5(EVENT_ID_NAMESPACE, content.decode())``, without the round trip through text."""
    digest = hashlib.sha1(EVENT_ID_NAMESPACE.bytes + content, usedforsecurity=False).digest()
    return UUID(bytes=digest[:16], version=5)


def derive_event_id(event: Event) -> UUID:
    """The id the server gives an event sent without one (deterministic, see module doc)."""
    return uuid5(EVENT_ID_NAMESPACE, canonical_json(event).decode())


def event_id_of(event: Event) -> UUID:
    """The event's own id if it has one, else the derived one."""
    return event.event_id or derive_event_id(event)


def event_ids_of(events: list[Event]) -> list[UUID]:
    """:func:`event_id_of` of each event, in order."""
    return [e.event_id or uuid5_of(canonical_json(e)) for e in events]
