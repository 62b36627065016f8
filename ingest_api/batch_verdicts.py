"""The verdicts of a whole body in one pass, with the per-item path only for a batch with errors.

A body whose events are all valid, all within the size limit and without a repeated
``event_id`` (the usual case) is validated by pydantic-core in one call
(``TypeAdapter(list[Event]).validate_json``), its ids derived and its messages and answer encoded
by orjson in bulk. Any other body goes through :func:`ingest_api.verdicts.judge`, item by item,
which says what is wrong with each. Both give the same records, ids and answer for a valid batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from ingest_api.event_ids import event_ids_of
from ingest_api.partitions import Message
from ingest_api.records import event_messages, to_messages
from ingest_api.verdicts import RejectReason, judge
from schemas import MAX_EVENT_BYTES, Event
from schemas.records import LONG_NUMBER, exact_json

_ONE = TypeAdapter(Event)
_MANY = TypeAdapter(list[Event])


@dataclass
class Outcome:
    """What to publish, what to count, and the 202 answer (JSON) of one request."""

    messages: list[Message]
    accepted_events: list[str]
    rejected_reasons: list[RejectReason] = field(default_factory=list)
    answer: bytes = b""


def _validate_all(body: bytes, items: list[Any], received_at: datetime) -> list[Event] | None:
    """Every item as an Event in one pass, or None if any is too large or invalid."""
    dumps = orjson.dumps
    try:
        if any(len(dumps(item)) > MAX_EVENT_BYTES for item in items):
            return None
    except orjson.JSONEncodeError:
        return None
    adapter: TypeAdapter[Any] = _MANY if len(items) != 1 or body.lstrip()[:1] == b"[" else _ONE
    try:
        validated = adapter.validate_json(body, context={"now": received_at})
    except ValidationError:
        return None
    return validated if isinstance(validated, list) else [validated]


def _accepted_answer(ids: list[Any]) -> bytes:
    results = [{"index": i, "status": "accepted", "event_id": e} for i, e in enumerate(ids)]
    return orjson.dumps({"accepted": len(ids), "rejected": 0, "results": results})


def assess(
    body: bytes,
    items: list[Any],
    received_at: datetime,
    request_id: str | None,
    pseudonymise: Callable[[str], str] | None = None,
) -> Outcome:
    """The outcome of a request whose ``body`` parsed to ``items`` (see the module doc)."""
    # An integer beyond 64 bits would be a float in ``items`` (orjson), stored rounded: read the
    # body again exactly, and the event holding one is refused by itself (its size check).
    if LONG_NUMBER.search(body) and (exact := exact_json(body)) is not None:
        items = exact if isinstance(exact, list) else [exact]
    events = _validate_all(body, items, received_at)
    if events is not None:
        if pseudonymise is not None:
            events = [e.model_copy(update={"user_id": pseudonymise(e.user_id)}) for e in events]
        ids = event_ids_of(events)
        if len(set(ids)) == len(ids):
            return Outcome(
                messages=event_messages(events, ids, received_at, request_id),
                accepted_events=[e.event for e in events],
                answer=_accepted_answer(ids),
            )
    verdicts = judge(items, received_at, request_id, pseudonymise)
    answer = verdicts.response().model_dump(mode="json", exclude_none=True)
    return Outcome(
        messages=to_messages(verdicts.records),
        accepted_events=[r.event for r in verdicts.records],
        rejected_reasons=verdicts.rejected_reasons,
        answer=orjson.dumps(answer),
    )
